"""Sphinx extension for the book (registered in _config.yml, ``sphinx: local_extensions``).

1. Every executed chapter offers its executed notebook, outputs included, in the page's
   download menu (the ``.ipynb`` entry of sphinx-book-theme's download button).
   MyST-NB writes ``_build/jupyter_execute/<page>.ipynb``, but when it takes a chapter's
   outputs from the execution cache it writes the notebook it read, without outputs
   (myst_nb/sphinx_.py writes ``notebook``, not ``nb_client.notebook``). So the outputs are
   merged from the cache here, and the result is copied to ``_sources/<page>.ipynb``.
   The cache cannot hold stale outputs: ``make book`` clears it whenever ``book/*.py``, the
   lock file, the config or the model/data variables change (tools/book_key.py).
   Each downloaded notebook opens with a note for its reader (a Markdown cell: this build's
   output, where the glued numbers are, the commands that set up the repository's environment)
   and a guard cell: without the ``book`` package, Run All stops at once with one sentence
   naming those commands instead of a ModuleNotFoundError traceback (:func:`for_download`).
   The chapter sources are not changed.
2. MathJax is served from the build: when ``tools/fetch_mathjax.py`` (run by setup) has put
   MathJax into ``<sys.prefix>/share/mathjax``, ``mathjax_path`` points at the copy in
   ``_static/mathjax``; otherwise the pages keep MathJax's CDN (and a message says so).
3. A space where a Han character meets a Latin letter or digit in running text (paragraphs
   and figure captions), as the hand-written prose does it: also where a glued value meets the
   prose around it ("的{glue:text}`name`" with a name such as "E5-small"), which no single
   string can know. Code, math and raw HTML are left alone. Also a space between Han text and
   an inline code span ("写下的 `artifacts/metrics.json`"), and in running text: a minus sign −
   for an ASCII hyphen before a number, 6.81e-12 as 6.81 × 10⁻¹², and *p* (the p value) in
   italics as the formulas write it.
4. Figures and tables are numbered per chapter, "图 5.3" / "表 5.2", without numbering the
   hand-numbered headings: each page's chapter comes from its title ("第五章 …" → 5, "3.2 …"
   → 3, "附录…" → A; the front page has plain numbers), and the count runs on across the pages
   of one chapter (3.1–3.3 continue chapter 3). Figures: Sphinx's numbers are re-counted
   (``env.toc_fignumbers``, which {numref} reads too). Tables: the captions "表 n　…" that
   ``book.display.table`` writes into cell outputs (numbered per kernel) are renumbered.
"""
from __future__ import annotations

import re
import shutil
import sys
from contextlib import suppress
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.mathjax import MATHJAX_URL
from sphinx.util import logging

from book.display import minus_signs, spaced  # the one rule for Han/Latin spacing and for minus signs (installed)
from book.names import CJK_RANGES

logger = logging.getLogger(__name__)

MATHJAX_DIR = Path(sys.prefix) / "share" / "mathjax"
MATHJAX_ENTRY = "tex-chtml.js"


def executed_notebook(app: Sphinx, pagename: str) -> nbformat.NotebookNode | None:
    """The page's executed notebook with its outputs, or None when the page is no notebook."""
    cfg = app.env.mystnb_config
    path = Path(cfg.output_folder) / f"{pagename}.ipynb"
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and not any(c.get("outputs") for c in code) and cfg.execution_mode == "cache":
        from jupyter_cache import get_cache

        with suppress(KeyError):  # no cached execution: leave the notebook as it is
            _, nb = get_cache(cfg.execution_cache_path).merge_match_into_notebook(nb)
    return nb


SETUP_COMMANDS = "`make setup`（或 `make book`），再用 `make lab`"
NOTE = (
    "**这是本书一次构建执行后的笔记本**，由 `{source}` 生成，单元格的输出都是这次构建的结果。"
    "正文中的数字由代码在运行时算出、用 `glue` 填入：它们显示在本书网页的这一页上，"
    "在 Jupyter 里正文只显示 `{{glue:text}}` 这样的角色名，数值要在重新运行后从相应的变量中查看。"
    "重新运行需要本书仓库的 Python 环境（`book` 包和 `requirements.lock` 锁定的版本）："
    f"在仓库根目录运行 {SETUP_COMMANDS} 打开 `{{source}}`（第 4–6 章要用第 3 章训练的模型，先运行 `make book`）；"
    "在别的 Python 环境里，下面第一个代码单元会停下并说明这一点。"
)
GUARD_MESSAGE = ("这个笔记本需要本书仓库的 Python 环境（这里没有 book 包）："
                 "请在仓库根目录运行 make setup（或 make book），再用 make lab 打开它重新运行。")
