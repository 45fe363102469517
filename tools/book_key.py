"""The build key: what the executed chapters depend on that Sphinx and jupyter-cache do not see.

    .venv/bin/python tools/book_key.py show      # print the key and what went into it
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
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("book/*.py", "requirements.lock", "_config.yml")
VARIABLES = ("BOOK_BERT_MODEL", "DIANPING_DATA_MIRROR", "BOOK_DEVICE", "BOOK_PRECISION", "BOOK_ARTIFACTS")
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
    """Where the build writes its artifacts, as ``book.evaluate.artifacts_dir`` decides."""
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
        return 0
    if refresh(root):
        print(f"book: inputs changed (key {compute_key(root)[:12]}): cleared the execution cache, "
              f"_build/html and {artifacts_folder(root, os.environ)}; every chapter will execute")
    return 0


if __name__ == "__main__":
    sys.exit(main())
