// Interface strings that scripts of the themes add after the page has loaded (sphinx-togglebutton's
// buttons), put into Simplified Chinese like the ones _ext/book_pages.py replaces in the HTML.
(function () {
  const LABELS = {"Toggle hidden content": "显示或隐藏内容"};
  function translate(root) {
    for (const el of root.querySelectorAll("[aria-label], [title]")) {
      for (const a of ["aria-label", "title"]) {
        const v = el.getAttribute(a);
        if (v && LABELS[v]) el.setAttribute(a, LABELS[v]);
      }
    }
  }
  function start() {
    translate(document);
    new MutationObserver((changes) => {
      for (const c of changes) for (const n of c.addedNodes) if (n.nodeType === 1) translate(n.parentNode || n);
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
