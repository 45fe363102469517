"""The build key: what the executed chapters depend on that Sphinx and jupyter-cache do not see.

    .venv/bin/python tools/book_key.py show      # print the key, what went into it, the chapters that would re-execute
    .venv/bin/python tools/book_key.py refresh   # what `make book` runs before building

jupyter-cache re-executes a chapter only when its code cells change, and Sphinx re-reads a
chapter only when its file changes; neither notices an edit in ``book/*.py``, a new package
version, a changed ``_config.yml`` or another ``BOOK_BERT_MODEL``. The key is a sha256 over

- the files ``book/*.py``, ``requirements.lock``, ``_config.yml`` (the dataset's checksum
  lives in ``book/data.py``, so a different dataset changes the key too);
- the variables in ``VARIABLES`` (unset and empty are the same; ``BOOK_ARTIFACTS`` is one,
  so a new artifacts folder is filled by a full build rather than left half empty);
- when ``BOOK_BERT_MODEL`` is a local folder, its file names and sizes and the contents of
  its small files (config, tokenizer), so a different model in the same folder counts.

``refresh`` compares the key with the one stored in ``_build/.book-key``; when they differ
(or none is stored) it deletes the build's caches (``_build/.jupyter_cache``,
``_build/.doctrees``, ``_build/jupyter_execute``, ``_build/html``) and the artifacts folder
(``$BOOK_ARTIFACTS`` or ``artifacts/``), then stores the new key, so the build that follows
executes every chapter and nothing in the book or in ``artifacts/`` comes from older inputs.

Then, chapter by chapter (the key covers what all chapters share; this covers each chapter), it
schedules re-execution: a chapter in ``book.record.READS`` re-executes when

- no cached outputs match its code cells (its code changed, or it never ran): jupyter-cache's
  own rule, checked here with MyST-NB's reader and jupyter-cache's hash;
- its cached outputs come from another run than its entries in the record (each chapter's first
  cell glues the run id, ``book.record.ChapterTimer (started by book.chapter)``, and writes it into ``metrics.json``):
  e.g. the chapter was run in Jupyter since, which rewrote its results and models;
- a chapter it reads (``READS``) re-executes, or ran after it (in Jupyter, or in a build that
  stopped before reaching this one): its results changed under it.

For each scheduled chapter it deletes the matching jupyter-cache record and touches the file
(Sphinx re-reads only files newer than its last read), so the build executes it; prose edits
alone re-render a page without executing it.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("book/*.py", "requirements.lock", "_config.yml")
VARIABLES = ("BOOK_BERT_MODEL", "DIANPING_DATA_MIRROR", "BOOK_DEVICE", "BOOK_PRECISION", "BOOK_ARTIFACTS",
             "BOOK_BERT_SEEDS")
KEY_FILE = "_build/.book-key"
BUILD_CACHES = ("_build/.jupyter_cache", "_build/.doctrees", "_build/jupyter_execute", "_build/html")
SMALL = 1 << 20  # model files up to this size are hashed whole; larger ones by name and size


def inputs(root: Path, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(what, fingerprint) pairs, in a fixed order: the material the key is made of."""
    items: list[tuple[str, str]] = []
    for pattern in FILES:
        for path in sorted(root.glob(pattern)):
            items.append((path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
    for name in VARIABLES:
        items.append((f"${name}", env.get(name) or ""))
    model = env.get("BOOK_BERT_MODEL") or ""
    folder = Path(model) if model else None
    if folder is not None and not folder.is_absolute():
        folder = root / folder
    if folder is not None and folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            size = path.stat().st_size
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if size <= SMALL else f"{size} bytes"
            items.append((f"model:{path.relative_to(folder).as_posix()}", digest))
    return items


def compute_key(root: Path = ROOT, env: Mapping[str, str] | None = None) -> str:
    """The sha256 of ``inputs(root, env)`` (``env`` defaults to ``os.environ``)."""
    h = hashlib.sha256()
    for what, value in inputs(root, os.environ if env is None else env):
        h.update(f"{what}\0{value}\n".encode())
    return h.hexdigest()


def artifacts_folder(root: Path, env: Mapping[str, str]) -> Path:
    """Where the build writes its artifacts, as ``book.record.artifacts_dir`` decides."""
    return Path(env.get("BOOK_ARTIFACTS") or root / "artifacts")


def refresh(root: Path = ROOT, env: Mapping[str, str] | None = None) -> bool:
    """Clear the caches and artifacts when the key changed; store the key. True if cleared."""
    env = os.environ if env is None else env
    key = compute_key(root, env)
    key_file = root / KEY_FILE
    old = key_file.read_text(encoding="utf-8").strip() if key_file.exists() else None
    if old == key:
        return False
    for rel in BUILD_CACHES:
        shutil.rmtree(root / rel, ignore_errors=True)
    shutil.rmtree(artifacts_folder(root, env), ignore_errors=True)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n", encoding="utf-8")
    return True


CACHE = "_build/.jupyter_cache"


def chapter_notebook(root: Path, chapter: str):
    """The chapter as MyST-NB reads it for the build (the notebook jupyter-cache hashes)."""
    import yaml
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    extensions = set((config.get("parse") or {}).get("myst_enable_extensions") or ())
    path = root / "chapters" / f"{chapter}.md"
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), config=MdParserConfig(
        enable_extensions=extensions), add_source_map=True, path=str(path))