GUARD = f"""\
# Added to the downloaded notebook by the build: without the book's environment, stop here with one sentence.
try:
    import book  # noqa: F401
except ModuleNotFoundError:
    class NeedsTheBookEnvironment(Exception):
        def _render_traceback_(self):  # Jupyter shows this line instead of a traceback
            return [str(self)]

    raise NeedsTheBookEnvironment({GUARD_MESSAGE!r}) from None"""


def for_download(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """A copy of the executed notebook ``nb`` (of the chapter file ``source``) that opens with the
    reader's note and the guard cell (point 1 of the module docstring)."""
    out = nbformat.from_dict(nb)
    out.cells = [nbformat.v4.new_markdown_cell(NOTE.format(source=source)),
                 nbformat.v4.new_code_cell(GUARD)] + out.cells
    return out


def add_notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Copy the executed notebook next to the page's sources and offer it for download."""
    if app.builder.format != "html" or doctree is None:
        return
    nb = executed_notebook(app, pagename)
    if nb is None:
        return
    dest = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(for_download(nb, app.env.doc2path(pagename, base=False)), dest)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _script_text(js) -> str:
    """A page script's URL and inline body, whatever Sphinx's asset class (str or _JavaScript)."""
    if isinstance(js, str):
        return js
    return f"{getattr(js, 'filename', '') or ''} {getattr(js, 'attributes', {}).get('body', '')}"


def drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """No live kernels here (no launch buttons): drop sphinx-thebe's scripts, which Jupyter Book
    loads on every page, declare ``const THEBE_JS_URL`` twice (a SyntaxError in the console) and
    name a CDN URL. Any other script from outside the book goes too: pages load nothing remote."""
    scripts = context.get("script_files")
    if not scripts:
        return
    context["script_files"] = [js for js in scripts
                               if not any(k in _script_text(js) for k in ("THEBE", "thebe", "://"))]


# Strings of the themes' interface that stay English or Taiwanese in their zh_CN catalogues,
# put into Simplified Chinese in every built page (attributes and text alike).
UI_ZH_CN = {
    "列印成 PDF": "打印为 PDF",
    '"Toggle primary sidebar"': '"显示或隐藏左侧栏"',
    '"Toggle secondary sidebar"': '"显示或隐藏右侧栏"',
    '"Toggle hidden content"': '"显示或隐藏内容"',
    '"Color mode"': '"配色模式"',
    '"System Settings"': '"跟随系统"',
    '"Search this book..."': '"搜索本书……"',
    '"Link to this heading"': '"链接到此标题"',
    '"Link to this image"': '"链接到此图"',
    '"Link to this code"': '"链接到此代码"',
    '"Link to this table"': '"链接到此表"',
    '"Link to this equation"': '"链接到此公式"',
    'aria-label="Main"': 'aria-label="主导航"',
    'aria-label="Page"': 'aria-label="本页导航"',
    'aria-label="Version switcher list"': 'aria-label="版本列表"',
}


def simplified_ui(app: Sphinx, exception) -> None:
    """Replace ``UI_ZH_CN``'s strings in every HTML page of the build."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for old, zh in UI_ZH_CN.items():
            new = new.replace(old, zh)
        if new != text:
            page.write_text(new, encoding="utf-8")


FRONT_PAGE = "index"    # pastes chapter 6's findings (MyST-NB's cross-document glue)


def reread_front_page(app: Sphinx, env, added, changed, removed) -> list[str]:
    """The front page pastes the findings chapter 6 glued; Sphinx does not know that, so whenever
    any page is read again (a chapter re-executed), read and write the front page again too."""
    return [FRONT_PAGE] if (added | changed) - {FRONT_PAGE} and FRONT_PAGE in env.found_docs else []


def default_color_mode(app: Sphinx, config) -> None:
    """pydata-sphinx-theme writes ``default_mode`` into each page's script; left empty, every page
    logs "Got invalid theme mode" as a console error. "auto" follows the reader's system."""
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")      # a template variable of the theme, not an option
    config.html_context = context


def use_local_mathjax(app: Sphinx, config) -> None:
    """Point mathjax_path at the environment's MathJax when it is there (and the config
    has not chosen another MathJax)."""
    if config.mathjax_path != MATHJAX_URL:
        return
    if (MATHJAX_DIR / MATHJAX_ENTRY).is_file():
        config.mathjax_path = f"mathjax/{MATHJAX_ENTRY}"  # relative: under _static/
    else:
        logger.info(f"book_pages: no MathJax in {MATHJAX_DIR} (run tools/fetch_mathjax.py); using the CDN")


def copy_mathjax(app: Sphinx, exception) -> None:
    if exception is None and app.builder.format == "html" and app.config.mathjax_path.startswith("mathjax/"):
        shutil.copytree(MATHJAX_DIR, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


VERBATIM = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw, nodes.comment,
            nodes.target, nodes.substitution_definition)


def _needs_space(before: str, after: str) -> bool:
    """Whether book.display.spaced would put a space where ``before`` ends and ``after`` begins."""
    seam = before[-1:] + after[:1]
    return len(seam) == 2 and spaced(seam) != seam


def space_han_latin(block: nodes.Element) -> None:
    """Insert the spaces (point 3 of the module docstring) into one paragraph or caption: inside
    each text node, and between a text node and the next one that follows it directly (a
    code span, formula or raw node in between breaks the run)."""
    runs, run = [], []

    def walk(node):
        nonlocal run
        for child in list(node.children):
            if isinstance(child, VERBATIM):
                if run:
                    runs.append(run)
                run = []
            elif isinstance(child, nodes.Text):
                run.append(child)
            else:
                walk(child)

    walk(block)
    if run:
        runs.append(run)
    for run in runs:
        texts = [spaced(str(t)) for t in run]
        for i in range(len(texts) - 1):
            if _needs_space(texts[i], texts[i + 1]):
                texts[i] += " "
        for old, new in zip(run, texts):
            if new != str(old):
                old.parent.replace(old, nodes.Text(new))


SUPERSCRIPT = str.maketrans("-+0123456789", "⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹")
SCIENTIFIC = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)e([-+]?)0*(\d+)(?![\w.])")
P_VALUE = re.compile(r"(?<![A-Za-z_])p(?=\s?(?:[=<>≈≤≥]|值))")


