"""Store the chapters exactly as JupyterLab saves them, so that opening and saving one is a no-op.

    .venv/bin/python tools/normalize_chapters.py            # rewrite chapters/*.md and index.md where needed
    .venv/bin/python tools/normalize_chapters.py --check    # only list the files that differ (exit 1 if any)
    .venv/bin/python tools/normalize_chapters.py FILE...    # the given files only

Lab opens a chapter through jupytext's contents manager (``jupytext.reads(text, fmt="md:myst")``)
and, once the kernel started, sets the notebook's ``kernelspec`` to the kernel's own
(``display_name: Python 3 (ipykernel)``); saving writes ``jupytext.writes(nb, fmt="md:myst")``
(language_info and cell ids are not kept in the text). A file is rewritten into that form, which
is a fixed point: running this again changes nothing. Only Markdown files with a jupytext header
(notebooks) are touched; the prose is never re-wrapped (jupytext keeps Markdown cells as they are).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
FMT = "md:myst"
# What JupyterLab writes into the notebook once ipykernel's python3 kernel runs it
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def is_notebook(text: str) -> bool:
    """A MyST Markdown notebook: a YAML header that names jupytext."""
    head = text.split("\n---", 1)[0]
    return text.startswith("---\n") and "\njupytext:" in head


def notebooks(root: Path = ROOT) -> list[Path]:
    """The book's notebooks: chapters/*.md and index.md (when they have a jupytext header)."""
    paths = sorted((root / "chapters").glob("*.md")) + [root / "index.md"]
    return [p for p in paths if p.is_file() and is_notebook(p.read_text(encoding="utf-8"))]


def jupytext_form(text: str) -> str:
    """``text`` as JupyterLab saves it after opening it with jupytext and running the kernel."""
    nb = jupytext.reads(text, fmt=FMT)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return jupytext.writes(nb, fmt=FMT)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="default: chapters/*.md and index.md")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file differs")
    args = ap.parse_args(argv)
    differ = []
    for path in args.files or notebooks():
        text = path.read_text(encoding="utf-8")
        if not is_notebook(text):
            print(f"{path}: no jupytext header, not a notebook: left alone", file=sys.stderr)
            continue
        new = jupytext_form(text)
        if new != text:
            differ.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "differs from" if args.check else "rewritten into"
    for path in differ:
        print(f"{path}: {verb} the form jupytext writes")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
