"""BERT fine-tuning speed, two comparisons, each side by side in one run.

--compare precision (default): fp32 against bfloat16 autocast (book.device), both on this
project's length-bucketed loader, same pretrained model, reviews, seed(s), batch size, learning
rate and one-cycle schedule (the chapter's recipe unless told otherwise). Prints seconds per
training epoch, samples/s, the speed ratio and the validation accuracy after the last epoch of
both, per seed. bf16 becomes the default (BOOK_PRECISION=auto, book.device.BF16_ADOPTED) where
the hardware computes it natively only if its validation accuracy stays within the seed-to-seed
spread of fp32.

--compare loader: one epoch two ways (both in fp32):
  padded   random batches, every review padded (or truncated) to --max-len tokens
  bucketed this project's loader (book.bert.loader): fastai SortedDL batches of similar
           length, each padded only to its own longest review
and the test accuracy of both (scored on the book's 200 test reviews; not recorded in
metrics.json).

    .venv/bin/python bench/bert_speed.py                                  # fp32 vs bf16, 1600 reviews, 4 epochs, 1 seed
    .venv/bin/python bench/bert_speed.py --limit 200 --epochs 1           # a quick check
    .venv/bin/python bench/bert_speed.py --seeds 3                        # seeds 0, 1, 2
    .venv/bin/python bench/bert_speed.py --compare loader --max-len 128   # padded vs bucketed
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from book import bert, data, device  # noqa: E402


def run_loader(mode: str, source, splits, train, args) -> dict:
    pad_to = args.max_len if mode == "padded" else None
    dls = bert.dataloaders(source.tokenizer, train, splits.valid, bs=args.bs, max_len=args.max_len, pad_to=pad_to)
    learn = bert.learner(source, dls, pooling=args.pooling, seed=args.seed, precision="fp32")
    tokens = sum(int(b[0].numel()) for b in dls.train)  # positions the model computes, padding included
    bert.train_model(learn, 1, args.lr)
    secs = learn.train_seconds[0]
    t = time.perf_counter()
    prob = bert.predict_proba(learn.model, source.tokenizer, splits.test["comment"], max_len=args.max_len)
    acc = float(np.mean((prob >= 0.5).astype(int) == splits.test["sentiment"].to_numpy()))
    return {"loader": mode, "seconds_per_epoch": secs, "samples_per_s": len(train) / secs,
            "tokens_per_epoch": tokens, "valid_accuracy": float(learn.recorder.values[-1][2]),
            "test_accuracy": acc, "test_predict_s": time.perf_counter() - t}


def run_precision(precision: str, seed: int, source, splits, train, args) -> dict:
    dls = bert.dataloaders(source.tokenizer, train, splits.valid, bs=args.bs, max_len=args.max_len)
    learn = bert.learner(source, dls, pooling=args.pooling, seed=seed, precision=precision)
    hist = bert.train_model(learn, args.epochs, args.lr)
    secs = float(np.mean(learn.train_seconds))
    return {"seed": seed, "precision": precision, "seconds_per_epoch": secs,
            "samples_per_s": len(train) / secs, "valid_s_per_epoch": float(np.mean(learn.epoch_seconds)) - secs,
            "valid_accuracy": float(hist["valid_accuracy"].iloc[-1]), "valid_loss": float(hist["valid_loss"].iloc[-1])}


def compare_loader(source, splits, train, args) -> None:
    df = pd.DataFrame([run_loader(m, source, splits, train, args) for m in ("padded", "bucketed")]).set_index("loader")
    print(df.round(3).to_string())
    ratio = df.loc["padded", "seconds_per_epoch"] / df.loc["bucketed", "seconds_per_epoch"]
    tok_ratio = df.loc["padded", "tokens_per_epoch"] / df.loc["bucketed", "tokens_per_epoch"]
    print(f"speed-up of bucketed over padded: {ratio:.2f}x in time, {tok_ratio:.2f}x fewer token positions; "
          f"test accuracy {df.loc['bucketed', 'test_accuracy']:.3f} (bucketed) vs "
          f"{df.loc['padded', 'test_accuracy']:.3f} (padded)")


def compare_precision(source, splits, train, args) -> None:
    rows = []
    for seed in range(args.seed, args.seed + args.seeds):
        for prec in ("fp32", "bf16"):
            rows.append(run_precision(prec, seed, source, splits, train, args))
            print(", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in rows[-1].items()),
                  flush=True)
    df = pd.DataFrame(rows)
    wide = df.pivot(index="seed", columns="precision", values=["seconds_per_epoch", "valid_accuracy"])
    print()
    print(wide.round(3).to_string())
    ratio = (wide["seconds_per_epoch"]["fp32"] / wide["seconds_per_epoch"]["bf16"]).mean()
    acc = df.groupby("precision")["valid_accuracy"].agg(["mean", "min", "max"])
    print(f"speed-up of bf16 over fp32: {ratio:.2f}x per training epoch (mean over {args.seeds} seed(s)); "
          f"valid accuracy fp32 {acc.loc['fp32', 'mean']:.3f} [{acc.loc['fp32', 'min']:.3f}-{acc.loc['fp32', 'max']:.3f}], "
          f"bf16 {acc.loc['bf16', 'mean']:.3f} [{acc.loc['bf16', 'min']:.3f}-{acc.loc['bf16', 'max']:.3f}] "
          f"({len(splits.valid)} validation reviews: one review is {1 / len(splits.valid):.3f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", choices=("precision", "loader"), default="precision")
    ap.add_argument("--model", help=f"HF id or local folder (default: ${bert.MODEL_ENV} or {bert.DEFAULT_MODEL})")
    ap.add_argument("--limit", type=int, help="train on this many training reviews (stratified subset)")
    ap.add_argument("--epochs", type=int, default=bert.EPOCHS, help=f"epochs per run, precision only ({bert.EPOCHS})")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per precision: --seed, --seed+1, ... (1)")
    ap.add_argument("--max-len", type=int, default=bert.MAX_LEN, help=f"tokens per review ({bert.MAX_LEN})")
    ap.add_argument("--bs", type=int, default=bert.BATCH_SIZE)
    ap.add_argument("--lr", type=float, default=bert.LR)
    ap.add_argument("--pooling", default=bert.POOLING, choices=bert.POOLINGS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.seeds < 1:
        ap.error("--epochs and --seeds must be at least 1")
    os.environ["BOOK_QUIET"] = "1"

    source = bert.resolve_model(args.model)
    splits = data.load_splits()
    train = data.stratified_subset(splits.train, args.limit)
    d = device.describe()
    print(f"model: {source.name} ({source.path})")
    print(f"device: {d['device']} ({d['device_name']}); BOOK_PRECISION would give {d['precision']} ({d['why']})")
    print(f"train {len(train)} reviews, valid {len(splits.valid)}, max_len {args.max_len}, batch {args.bs}, "
          f"lr {args.lr}, {args.pooling} pooling, torch threads {torch.get_num_threads()}")
    pd.set_option("display.width", 160)
    if args.compare == "loader":
        compare_loader(source, splits, train, args)
    else:
        print(f"{args.epochs} epoch(s), seeds {list(range(args.seed, args.seed + args.seeds))}")
        compare_precision(source, splits, train, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
