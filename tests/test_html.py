"""The rendered book as a reader sees it: every chapter opened in headless Chromium.

Run after `make book` with `make test-html` (pytest -m browser). Saves a full-page
screenshot of each page under _build/screenshots/.

The pages are served over http on 127.0.0.1 and every other request is blocked, so the
book must work offline (a formula that needs a CDN shows up as unrendered math). Each page
is loaded once; the checks below (one JS function each, returning readable problem strings)
run on it and each check is its own test, so a failure names the page and the check:

    renders   broken images, error outputs, tracebacks, empty glued values
    markup    literal MyST markup: {glue..., {cite..., {doc}, a role name before a backtick, ``
    paths     an absolute path of the build machine (/work/..., /home/..., C:\\..., the repo root)
    decimals  a plain number with more than 4 decimals in a table cell
    math      a formula MathJax did not render, or raw TeX ($...$, \\(, \\frac) in the text
    cjk_space a space between two Chinese characters in prose (a hard-wrapped source line shows as one),
              or none between a Chinese character and a Latin letter or digit ("是E5-small")
    figures   an image in the article outside a <figure> with a numbered caption ("图 1.2"); a data
              table without a caption "表 n", or tables not numbered 1, 2, ... down the page
    overflow  an element in the article wider than its box without a horizontal scrollbar (1280 px)
    code_scroll a code block or listing that needs horizontal scrolling at 1280 px
    tables    a table header that wraps to more than two lines, a column narrower than two Chinese
              characters (a cell of two or more characters broken into lines that narrow)
    figure_text text in a figure smaller than 9 pt as displayed: a PNG from book.plots records its
              smallest font and dpi (book:min-font-pt, book:dpi), shown at pt × dpi / 96 × displayed /
              natural width; an SVG's smallest font-size scaled the same way
    english   an English UI string on the page ("Click to show", the "By …" author line, ...)
    minus     an ASCII hyphen used as a minus sign before a number ("-0.015": the book writes −)
    numbering figures and tables numbered per chapter from the page's title: "图 5.3", "表 5.2" on
              第五章's page, "图 3.4" on 3.2's, "A.1" in the appendix, plain numbers on the front page;
              consecutive down the page (and across the pages of one chapter: test_numbering_*)

Chapter pages are also checked for a "show code" toggle on a cell with output and for a
working link to their executed .ipynb (test_chapter_*). Every check is first shown to fail on
a small bad page and to pass on a small good page (test_check_*).
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pages import TSNE_ACCUSATION

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
# BOOK_HTML / BOOK_SHOTS: check a book rendered elsewhere (jupyter-book build --path-output DIR)
HTML = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html")
SHOTS = Path(os.environ.get("BOOK_SHOTS") or ROOT / "_build" / "screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Path prefixes of this machine that must never reach a page (besides /work, /home, /tmp, ...).
MACHINE_PATHS = sorted({str(p) for p in (ROOT, ROOT.parent, Path.home(), Path(tempfile.gettempdir()))
                        if len(str(p)) > 1})


def toc_pages() -> list[str]:
    """Every page of _toc.yml, in order, as its path without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            pages.append(e["file"])
            walk(e.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return pages


PROBLEMS_JS = """() => {
  const out = [];
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) out.push('broken image: ' + (img.getAttribute('src') || '').slice(0, 80));
  }
  for (const el of document.querySelectorAll('.output.traceback, .output.error, .output.stderr, .cell_output .stderr')) {
    out.push('error output: ' + el.innerText.slice(0, 120));
  }
  const text = document.body.innerText;
  const i = text.indexOf('Traceback (most recent call last)');
  if (i >= 0) out.push('visible traceback: ' + text.slice(i, i + 120));
  for (const el of document.querySelectorAll('.pasted-text, .pasted-inline')) {
    if (/^\\s*$/.test(el.innerText)) out.push('empty glued value');
  }
  return out;
}"""

# Shared by the checks below: the article, a snippet maker, and the text of an element with
# some subtrees (code, math, nested prose) replaced by one U+FFFC each, so that text on either
# side of them never looks adjacent.
_HELPERS = r"""
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const BLOCKS = new Set(['P', 'DIV', 'LI', 'UL', 'OL', 'DL', 'DD', 'DT', 'TD', 'TH', 'TR', 'TABLE', 'SECTION', 'FIGURE',
                          'FIGCAPTION', 'CAPTION', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'PRE', 'BLOCKQUOTE', 'NAV', 'HEADER', 'FOOTER']);
  const textOf = (el, skip, blocks = false) => {  // blocks: put a newline around block elements
    let s = '';
    const walk = (node) => {
      for (const c of node.childNodes) {
        if (c.nodeType === 3) s += c.data;
        else if (c.nodeType === 1) {
          if (c.matches(skip)) { s += '\ufffc'; continue; }
          const b = blocks && BLOCKS.has(c.tagName);
          if (b) s += '\n';
          walk(c);
          if (b) s += '\n';
        }
      }
    };
    walk(el);
    return s;
  };
  // Problem strings for the regex matches in text, matches close together merged into one snippet.
  const report = (text, pats, label, n = 12) => {
    const spans = [];
    for (const re of pats) for (const m of text.matchAll(re)) spans.push([m.index, m.index + m[0].length]);
    spans.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last && s[0] <= last[1] + 3) last[1] = Math.max(last[1], s[1]); else merged.push([...s]);
    }
    return merged.map(([a, b]) => {  // the context stops at the edges of the block
      const left = text.slice(Math.max(0, a - n), a), right = text.slice(b, b + n);
      const s = left.slice(left.lastIndexOf('\n') + 1) + text.slice(a, b) + right.split('\n')[0];
      return label + ': "' + s.replace(/\s+/g, ' ').replace(/\ufffc/g, '⟨…⟩').trim() + '"';
    });
  };
  const some = (list, n, what) => list.length > n ? list.slice(0, n).concat([`... and ${list.length - n} more ${what}`]) : list;
"""


def _js(body: str, arg: str = "") -> str:
    return "(" + arg + ") => {" + _HELPERS + body + "}"


MARKUP_JS = _js(r"""
  const text = textOf(document.body, 'script, style, noscript, pre, textarea, mjx-container', true);
  const pats = [/\{(glue|cite|doc|ref|numref|eq|term|download|abbr|index|math|sub|sup)(:[\w-]+)?\}[^\s\ufffc]*/g,
                /\{glue/g, /\{cite/g, /\{[a-z][\w-]*(:[\w-]+)?\}`[^\s`]*`?/g, /\b(glue|cite|numref|ref|doc|eq)(:[\w-]+)?`[^\s`]*`?/g, /``/g];
  return some(report(text, pats, 'literal markup', 10), 10, 'places');
""")

PATHS_JS = _js(r"""
  const text = textOf(document.body, 'script, style, noscript', true);
  const esc = s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const roots = 'work|home|tmp|root|usr|opt|var|etc|mnt|srv|media|run|nix|scratch|private|Users|Volumes';
  const pats = [new RegExp(`(?<![\\w.:/~-])/(?:${roots})(?=/|\\b)[^\\s"'<>，。；、）)]*`, 'g'),
                /(?<![\w])[A-Za-z]:\\[^\s"'<>，。；]*/g, /file:\/\/[^\s"'<>]+/g];
  for (const p of prefixes) pats.push(new RegExp(`(?<![\\w.-])${esc(p)}(?![\\w.-])[^\\s"'<>，。；、）)]*`, 'g'));
  return some(report(text, pats, 'machine path', 12), 10, 'places');
""", "prefixes")

DECIMALS_JS = _js(r"""
  const out = [];
  const num = /^[-+\u2212]?\d+(?:,\d{3})*\.(\d+)(?:[eE][-+]?\d+)?%?$/;
  document.querySelectorAll('table').forEach((table, t) => {
    const long = [];
    for (const cell of table.querySelectorAll('td, th')) {
      const s = cell.textContent.trim();
      const m = num.exec(s);
      if (m && m[1].length > 4) {
        const row = cell.closest('tr');
        const head = row ? (row.querySelector('th, td').textContent.trim().slice(0, 30)) : '';
        long.push(`"${s}" (row "${head}")`);
      }
    }
    if (long.length) {
      const cap = (table.querySelector('caption') || {textContent: ''}).textContent.trim().slice(0, 40);
      out.push(`table ${t + 1}${cap ? ' "' + cap + '"' : ''}: ${long.length} cell(s) with more than 4 decimals, e.g. ` + long.slice(0, 3).join(', '));
    }
  });
  return out;
""")

WAIT_MATHJAX_JS = """async () => {
  const p = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (p) await Promise.race([p, new Promise(r => setTimeout(r, 15000))]);
}"""

MATH_JS = _js(r"""
  const out = [];
  const raw = [...document.querySelectorAll('.math')].filter(el => !el.querySelector('mjx-container') && !el.closest('mjx-container'));
  for (const el of raw) out.push('math not rendered: "' + el.textContent.trim().replace(/\s+/g, ' ').slice(0, 60) + '"');
  for (const el of document.querySelectorAll('mjx-merror')) out.push('math error: ' + (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 80));
  const text = textOf(document.body, 'script, style, noscript, code, pre, textarea, mjx-container, .math', true);
  const cmds = 'frac|tfrac|dfrac|mathrm|mathbb|mathcal|mathbf|text|textbf|hat|tilde|bar|sum|prod|log|exp|begin|end|left|right|cdot|times|alpha|beta|sigma|tanh|sqrt|leq?|geq?|in|sim|dots|ldots|operatorname|quad';
  const pats = [/\$[^$]{0,200}\$/g, /\\\(/g, /\\\)/g, /\\\[/g, /\\\]/g, new RegExp(`\\\\(${cmds})(?![a-zA-Z])`, 'g')];
  return some(out, 8, 'unrendered formulas').concat(some(report(text, pats, 'raw TeX in the text', 12), 8, 'places'));
""")

CJK_SPACE_JS = _js(r"""
  const PROSE = 'p, li, figcaption, caption, h1, h2, h3, h4, h5, h6, dd, dt';
  const SKIP = 'code, pre, kbd, samp, input, textarea, select, button, script, style, mjx-container, .math, .headerlink, ' + PROSE;
  const C = '[\\u2e80-\\u2fff\\u3000-\\u303f\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef]';
  const re = new RegExp(`${C}(\\s+)(?=${C})`, 'g');
  const H = '[\\u3400-\\u4dbf\\u4e00-\\u9fff]';   // Han next to a Latin letter or digit: the prose puts a space
  const glued = new RegExp(`${H}(?=[A-Za-z0-9])|[A-Za-z0-9%](?=${H})`, 'g');
  const out = [];
  for (const el of article.querySelectorAll(PROSE)) {
    if (el.parentElement && el.parentElement.closest('code, pre, kbd, samp, textarea, .math')) continue;
    let s = textOf(el, SKIP);
    s = s.replace(/(第[\d一二三四五六七八九十百零〇]+[章节部篇])\s+/g, '$1\ufffc');  // a chapter label: "第二章 分析"
    for (const m of s.matchAll(re)) {
      const i = m.index + 1;
      const ctx = (s.slice(Math.max(0, i - 10), i) + '\u2423' + s.slice(i + m[1].length, i + m[1].length + 10))
        .replace(/\s+/g, ' ').replace(/\ufffc/g, '⟨…⟩').trim();
      out.push(`space between Chinese characters in <${el.tagName.toLowerCase()}>: "${ctx}"` + (m[1].includes('\n') ? ' (a line break in the source)' : ''));
    }
    for (const m of s.matchAll(glued)) {
      const i = m.index + 1;
      out.push(`no space between Chinese and Latin in <${el.tagName.toLowerCase()}>: "` +
               (s.slice(Math.max(0, i - 10), i) + '\u2423' + s.slice(i, i + 10)).replace(/\s+/g, ' ').replace(/\ufffc/g, '⟨…⟩').trim() + '"');
    }
  }
  return some(out, 12, 'places');
""")

FIGURES_JS = _js(r"""
  const out = [];
  const numbered = /^(图|表|Fig\.?|Figure)\s*(\d+|[A-Z])(\.\d+)*/;
  for (const img of article.querySelectorAll('img')) {
    if (img.closest('.logo, .navbar-brand, .headerlink, button, a.reference.external > .badge')) continue;
    const r = img.getBoundingClientRect(), w = r.width || img.naturalWidth, h = r.height || img.naturalHeight;
    if (w > 0 && w <= 32 && h <= 32) continue;  // an icon
    const src = (img.getAttribute('src') || '').slice(0, 60);
    const fig = img.closest('figure');
    const cap = fig && fig.querySelector(':scope > figcaption');
    const text = cap ? cap.textContent.trim().replace(/\s+/g, ' ') : '';
    if (!fig) out.push(`image outside a numbered figure: ${src}`);
    else if (!cap) out.push(`figure without a caption: ${src}`);
    else if (!cap.querySelector('.caption-number') || !numbered.test(text)) out.push(`figure caption without a number: "${text.slice(0, 40)}" (${src})`);
  }
  for (const fig of article.querySelectorAll('figure')) {
    if (!fig.querySelector('img, svg, canvas, table, video, object')) out.push('figure with no image: "' + fig.textContent.trim().replace(/\s+/g, ' ').slice(0, 60) + '"');
  }
  // data tables (pandas Styler: id="T_..."): a caption "表 n　..." (numbers: the numbering check)
  for (const table of article.querySelectorAll('table[id^="T_"]')) {
    const cap = table.querySelector(':scope > caption');
    const text = cap ? cap.textContent.trim().replace(/\s+/g, ' ') : '';
    if (!/^表 (\d+|[A-Z])(\.\d+)? /.test(text)) out.push(`table without a numbered caption: "${text.slice(0, 40)}"`);
  }
  const t = article.textContent, i = t.indexOf('<Figure size');
  if (i >= 0) out.push('a matplotlib figure printed as text: "' + t.slice(i, i + 40) + '"');
  return out;
""")

OVERFLOW_JS = _js(r"""
  const bad = [];
  for (const el of [article, ...article.querySelectorAll('*')]) {
    // MathJax internals, and inline formulas (their clipped screen-reader copy counts in scrollWidth):
    // a too wide display formula shows on its box, a too wide inline one on its paragraph
    if (el.closest('mjx-container') || (el.matches('.math') && getComputedStyle(el).display.startsWith('inline'))) continue;
    if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 8) continue;  // 8px: an italic or superscript overhang
    const ox = getComputedStyle(el).overflowX;
    if (ox === 'auto' || ox === 'scroll') continue;
    bad.push(el);
  }
  const inner = bad.filter(el => !bad.some(o => o !== el && el.contains(o)));
  return inner.map(el => {
    const cls = String(el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 3).map(c => '.' + c).join('');
    return `cut off at ${window.innerWidth}px: <${el.tagName.toLowerCase()}${cls}> has ${el.scrollWidth}px of content in ${el.clientWidth}px and no scrollbar: "` +
      el.textContent.trim().replace(/\s+/g, ' ').slice(0, 50) + '"';
  });
""")

CODE_SCROLL_JS = _js(r"""
  const out = [];
  // what a reader sees at 1280 px: code in a folded cell or dropdown is not shown, so not checked
  for (const pre of article.querySelectorAll('div.highlight pre, .cell_input pre, pre.literal-block')) {
    if (pre.clientWidth === 0 || !pre.checkVisibility() || pre.scrollWidth <= pre.clientWidth + 2) continue;
    const cs = getComputedStyle(pre), pad = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
    const ch = parseFloat(cs.fontSize) * 0.6;  // a monospace character
    const lines = pre.textContent.split('\n');
    const longest = lines.reduce((a, b) => b.length > a.length ? b : a, '');
    const fits = Math.floor((pre.clientWidth - pad) / ch);
    const cap = pre.closest('.literal-block-wrapper, .cell');
    const name = cap && cap.querySelector('.caption-text') ? ` (${cap.querySelector('.caption-text').textContent.trim()})` : '';
    out.push(`code needs horizontal scrolling at ${window.innerWidth}px${name}: ${pre.scrollWidth}px of code in ${pre.clientWidth}px, ` +
             `${lines.filter(l => l.length > fits).length} line(s) over about ${fits} characters, e.g. "${longest.trim().slice(0, 60)}"`);
  }
  return some(out, 10, 'code blocks');
""")

TABLES_JS = _js(r"""
  const out = [];
  const lines = el => {  // the number of line boxes the cell's text takes
    const r = document.createRange(); r.selectNodeContents(el);
    const tops = [...r.getClientRects()].filter(x => x.width > 0).map(x => x.top).sort((a, b) => a - b);
    let n = 0, last = -1e9;
    for (const t of tops) { if (t > last + 3) n++; last = t; }
    return n;
  };
  article.querySelectorAll('table').forEach((table, t) => {
    if (table.closest('.highlight, pre')) return;
    const cap = (table.querySelector('caption') || {textContent: ''}).textContent.trim().slice(0, 30);
    const where = `table ${t + 1}${cap ? ' "' + cap + '"' : ''}`;
    const heads = [], narrow = [];
    for (const th of table.querySelectorAll('thead th, tr > th.col_heading')) {
      const n = lines(th), s = th.textContent.trim();
      if (s && n > 2) heads.push(`header "${s.slice(0, 20)}" wraps to ${n} lines`);
    }
    for (const cell of table.querySelectorAll('th, td')) {
      const s = cell.textContent.trim();
      if ([...s].length < 2) continue;
      const cs = getComputedStyle(cell), em = parseFloat(cs.fontSize);
      const w = cell.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      if (w < 2 * em - 0.5 && lines(cell) > 1) narrow.push(`column of "${s.slice(0, 12)}" is ${Math.round(w)}px wide (< 2 characters)`);
    }
    const list = (xs, what) => xs.slice(0, 3).concat(xs.length > 3 ? [`... ${xs.length - 3} more ${what}`] : []);
    const bad = list(heads, 'headers').concat(list([...new Set(narrow)], 'narrow columns'));
    if (bad.length) out.push(`${where}: ` + bad.join('; '));
  });
  return out;
""")

FIGURE_TEXT_JS = _js(r"""
  const out = [];
  const pngText = buf => {  // the tEXt chunks of a PNG
    const d = new DataView(buf), u8 = new Uint8Array(buf), info = {};
    if (u8.length < 8 || u8[1] !== 0x50) return null;
    for (let i = 8; i + 8 <= u8.length;) {
      const len = d.getUint32(i), type = String.fromCharCode(...u8.slice(i + 4, i + 8));
      if (type === 'tEXt') {
        const body = u8.slice(i + 8, i + 8 + len), z = body.indexOf(0);
        info[new TextDecoder('latin1').decode(body.slice(0, z))] = new TextDecoder('latin1').decode(body.slice(z + 1));
      }
      if (type === 'IEND') break;
      i += 12 + len;
    }
    return info;
  };
  for (const img of article.querySelectorAll('img')) {
    const r = img.getBoundingClientRect();
    if (!img.naturalWidth || r.width <= 32) continue;
    const src = img.getAttribute('src') || '', name = src.startsWith('data:') ? 'an inline image' : src.split('/').pop().slice(0, 50);
    const fig = img.closest('figure'), num = fig && fig.querySelector('.caption-number');
    const label = `${num ? num.textContent.trim() + ' ' : ''}(${name})`;
    const scale = r.width / img.naturalWidth;
    let resp;
    try { resp = await fetch(img.src); } catch (e) { out.push(`${label}: could not be read (${e})`); continue; }
    if (/\.svg(\?|$)/.test(src) || (resp.headers.get('content-type') || '').includes('svg')) {
      const svg = await resp.text();
      const vb = /viewBox="\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)/.exec(svg), w = /<svg[^>]*\swidth="([\d.]+)/.exec(svg);
      const unitsWide = vb ? +vb[1] : (w ? +w[1] : img.naturalWidth);
      const sizes = [...svg.matchAll(/font-size\s*[:=]\s*"?\s*([\d.]+)/g)].map(m => +m[1]);
      if (!sizes.length) continue;
      const pt = Math.min(...sizes) * (r.width / unitsWide) * 0.75;
      if (pt < 9) out.push(`${label}: smallest text ${pt.toFixed(1)} pt as shown (font-size ${Math.min(...sizes)} in a ${unitsWide}-unit-wide SVG shown ${Math.round(r.width)}px wide)`);
      continue;
    }
    const info = pngText(await resp.arrayBuffer());
    if (!info || !info['book:min-font-pt']) { out.push(`${label}: the PNG does not record its font sizes (book:min-font-pt; figures come from book.plots after plots.setup())`); continue; }
    const pt = +info['book:min-font-pt'] * +info['book:dpi'] / 96 * scale;
    if (pt < 9) out.push(`${label}: smallest text ${pt.toFixed(1)} pt as shown (${info['book:min-font-pt']} pt at ${info['book:dpi']} dpi, ` +
                         `${img.naturalWidth}px shown ${Math.round(r.width)}px wide)`);
  }
  return out;
""", "").replace("(" + ") => {", "async () => {", 1)

ENGLISH_JS = _js(r"""
  const text = textOf(document.body, 'script, style, noscript, pre, code, kbd, samp, textarea, mjx-container, .math', true);
  const pats = [/Click to (show|hide)/gi, /Show code cell( (source|output|content))?/g, /Hide code cell( (source|output|content))?/g,
                /\bBy [A-Za-z][\w-]+/g, /\b[Aa]uthors?\b/g, /\b(Contents|Skip to main content|Back to top|Print to PDF|Download source file|Theme by)\b/g];
  const out = report(text, pats, 'English UI text', 10);
  // text that CSS draws (sphinx-togglebutton's hint is ::after { content: attr(data-toggle-hint) })
  const drawn = new Set();
  for (const el of document.querySelectorAll('[data-toggle-hint], button, summary, .toggle-button')) {
    for (const pseudo of ['::before', '::after']) {
      const c = getComputedStyle(el, pseudo).content;
      if (c && c !== 'none' && c !== 'normal') drawn.add(c.replace(/^"|"$/g, ''));
    }
  }
  for (const s of drawn) out.push(...report(s, pats, 'English UI text (drawn by CSS)', 10));
  if (document.querySelector('.component-author')) out.push('an author line: "' + document.querySelector('.component-author').textContent.trim().replace(/\s+/g, ' ').slice(0, 50) + '"');
  return some(out, 8, 'places');
""")

# The page's chrome: nothing loaded from outside the book, no English or Taiwanese interface string
# in a tooltip, label or placeholder (the text itself: ENGLISH_JS).
CHROME_JS = r"""() => {
  const out = [];
  const remote = u => /^(https?:)?\/\//i.test(u || '') && !/^(https?:)?\/\/127\.0\.0\.1[:/]/.test(u);
  for (const el of document.querySelectorAll('script[src], link[rel~="stylesheet"][href], link[rel~="preload"][href], link[rel~="modulepreload"][href]')) {
    const u = el.getAttribute('src') || el.getAttribute('href');
    if (remote(u)) out.push('loads from outside the book: ' + u.slice(0, 80));
  }
  for (const el of document.querySelectorAll('script:not([src])')) {
    const m = (el.textContent || '').match(/https?:\/\/(?!127\.0\.0\.1)[^\s"'`)]+/);
    if (m) out.push('a script names an external URL: ' + m[0].slice(0, 80));
  }
  // an interface string: a word of three or more Latin letters and no Chinese (a citation's title on
  // its link is content, not interface, and stays as the source wrote it)
  const english = v => /[A-Za-z]{3,}/.test(v) && !/[\u4e00-\u9fff]/.test(v);
  const taiwan = /列印|搜尋|全螢幕|下載|切換|顯示|內容|檔案|網頁/;
  for (const el of document.querySelectorAll('[title], [aria-label], [data-bs-title], [placeholder]')) {
    if (el.tagName === 'LINK' || (el.tagName === 'A' && !el.classList.contains('headerlink') && !el.classList.contains('btn'))) continue;
    for (const a of ['title', 'aria-label', 'data-bs-title', 'placeholder']) {
      const v = el.getAttribute(a);
      if (v && (english(v) || taiwan.test(v))) out.push(`${a}="${v.slice(0, 40)}"`);
    }
  }
  return [...new Set(out)].slice(0, 12);
}"""

MINUS_JS = _js(r"""
  const text = textOf(article, 'script, style, noscript, pre, code, kbd, samp, textarea, mjx-container, .math, a.reference.external', true);
  return some(report(text, [/(?<![\w.\-\u2212/])-(?=\d)/g], 'hyphen as a minus sign (use −)', 10), 10, 'places');
""")

NUMBERING_JS = _js(r"""
  const h1 = article.querySelector('h1');
  const title = h1 ? h1.textContent.trim() : '';
  const CN = '一二三四五六七八九';
  const cn = s => { const [t, o] = s.split('十'); if (!s.includes('十')) return CN.indexOf(s) + 1;
                    return (t ? CN.indexOf(t) + 1 : 1) * 10 + (o ? CN.indexOf(o) + 1 : 0); };
  let m, label = null;
  if ((m = /^第([一二三四五六七八九十]+)章/.exec(title))) label = String(cn(m[1]));
  else if ((m = /^(\d+)\.\d+\s/.exec(title))) label = m[1];
  else if (title.startsWith('附录')) label = 'A';
  const out = [], nums = {图: [], 表: []};
  const take = (kind, text) => {
    const want = label ? new RegExp(`^${kind}\\s*${label}\\.(\\d+)(?!\\.)`) : new RegExp(`^${kind}\\s*(\\d+)(?![.\\d])`);
    const got = want.exec(text);
    if (!got) { out.push(`${kind === '图' ? 'figure' : 'table'} not numbered as ${kind} ${label ? label + '.n' : 'n'} on this page ("${title.slice(0, 20)}"): "${text.slice(0, 30)}"`); return; }
    const list = nums[kind], n = +got[1];
    if (list.length && n !== list[list.length - 1] + 1) out.push(`${kind} ${label ? label + '.' : ''}${n} after ${kind} ${label ? label + '.' : ''}${list[list.length - 1]}: "${text.slice(0, 30)}"`);
    list.push(n);
  };
  for (const fig of article.querySelectorAll('figure')) {
    const num = fig.querySelector(':scope > figcaption .caption-number');
    if (num) take('图', num.textContent.trim().replace(/\s+/g, ' '));
  }
  for (const cap of article.querySelectorAll('table > caption')) {
    const text = cap.textContent.trim().replace(/\s+/g, ' ');
    if (/^表/.test(text)) take('表', text);
  }
  return {problems: out, label, figures: nums['图'], tables: nums['表']};
""")

TOGGLE_JS = """() => {
  const cells = [...document.querySelectorAll('.cell')];
  // output the reader sees next to the toggle (hide-input), not hidden with the code (hide-cell)
  const hasOutput = c => [...c.querySelectorAll('.cell_output')].some(o => !o.closest('details.above-input') &&
                                                                           (o.querySelector('img, svg, table') || o.textContent.trim()));
  const toggled = c => c.querySelector(':scope > details.above-input') ||
                       (c.classList.contains('tag_hide-input') && c.querySelector('button.toggle-button, .toggle-details'));
  return {cells: cells.length, toggles: cells.filter(c => toggled(c)).length,
          ok: cells.filter(c => toggled(c) && hasOutput(c)).length,
          visuals: document.querySelectorAll('article table, article figure, article img').length};
}"""

# Evidence fits the page: with every folded cell and toggle opened (as a reader who clicks 显示代码
# sees it), no table or code block needs horizontal scrolling (in itself or in the box around it).
OPEN_ALL_JS = """() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  for (const e of document.querySelectorAll('.toggle-hidden')) e.classList.remove('toggle-hidden');
}"""

WIDE_JS = _js(r"""
  const out = [];
  for (const el of article.querySelectorAll('table, pre')) {
    if (el.closest('mjx-container') || el.parentElement.closest('table, pre')) continue;
    let box = el;     // the box that scrolls: the element itself or the nearest ancestor that does
    for (let a = el; a && a !== article; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { box = a; break; }
    }
    if (box.clientWidth === 0 || box.scrollWidth <= box.clientWidth + 2) continue;
    const cap = el.closest('.literal-block-wrapper, .cell, .output, figure');
    const c = el.querySelector('caption') || (cap && cap.querySelector('.caption-text'));
    out.push(`${el.tagName.toLowerCase()} needs horizontal scrolling at ${window.innerWidth}px: ${box.scrollWidth}px in ${box.clientWidth}px` +
             (c ? ` ("${c.textContent.trim().slice(0, 30)}")` : ` ("${el.textContent.trim().replace(/\s+/g, ' ').slice(0, 30)}")`));
  }
  return out;
""")

# Prose written once: no sentence of 12 or more characters three times on a page, and the
# template word 分不出 at most twice (tables, code and figures aside).
REPEATS_JS = _js(r"""
  const text = textOf(article, 'script, style, pre, code, table, figure, .cell_input, mjx-container, .math', true);
  const counts = new Map();
  for (const raw of text.split(/[。！？；\n]/)) {
    const t = raw.replace(/\ufffc/g, '').replace(/\s+/g, ' ').trim();
    if ([...t].length >= 12) counts.set(t, (counts.get(t) || 0) + 1);
  }
  const out = [...counts].filter(([, n]) => n >= 3).map(([t, n]) => `${n} times: "${t.slice(0, 40)}"`);
  const fen = (text.match(/分不出/g) || []).length;
  if (fen > 2) out.push(`分不出 ${fen} times`);
  return out;
""")

# Bookkeeping (bench scripts, CI, hashes, the record's file, module paths, tolerances, earlier
# versions) belongs in the appendix: the story's prose names it at most BOOKKEEPING_MAX times.
BOOKKEEPING_MAX = 3
BOOKKEEPING_JS = _js(r"""
  const text = textOf(article, 'script, style, pre, .cell_input, .cell_output, table, figure, mjx-container, .math', true);
  return text.match(/bench\/|\bCI\b|持续集成|sha-?256|metrics\.json|artifacts\/|\bbook\.[a-z_]+|容差|早先版本/gi) || [];
""")

CHECKS = {"renders": (PROBLEMS_JS, None), "markup": (MARKUP_JS, None), "paths": (PATHS_JS, "prefixes"),
          "decimals": (DECIMALS_JS, None), "math": (MATH_JS, None), "cjk_space": (CJK_SPACE_JS, None),
          "figures": (FIGURES_JS, None), "overflow": (OVERFLOW_JS, None), "code_scroll": (CODE_SCROLL_JS, None),
          "tables": (TABLES_JS, None), "figure_text": (FIGURE_TEXT_JS, None), "english": (ENGLISH_JS, None),
          "minus": (MINUS_JS, None), "chrome": (CHROME_JS, None), "repeats": (REPEATS_JS, None)}


def page_problems(page) -> list[str]:
    """What a reader would see broken on the loaded page (the basic 'renders' check)."""
    page.wait_for_load_state("load")
    return page.evaluate(PROBLEMS_JS)


def inspect(page, url: str) -> dict:
    """Load `url` and run every check: {'status', 'title', 'blocked', check name: [problems]}."""
    blocked = page.blocked_requests
    page.console_errors.clear()
    resp = page.goto(url)
    page.wait_for_load_state("load")
    page.evaluate(WAIT_MATHJAX_JS)
    result = {"status": resp.status if resp else None, "title": page.locator("h1").count(),
              "blocked": list(blocked), "console": list(page.console_errors)}
    for name, (js, arg) in CHECKS.items():
        result[name] = page.evaluate(js, MACHINE_PATHS) if arg else page.evaluate(js)
    if blocked and result["math"]:
        result["math"].append("the page asked for (blocked, the book must work offline): " + ", ".join(blocked[:3]))
    numbers = page.evaluate(NUMBERING_JS)
    result["numbering"], result["numbers"] = numbers.pop("problems"), numbers
    result["toggles"] = page.evaluate(TOGGLE_JS)
    result["bookkeeping"] = page.evaluate(BOOKKEEPING_JS)
    page.evaluate(OPEN_ALL_JS)          # last: the screenshot then shows the code opened
    result["wide"] = page.evaluate(WIDE_JS)
    result["notebooks"] = page.eval_on_selector_all(
        "a[href]", "els => [...new Set(els.map(a => a.href).filter(h => new URL(h).pathname.endsWith('.ipynb')))]")
    return result


def notebook_problems(url: str) -> str | None:
    """Why the linked executed notebook is not usable (None when it is fine)."""
    if urlsplit(url).hostname != "127.0.0.1":
        return f"{url} is outside the book"
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            status, body = r.status, r.read()
    except OSError as e:
        return f"{url}: {e}"
    if status != 200:
        return f"{url}: HTTP {status}"
    try:
        nb = json.loads(body)
    except ValueError:
        return f"{url}: not JSON"
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if not any(c.get("outputs") for c in code):
        return f"{url}: none of its {len(code)} code cells has outputs (not executed)"
    return None


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve `directory` over http on 127.0.0.1; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML / 'index.html'} does not exist: run `make book` first")
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run `make setup` (tools/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser):
    """A 1280x900 page whose requests to anywhere but 127.0.0.1 are blocked (and listed)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked = []

    def route(r):
        url = r.request.url
        if urlsplit(url).scheme in ("data", "blob", "file") or urlsplit(url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    ctx.route("**/*", route)
    pg = ctx.new_page()
    pg.blocked_requests = blocked
    pg.console_errors = errors = []
    pg.on("pageerror", lambda e: errors.append(f"uncaught: {e}"[:160]))
    pg.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}"[:160]) if m.type == "error" else None)
    return pg


@pytest.fixture
def page(browser):
    pg = new_page(browser)
    yield pg
    pg.context.close()


@pytest.fixture(scope="module")
def book(browser, server):
    """Each page of the book, loaded once (with a screenshot), with every check's result."""
    seen = {}

    def get(name):
        if name not in seen:
            pg = new_page(browser)
            try:
                seen[name] = inspect(pg, f"{server}/{name}.html")
                SHOTS.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(SHOTS / f"{Path(name).name}.png"), full_page=True)
            finally:
                pg.context.close()
        return seen[name]

    return get


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """A served folder for the small good and bad pages the check tests write."""
    folder = tmp_path_factory.mktemp("html_fixtures")
    with serve(folder) as url:
        yield folder, url


