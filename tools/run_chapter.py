"""Execute one chapter as the book build would, without building the whole book.

    .venv/bin/python tools/run_chapter.py chapters/03b_lstm.md [-o out.ipynb]

Fails (exit 1) on a cell error or on any stderr output (the build treats stderr as a
warning and warnings as errors). Prints each cell's wall time; a failing cell ends the run
with one line naming the error, e.g.
``chapters/04_results.md: RecordError: no record 'lstm_seed0'; run chapters/03b_lstm.md first``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError


def error_line(chapter: str, e: BaseException) -> str:
    """One line naming a failure: the exception type and message (a cell's error is the
    last line of its traceback), prefixed by the chapter."""
    if isinstance(e, CellExecutionError) and getattr(e, "ename", None):
        what = f"{e.ename}: {e.evalue}" if e.evalue else e.ename
    else:
        text = str(e).strip()
        what = f"{type(e).__name__}: {text}" if text else type(e).__name__
    what = " ".join(what.split())  # one line, whatever the message held
    return f"{chapter}: {what}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("chapter")
    ap.add_argument("-o", "--output", help="where to write the executed .ipynb")
    ap.add_argument("--timeout", type=int, default=1800)
    args = ap.parse_args()
    path = Path(args.chapter).resolve()
    if not path.is_file():
        print(f"{args.chapter}: no such chapter file", file=sys.stderr)
        return 2
    os.environ.setdefault("BOOK_QUIET", "1")
    nb = jupytext.read(path)
    # The kernel's own log (e.g. its warning about local TCP) stays quiet below errors, so
    # that it does not bury the one-line error below; what cells write is not affected.
    client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.time()
    status = 0
    # The kernel process's own stderr goes to a file: what cells write reaches us through the
    # kernel protocol anyway, and its teardown after a failed cell can print noise (a libzmq
    # assertion) that would bury the one-line error. Shown only when the kernel itself died.
    kernel_log = tempfile.TemporaryFile(mode="w+")
    try:
        with client.setup_kernel(stderr=kernel_log):
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
    except Exception as e:  # CellExecutionError, a dead kernel, a timeout
        print(error_line(args.chapter, e), file=sys.stderr, flush=True)
        if isinstance(e, DeadKernelError):
            kernel_log.seek(0)
            print(f"  the kernel's last words: {kernel_log.read()[-500:]}", file=sys.stderr, flush=True)
        status = 1
    print(f"total {time.time() - t0:.1f}s")
    if args.output:
        nbformat.write(nb, args.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
