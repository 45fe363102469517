"""The chapters are stored exactly as JupyterLab saves them (jupytext's MyST writer), so that
opening and saving a chapter in Lab changes nothing: git stays clean and the build's execution
cache still matches.

- every notebook (chapters/*.md, index.md) read by jupytext and written back, with the kernelspec
  Lab sets once the kernel runs, gives the same bytes (tools/normalize_chapters.py rewrites a file
  that does not);
- the normalizer on copies: it fixes what it must, keeps every cell's source, and is idempotent;
- a real Jupyter server (jupytext's contents manager, as `make lab` runs it) opens a copy of a
  chapter in a git repository and saves it as JupyterLab does (GET, PUT, checkpoint): git status
  stays empty.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest
from test_jupyter import get_json, jupyter_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import normalize_chapters  # noqa: E402

NORMALIZE = ".venv/bin/python tools/normalize_chapters.py"
NOTEBOOKS = normalize_chapters.notebooks(ROOT)


def test_the_book_has_its_notebooks():
    names = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]
    assert "index.md" in names and "chapters/02_analysis.md" in names and len(names) >= 10, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_chapter_is_stored_as_jupytext_writes_it(path):
    text = path.read_text(encoding="utf-8")
    saved = normalize_chapters.jupytext_form(text)
    if saved != text:
        old, new = text.splitlines(), saved.splitlines()
        i = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        pytest.fail(f"{path.relative_to(ROOT)} line {i + 1}: stored {old[i] if i < len(old) else '(end)'!r}, "
                    f"Jupyter would save {new[i] if i < len(new) else '(end)'!r}: run `{NORMALIZE}`")


def test_the_normalizer_on_copies(tmp_path, capsys):
    """On copies of three of today's notebooks, one of them put back into the old form (no blank
    line after `:tags:`, kernelspec `Python 3`): --check lists it (exit 1); a run rewrites what
    differs into exactly jupytext's form, cell sources unchanged; a second run changes nothing."""
    copies = []
    for p in NOTEBOOKS[:2] + [ROOT / "index.md"]:
        dest = tmp_path / p.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
        copies.append(dest)
    old = copies[0]
    old.write_text(old.read_text(encoding="utf-8").replace("]\n\n", "]\n").replace(
        "display_name: Python 3 (ipykernel)", "display_name: Python 3"), encoding="utf-8")
    before = {p: p.read_text(encoding="utf-8") for p in copies}
    files = [str(p) for p in copies]
    assert normalize_chapters.main(["--check", *files]) == 1
    assert f"{old}: differs" in capsys.readouterr().out
    assert {p: p.read_text(encoding="utf-8") for p in copies} == before, "--check changes nothing"
    assert normalize_chapters.main(files) == 0
    assert f"{old}: rewritten" in capsys.readouterr().out
    for p in copies:
        text = p.read_text(encoding="utf-8")
        assert normalize_chapters.jupytext_form(text) == text, p
        cells = lambda t: [(c.cell_type, c.source, c.metadata) for c in jupytext.reads(t, fmt="md:myst").cells]
        assert cells(text) == cells(before[p]), f"{p}: a cell's source or metadata (e.g. a caption) changed"
    assert "display_name: Python 3 (ipykernel)" in old.read_text(encoding="utf-8")
    after = {p: p.read_bytes() for p in copies}
    assert normalize_chapters.main(files) == 0 and capsys.readouterr().out == ""
    assert {p: p.read_bytes() for p in copies} == after, "a second run changes nothing"
    assert normalize_chapters.main(["--check", *files]) == 0


