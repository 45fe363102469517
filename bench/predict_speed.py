"""How fast the predictor answers, on the models the build saved (artifacts/), in one run:

  single   `python -m book predict "<the mixed-sentiment review>"` as a fresh process, every
           model (start-up, imports and loading included: what a user waits for)
  batch    book.predict.predict on --n reviews of the dataset, every model, models already
           loaded (and per model), in reviews/s

The issue's targets: single under 2 s, a batch of 1000 under 60 s for all models together.

    .venv/bin/python bench/predict_speed.py            # after `make book`
    .venv/bin/python bench/predict_speed.py --n 200 --repeat 1
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from book import data, predict  # noqa: E402

MIXED = "这家的环境不差，但是菜不怎么好吃。"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="reviews in the batch (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the single-review command (median shown)")
    args = ap.parse_args()

    try:
        loaded = predict.load_models()
    except predict.PredictError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    models = list(loaded)

    single = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "book", "predict", MIXED], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        single.append(time.perf_counter() - t)

    reviews = data.load_reviews()["comment"].tolist()
    texts = (reviews * (args.n // len(reviews) + 1))[:args.n]
    per_model = {}
    for key, model in loaded.items():
        t = time.perf_counter()
        predict.predict(texts, loaded={key: model})
        per_model[key] = time.perf_counter() - t
    t = time.perf_counter()
    predict.predict(texts, loaded=loaded)
    together = time.perf_counter() - t

    print(f"models: {', '.join(models)}")
    print(f"single review, fresh process: {statistics.median(single):.2f} s (median of {args.repeat}; target < 2 s)")
    for key, s in per_model.items():
        print(f"batch of {args.n}, {key:<5}: {s:6.2f} s  ({args.n / s:7.0f} reviews/s)")
    print(f"batch of {args.n}, all models: {together:.2f} s (target < 60 s for 1000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