def page_run(nb, chapter: str) -> str | None:
    """The run id a chapter's executed notebook glued (``book.record.run_glue_key``), if any."""
    import ast

    from book.record import run_glue_key

    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == run_glue_key(chapter):
                return ast.literal_eval(out["data"]["application/papermill.record/text/plain"])
    return None


def stale(root: Path = ROOT, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """chapter -> why it must re-execute (in book order; the chapters that need not are absent)."""
    from book.record import READS, load_metrics

    env = os.environ if env is None else env
    chapters = [c for c in READS if (root / "chapters" / f"{c}.md").is_file()]
    if not chapters:
        return {}
    runs = load_metrics(artifacts_folder(root, env) / "metrics.json").get("chapters", {})
    cache = None
    if (root / CACHE / "global.db").is_file():
        from jupyter_cache import get_cache
        cache = get_cache(str(root / CACHE))
    why: dict[str, str] = {}
    for c in chapters:
        record_run = runs.get(c, {}).get("run_id")
        try:
            cached = cache.match_cache_notebook(chapter_notebook(root, c)) if cache else None
        except KeyError:
            cached = None
        if cached is None:
            why[c] = "no cached outputs match its code (changed, or not executed yet)"
            continue
        ran = page_run(cache.get_cache_bundle(cached.pk).nb, c)
        if ran is None:
            why[c] = "its cached outputs do not say which run made them"
        elif record_run != ran:
            why[c] = (f"its cached outputs come from run {ran}, its entries in metrics.json from "
                      f"{'no run' if record_run is None else 'run ' + record_run}")
        else:
            upstream = [r for r in READS[c] if r in why]
            later = [r for r in READS[c] if _started(runs.get(r)) > _started(runs.get(c))]
            if upstream:
                why[c] = f"it reads chapters/{upstream[0]}.md, which re-executes"
            elif later:
                why[c] = f"it reads chapters/{later[0]}.md, which ran after it (run {runs[later[0]]['run_id']})"
    return why


def _started(entry: dict | None) -> datetime:
    """When a chapter's recorded run started (the earliest time when the record does not say)."""
    if not entry or not entry.get("started"):
        return datetime.min.replace(tzinfo=UTC)
    return datetime.strptime(entry["started"], "%Y-%m-%dT%H:%M:%S%z")


def schedule(root: Path = ROOT, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Make the next build execute every :func:`stale` chapter: delete its cached outputs (the
    jupyter-cache record its code matches) and touch its file so Sphinx re-reads it."""
    why = stale(root, env)
    if why and (root / CACHE / "global.db").is_file():
        from jupyter_cache import get_cache
        cache = get_cache(str(root / CACHE))
        for c in why:
            try:
                cache.remove_cache(cache.match_cache_notebook(chapter_notebook(root, c)).pk)
            except KeyError:
                pass
    for c in why:
        os.utime(root / "chapters" / f"{c}.md")
    return why


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["show", "refresh"])
    ap.add_argument("--root", type=Path, default=ROOT, help="the book's folder (default: this repository)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if args.command == "show":
        for what, value in inputs(root, os.environ):
            print(f"{what}  {value}")
        print(f"key {compute_key(root)}")
        for chapter, why in stale(root).items():
            print(f"chapters/{chapter}.md would re-execute: {why}")
        return 0
    if refresh(root):
        print(f"book: inputs changed (key {compute_key(root)[:12]}): cleared the execution cache, "
              f"_build/html and {artifacts_folder(root, os.environ)}; every chapter will execute")
        return 0
    for chapter, why in schedule(root).items():
        print(f"book: chapters/{chapter}.md re-executes: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