def check(page, fixtures, name: str, body: str, head: str = "") -> dict:
    """Write a one-page HTML (body inside the book's article element) and inspect it."""
    folder, url = fixtures
    (folder / name).write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>'
                               f'<main><article class="bd-article" style="width:800px">{body}</article></main>'
                               "</body></html>", encoding="utf-8")
    return inspect(page, f"{url}/{name}")


# ---------------------------------------------------------------- the checks can fail (and pass)

def test_checker_sees_broken_pages(page, tmp_path):
    """The checks can fail: a page with a broken image and a traceback is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="missing.png"><div class="output traceback">'
                   "Traceback (most recent call last):\nValueError: boom</div></body></html>")
    page.goto(bad.as_uri())
    problems = page_problems(page)
    assert any(p.startswith("broken image") for p in problems)
    assert any(p.startswith("error output") for p in problems)
    assert any(p.startswith("visible traceback") for p in problems)


def test_check_markup(page, fixtures):
    bad = check(page, fixtures, "markup_bad.html",
                "<p>最好的基线是 {glue:text}r_best_baseline``。</p><p>见 {doc}`chapters/02_analysis`。</p>"
                "<p>引用 {cite:p}<code>mcnemar1947</code> 和 {glue}</p><p>还有 numref`fig-a` 与 ``x``</p>")["markup"]
    assert len(bad) >= 4, bad
    assert any("{glue:text}r_best_baseline``" in p for p in bad), bad
    assert any("{doc}`chapters" in p for p in bad) and any("{cite:p}" in p for p in bad), bad
    good = check(page, fixtures, "markup_good.html",
                 "<p>最好的基线是 <span class=\"pasted-text\">tfidf</span>，集合 {0, 1}，字典 {'a': 1}。</p>"
                 "<pre>glue(\"x\", 1)\nprint(f\"{glue}\")  # ``code``</pre>")["markup"]
    assert good == []


def test_check_machine_paths(page, fixtures):
    bad = check(page, fixtures, "paths_bad.html",
                f"<p>模型保存在 /work/main/artifacts/bert 下。</p><p>缓存：/home/alice/.cache/x；临时文件 /tmp/tmpab12/x.csv</p>"
                f"<pre>FileNotFoundError: C:\\Users\\bob\\data.csv</pre><p>来自 {ROOT}/data 与 /root/.cache</p>"
                "<p>file:///usr/share/fonts/x.ttf</p>")["paths"]
    for leak in ("/work/main/artifacts/bert", "/home/alice/.cache/x", "/tmp/tmpab12/x.csv", "C:\\Users\\bob",
                 f"{ROOT}/data", "/root/.cache", "file:///usr/share"):
        assert any(leak in p for p in bad), (leak, bad)
    good = check(page, fixtures, "paths_good.html",
                 "<p>数据来自 https://github.com/wshuyi/public_datasets/blob/master/dianping.csv 与 "
                 "http://127.0.0.1:8000/work/main.html，结果在 artifacts/metrics.json，源文件 chapters/02_analysis.md；"
                 "正/负 两类，TP / (TP + FP)，1/2，TF-IDF/SVM，./artifacts/lstm/，<a href=\"/work/x\">链接</a>。</p>")["paths"]
    assert good == []


def test_check_decimals(page, fixtures):
    bad = check(page, fixtures, "decimals_bad.html",
                "<table><tr><th>模型</th><th>准确率</th></tr><tr><td>bert</td><td>0.585213</td></tr>"
                "<tr><td>lstm</td><td>-1.234567e-03</td></tr></table>")["decimals"]
    assert len(bad) == 1 and "2 cell(s)" in bad[0] and '"0.585213"' in bad[0] and '"bert"' in bad[0], bad
    good = check(page, fixtures, "decimals_good.html",
                 "<table><tr><th>模型</th><th>准确率</th><th>种子</th><th>说明</th></tr>"
                 "<tr><td>bert</td><td>0.8850</td><td>1,234</td><td>v0.123456 或 0.585213±0.01 (0.1234567)</td></tr></table>"
                 "<p>0.585213 不在表中</p>")["decimals"]
    assert good == []


def test_check_math(page, fixtures):
    """Unrendered formulas (here: MathJax asked for from a CDN, which is blocked) and raw TeX are caught."""
    bad = check(page, fixtures, "math_bad.html",
                r'<p>公式 <span class="math notranslate nohighlight">\(x^2\)</span> 与 $y$，'
                r'以及 \frac{a}{b}、\mathrm{acc}。</p>',
                head='<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>')
    assert any(p.startswith(r'math not rendered: "\(x^2\)"') for p in bad["math"]), bad["math"]
    assert any("$y$" in p for p in bad["math"]) and any(r"\frac" in p for p in bad["math"]), bad["math"]
    assert any("cdn.jsdelivr.net" in p for p in bad["math"]) and bad["blocked"], bad
    # What MathJax leaves behind: the .math element holds an mjx-container (with assistive MathML).
    good = check(page, fixtures, "math_good.html",
                 '<p>公式 <span class="math notranslate nohighlight"><mjx-container class="MathJax" jax="CHTML">'
                 '<mjx-math><mjx-mi>x</mjx-mi></mjx-math><mjx-assistive-mml><math><mi>x</mi></math></mjx-assistive-mml>'
                 r'</mjx-container></span> 价格 5 元。</p><pre>s = "$HOME \\frac"</pre><code>\(x\)</code>')["math"]
    assert good == []


def test_check_cjk_space(page, fixtures):
    bad = check(page, fixtures, "cjk_bad.html",
                "<p>然后说明全书共用的\n数据划分，最后介绍算法。</p><ul><li>准确率 高</li></ul>"
                "<figure><figcaption>左图 右图</figcaption></figure><h2>数据 概览</h2>")["cjk_space"]
    assert any('"然后说明全书共用的␣数据划分，最后介绍算"' in p and "line break" in p for p in bad), bad
    assert any("准确率␣高" in p for p in bad) and any("左图␣右图" in p for p in bad), bad
    assert any("数据␣概览" in p for p in bad), bad
    glued = check(page, fixtures, "cjk_latin.html", "<p>本次运行的是E5-small模型，共2000条。</p>")["cjk_space"]
    assert len(glued) == 4 and all(p.startswith("no space between Chinese and Latin") for p in glued), glued
    good = check(page, fixtures, "cjk_good.html",
                 "<h1>第二章 分析</h1><p>见第三章 方法。数据集 <code>dianping.csv</code> 来自公开仓库，共 <span>2000</span> 行；"
                 "词 <span class=\"math\">w</span> 在正面评论中。</p><pre>好吃 还会再来</pre>"
                 "<table><tr><td><code>好吃 难吃</code></td><td>评论 原文</td></tr></table><input value=\"你 好\">"
                 "<p>本次运行的是 E5-small 模型，第 3 轮（LSTM）用<code>x</code>的 95% 区间。</p>")["cjk_space"]
    assert good == []


def test_check_figures(page, fixtures):
    _png(fixtures[0] / "plot.png")
    bad = check(page, fixtures, "figures_bad.html",
                '<div class="cell_output"><img src="plot.png" width="300"></div>'
                '<figure><img src="plot.png" width="300"><figcaption><p>没有编号的说明</p></figcaption></figure>'
                '<figure><div class="output text_plain"><pre>&lt;Figure size 1300x360 with 3 Axes&gt;</pre></div>'
                '<figcaption><p><span class="caption-number">图 2 </span>长度分布</p></figcaption></figure>')["figures"]
    assert any(p.startswith("image outside a numbered figure") for p in bad), bad
    assert any(p.startswith('figure caption without a number: "没有编号的说明"') for p in bad), bad
    assert any(p.startswith("figure with no image") for p in bad) and any("<Figure size" in p for p in bad), bad
    tables = check(page, fixtures, "tables_bad.html",
                   '<table id="T_a"><caption>表 1　甲</caption><tr><td>1</td></tr></table>'
                   '<table id="T_b"><tr><td>1</td></tr></table>'
                   '<table id="T_c"><caption>表 3　丙</caption><tr><td>1</td></tr></table>'
                   '<table id="T_d"><caption>表 3　丁</caption><tr><td>1</td></tr></table>')["figures"]
    assert tables == ['table without a numbered caption: ""'], tables
    good = check(page, fixtures, "figures_good.html",
                 '<h1>第一章 定义</h1><figure id="fig-a"><div class="cell_output"><img src="plot.png" width="300"></div><figcaption><p>'
                 '<span class="caption-number">图 1.2 </span><span class="caption-text">长度分布</span></p></figcaption></figure>'
                 '<p><img src="plot.png" width="16" height="16" class="icon"></p>'
                 '<table id="T_a"><caption>表 1　甲</caption><tr><td>1</td></tr></table>'
                 '<table><tr><td>a prose table, no caption</td></tr></table>'
                 '<table id="T_b"><caption>表 1.2　乙</caption><tr><td>1</td></tr></table>')["figures"]
    assert good == []


def test_check_numbering(page, fixtures):
    """Figures and tables numbered per chapter, from the page's title, consecutive down the page."""
    fig = '<figure><img src="plot.png" width="300"><figcaption><p><span class="caption-number">{} </span>说明</p></figcaption></figure>'
    tab = '<table id="T_{0}"><caption>{1}　说明</caption><tr><td>1</td></tr></table>'
    _png(fixtures[0] / "plot.png")
    bad = check(page, fixtures, "numbering_bad.html", "<h1>第五章 泛化</h1>" + fig.format("图 19") + fig.format("图 5.2")
                + fig.format("图 5.4") + tab.format("a", "表 1") + tab.format("b", "表 5.2"))
    assert bad["numbering"] == ['figure not numbered as 图 5.n on this page ("第五章 泛化"): "图 19"', '图 5.4 after 图 5.2: "图 5.4"',
                                'table not numbered as 表 5.n on this page ("第五章 泛化"): "表 1 说明"'], bad["numbering"]
    good = check(page, fixtures, "numbering_good.html", "<h1>3.2 LSTM</h1>" + fig.format("图 3.4") + fig.format("图 3.5")
                 + tab.format("a", "表 3.3") + tab.format("b", "表 3.4"))
    assert good["numbering"] == [] and good["numbers"] == {"label": "3", "figures": [4, 5], "tables": [3, 4]}
    assert check(page, fixtures, "numbering_app.html", "<h1>附录：运行记录</h1>" + tab.format("a", "表 A.1"))["numbering"] == []
    front = check(page, fixtures, "numbering_front.html", "<h1>一本书</h1>" + fig.format("图 1") + tab.format("a", "表 1"))
    assert front["numbering"] == [] and front["numbers"]["label"] is None
    pages = [("ch3", {"label": "3", "figures": [1, 2], "tables": []}), ("ch31", {"label": "3", "figures": [3], "tables": [1]}),
             ("ch32", {"label": "3", "figures": [5], "tables": [1]}), ("ch4", {"label": "4", "figures": [2], "tables": []})]
    assert numbering_across_pages(pages) == ["ch32: 图 3.5 after 图 3.3", "ch32: 表 3.1 after 表 3.1", "ch4: 图 4.2 after 图 4.0"]


