"""The book build fails on a failing cell and on stderr output, and passes otherwise.

Each test builds a one-page book in a temporary directory with the repository's own
_config.yml (and references.bib), the way `make book` does: `jupyter-book build -W -n --keep-going`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pages import MYST_HEADER

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

PAGE = MYST_HEADER + """
# A test page

```{{code-cell}} ipython3
{code}
```

{prose}
"""


def build_pages(tmp_path: Path, pages: dict, toc: str) -> tuple[subprocess.CompletedProcess, Path]:
    """A book of ``pages`` (path → MyST text) with the repository's config and extensions, built
    as `make book` builds (warnings fatal)."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book)
    shutil.copy(ROOT / "references.bib", book)
    shutil.copytree(ROOT / "_ext", book / "_ext")
    (book / "_toc.yml").write_text(toc, encoding="utf-8")
    for path, text in pages.items():
        (book / path).parent.mkdir(parents=True, exist_ok=True)
        (book / path).write_text(text, encoding="utf-8")
    assert JUPYTER_BOOK.exists(), f"{JUPYTER_BOOK} not found: install the book extras (make setup)"
    proc = subprocess.run([str(JUPYTER_BOOK), "build", str(book), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "BOOK_QUIET": "1"})
    return proc, book


def build(tmp_path: Path, code: str, prose: str = "Some text.") -> tuple[subprocess.CompletedProcess, Path]:
    return build_pages(tmp_path, {"page.md": PAGE.format(code=code, prose=prose)}, "format: jb-book\nroot: page\n")


def test_a_clean_page_builds(tmp_path):
    """The control: without a failing cell the same build succeeds and the glued value is on the page."""
    code = 'from myst_nb import glue\nprint("stdout is fine")\nglue("answer", 6 * 7, display=False)'
    proc, book = build(tmp_path, code, prose="The answer is {glue:text}`answer`.")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (book / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    assert 'The answer is <span class="pasted-text">42</span>' in html
    # the page's chrome (_ext/book_pages.py): no thebe scripts or CDN URL, a valid colour mode,
    # the themes' English and Taiwanese interface strings in Simplified Chinese
    assert "THEBE_JS_URL" not in html and "unpkg.com" not in html and "sphinx-thebe.js" not in html
    assert 'localStorage.getItem("mode") || "auto"' in html
    assert "Toggle primary sidebar" not in html and "列印成" not in html and "显示或隐藏左侧栏" in html


def test_a_failing_cell_fails_the_build(tmp_path):
    proc, _ = build(tmp_path, 'raise ValueError("deliberate failure in a cell")')
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ValueError" in out and "deliberate failure in a cell" in out


def test_stderr_output_fails_the_build(tmp_path):
    proc, _ = build(tmp_path, 'import sys\nprint("a note on stderr", file=sys.stderr)')
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "stderr was found in the cell outputs" in out


def test_the_front_page_pastes_a_chapters_findings(tmp_path):
    """index.md shows chapter 6's 主要发现 with MyST-NB's cross-document glue (a block ``{glue}``
    with ``:doc:``), as the book does."""
    findings = '<ol class="book-findings"><li><strong>甲</strong>：一</li></ol>'
    six = MYST_HEADER + f"""
# Six

```{{glue}} c_findings
```

```{{code-cell}} ipython3
from IPython.display import HTML
from myst_nb import glue
glue("c_findings", HTML('{findings}'), display=False)
```
"""
    front = MYST_HEADER + "\n# Front\n\n```{glue} c_findings\n:doc: chapters/six.md\n```\n"
    proc, book = build_pages(tmp_path, {"index.md": front, "chapters/six.md": six},
                             "format: jb-book\nroot: index\nchapters:\n  - file: chapters/six\n")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert findings in (book / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    assert findings in (book / "_build" / "html" / "chapters" / "six.html").read_text(encoding="utf-8")
