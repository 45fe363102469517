"""BERT fine-tuning recipes compared on the validation split, side by side in one run.

This is where the BERT chapter's recipe is chosen, so the test split is never scored here.
Every run starts from the same new head (initialised with seed 0); the seed sets the batch
order and dropout. Rows:

  base             the chapter's recipe (book.bert.LR, EPOCHS, POOLING), one row per seed
  label_smoothing  the same with label-smoothed cross-entropy (eps 0.1), for noisy labels
  llrd             layer-wise rates: head 10x the chapter's rate, then x0.7 per group downwards
  ensemble         mean P(positive) of the base runs
  soup             one model whose weights are the mean of the base runs' weights

and seconds per run. Each run costs about 8 minutes on 2 CPU cores (4 epochs, 1600 reviews).

    .venv/bin/python bench/bert_recipes.py                          # all variants, seeds 0 1
    .venv/bin/python bench/bert_recipes.py --variants base --seeds 0 1 2
    .venv/bin/python bench/bert_recipes.py --limit 64 --epochs 1              # a quick check that it runs
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

VARIANTS = ("base", "label_smoothing", "llrd")


def train(variant: str, seed: int, source, train_df, splits, args):
    """One fine-tuning run: the fitted Learner and its seconds."""
    from fastai.losses import LabelSmoothingCrossEntropyFlat
    from fastai.torch_core import set_seed

    dls = bert.dataloaders(source.tokenizer, train_df, splits.valid)
    learn = bert.learner(source, dls, pooling=bert.POOLING, seed=0)   # the same head for every run
    set_seed(seed)
    lr = args.lr
    if variant == "label_smoothing":
        learn.loss_func = LabelSmoothingCrossEntropyFlat(eps=0.1)
    elif variant == "llrd":
        lr = np.array([args.lr * 10 * 0.7 ** k for k in (3, 2, 1, 0)])   # embeddings … head
    t = time.perf_counter()
    bert.train_model(learn, args.epochs, lr)
    return learn, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help=f"HF id or local folder (default: ${bert.MODEL_ENV} or {bert.DEFAULT_MODEL})")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--epochs", type=int, default=bert.EPOCHS)
    ap.add_argument("--lr", type=float, default=bert.LR)
    ap.add_argument("--limit", type=int, help="train on this many training reviews (stratified subset; a quick check)")
    args = ap.parse_args(argv)
    os.environ["BOOK_QUIET"] = "1"

    source = bert.resolve_model(args.model)
    splits = data.load_splits()
    train_df = data.stratified_subset(splits.train, args.limit)
    texts, y = splits.valid["comment"], splits.valid["sentiment"].to_numpy()
    print(f"model: {source.name}; {args.epochs} epochs, lr {args.lr}, seeds {args.seeds}, "
          f"{len(train_df)} training reviews, torch threads {torch.get_num_threads()}; validation accuracy on {len(y)} reviews")
    rows, base_probs, base_weights, model = [], [], [], None
    for variant in args.variants:
        for seed in args.seeds:
            learn, secs = train(variant, seed, source, train_df, splits, args)
            prob = bert.predict_proba(learn.model, source.tokenizer, texts)
            rows.append({"recipe": variant, "seed": seed, "valid_accuracy": float(((prob >= 0.5) == y).mean()),
                         "seconds": round(secs)})
            print(rows[-1], flush=True)
            if variant == "base":
                base_probs.append(prob)
                base_weights.append({k: v.detach().clone() for k, v in learn.model.state_dict().items()})
                model = learn.model
    if len(base_probs) > 1:
        rows.append({"recipe": "ensemble", "seed": "all",
                     "valid_accuracy": float(((np.mean(base_probs, 0) >= 0.5) == y).mean())})
        model.load_state_dict({k: sum(w[k].float() for w in base_weights) / len(base_weights)
                               if v.is_floating_point() else v for k, v in base_weights[0].items()})
        prob = bert.predict_proba(model, source.tokenizer, texts)
        rows.append({"recipe": "soup", "seed": "all", "valid_accuracy": float(((prob >= 0.5) == y).mean())})
    df = pd.DataFrame(rows)
    print(df.to_string(index=False, na_rep=""))
    print(df[df["seed"] != "all"].groupby("recipe", sort=False)["valid_accuracy"].agg(["mean", "min", "max"])
          .round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
