"""A reader can open and re-run the chapters in Jupyter.

- setup configured JupyterLab (inside the venv) to open MyST chapters as notebooks;
- a headless Jupyter server hands chapter 2 out as a notebook with code cells, and that
  notebook executes to the end in a kernel (marked `jupyter`: about half a minute);
- tools/run_chapter.py ends a failing chapter with one line naming the error.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from pages import MYST_HEADER

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OVERRIDES = Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
VIEWER = "Jupytext Notebook"
SHARED = ROOT.parent / "shared"


def test_lab_opens_myst_files_as_notebooks():
    viewers = json.loads(OVERRIDES.read_text(encoding="utf-8"))["@jupyterlab/docmanager-extension:plugin"]
    assert viewers["defaultViewers"]["markdown"] == VIEWER
    assert viewers["defaultViewers"]["myst"] == VIEWER
    proc = subprocess.run([str(BIN / "jupyter"), "lab", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("4."), proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, token: str) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode("utf-8"))


@contextlib.contextmanager
def jupyter_server(app: str, root_dir: Path, tmp_path: Path, wait_s: float = 90):
    """``jupyter <app>`` (lab, server), headless, on 127.0.0.1 at a free port with a random token,
    serving ``root_dir``; yields (base URL, token) once it answers, stops it afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "jupyter"), app, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + wait_s
        while True:
            try:
                get_json(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                assert time.time() < deadline, f"the Jupyter server did not answer in {wait_s:.0f} s"
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def lab_server(tmp_path):
    """JupyterLab, headless, on the repository; yields its base URL and token."""
    with jupyter_server("lab", ROOT, tmp_path) as server:
        yield server


@pytest.mark.jupyter
def test_a_chapter_opens_as_a_notebook_and_runs_to_the_end(lab_server, tmp_path, monkeypatch):
    base, token = lab_server
    # JupyterLab's settings carry the venv's default-viewer override
    settings = get_json(f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin", token)
    defaults = settings["schema"]["properties"]["defaultViewers"]["default"]
    assert defaults["myst"] == VIEWER and defaults["markdown"] == VIEWER, defaults

    model = get_json(f"{base}/api/contents/chapters/02_analysis.md?type=notebook&content=1", token)
    assert model["type"] == "notebook"
    nb = nbformat.from_dict(model["content"])
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 3 and 'ch = book.chapter("02_analysis")' in code[0].source

    from nbclient import NotebookClient

    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("DIANPING_DATA_CACHE", str(tmp_path / "data"))
    monkeypatch.setenv("BOOK_QUIET", "1")
    monkeypatch.delenv("BOOK_RUN_ID", raising=False)     # a reader's kernel, not the build
    if not os.environ.get("DIANPING_DATA_MIRROR") and (SHARED / "data" / "dianping.csv").exists():
        monkeypatch.setenv("DIANPING_DATA_MIRROR", str(SHARED / "data"))  # as the Makefile does
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(ROOT / "chapters")}})
    client.execute()
    assert all(c.get("execution_count") for c in code), "every code cell ran"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert any(o.output_type == "display_data" for c in code for o in c.outputs), "figures and glued values"
    assert (tmp_path / "artifacts" / "metrics.json").exists(), "the chapter recorded into BOOK_ARTIFACTS"
    note = [o for o in code[0].outputs if "在 Jupyter 里读本章" in o.get("data", {}).get("text/markdown", "")]
    assert len(note) == 1, "the first cell shows the note on glued numbers once, in Jupyter"


FAILING_CHAPTER = MYST_HEADER + """
# A chapter that fails

```{code-cell} ipython3
x = 6 * 7
```

```{code-cell} ipython3
class RecordError(ValueError):
    pass

raise RecordError(f"no record 'lstm_seed0' ({x}); run chapters/03b_lstm.md first")
```

```{code-cell} ipython3
print("never reached")
```
"""


def test_run_chapter_names_a_failing_cell_in_one_line(tmp_path):
    chapter = tmp_path / "04_fails.md"
    chapter.write_text(FAILING_CHAPTER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "run_chapter.py"), str(chapter)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "BOOK_QUIET": "1"})
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors == [f"{chapter}: RecordError: no record 'lstm_seed0' (42); run chapters/03b_lstm.md first"], \
        proc.stderr
    assert "cell   1" in proc.stdout and "x = 6 * 7" in proc.stdout, "per-cell timing lines are kept"
    assert "never reached" not in proc.stdout


def test_run_chapter_runs_a_clean_chapter(tmp_path):
    """The control: the same chapter without the raise succeeds and writes the executed notebook."""
    chapter = tmp_path / "ok.md"
    chapter.write_text(FAILING_CHAPTER.replace('raise RecordError(', 'print('), encoding="utf-8")
    out = tmp_path / "ok.ipynb"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "run_chapter.py"), str(chapter), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "BOOK_QUIET": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ""
    texts = [o.get("text", "") for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", [])]
    assert "never reached\n" in texts


def test_run_chapter_rejects_a_missing_file(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "run_chapter.py"), str(tmp_path / "nope.md")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == f"{tmp_path / 'nope.md'}: no such chapter file"


# Required by a locked package but deliberately not installed: torch is installed on its own
# before the lock; torchvision and spacy are fastai's (fastai.text uses neither); setuptools
# and wheel are sphinx-togglebutton's build-time leftovers (the venv has setuptools anyway).
NOT_LOCKED = {"torch", "torchvision", "spacy", "setuptools", "wheel"}


def test_the_lock_pins_every_dependency():
    """setup installs requirements.lock with --no-deps, so everything a locked package needs at
    run time (extras it asks for included, e.g. jupyter-events' jsonschema[format-nongpl])
    must be in the lock, at a version it accepts."""
    import re
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    lock = dict(line.strip().split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if line.strip())
    lock = {norm(k): v for k, v in lock.items()}
    assert {"jupyterlab", "notebook", "jupytext", "ruff"} <= set(lock)
    problems, todo, seen = [], [(name, "") for name in lock], set()
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            problems.append(f"{name} is locked but not installed")
            continue
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not req.marker.evaluate({"extra": extra}):
                continue
            dep = norm(req.name)
            if dep in NOT_LOCKED or (extra and not req.marker):
                continue  # with an extra, only the extra's own requirements are new
            if dep not in lock:
                problems.append(f"{name}{f'[{extra}]' if extra else ''} needs {req}, not in the lock")
            elif not req.specifier.contains(lock[dep], prereleases=True):
                problems.append(f"{name} needs {req}, the lock has {lock[dep]}")
            else:
                todo += [(dep, e) for e in req.extras]
    assert not problems, "\n".join(problems)