def numbering_across_pages(pages: list[tuple[str, dict]]) -> list[str]:
    """Problems with figure and table numbers continuing across the pages of one chapter (in
    reading order; each chapter starts at 1)."""
    last, out = {}, []
    for name, r in pages:
        for kind, key in (("图", "figures"), ("表", "tables")):
            nums = r[key]
            if not nums:
                continue
            prev = last.get((kind, r["label"]), 0)
            if nums[0] != prev + 1:
                lab = f"{r['label']}." if r["label"] else ""
                out.append(f"{name}: {kind} {lab}{nums[0]} after {kind} {lab}{prev}")
            last[(kind, r["label"])] = nums[-1]
    return out


def test_check_code_scroll(page, fixtures):
    long = "x = some_function(first_argument, second_argument, third_argument, fourth_argument, fifth_argument)  # and a comment"
    bad = check(page, fixtures, "code_bad.html",
                '<div class="literal-block-wrapper"><div class="code-block-caption"><span class="caption-text">book/x.py：f</span></div>'
                f'<div class="highlight"><pre style="overflow-x:auto">{long}\nshort = 1</pre></div></div>')["code_scroll"]
    assert len(bad) == 1 and "(book/x.py：f)" in bad[0] and "1 line(s) over" in bad[0] and "x = some_function" in bad[0], bad
    good = check(page, fixtures, "code_good.html", '<div class="highlight"><pre style="overflow-x:auto">x = f(a, b)\n'
                 + "y = 2  # a line of about seventy characters is fine in an 800 px wide box" + "</pre></div>")["code_scroll"]
    assert good == []