def request(method: str, url: str, token: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode("utf-8") or "{}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


CHAPTER = "chapters/02_analysis.md"


def test_saving_a_chapter_in_jupyter_leaves_git_clean(tmp_path):
    """A Jupyter server with jupytext's contents manager (as `make lab` runs it) on a git repository
    holding a copy of a chapter: open it as a notebook, give it the kernelspec and language_info
    the running kernel gives it, save it (PUT, then the checkpoint), as JupyterLab does."""
    repo = tmp_path / "repo"
    (repo / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / CHAPTER, repo / CHAPTER)
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "chapter")
    with jupyter_server("server", repo, tmp_path, wait_s=60) as (base, token):
        url = f"{base}/api/contents/{CHAPTER}"
        model = get_json(f"{url}?type=notebook&content=1", token)
        assert model["type"] == "notebook", "jupytext's contents manager opens the chapter as a notebook"
        nb = model["content"]
        assert any(c["cell_type"] == "code" for c in nb["cells"])
        specs = get_json(f"{base}/api/kernelspecs", token)
        spec = specs["kernelspecs"][specs["default"]]["spec"]
        nb["metadata"]["kernelspec"] = {"display_name": spec["display_name"], "language": spec["language"],
                                        "name": specs["default"]}
        nb["metadata"]["language_info"] = {"name": "python", "version": sys.version.split()[0],
                                           "mimetype": "text/x-python", "file_extension": ".py"}
        saved = request("PUT", url, token, {"type": "notebook", "format": "json", "content": nb})
        request("POST", f"{url}/checkpoints", token)
        assert saved["last_modified"] != model["last_modified"], "the file was written"
        status = git(repo, "status", "--porcelain")
        assert status == "", (f"saving {CHAPTER} in Jupyter changed it (run `{NORMALIZE}`):\n"
                              + git(repo, "diff", "--", CHAPTER)[:2000])


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.md")), ids=lambda p: p.stem)
def test_each_chapter_starts_with_one_call_and_glues_under_its_own_name(path):
    """The first code cell starts the chapter with ``book.chapter("<file name>")``; the Jupyter note
    is not copied into the chapter (book.page shows it); every glue key the prose quotes starts with
    the file's name (or ``orig_``, the original's facts shared by every page)."""
    nb = jupytext.read(path)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert f'ch = book.chapter("{path.stem}")' in first.source
    text = path.read_text(encoding="utf-8")
    assert "在 Jupyter 里读本章" not in text
    keys = re.findall(r"\{glue(?::\w+)?\}`([^`:]+)", text) + re.findall(r"```\{glue(?::\w+)?\}[ \t]+(\S+)", text)
    assert keys or path.stem == "07_tryit" or path.stem == "08_appendix"
    strays = [k for k in keys if not k.startswith((f"{path.stem}_", "orig_"))]
    assert not strays, f"{path.name} quotes glue keys not named after it: {strays[:5]}"


def test_the_jupyter_note_shows_in_a_kernel_outside_the_build_only(monkeypatch, tmp_path):
    """book.chapter shows the note on glued numbers once, in Jupyter; inside `make book` nothing."""
    from IPython.display import Markdown

    from book import page, record

    shown = []
    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    monkeypatch.setattr(record, "in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display",   # the run id's glue goes out too; keep the Markdown
                        lambda obj, **kw: shown.append(obj) if isinstance(obj, Markdown) else None)
    monkeypatch.delenv(record.RUN_ENV, raising=False)
    page.Chapter("01_definition", original_facts=False, style=False)
    assert len(shown) == 1 and "在 Jupyter 里读本章" in shown[0].data and "交互运行" in shown[0].data
    monkeypatch.setenv(record.RUN_ENV, "build-X")
    ch = page.Chapter("01_definition", original_facts=False, style=False)
    assert len(shown) == 1, "nothing on the page"
    assert ch.key("ex") == "01_definition_ex" and ch.key() == "01_definition"


REMOVED_CODE_BUDGET = 425   # non-blank lines of remove-cell code in all chapters (853 before book.sections)


def test_the_chapters_hidden_bookkeeping_stays_small():
    """What a reader opening a chapter in Jupyter sees but the page does not: the code of
    remove-cell cells. Bookkeeping belongs in book (book.sections, book.page), not in chapters."""
    lines = {}
    for path in sorted((ROOT / "chapters").glob("*.md")):
        cells = [c for c in jupytext.read(path).cells
                 if c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", [])]
        lines[path.stem] = sum(1 for c in cells for line in c.source.splitlines() if line.strip())
    assert sum(lines.values()) <= REMOVED_CODE_BUDGET, f"remove-cell code: {lines}"
    assert max(lines.values()) <= 90, f"one chapter carries most of it: {lines}"


PAGES = [*sorted((ROOT / "chapters").glob("*.md")), ROOT / "index.md"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_code_glues_only_under_the_pages_name_and_includes_existing_code(path):
    """What the build would warn about, caught before it runs: a glue prefix in code other than the
    page's name (or orig), a key quoted in index.md but glued under another name, a literalinclude
    of a file or function that is not there (a renamed module, say)."""
    import ast

    text = path.read_text(encoding="utf-8")
    prefixes = re.findall(r"glue_values\(\"([^\"]+)\"", text) + re.findall(r"(?<![\w.])glue\(\"([^\"]+?)_", text)
    strays = [p for p in prefixes if not (p == "orig" or p.startswith(path.stem))]
    assert not strays, f"{path.name} glues under {strays}"
    for m in re.finditer(r"```\{literalinclude\} (\S+)\n((?::\w+:.*\n)*)", text):
        target = (path.parent / m.group(1)).resolve()
        assert target.is_file(), f"{path.name} includes {m.group(1)}, which does not exist"
        if obj := re.search(r":pyobject: (\S+)", m.group(2)):
            names = {n.name for n in ast.walk(ast.parse(target.read_text(encoding="utf-8")))
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            assert obj.group(1).split(".")[-1] in names, f"{path.name}: no {obj.group(1)} in {m.group(1)}"
