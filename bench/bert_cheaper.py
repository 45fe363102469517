"""A cheaper fine-tuning recipe for chapter 3.3, chosen on the validation split, side by side in one run.

Recipes (each trained with the chapter's schedule: book.bert.EPOCHS epochs of fit_one_cycle at
book.bert.LR, batch book.bert.BATCH_SIZE, mean pooling, the best validation epoch kept):

  full-fp32      today's recipe: every layer fine-tuned, fp32
  full-bf16      the same under bfloat16 autocast
  frozenK-fp32   the embeddings and the lower K layers frozen: their outputs are computed once per
                 review (book.bert.lower_states, eval mode) and shared by every seed; only the
                 layers above K and the head train (book.bert.frozen_learner)
  frozenK-bf16   the same, the upper layers under bfloat16 autocast

For each recipe and seed: seconds of training, validation accuracy after each epoch and of the
epoch kept. Then per recipe: mean seconds per run (a frozen recipe's lower layers counted once,
shared over its seeds, and shown apart), the ratio to full-fp32, and the validation accuracy's
mean and range. The rule the book adopts (issue 25): the cheapest recipe whose mean validation
accuracy lies within full-fp32's seed-to-seed range. The test split is never scored here.

    .venv/bin/python bench/bert_cheaper.py                                       # full-fp32, frozen8-bf16, frozen6-bf16; seeds 0 1 2
    .venv/bin/python bench/bert_cheaper.py --recipes full-fp32 frozen8-fp32 frozen8-bf16
    .venv/bin/python bench/bert_cheaper.py --limit 64 --epochs 1 --seeds 0        # a quick check that it runs
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from book import bert, data  # noqa: E402

RECIPE = re.compile(r"^(full|frozen(\d+))-(fp32|bf16)$")


def parse(recipe: str) -> tuple[int, str]:
    """'frozen8-bf16' -> (8, 'bf16'); 'full-fp32' -> (0, 'fp32')."""
    m = RECIPE.match(recipe)
    if not m:
        raise SystemExit(f"unknown recipe {recipe!r}: full-fp32, full-bf16, frozenK-fp32 or frozenK-bf16")
    return (int(m.group(2)) if m.group(2) else 0), m.group(3)


def run_full(source, train, valid, seed: int, precision: str, args):
    dls = bert.dataloaders(source.tokenizer, train, valid)
    learn = bert.learner(source, dls, pooling=bert.POOLING, seed=seed, precision=precision)
    t = time.perf_counter()
    hist = bert.train_model(learn, args.epochs, args.lr)
    return hist, time.perf_counter() - t, learn.best_epoch


def states_for(source, train, valid, frozen: int):
    """The lower ``frozen`` layers' outputs for the training and validation reviews, and their seconds."""
    probe = bert.SentimentClassifier(bert.load_pretrained(source), source.tokenizer.pad_token_id, "mean", "fp32")
    t = time.perf_counter()
    tr = bert.lower_states(probe, bert.encode(source.tokenizer, train["comment"]), frozen)
    va = bert.lower_states(probe, bert.encode(source.tokenizer, valid["comment"]), frozen)
    return tr, va, time.perf_counter() - t


def run_frozen(source, states, train, valid, seed: int, frozen: int, precision: str, args):
    tr, va, _ = states
    dls = bert.state_dataloaders(tr, train["sentiment"], va, valid["sentiment"])
    learn = bert.frozen_learner(source, dls, frozen, seed=seed, precision=precision)
    t = time.perf_counter()
    hist = bert.train_model(learn, args.epochs, args.lr)
    return hist, time.perf_counter() - t, learn.best_epoch


def summary(rows: pd.DataFrame, once: dict) -> pd.DataFrame:
    """Per recipe: runs, mean training seconds, the lower layers' seconds (once), seconds per run
    with those shared over the runs, the ratio to full-fp32, and the validation accuracy kept."""
    out = rows.groupby("recipe", sort=False).agg(runs=("seed", "size"), train_s=("seconds", "mean"),
                                                 valid_mean=("valid_kept", "mean"), valid_min=("valid_kept", "min"),
                                                 valid_max=("valid_kept", "max"))
    out["lower_s_once"] = [once.get(r, 0.0) for r in out.index]
    out["s_per_run"] = out["train_s"] + out["lower_s_once"] / out["runs"]
    if "full-fp32" in out.index:
        out["ratio_vs_full_fp32"] = out.loc["full-fp32", "s_per_run"] / out["s_per_run"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help=f"HF id or local folder (default: ${bert.MODEL_ENV} or {bert.DEFAULT_MODEL})")
    ap.add_argument("--recipes", nargs="+", default=["full-fp32", "frozen8-bf16", "frozen6-bf16"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=bert.EPOCHS)
    ap.add_argument("--lr", type=float, default=bert.LR)
    ap.add_argument("--limit", type=int, help="train on this many training reviews (stratified subset; a quick check)")
    args = ap.parse_args(argv)
    os.environ["BOOK_QUIET"] = "1"
    plans = [(r, *parse(r)) for r in args.recipes]

    source = bert.resolve_model(args.model)
    splits = data.load_splits()
    train, valid = data.stratified_subset(splits.train, args.limit), splits.valid
    print(f"model: {source.name}; {args.epochs} epochs, lr {args.lr}, batch {bert.BATCH_SIZE}, seeds {args.seeds}; "
          f"{len(train)} training and {len(valid)} validation reviews; torch threads {torch.get_num_threads()}", flush=True)
    states, once, rows = {}, {}, []
    for recipe, frozen, precision in plans:
        if frozen and frozen not in states:
            states[frozen] = states_for(source, train, valid, frozen)
            print(f"lower {frozen} layers computed once for {len(train) + len(valid)} reviews: "
                  f"{states[frozen][2]:.1f} s", flush=True)
        if frozen:
            once[recipe] = states[frozen][2]
        for seed in args.seeds:
            hist, secs, best = (run_frozen(source, states[frozen], train, valid, seed, frozen, precision, args) if frozen
                                else run_full(source, train, valid, seed, precision, args))
            acc = hist["valid_accuracy"].to_numpy()
            rows.append({"recipe": recipe, "seed": seed, "seconds": round(secs, 1), "best_epoch": best,
                         "valid_kept": float(acc[best - 1]), "valid_by_epoch": " ".join(f"{a:.3f}" for a in acc)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    s = summary(table, once)
    print()
    print(s.round({"train_s": 1, "lower_s_once": 1, "s_per_run": 1, "ratio_vs_full_fp32": 2, "valid_mean": 3,
                   "valid_min": 3, "valid_max": 3}).to_string())
    if "full-fp32" in s.index and s.loc["full-fp32", "runs"] > 1:
        lo, hi = s.loc["full-fp32", "valid_min"], s.loc["full-fp32", "valid_max"]
        ok = s[(s["valid_mean"] >= lo) & (s["valid_mean"] <= hi)].sort_values("s_per_run")
        pick = ok.index[0] if len(ok) else "full-fp32"
        print(f"\nfull-fp32's validation accuracy over {int(s.loc['full-fp32', 'runs'])} seeds: {lo:.3f}–{hi:.3f}; "
              f"the cheapest recipe whose mean lies within it: {pick} "
              f"({s.loc[pick, 's_per_run']:.0f} s per run, {s.loc[pick, 'ratio_vs_full_fp32']:.2f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