def test_check_tables(page, fixtures):
    squeezed = ('<table style="width:300px"><caption>表 1　挤</caption><thead><tr><th style="width:10px">A 对 B 错</th>'
                '<th>Holm 校正后的 p 值与其他一些很长的说明文字</th>' + "".join(f"<th>模型 {i}</th>" for i in range(8))
                + '</tr></thead><tbody><tr><td>真实标签</td><td>0.5</td>' + "".join("<td>0.1</td>" for _ in range(8))
                + '</tr></tbody></table>')
    bad = check(page, fixtures, "tables_squeezed.html", squeezed)["tables"]
    assert len(bad) == 1 and bad[0].startswith('table 1 "表 1　挤": header "A 对 B 错" wraps to') and "wraps to" in bad[0] and "< 2 characters" in bad[0], bad
    good = check(page, fixtures, "tables_good.html",
                 '<table><caption>表 1　好</caption><thead><tr><th style="white-space:nowrap">A 对 B 错</th>'
                 '<th style="min-width:7em">Holm 校正后的 p 值</th><th>是否</th></tr></thead>'
                 '<tbody><tr><td>12</td><td>0.001</td><td>是</td></tr></tbody></table>')["tables"]
    assert good == []


def _png_with_fonts(path: Path, width: int, pt: float, dpi: float = 110) -> None:
    """A grey PNG of ``width`` px whose text chunks say its smallest font is ``pt`` at ``dpi``."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    h = 20
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(h))
    text = b"".join(chunk(b"tEXt", k + b"\x00" + v) for k, v in ((b"book:min-font-pt", str(pt).encode()), (b"book:dpi", str(dpi).encode())))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, h, 8, 0, 0, 0, 0)) + text
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_check_figure_text(page, fixtures):
    folder = fixtures[0]
    _png_with_fonts(folder / "wide.png", 1100, 11)     # 11 pt at 110 dpi, shown 690 of 1100 px: 7.9 pt
    _png_with_fonts(folder / "fits.png", 600, 9)       # shown at its natural width: 10.3 pt
    _png(folder / "plain.png")
    (folder / "small.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="860" height="100" viewBox="0 0 860 100" '
                                      'font-size="14"><style>.s { font-size: 11px; }</style><text class="s" x="5" y="50">小字</text></svg>')
    bad = check(page, fixtures, "figtext_bad.html",
                '<figure><img src="wide.png" style="width:690px"><figcaption><span class="caption-number">图 1 </span>宽</figcaption></figure>'
                '<figure><img src="plain.png" style="width:300px"></figure><figure><img src="small.svg" style="width:690px"></figure>')["figure_text"]
    assert len(bad) == 3 and bad[0].startswith("图 1 (wide.png): smallest text 7.9 pt"), bad
    assert "does not record its font sizes" in bad[1] and bad[2].startswith("(small.svg): smallest text 6.6 pt"), bad
    (folder / "big.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="700" height="100" viewBox="0 0 700 100" '
                                    'font-size="15"><text x="5" y="50" font-size="13">字</text></svg>')
    good = check(page, fixtures, "figtext_good.html", '<figure><img src="fits.png"></figure>'
                 '<figure><img src="big.svg" style="width:690px"></figure>')["figure_text"]
    assert good == []


def test_check_english(page, fixtures):
    bad = check(page, fixtures, "english_bad.html",
                '<details><summary>Click to show</summary><p>内容</p></details><p class="component-author">作者： dianping-sentiment-book</p>'
                '<button>Show code cell source</button><p>By the Executable Book Project</p>'
                '<style>.toggle-button::after { content: attr(data-toggle-hint); }</style>'
                '<button class="toggle-button" data-toggle-hint="Click to hide"></button>')["english"]
    assert any("Click to show" in p for p in bad) and any("Show code cell source" in p for p in bad), bad
    assert any(p.startswith("an author line") for p in bad) and any("By the" in p for p in bad), bad
    assert any(p.startswith('English UI text (drawn by CSS): "Click to hide"') for p in bad), bad
    good = check(page, fixtures, "english_good.html", '<details><summary>点击显示</summary></details><p>用 TF-IDF 与 LSTM，'
                 'by_cat 见代码</p><pre>Click to show</pre><code>author</code>'
                 '<style>.toggle-button::after { content: attr(data-toggle-hint); }</style>'
                 '<button class="toggle-button" data-toggle-hint="点击隐藏"></button>')["english"]
    assert good == []


def test_check_minus(page, fixtures):
    bad = check(page, fixtures, "minus_bad.html", "<p>两者相差 -0.015，见下表。</p><table><tr><td>-3</td><td>(-1.2)</td></tr></table>")["minus"]
    assert len(bad) == 3 and all(p.startswith("hyphen as a minus sign") for p in bad), bad
    good = check(page, fixtures, "minus_good.html", "<p>相差 −0.015；2026-01-01；1e-4；0.5-1 之间；TF-IDF；BiLSTM-2；lr-3；"
                 "<code>make -j2</code>，<span class=\"math\">-1</span></p>")["minus"]
    assert good == []


def test_check_wide_tables_and_code(page, fixtures):
    cell = '<details class="hide above-input"><summary>显示代码</summary><div class="highlight"><pre>{code}</pre></div></details>'
    wide_table = '<div style="overflow-x:auto"><table><tr>' + '<td style="white-space:nowrap">很长很长的一列文字</td>' * 12 + '</tr></table></div>'
    bad = check(page, fixtures, "wide_bad.html", cell.format(code="x = " + "1 + " * 120) + wide_table)["wide"]
    assert len(bad) == 2 and bad[0].startswith("pre needs") and bad[1].startswith("table needs"), bad
    good = check(page, fixtures, "wide_good.html", cell.format(code="x = 1 + 2") + "<table><tr><td>短</td></tr></table>")["wide"]
    assert good == []


def test_check_bookkeeping(page, fixtures):
    terms = check(page, fixtures, "bookkeeping.html", "<p>见 <code>bench/x.py</code> 与 artifacts/metrics.json，CI 会检查 "
                  "<code>book.evaluate</code>，容差 1e-9；早先版本。</p><pre>book.data.load()</pre>")["bookkeeping"]
    assert terms == ["bench/", "artifacts/", "metrics.json", "CI", "book.evaluate", "容差", "早先版本"], terms


def test_check_repeats(page, fixtures):
    same = "<p>这两个模型在这份数据上分不出高下。</p>"
    bad = check(page, fixtures, "repeats_bad.html", same * 3)["repeats"]
    assert any(p.startswith("3 times") for p in bad) and "分不出 3 times" in bad, bad
    good = check(page, fixtures, "repeats_good.html", same * 2 + "<table><tr><td>分不出</td></tr></table>" * 3)["repeats"]
    assert good == []


def test_check_chrome_and_console(page, fixtures):
    bad = check(page, fixtures, "chrome_bad.html",
                '<button title="Toggle primary sidebar">x</button><button aria-label="列印成 PDF">p</button>'
                '<script>const A = 1; const A = 2;</script>',
                head='<script src="https://unpkg.com/thebe@0.8.2/lib/index.js"></script>'
                     '<script>const URL_X = "https://cdn.example.org/x.js"</script>')
    assert any("loads from outside the book: https://unpkg.com" in p for p in bad["chrome"]), bad["chrome"]
    assert any("names an external URL" in p for p in bad["chrome"])
    assert any('title="Toggle primary sidebar"' in p for p in bad["chrome"])
    assert any("列印成 PDF" in p for p in bad["chrome"])
    assert any("uncaught" in e and "A" in e for e in bad["console"]), bad["console"]
    good = check(page, fixtures, "chrome_good.html", '<button title="显示或隐藏左侧栏">x</button><a href="https://example.org">参考</a>'
                 '<a href="#id1" title="Quinn McNemar. Note on the sampling error">McNemar, 1947</a>')
    assert good["chrome"] == [] and good["console"] == []


def _png(path: Path, size: int = 64) -> None:
    """A small grey PNG (no matplotlib needed)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80" * size for _ in range(size))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_check_overflow(page, fixtures):
    wide = "<table><tr>" + "".join(f"<td>column_{i}_value</td>" for i in range(30)) + "</tr></table>"
    bad = check(page, fixtures, "overflow_bad.html",
                f'<div class="cell_output"><div class="output text_html">{wide}</div></div>'
                '<div style="overflow-x:hidden"><pre style="overflow:visible;white-space:pre">' + "x = 1  # " + "long " * 60 + "</pre></div>")
    assert any("text_html" in p and "column_0_value" in p for p in bad["overflow"]), bad["overflow"]
    assert any("<pre" in p or "<div" in p for p in bad["overflow"] if "long long" in p), bad["overflow"]
    good = check(page, fixtures, "overflow_good.html",
                 f'<div class="pst-scrollable-table-container" style="overflow-x:auto">{wide}</div>'
                 '<pre style="overflow-x:auto">' + "long " * 60 + "</pre><p>短文本</p>")["overflow"]
    assert good == []


