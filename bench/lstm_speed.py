"""The original's LSTM training loop against this book's, side by side in one run.

    .venv/bin/python bench/lstm_speed.py [--epochs 4] [--orig-len 200] [--threads N]

Same model (book.lstm.LSTMConfig, same seed, so the same initial weights), same training
reviews, same batch size, optimizer, clipping and number of epochs. Only the loop differs:

- original: every review is cut to its first ``--orig-len`` words and left-padded with 0 to
  exactly that length; random batches; the LSTM runs every step, padding included, and the
  output at the last step is the review's summary (correct because the padding is on the left);
- book:     batches of reviews of similar length (book.lstm.BucketBatchSampler), right-padded
  only to the batch's longest review; each review's summary is read at its own last word
  (book.lstm.LSTMClassifier: identical to packing for one direction, and faster).

Prints, for each epoch, its seconds, the training loss and the test accuracy after it; then
seconds per epoch for both loops as the median over epochs and as the mean, their ratios, and
both test accuracies after the last epoch. No early stopping in either loop: both train for
exactly ``--epochs`` epochs.

Why two averages: the original loop's first epoch is several times slower than its later ones.
Back-propagating through ~170 steps of zero padding makes gradients decay into float32's
subnormal range, which x86 CPUs process an order of magnitude more slowly (with
``torch.set_flush_denormal(True)`` the effect disappears). That is a real cost of the
original's loop, but an artefact of the hardware, so the median (steady state) is the ratio
to quote and the mean shows the full cost as measured.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from book import data, lstm  # noqa: E402
from book.text import tokenize  # noqa: E402


def left_padded(ids: list[list[int]], length: int) -> torch.Tensor:
    """The original's input: first ``length`` ids of each review, zeros on the left."""
    x = torch.zeros((len(ids), length), dtype=torch.long)
    for i, row in enumerate(ids):
        row = row[:length]
        x[i, length - len(row):] = torch.tensor(row, dtype=torch.long)
    return x


def original_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, rng: np.random.Generator):
    """Random batches of the left-padded matrix (lengths unused: None)."""
    perm = rng.permutation(len(y))
    for i in range(0, len(perm), batch_size):
        b = torch.from_numpy(perm[i:i + batch_size])
        yield x[b], None, y[b]


@torch.no_grad()
def original_accuracy(model, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256) -> float:
    model.eval()
    logits = torch.cat([model(x[i:i + batch_size]) for i in range(0, len(y), batch_size)])
    return float(((logits > 0).float() == y).float().mean())


def book_accuracy(model, ds: lstm.ReviewDataset) -> float:
    logits = lstm.predict_logits(model, ds)
    return float(np.mean((logits > 0) == np.asarray(ds.labels)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=4, help="epochs for each loop (default 4, as the original)")
    ap.add_argument("--orig-len", type=int, default=200,
                    help="the original's fixed sequence length (default 200)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.orig_len < 1:
        ap.error("--epochs and --orig-len must be at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)

    cfg = lstm.LSTMConfig(max_len=args.orig_len)  # both loops see the same first words
    splits = data.load_splits()
    train_tokens = [tokenize(t) for t in splits.train["comment"]]
    vocab = lstm.Vocab.build(train_tokens, min_count=cfg.min_count)
    train_ids = [vocab.encode(ws) or [lstm.UNK] for ws in train_tokens]
    test_ids = lstm.encode_texts(splits.test["comment"], vocab, cfg.max_len)
    y_train = torch.tensor(splits.train["sentiment"].to_numpy(), dtype=torch.float32)
    y_test = torch.tensor(splits.test["sentiment"].to_numpy(), dtype=torch.float32)
    n_tokens = sum(min(len(r), cfg.max_len) for r in train_ids)
    print(f"{len(train_ids)} training reviews, {n_tokens} words after cutting at {cfg.max_len} "
          f"(left-padded matrix: {len(train_ids) * args.orig_len} steps); batch size {cfg.batch_size}; "
          f"{args.epochs} epochs; torch threads {torch.get_num_threads()}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)

    results = {}
    for loop in ("original", "book"):
        lstm.seed_everything(args.seed)
        model = lstm.LSTMClassifier(len(vocab), cfg)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        if loop == "original":
            x_train, x_test = left_padded(train_ids, args.orig_len), left_padded(test_ids, args.orig_len)
            rng = np.random.default_rng(args.seed)
        else:
            train_ds = lstm.ReviewDataset([r[:cfg.max_len] for r in train_ids], y_train.tolist())
            loader = lstm.make_loader(train_ds, cfg.batch_size, shuffle=True, seed=args.seed)
        times = []
        for epoch in range(1, args.epochs + 1):
            t0 = time.perf_counter()
            if loop == "original":
                loss, _ = lstm.train_epoch(model, original_batches(x_train, y_train, cfg.batch_size, rng),
                                           opt, cfg.clip, left_padded=True)
            else:
                loss, _ = lstm.train_epoch(model, loader, opt, cfg.clip)
            times.append(time.perf_counter() - t0)
            if loop == "original":
                acc = original_accuracy(model, x_test, y_test)
            else:
                acc = book_accuracy(model, lstm.ReviewDataset(test_ids, y_test.tolist()))
            print(f"  {loop:8s} epoch {epoch}: {times[-1]:6.1f} s  train loss {loss:.3f}  "
                  f"test accuracy {acc:.3f}", flush=True)
        results[loop] = (float(np.median(times)), float(np.mean(times)), acc)

    (t_o, m_o, a_o), (t_b, m_b, a_b) = results["original"], results["book"]
    print(f"original loop (left-padded to {args.orig_len}, random batches): {t_o:6.1f} s/epoch median, "
          f"{m_o:6.1f} mean; test accuracy {a_o:.3f}")
    print(f"book loop (length buckets, right-padded):          {t_b:6.1f} s/epoch median, "
          f"{m_b:6.1f} mean; test accuracy {a_b:.3f}")
    print(f"speed-up per epoch: {t_o / t_b:.1f}x (median), {m_o / m_b:.1f}x (mean); "
          f"test accuracy difference (book - original): {a_b - a_o:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
