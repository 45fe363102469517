"""Several LSTM fits one after another against the same fits side by side (book.lstm.fit_many),
in one run.

    .venv/bin/python bench/lstm_side_by_side.py [--seeds 4] [--epochs 2] [--workers N]

Each fit is chapter 3.2's recipe (book.lstm.LSTMConfig, book.lstm.THREADS torch threads) on
the training split, for ``--epochs`` epochs, one per seed. Prints both wall times, their ratio,
each fit's own seconds in both runs (side by side, a fit shares the machine with the others)
and whether the two runs gave the same models (they should: fit_many is tested to).
Run it alone: anything else on the machine changes both numbers.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from book import data, lstm  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=4, help="fits in each run (default 4)")
    ap.add_argument("--epochs", type=int, default=2, help="epochs of each fit (default 2; no early stop before)")
    ap.add_argument("--workers", type=int, default=None, help="processes side by side (default: fit_workers)")
    args = ap.parse_args(argv)
    splits = data.load_splits()
    cfg = lstm.LSTMConfig.from_dict({**asdict(lstm.LSTMConfig()), "epochs": args.epochs,
                                     "patience": args.epochs})
    jobs = [{"train": splits.train, "valid": splits.valid, "cfg": cfg, "seed": s} for s in range(args.seeds)]
    workers = args.workers or lstm.fit_workers(len(jobs))
    torch.set_num_threads(lstm.THREADS)
    t0 = time.perf_counter()
    alone = lstm.fit_many(jobs, workers=1)
    t_alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    side = lstm.fit_many(jobs, workers=workers)
    t_side = time.perf_counter() - t0
    same = all(all(torch.equal(a.predictor.model.state_dict()[k], v) for k, v in b.predictor.model.state_dict().items())
               for a, b in zip(alone, side))
    print(f"{len(jobs)} fits of {args.epochs} epochs, {lstm.THREADS} torch thread(s) each")
    print(f"one after another: {t_alone:7.1f} s   fits: " + " ".join(f"{r.seconds:.1f}" for r in alone))
    print(f"{workers} side by side:   {t_side:7.1f} s   fits: " + " ".join(f"{r.seconds:.1f}" for r in side))
    print(f"wall-time ratio (one after another / side by side): {t_alone / t_side:.2f}x; same models: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
