"""One epoch of BERT fine-tuning two ways, side by side in one run:

  padded   random batches, every review padded (or truncated) to --max-len tokens
  bucketed this project's loader (book.bert.loader): fastai SortedDL batches of similar
           length, each padded only to its own longest review

Same pretrained model, same reviews, same truncation, seed, batch size, learning rate and
schedule. Prints training seconds per epoch, samples/s, the speed ratio, and the test accuracy
of both (scored on the book's 200 test reviews; not recorded in metrics.json).

    .venv/bin/python bench/bert_speed.py                      # $BOOK_BERT_MODEL, all 1600 training reviews
    .venv/bin/python bench/bert_speed.py --limit 400          # a quick run on a subset
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

from book import bert, data  # noqa: E402


def run(mode: str, source, splits, train, args) -> dict:
    pad_to = args.max_len if mode == "padded" else None
    dls = bert.dataloaders(source.tokenizer, train, splits.valid, bs=args.bs, max_len=args.max_len, pad_to=pad_to)
    learn = bert.learner(source, dls, pooling=args.pooling, seed=args.seed)
    tokens = sum(int(b[0].numel()) for b in dls.train)  # positions the model computes, padding included
    bert.fit(learn, 1, args.lr)
    secs = learn.train_seconds[0]
    t = time.perf_counter()
    prob = bert.predict_proba(learn.model, source.tokenizer, splits.test["comment"], max_len=args.max_len)
    acc = float(np.mean((prob >= 0.5).astype(int) == splits.test["sentiment"].to_numpy()))
    return {"loader": mode, "seconds_per_epoch": secs, "samples_per_s": len(train) / secs,
            "tokens_per_epoch": tokens, "valid_accuracy": float(learn.recorder.values[-1][2]),
            "test_accuracy": acc, "test_predict_s": time.perf_counter() - t}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help=f"HF id or local folder (default: ${bert.MODEL_ENV} or {bert.DEFAULT_MODEL})")
    ap.add_argument("--limit", type=int, help="train on this many training reviews (stratified subset)")
    ap.add_argument("--max-len", type=int, default=128, help="tokens per review, special tokens included (128)")
    ap.add_argument("--bs", type=int, default=bert.BATCH_SIZE)
    ap.add_argument("--lr", type=float, default=bert.LR)
    ap.add_argument("--pooling", default="mean", choices=bert.POOLINGS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.environ["BOOK_QUIET"] = "1"

    source = bert.resolve_model(args.model)
    splits = data.load_splits()
    train = data.stratified_subset(splits.train, args.limit)
    print(f"model: {source.name} ({source.path})")
    print(f"train {len(train)} reviews, test {len(splits.test)}, max_len {args.max_len}, batch {args.bs}, "
          f"lr {args.lr}, {args.pooling} pooling, seed {args.seed}, torch threads {torch.get_num_threads()}")
    rows = [run(mode, source, splits, train, args) for mode in ("padded", "bucketed")]
    df = pd.DataFrame(rows).set_index("loader")
    pd.set_option("display.width", 140)
    print(df.round(3).to_string())
    ratio = df.loc["padded", "seconds_per_epoch"] / df.loc["bucketed", "seconds_per_epoch"]
    tok_ratio = df.loc["padded", "tokens_per_epoch"] / df.loc["bucketed", "tokens_per_epoch"]
    print(f"speed-up of bucketed over padded: {ratio:.2f}x in time, {tok_ratio:.2f}x fewer token positions; "
          f"test accuracy {df.loc['bucketed', 'test_accuracy']:.3f} (bucketed) vs "
          f"{df.loc['padded', 'test_accuracy']:.3f} (padded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
