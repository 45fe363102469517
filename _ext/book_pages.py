"""Sphinx extension for the book (registered in _config.yml, ``sphinx: local_extensions``).

1. Every executed chapter offers its executed notebook, outputs included, in the page's
   download menu (the ``.ipynb`` entry of sphinx-book-theme's download button).
   MyST-NB writes ``_build/jupyter_execute/<page>.ipynb``, but when it takes a chapter's
   outputs from the execution cache it writes the notebook it read, without outputs
   (myst_nb/sphinx_.py writes ``notebook``, not ``nb_client.notebook``). So the outputs are
   merged from the cache here, and the result is copied to ``_sources/<page>.ipynb``.
   The cache cannot hold stale outputs: ``make book`` clears it whenever ``book/*.py``, the
   lock file, the config or the model/data variables change (tools/book_key.py).
2. MathJax is served from the build: when ``tools/fetch_mathjax.py`` (run by setup) has put
   MathJax into ``<sys.prefix>/share/mathjax``, ``mathjax_path`` points at the copy in
   ``_static/mathjax``; otherwise the pages keep MathJax's CDN (and a message says so).
3. A space where a Han character meets a Latin letter or digit in running text (paragraphs
   and figure captions), as the hand-written prose does it: also where a glued value meets the
   prose around it ("的{glue:text}`name`" with a name such as "E5-small"), which no single
   string can know. Code, math and raw HTML are left alone.
"""
from __future__ import annotations

import shutil
import sys
from contextlib import suppress
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.mathjax import MATHJAX_URL
from sphinx.util import logging

from book.display import spaced  # the one rule for Han/Latin spacing (the package is installed in the venv)

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


def add_notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Copy the executed notebook next to the page's sources and offer it for download."""
    if app.builder.format != "html" or doctree is None:
        return
    nb = executed_notebook(app, pagename)
    if nb is None:
        return
    dest = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    context["ipynb_source"] = f"{pagename}.ipynb"


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


def space_page(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for block in list(doctree.findall(lambda n: isinstance(n, (nodes.paragraph, nodes.caption)))):
        space_han_latin(block)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", use_local_mathjax)
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", add_notebook_download, priority=450)
    app.connect("build-finished", copy_mathjax)
    app.connect("doctree-resolved", space_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