def typeset(text: str) -> str:
    """Minus signs and powers of ten in running text: '-0.015' → '−0.015', '6.81e-12' → '6.81 × 10⁻¹²'."""
    text = SCIENTIFIC.sub(lambda m: f"{m[1]} × 10" + (m[2].replace("+", "") + m[3]).translate(SUPERSCRIPT), text)
    return minus_signs(text)


def space_around_code(block: nodes.Element) -> None:
    """A space between Han text and an inline code span next to it (either side)."""
    for lit in list(block.findall(nodes.literal)):
        node = lit
        while node.parent is not block and len(node.parent.children) == 1 and not isinstance(node.parent, nodes.TextElement):
            node = node.parent  # a link or span around the code: its neighbours count
        parent = node.parent
        i = parent.index(node)
        prev = parent[i - 1] if i > 0 else None
        nxt = parent[i + 1] if i + 1 < len(parent) else None
        if isinstance(prev, nodes.Text) and re.search(f"[{CJK_RANGES}]$", str(prev)):
            parent.replace(prev, nodes.Text(str(prev) + " "))
        if isinstance(nxt, nodes.Text) and re.match(f"[{CJK_RANGES}]", str(nxt)):
            parent.replace(nxt, nodes.Text(" " + str(nxt)))


def typeset_block(block: nodes.Element) -> None:
    """:func:`typeset` on the running text of a paragraph or caption, and the p of a p value in italics."""
    for t in list(block.findall(nodes.Text)):
        if any(isinstance(a, VERBATIM + (nodes.emphasis,)) for a in _ancestors(t, block)):
            continue
        text = typeset(str(t))
        parts = P_VALUE.split(text)
        if len(parts) == 1:
            if text != str(t):
                t.parent.replace(t, nodes.Text(text))
            continue
        new = []
        for k, part in enumerate(parts):
            if k:
                new.append(nodes.emphasis("p", "p"))
            if part:
                new.append(nodes.Text(part))
        t.parent.replace(t, new)


