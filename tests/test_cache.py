"""The build key (tools/book_key.py): a changed helper module, lock file, config or variable
clears the execution cache and the artifacts before `make book`; nothing else does.
And what the cache serves reaches the reader: each page's executed notebook, with outputs.

Works on a small copy of the project's layout in a temporary folder, never on the real build.
"""
from __future__ import annotations

import json
import os
import re
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
    # the guard cell _ext/book_pages.py puts first (no outputs), then the page's one code cell
    printed = [[], [{"name": "stdout", "output_type": "stream", "text": "42\n"}]]

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


# ---------------------------------------------------------------- which chapters re-execute

CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))


def glued_run(chapter: str, run: str) -> dict:
    """The output a chapter's first cell leaves in its notebook (what myst_nb.glue writes)."""
    from IPython.core.formatters import format_display_data

    from book.record import run_glue_key

    bundle, _ = format_display_data(run)
    return nbformat.v4.new_output("display_data", data={f"application/papermill.record/{k}": v for k, v in bundle.items()},
                                  metadata={"scrapbook": {"name": run_glue_key(chapter), "mime_prefix": "application/papermill.record/"}})


@pytest.fixture
def built_book(tmp_path):
    """A copy of the chapters and the config, with every chapter in the execution cache (as if
    executed by build-A, the page's first cell glueing the run id) and the record saying so."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    shutil.copytree(ROOT / "chapters", tmp_path / "chapters")
    shutil.copy(ROOT / "_config.yml", tmp_path)
    cache = get_cache(str(tmp_path / book_key.CACHE))
    for c in CHAPTERS:
        nb = book_key.chapter_notebook(tmp_path, c)
        first = next(cell for cell in nb.cells if cell.cell_type == "code")
        first.outputs = [glued_run(c, "build-A")]
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(tmp_path / "chapters" / f"{c}.md")), check_validity=False)
    (tmp_path / "artifacts").mkdir()
    runs = {c: {"run_id": "build-A", "run_kind": "build", "seconds": 1.0} for c in CHAPTERS}
    (tmp_path / "artifacts" / "metrics.json").write_text(json.dumps({"chapters": runs}), encoding="utf-8")
    return tmp_path


def test_reads_are_declared_for_every_chapter_and_point_backwards():
    from book.record import MODEL_WRITERS, READS, WRITERS

    timed = sorted(c for c in CHAPTERS if f'book.chapter("{c}")' in (ROOT / "chapters" / f"{c}.md").read_text("utf-8"))
    assert sorted(READS) == timed == CHAPTERS, "every chapter registers itself and declares what it reads"
    toc = re.findall(r"file: chapters/(\w+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert list(READS) == toc, "READS lists the chapters in the book's order"
    for c, reads in READS.items():   # the build executes pages in file-name order
        assert all(r < c for r in reads), f"{c} reads a chapter the build executes after it: {reads}"
    writers = set(WRITERS.values()) | {ch for _, ch in MODEL_WRITERS}
    assert writers <= {f"chapters/{c}.md" for c in READS}


def test_what_a_chapter_looks_up_in_the_record_is_declared():
    """Literal record lookups in each chapter (rec.get("..."), rec.model("..."), the Record helpers)
    name parts of the record written by a chapter it declares it reads (or by itself)."""
    from book.record import READS, writer_of

    helpers = {"best_baseline": ["results.baselines"], "representatives": ["results.baselines",
               "results.lstm_saved_seed", "results.bert"], "encoder": ["results.bert"]}
    for c, reads in READS.items():
        text = (ROOT / "chapters" / f"{c}.md").read_text("utf-8")
        keys = re.findall(r"\brec\.get\(\"([a-z0-9_.]+)\"\)", text)
        keys += [f"models.{n}" for n in re.findall(r"\brec\.model\([\"']([a-z0-9_]+)[\"']\)", text)]
        keys += [f"models.{p}_seed0" for p in re.findall(r"\brec\.seed_(?:names|summary)\(\"([a-z]+)\"\)", text)]
        keys += [k for h, ks in helpers.items() if f"rec.{h}(" in text for k in ks]
        saved = {"tfidf": "results.baselines", "lstm": "results.lstm_saved_seed", "bert": "results.bert"}
        keys += [saved[f] for f in re.findall(r"\brec\.saved_model\(\"([a-z]+)\"\)", text)]
        for key in keys:
            if key in ("chapters", "manifest", "models", "dataset") or key.startswith("manifest."):
                continue   # the whole record: 06 declares every chapter
            writer = writer_of(key).removeprefix("chapters/").removesuffix(".md")
            assert writer == c or writer in reads, f"{c} reads {key!r}, written by {writer}, not in READS[{c!r}]"


def test_editing_a_code_cell_of_3_1_schedules_every_chapter_that_reads_it(built_book):
    assert book_key.stale(built_book) == {}, "all cached, all from the run the record names: nothing to run"
    path = built_book / "chapters" / "03a_baselines.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("N_TRIALS = 30", "N_TRIALS = 31", 1), encoding="utf-8")
    assert text.count("N_TRIALS = 30") == 1
    why = book_key.stale(built_book)
    assert list(why) == ["03a_baselines", "03c_bert", "04_results", "05_generalization", "06_conclusion",
                         "07_tryit", "08_appendix"]   # in the book's order
    assert why["03a_baselines"].startswith("no cached outputs match its code")
    assert why["04_results"] == "it reads chapters/03a_baselines.md, which re-executes"

    path.write_text(text.replace("\n# 3.1", "\n# 3.1 ", 1) + "\n另一段文字。\n", encoding="utf-8")
    assert book_key.stale(built_book) == {}, "prose alone re-renders the page; nothing executes"

    before = {c: (built_book / "chapters" / f"{c}.md").stat().st_mtime_ns for c in CHAPTERS}
    os.utime(built_book / "chapters" / "02_analysis.md", ns=(1, 1))
    before["02_analysis"] = 1
    metrics = built_book / "artifacts" / "metrics.json"   # chapter 2 run in Jupyter since the build
    m = json.loads(metrics.read_text(encoding="utf-8"))
    m["chapters"]["02_analysis"] = {"run_id": "interactive-20260101T000000Z", "run_kind": "interactive"}
    metrics.write_text(json.dumps(m), encoding="utf-8")
    why = book_key.schedule(built_book)
    assert list(why) == ["02_analysis", "06_conclusion", "08_appendix"]
    assert "from run build-A, its entries in metrics.json from run interactive-20260101T000000Z" in why["02_analysis"]
    after = {c: (built_book / "chapters" / f"{c}.md").stat().st_mtime_ns for c in CHAPTERS}
    assert [c for c in CHAPTERS if after[c] != before[c]] == list(why), "Sphinx re-reads exactly those"
    again = book_key.stale(built_book)   # until the build executes them: their cached outputs are gone
    assert list(again) == list(why) and again["02_analysis"].startswith("no cached outputs")


def test_a_chapter_whose_inputs_ran_after_it_re_executes(built_book):
    """Chapter 3.2 ran again after chapter 4 read it (in a build stopped before chapter 4, say),
    its page and record agreeing: chapter 4 and what reads it re-execute, 3.2 itself need not."""
    metrics = built_book / "artifacts" / "metrics.json"
    m = json.loads(metrics.read_text(encoding="utf-8"))
    for i, c in enumerate(CHAPTERS):
        m["chapters"][c]["started"] = f"2026-01-01T10:{i:02d}:00+0000"
    m["chapters"]["03b_lstm"]["started"] = "2026-01-01T11:00:00+0100"    # 10:00 UTC: still before chapter 4
    metrics.write_text(json.dumps(m), encoding="utf-8")
    assert book_key.stale(built_book) == {}, "time zones are compared as times"
    m["chapters"]["03b_lstm"]["started"] = "2026-01-01T12:00:00+0000"
    metrics.write_text(json.dumps(m), encoding="utf-8")
    why = book_key.stale(built_book)
    assert list(why) == ["03c_bert", "04_results", "05_generalization", "06_conclusion", "07_tryit", "08_appendix"]
    assert why["03c_bert"] == "it reads chapters/03b_lstm.md, which ran after it (run build-A)"
    assert why["04_results"] == "it reads chapters/03c_bert.md, which re-executes"


PAGE_RUN = MYST_HEADER + """
# 一章

