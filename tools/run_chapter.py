"""Execute one chapter as the book build would, without building the whole book.

    .venv/bin/python tools/run_chapter.py chapters/03b_lstm.md [-o out.ipynb]

Fails (exit 1) on a cell error or on any stderr output (the build treats stderr as a
warning and warnings as errors). Prints each cell's wall time.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("chapter")
    ap.add_argument("-o", "--output", help="where to write the executed .ipynb")
    ap.add_argument("--timeout", type=int, default=1800)
    args = ap.parse_args()
    path = Path(args.chapter).resolve()
    os.environ.setdefault("BOOK_QUIET", "1")
    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.time()
    status = 0
    try:
        with client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t = time.time()
                client.execute_cell(cell, i)
                dt = time.time() - t
                first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
                print(f"cell {i:3d} {dt:7.1f}s  {first}", flush=True)
                for out in cell.get("outputs", []):
                    if out.get("name") == "stderr":
                        print(f"  STDERR in cell {i}: {out['text'][:500]}", flush=True)
                        status = 1
    except Exception as e:  # CellExecutionError and friends
        print(f"ERROR: {e}", file=sys.stderr)
        status = 1
    print(f"total {time.time() - t0:.1f}s")
    if args.output:
        nbformat.write(nb, args.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