def _ancestors(node, stop):
    node = node.parent
    while node is not None and node is not stop:
        yield node
        node = node.parent


def space_page(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for block in list(doctree.findall(lambda n: isinstance(n, (nodes.paragraph, nodes.caption)))):
        space_han_latin(block)
        space_around_code(block)
        typeset_block(block)


CN_DIGITS = "一二三四五六七八九"
TABLE_CAPTION = re.compile(r"(<caption[^>]*>\s*)表 \d+(?:\.\d+)?　")


def _cn_number(s: str) -> int:
    """一 … 九十九 as an int."""
    tens, ten, ones = s.partition("十")
    if not ten:
        return CN_DIGITS.index(s) + 1
    return (CN_DIGITS.index(tens) + 1 if tens else 1) * 10 + (CN_DIGITS.index(ones) + 1 if ones else 0)


def chapter_label(title: str) -> str | None:
    """The chapter a page belongs to, from its title: '第五章 泛化' → '5', '3.2 LSTM' → '3',
    '附录：运行记录' → 'A'; None for a page outside the chapters (the front page)."""
    title = title.strip()
    if m := re.match(r"第([一二三四五六七八九十]+)章", title):
        return str(_cn_number(m[1]))
    if m := re.match(r"(\d+)\.\d+\s", title):
        return m[1]
    return "A" if title.startswith("附录") else None


def toc_order(env) -> list[str]:
    """The documents in reading order (depth first from the root, as Sphinx numbers figures)."""
    order: list[str] = []

    def walk(doc):
        if doc in order or doc not in env.found_docs:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return order


def _number(label: str | None, k: int) -> tuple:
    return (label, k) if label else (k,)


def number_per_chapter(app: Sphinx, env) -> list[str]:
    """Point 4 of the module docstring (after Sphinx has numbered the figures across the
    book): returns the pages whose table numbers changed, to be written again."""
    order = toc_order(env)
    label = {d: chapter_label(env.titles[d].astext()) if d in env.titles else None for d in order}
    rank = {d: i for i, d in enumerate(order)}
    items = sorted(((figtype, num, rank.get(doc, len(rank)), doc, fid)
                    for doc, types in env.toc_fignumbers.items()
                    for figtype, ids in types.items() for fid, num in ids.items()),
                   key=lambda t: (t[0], t[1], t[2]))
    counter: dict[tuple, int] = {}
    for figtype, _, _, doc, fid in items:
        key = (figtype, label.get(doc))
        counter[key] = counter.get(key, 0) + 1
        env.toc_fignumbers[doc][figtype][fid] = _number(label.get(doc), counter[key])
    old = getattr(env, "book_table_start", {})
    env.book_table_start, seen = {}, {}
    for doc in order:
        lab = label[doc]
        n = sum(len(TABLE_CAPTION.findall(node.astext())) for node in env.get_doctree(doc).findall(nodes.raw)
                if "html" in node.get("format", ""))
        env.book_table_start[doc] = (lab, seen.get(lab, 0) + 1)
        seen[lab] = seen.get(lab, 0) + n
    return [d for d, v in env.book_table_start.items() if old.get(d) != v]


def number_tables(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Renumber the table captions of one page's cell outputs (point 4)."""
    start = getattr(app.env, "book_table_start", {}).get(docname)
    if start is None:
        return
    lab, k = start
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "") or not TABLE_CAPTION.search(node.astext()):
            continue

        def renumber(m):
            nonlocal k
            k += 1
            return f"{m[1]}表 {'.'.join(map(str, _number(lab, k - 1)))}　"

        text = TABLE_CAPTION.sub(renumber, node.astext())
        node.parent.replace(node, nodes.raw(text, text, **node.attributes))


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", use_local_mathjax)
    app.connect("config-inited", default_color_mode)
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", add_notebook_download, priority=450)
    app.connect("build-finished", copy_mathjax)
    app.connect("html-page-context", drop_thebe, priority=900)     # after sphinx-thebe added its scripts
    app.connect("build-finished", simplified_ui)
    app.connect("env-get-outdated", reread_front_page)
    app.connect("doctree-resolved", space_page)
    app.connect("env-get-updated", number_per_chapter, priority=900)  # after Sphinx's own numbering
    app.connect("doctree-resolved", number_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