```{code-cell} ipython3
from book import record
timer = record.ChapterTimer("01_definition")
print(6 * 7)
```

```{code-cell} ipython3
timer.stop()
```
"""


def test_a_page_whose_record_came_from_a_jupyter_run_is_executed_again(tmp_path):
    """A one-page book whose page is chapter 01_definition: built, then run outside the build
    (tools/run_chapter.py, as Jupyter would), which rewrites the page's entry in the record; the
    next build, nothing else changed, executes the page again instead of serving the cached one."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book)
    shutil.copytree(ROOT / "_ext", book / "_ext")
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapters/01_definition\n", encoding="utf-8")
    (book / "chapters" / "01_definition.md").write_text(PAGE_RUN, encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if k not in ("BOOK_RUN_ID", "BOOK_BERT_MODEL")},
           "BOOK_QUIET": "1", "BOOK_ARTIFACTS": str(tmp_path / "artifacts")}
    jb = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(book), "-W", "-n", "--keep-going"]

    def build(run_id: str) -> str:
        proc = subprocess.run(jb, capture_output=True, text=True, timeout=600, env={**env, "BOOK_RUN_ID": run_id})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout

    def recorded() -> dict:
        return json.loads((tmp_path / "artifacts" / "metrics.json").read_text(encoding="utf-8"))["chapters"]["01_definition"]

    assert "Executing notebook" in build("build-1")
    assert recorded()["run_id"] == "build-1"
    assert book_key.stale(book, env) == {}, "the cached page and the record come from the same run"

    run = subprocess.run([sys.executable, str(ROOT / "tools" / "run_chapter.py"), str(book / "chapters" / "01_definition.md")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert recorded()["run_kind"] == "interactive"
    why = book_key.schedule(book, env)
    assert list(why) == ["01_definition"] and "from run build-1" in why["01_definition"], why

    out = build("build-2")
    assert "Executing notebook" in out and "Using cached notebook" not in out
    assert recorded()["run_id"] == "build-2" and book_key.stale(book, env) == {}
