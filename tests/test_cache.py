"""The build key (tools/book_key.py): a changed helper module, lock file, config or variable
clears the execution cache and the artifacts before `make book`; nothing else does.
And what the cache serves reaches the reader: each page's executed notebook, with outputs.

Works on a small copy of the project's layout in a temporary folder, never on the real build.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import book_key  # noqa: E402
from pages import MYST_HEADER  # noqa: E402

ENV = {"BOOK_BERT_MODEL": "some/model", "DIANPING_DATA_MIRROR": "/mirror"}


@pytest.fixture
def project(tmp_path):
    """A project with book/*.py, the lock, the config, an execution cache and artifacts."""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "lstm.py").write_text("EPOCHS = 5\n", encoding="utf-8")
    (tmp_path / "book" / "data.py").write_text("SHA256 = 'abc'\n", encoding="utf-8")
    (tmp_path / "requirements.lock").write_text("numpy==2.4.6\n", encoding="utf-8")
    (tmp_path / "_config.yml").write_text("title: t\n", encoding="utf-8")
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01.md").write_text("# prose\n", encoding="utf-8")
    return tmp_path


def fill_build(root: Path) -> None:
    """What a finished build leaves behind."""
    for rel in ("_build/.jupyter_cache/executed", "_build/.doctrees", "_build/html", "artifacts/lstm"):
        (root / rel).mkdir(parents=True, exist_ok=True)
    (root / "_build/.jupyter_cache/global.db").write_text("cache", encoding="utf-8")
    (root / "artifacts/metrics.json").write_text("{}", encoding="utf-8")


def built(root: Path) -> bool:
    return (root / "_build/.jupyter_cache/global.db").exists() and (root / "artifacts/metrics.json").exists()


def test_key_is_stable_and_follows_the_inputs(project):
    key = book_key.compute_key(project, ENV)
    assert key == book_key.compute_key(project, dict(ENV)), "same inputs, same key"
    assert book_key.compute_key(project, {**ENV, "BOOK_PRECISION": ""}) == key, "empty counts as unset"
    (project / "chapters" / "01.md").write_text("# other prose\n", encoding="utf-8")
    assert book_key.compute_key(project, ENV) == key, "chapters are jupyter-cache's business, not the key's"

    changed = {
        "BOOK_BERT_MODEL": {**ENV, "BOOK_BERT_MODEL": "other/model"},
        "DIANPING_DATA_MIRROR": {**ENV, "DIANPING_DATA_MIRROR": "/other"},
        "BOOK_DEVICE": {**ENV, "BOOK_DEVICE": "cuda"},
        "BOOK_PRECISION": {**ENV, "BOOK_PRECISION": "bf16"},
        "BOOK_ARTIFACTS": {**ENV, "BOOK_ARTIFACTS": "/elsewhere"},
    }
    for name, env in changed.items():
        assert book_key.compute_key(project, env) != key, name
    for rel, text in [("book/lstm.py", "EPOCHS = 6\n"), ("requirements.lock", "numpy==2.4.7\n"),
                      ("_config.yml", "title: u\n")]:
        before = (project / rel).read_text(encoding="utf-8")
        (project / rel).write_text(text, encoding="utf-8")
        assert book_key.compute_key(project, ENV) != key, rel
        (project / rel).write_text(before, encoding="utf-8")
    assert book_key.compute_key(project, ENV) == key, "restoring the inputs restores the key"
    (project / "book" / "new_module.py").write_text("", encoding="utf-8")
    assert book_key.compute_key(project, ENV) != key, "a new book module counts"


def test_a_local_model_folder_counts_by_content(project):
    model = project / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 32}', encoding="utf-8")
    env = {**ENV, "BOOK_BERT_MODEL": str(model)}
    key = book_key.compute_key(project, env)
    (model / "config.json").write_text('{"hidden_size": 64}', encoding="utf-8")
    assert book_key.compute_key(project, env) != key


def test_refresh_clears_only_when_the_key_changes(project):
    fill_build(project)
    assert book_key.refresh(project, ENV), "no key stored yet: clear"
    assert not built(project) and not (project / "_build/html").exists()
    assert (project / "_build/.book-key").read_text(encoding="utf-8").strip() == book_key.compute_key(project, ENV)

    fill_build(project)
    assert not book_key.refresh(project, ENV), "same inputs: the cache is kept"
    assert built(project)

    (project / "book" / "lstm.py").write_text("EPOCHS = 6\n", encoding="utf-8")
    assert book_key.refresh(project, ENV), "book/lstm.py changed: clear"
    assert not built(project)

    fill_build(project)
    assert book_key.refresh(project, {**ENV, "BOOK_BERT_MODEL": "other/model"}), "another model: clear"
    assert not built(project)


def test_refresh_clears_the_artifacts_folder_the_build_uses(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("arts")
    (elsewhere / "metrics.json").write_text("{}", encoding="utf-8")
    env = {**ENV, "BOOK_ARTIFACTS": str(elsewhere)}
    book_key.refresh(project, env)
    assert not (elsewhere / "metrics.json").exists()


def test_the_command_line_and_the_makefile_use_it(project):
    """`tools/book_key.py refresh` says when it clears, and `make book` runs it before building."""
    fill_build(project)
    env = {**{k: v for k, v in os.environ.items() if k not in book_key.VARIABLES}, **ENV}
    run = [sys.executable, str(ROOT / "tools" / "book_key.py"), "refresh", "--root", str(project)]
    first = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
    assert first.returncode == 0 and "cleared" in first.stdout and not built(project)
    fill_build(project)
    second = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
    assert second.returncode == 0 and second.stdout == "" and built(project)

    dry = subprocess.run(["make", "-n", "book", "FRESH=1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = dry.stdout.splitlines()
    refresh_at = next(i for i, line in enumerate(lines) if "tools/book_key.py refresh" in line)
    build_at = next(i for i, line in enumerate(lines) if "jupyter-book build" in line)
    assert refresh_at < build_at, dry.stdout


PAGE = MYST_HEADER + """
# A page with a formula

Inline $a^2 + b^2 = c^2$ and a display formula:

$$
\\bar x = \\frac{{1}}{{n}} \\sum_i x_i
$$

```{{code-cell}} ipython3
print(6 * 7)
```

{prose}
"""


def build_page(book: Path, prose: str) -> str:
    """Build the one-page book with ``prose`` under the code cell; return the build's output."""
    (book / "page.md").write_text(PAGE.format(prose=prose), encoding="utf-8")
    proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(book), "-W", "-n",
                           "--keep-going"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "BOOK_QUIET": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def code_outputs(path: Path) -> list:
    return [c.get("outputs") for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_pages_offer_their_executed_notebook_and_serve_mathjax_locally(tmp_path):
    """A one-page book with the repository's _config.yml and _ext/: the page's download menu
    links `_sources/page.ipynb`, which holds the outputs both when the page was executed and
    when its outputs came from the cache (MyST-NB then writes jupyter_execute/page.ipynb
    without outputs); MathJax comes from _static, not a CDN."""
    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book)
    shutil.copytree(ROOT / "_ext", book / "_ext")
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n", encoding="utf-8")
    html_dir = book / "_build" / "html"
    published = html_dir / "_sources" / "page.ipynb"
    printed = [[{"name": "stdout", "output_type": "stream", "text": "42\n"}]]

    build_page(book, "Some prose.")
    assert code_outputs(published) == printed
    html = (html_dir / "page.html").read_text(encoding="utf-8")
    assert 'href="_sources/page.ipynb"' in html, "the download menu links the executed notebook"
    assert 'src="_static/mathjax/tex-chtml.js"' in html
    assert "cdn.jsdelivr.net" not in html and "mathjax@" not in html
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((html_dir / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))

    out = build_page(book, "Other prose, same code.")  # re-read, outputs from the cache
    assert "Using cached notebook" in out
    assert code_outputs(book / "_build" / "jupyter_execute" / "page.ipynb") == [[]], \
        "MyST-NB writes a cached page's notebook without outputs (if this changes, _ext/book_pages.py can go)"
    assert code_outputs(published) == printed
