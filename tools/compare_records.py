"""Compare two run records (artifacts/metrics.json) number by number, leaving out what differs
from run to run by design: timings, run ids, start and finish times, and the manifest (machine,
packages, source commit).

    .venv/bin/python tools/compare_records.py BEFORE.json AFTER.json          # exit 1 on a difference
    .venv/bin/python tools/compare_records.py BEFORE.json AFTER.json --tol 1e-9

A refactor that changes no number prints "same" and exits 0. Every other difference is printed
as its path in the record with both values (keys present on one side only, too).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# keys whose values are timings or identities of a run, wherever they sit in the record
VOLATILE_KEYS = {"seconds", "run_id", "run_kind", "started", "finished", "source_sha256",
                 "train_seconds", "epoch_seconds", "seconds_per_epoch", "build_minutes", "total_chapter_minutes"}
VOLATILE_SECTIONS = {"manifest", "build"}


def volatile(path: tuple) -> bool:
    """True for a part of the record that differs between two runs of the same code."""
    if path and path[0] in VOLATILE_SECTIONS:
        return True
    return any(isinstance(p, str) and (p in VOLATILE_KEYS or p.endswith("_seconds") or p.startswith("seconds_"))
               for p in path)


def differences(a, b, tol: float = 0.0, path: tuple = ()) -> list[str]:
    """Human-readable differences between two JSON values (volatile parts skipped)."""
    if volatile(path):
        return []
    where = "/".join(map(str, path)) or "(root)"
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if volatile((*path, k)):
                continue
            if k not in a:
                out.append(f"{where}/{k}: only in the second record")
            elif k not in b:
                out.append(f"{where}/{k}: only in the first record")
            else:
                out += differences(a[k], b[k], tol, (*path, k))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, tol, (*path, i))
        return out
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        if a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol:
            return []
        return [f"{where}: {a!r} against {b!r}"]
    return [] if a == b else [f"{where}: {a!r} against {b!r}"]


def compare(first: Path, second: Path, tol: float = 0.0) -> list[str]:
    load = lambda p: json.loads(Path(p).read_text(encoding="utf-8"))  # noqa: E731
    return differences(load(first), load(second), tol)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    ap.add_argument("--tol", type=float, default=0.0, help="absolute tolerance for numbers (default: exact)")
    ap.add_argument("--max", type=int, default=50, help="differences to print at most")
    args = ap.parse_args(argv)
    for p in (args.first, args.second):
        if not p.is_file():
            print(f"compare_records: no file {p}", file=sys.stderr)
            return 2
    diffs = compare(args.first, args.second, args.tol)
    if not diffs:
        print(f"same: every number and value agrees (timings, run ids and the manifest left out); tolerance {args.tol}")
        return 0
    print(f"{len(diffs)} differences:")
    for d in diffs[:args.max]:
        print("  " + d)
    if len(diffs) > args.max:
        print(f"  ... and {len(diffs) - args.max} more")
    return 1


if __name__ == "__main__":
    sys.exit(main())