def test_check_chapter_toggle_and_notebook(page, fixtures):
    """A chapter with a 'show code' toggle on a cell with output and a link to an executed
    notebook passes; toggles without output, and broken or unexecuted notebooks, are caught."""
    folder, url = fixtures
    cell = ('<div class="cell tag_hide-input docutils container"><details class="hide above-input">'
            '<summary>Show code cell source</summary><div class="cell_input"><pre>1 + 1</pre></div></details>'
            '<div class="cell_output docutils container">{out}</div></div>')
    nb = {"cells": [{"cell_type": "code", "source": "1 + 1", "outputs": [{"output_type": "execute_result",
          "data": {"text/plain": "2"}}], "metadata": {}, "execution_count": 1}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "good.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    nb["cells"][0]["outputs"] = []
    (folder / "unexecuted.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    good = check(page, fixtures, "chapter_good.html",
                 cell.format(out='<div class="output text_plain"><pre>2</pre></div>') + '<a href="good.ipynb">notebook</a>')
    assert good["toggles"]["ok"] == 1 and chapter_problems(good) == ([], [])
    hidden_cell = ('<div class="cell tag_hide-cell docutils container"><details class="hide above-input">'
                   '<summary>Show code cell content</summary><div class="cell_input"><pre>2 + 2</pre></div>'
                   '<div class="cell_output"><div class="output text_plain"><pre>4</pre></div></div></details></div>')
    bad = check(page, fixtures, "chapter_bad.html", cell.format(out="") + hidden_cell +
                '<a href="unexecuted.ipynb">a</a><a href="missing.ipynb">b</a>')
    toggle, notebook = chapter_problems(bad)
    assert toggle and "no code cell" in toggle[0] and "2 toggles" in toggle[0], toggle
    assert any("unexecuted.ipynb: none of its 1 code cells has outputs" in p for p in notebook), notebook
    assert any("missing.ipynb" in p and "404" in p for p in notebook), notebook
    none = check(page, fixtures, "chapter_none.html", "<p>没有代码</p>")
    assert chapter_problems(none)[1] == ["no link to the executed notebook (.ipynb)"]


def chapter_problems(result: dict) -> tuple[list[str], list[str]]:
    """(toggle problems, notebook-link problems) of an inspected chapter page."""
    t = result["toggles"]
    toggle = [] if t["ok"] else [f"no code cell with output has a 'show code' toggle "
                                 f"({t['cells']} cells, {t['toggles']} toggles)"]
    links = result["notebooks"]
    if not links:
        return toggle, ["no link to the executed notebook (.ipynb)"]
    bad = [p for p in map(notebook_problems, links) if p]
    return toggle, bad if len(bad) == len(links) else []


# ---------------------------------------------------------------- the book

@pytest.mark.parametrize("name", toc_pages())
def test_page_renders(name, book):
    r = book(name)
    assert r["status"] == 200, f"{name}.html did not load ({r['status']})"
    assert not r["renders"], f"{name}: " + "; ".join(r["renders"])
    assert r["title"] >= 1, f"{name}: no title"


@pytest.mark.parametrize("check_name", [c for c in CHECKS if c != "renders"])
@pytest.mark.parametrize("name", toc_pages())
def test_page(name, check_name, book):
    problems = book(name)[check_name]
    assert not problems, f"{name} [{check_name}]:\n  " + "\n  ".join(problems)


def _is_chapter(name: str, result: dict) -> bool:
    """Every page but the root, and but an appendix without tables or figures."""
    return name != toc_pages()[0] and not ("appendix" in name and result["toggles"]["visuals"] == 0)


def _story(name: str) -> bool:
    """The front page and chapters 1-6: not the appendix (it may scroll inside its frame) or 试一试."""
    return not any(k in name for k in ("appendix", "tryit"))


@pytest.mark.parametrize("name", [n for n in toc_pages() if _story(n)])
def test_evidence_fits_1280px_with_the_code_opened(name, book):
    wide = book(name)["wide"]
    assert not wide, f"{name} [wide]:\n  " + "\n  ".join(wide)


@pytest.mark.parametrize("name", [n for n in toc_pages() if _story(n)])
def test_story_keeps_bookkeeping_in_the_appendix(name, book):
    terms = book(name)["bookkeeping"]
    assert len(terms) <= BOOKKEEPING_MAX, f"{name}: {len(terms)} bookkeeping terms in the prose: {terms}"


@pytest.mark.parametrize("name", toc_pages())
def test_page_logs_no_console_error(name, book):
    errors = book(name)["console"]
    assert not errors, f"{name} [console]:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("name", toc_pages())
def test_page_numbering(name, book):
    problems = book(name)["numbering"]
    assert not problems, f"{name} [numbering]:\n  " + "\n  ".join(problems)


def test_numbering_continues_across_a_chapters_pages(book):
    problems = numbering_across_pages([(name, book(name)["numbers"]) for name in toc_pages()])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", toc_pages()[1:])
def test_chapter_shows_code(name, book):
    r = book(name)
    problems = chapter_problems(r)[0] if _is_chapter(name, r) else []
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", toc_pages()[1:])
def test_chapter_links_executed_notebook(name, book):
    r = book(name)
    problems = chapter_problems(r)[1] if _is_chapter(name, r) else []
    assert not problems, f"{name}: " + "; ".join(problems)


def test_navigation_lists_every_chapter(page, server):
    page.goto(f"{server}/index.html")
    hrefs = page.eval_on_selector_all("nav.bd-docs-nav a, .bd-sidebar-primary nav a",
                                      "els => els.map(e => e.getAttribute('href'))")
    linked = {h.split("#")[0].removeprefix("./").removesuffix(".html") for h in hrefs if h}
    missing = [p for p in toc_pages()[1:] if p not in linked]
    assert not missing, f"chapters missing from the navigation: {missing}"


def test_no_page_repeats_the_retracted_tsne_accusation():
    pages = sorted(HTML.rglob("*.html"))
    assert pages, f"no built pages under {HTML}: run make book first"
    found = [f"{p.relative_to(HTML)}: {m.group(0)!r}" for p in pages
             for m in TSNE_ACCUSATION.finditer(p.read_text(encoding="utf-8"))]
    assert not found, "built pages still say the original's t-SNE used the wrong vocabulary: " + "; ".join(found)


FINDINGS_JS = """() => {
  const list = document.querySelector('article ol.book-findings');
  const heads = [...document.querySelectorAll('article h2')].map(h => h.textContent.replace(/#$/, '').trim());
  return {items: list ? list.querySelectorAll(':scope > li').length : 0, first_h2: heads[0] || '',
          before_first_h2: list ? !!(heads.length < 2 || list.compareDocumentPosition(
            document.querySelectorAll('article h2')[1]) & Node.DOCUMENT_POSITION_FOLLOWING) : false};
}"""


@pytest.mark.parametrize("name", ["index", "chapters/06_conclusion"])
def test_findings_come_first(name, page, server):
    page.goto(f"{server}/{name}.html")
    r = page.evaluate(FINDINGS_JS)
    assert 3 <= r["items"] <= 6, f"{name}: {r['items']} findings in the 主要发现 list (3 to 6 expected)"
    assert r["first_h2"].startswith("主要发现") and r["before_first_h2"], f"{name}: the findings are not the first section: {r}"
