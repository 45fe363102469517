"""How fast the predictor answers: book.predict (ONNX for the LSTM and the transformer, numpy for
TF-IDF: no torch, no scikit-learn) against the old path (book.baselines / book.lstm / book.bert
``load_predictor``: the pickled sklearn pipeline and the torch models, what the predictor used
before), side by side in one run, on the models the build saved (artifacts/):

  cold     one review as a fresh process, per model and all three: ``python -m book predict``
           against a script that loads the torch predictors (start-up, imports, loading included:
           what a user waits for); median of --repeat runs
  file     --n reviews as a fresh process, all models (``--file F --summary`` against the torch script)
  batch    --n reviews of the dataset with the models already loaded, per model and all together
  int8     the same --n reviews, all models, with the transformer's fp32 graph and its int8 graph
           (book.export.quantize_bert), cold (``--precision``) and loaded

Targets: one review under 2 s, 1000 reviews under 10 s (all three models). The last line is the
transformer's floor: the FLOPs of its fp32 matrix products on these reviews over this CPU's
measured matmul rate, the time no fp32 runtime can beat here.

    .venv/bin/python bench/predict_speed.py                   # after `make book`
    .venv/bin/python bench/predict_speed.py --export          # artifacts without model.onnx / tfidf.json: exports into a temp copy
    .venv/bin/python bench/predict_speed.py --n 200 --repeat 1
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from book import predict  # noqa: E402

MIXED = "这家的环境不差，但是菜不怎么好吃。"
# The torch path as a fresh process: what `python -m book predict` did before book.export.
TORCH_SCRIPT = """
import sys
from pathlib import Path
import importlib
root, models, src = Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
texts = [l for l in Path(src).read_text(encoding="utf-8").splitlines() if l.strip()] if src.endswith(".txt") else [src]
where = {"tfidf": ("book.baselines", "tfidf.joblib"), "lstm": ("book.lstm", "lstm"), "bert": ("book.bert", "bert")}
for m in models:
    mod, f = where[m]
    p = importlib.import_module(mod).load_predictor(root / f).predict_proba(texts)
    print(m, len(p), float(p[0]))
"""


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def median_run(cmd: list[str], repeat: int) -> float:
    return statistics.median(run(cmd) for _ in range(repeat))


def onnx_cmd(root: Path, models: list[str], *args: str) -> list[str]:
    return [sys.executable, "-m", "book", "predict", "--artifacts", str(root),
            *[a for m in models for a in ("--model", m)], *args]


def torch_cmd(root: Path, models: list[str], src: str) -> list[str]:
    return [sys.executable, "-c", TORCH_SCRIPT, str(root), ",".join(models), src]


def prepared(root: Path, export: bool) -> Path:
    """``root`` if its LSTM and BERT have model.onnx and its TF-IDF model tfidf.json; with
    ``export``, a temp copy where book.export writes them (artifacts/ itself is never written)."""
    missing = [k for k in ("lstm", "bert") if (root / k).is_dir() and not (root / k / predict.ONNX_FILE).is_file()]
    if (root / "tfidf.joblib").is_file() and not (root / "tfidf.json").is_file():
        missing.append("tfidf")
    if not missing:
        return root
    if not export:
        raise SystemExit(f"error: no exported form of {', '.join(missing)} in {root}: "
                         "rerun with --export (exports into a temporary copy) or rebuild")
    from book import export as E

    tmp = Path(tempfile.mkdtemp(prefix="predict_speed_"))
    for k in predict.MODELS.values():
        if (root / k).is_dir():
            shutil.copytree(root / k, tmp / k)
        elif (root / k).is_file():
            shutil.copy2(root / k, tmp / k)
    for k in missing:
        t = time.perf_counter()
        out = getattr(E, f"export_{k}")(tmp / predict.MODELS[k])
        print(f"exported {k} in {time.perf_counter() - t:.1f} s ({out})")
    return tmp


def transformer_floor(path: Path, model, texts: list[str]) -> tuple[float, float, float]:
    """What fp32 arithmetic alone costs the transformer on ``texts``, batched as the predictor
    batches them: (token positions, GFLOP of its matrix products, seconds at this CPU's measured
    fp32 matmul rate). FLOPs from its config.json: per position and layer 2·(4·H² + 2·H·I) for the
    projections and feed-forward, plus 2·2·H·seq for attention's two products; embeddings, softmax,
    LayerNorm and the head are left out, so the floor is a lower bound."""
    import json

    import numpy as np

    cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
    layers, h, inter = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["intermediate_size"]
    lengths = [len(x) for x in model.encode(texts)]
    positions = squares = 0
    for idx in predict._batches(lengths):
        seq = max(lengths[i] for i in idx)
        positions += len(idx) * seq
        squares += len(idx) * seq * seq
    flops = layers * (positions * 2 * (4 * h * h + 2 * h * inter) + squares * 2 * 2 * h)
    a = np.random.default_rng(0).random((4096, h), dtype=np.float32)
    b = np.random.default_rng(1).random((h, inter), dtype=np.float32)
    a @ b
    t, n = time.perf_counter(), 20
    for _ in range(n):
        a @ b
    rate = 2 * 4096 * h * inter * n / (time.perf_counter() - t)
    return positions, flops / 1e9, flops / rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="reviews in the batch (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each single-review command (median shown)")
    ap.add_argument("--artifacts", help="folder of trained models (default: artifacts/ or $BOOK_ARTIFACTS)")
    ap.add_argument("--export", action="store_true", help="export missing model.onnx / tfidf.json files into a temp copy")
    args = ap.parse_args()

    root = prepared(predict.artifacts_dir(args.artifacts), args.export)
    models = predict.available_models(root)
    if not models:
        print(f"error: no trained models in {root}: {predict.BUILD_HINT}", file=sys.stderr)
        return 2
    from book import data, text

    reviews = data.load_reviews()["comment"].tolist()
    texts = (reviews * (args.n // len(reviews) + 1))[:args.n]
    src = Path(tempfile.mkdtemp(prefix="predict_speed_")) / "reviews.txt"
    src.write_text("\n".join(t.replace("\n", " ") for t in texts), encoding="utf-8")

    rows = []  # (what, onnx seconds, torch seconds)
    for ms in [[m] for m in models] + ([models] if len(models) > 1 else []):
        rows.append((f"cold, 1 review, {'+'.join(ms)}",
                     median_run(onnx_cmd(root, ms, MIXED), args.repeat),
                     median_run(torch_cmd(root, ms, MIXED), args.repeat)))
    rows.append((f"cold, {args.n} reviews (file), {'+'.join(models)}",
                 run(onnx_cmd(root, models, "--file", str(src), "--summary")), run(torch_cmd(root, models, str(src)))))

    from importlib import import_module
    where = {"tfidf": ("book.baselines", "tfidf.joblib"), "lstm": ("book.lstm", "lstm"), "bert": ("book.bert", "bert")}
    fast = predict.load_models(models, root)
    slow = {m: import_module(where[m][0]).load_predictor(root / where[m][1]) for m in models}

    def timed(loaded: dict, ms: list[str]) -> float:
        text._cut.cache_clear()            # jieba's per-chunk and per-review caches: each path
        text._segment_one.cache_clear()    # segments the reviews itself, as a fresh process would
        t = time.perf_counter()
        for m in ms:
            loaded[m].predict_proba(texts)
        return time.perf_counter() - t

    for ms in [[m] for m in models] + ([models] if len(models) > 1 else []):
        rows.append((f"loaded, {args.n} reviews, {'+'.join(ms)}", timed(fast, ms), timed(slow, ms)))

    print(f"models: {', '.join(models)} ({root}); {os.cpu_count()} CPUs; cold = median of {args.repeat}")
    print(f"{'':<42} {'predict':>8} {'old':>8} {'old/predict':>11}")
    for what, a, b in rows:
        print(f"{what:<42} {a:7.2f}s {b:7.2f}s {b / a:10.1f}x")
    print("targets: 1 review (all models, cold) <= 2 s; 1000 reviews (all models) <= 10 s")
    if "bert" in models and (root / "bert" / predict.INT8_FILE).is_file():
        # the transformer's two graphs side by side: all models, the same reviews, in one run
        auto = fast["bert"].precision
        print(f"the transformer's graph (predict's default here: {auto}; `--precision`):")
        print(f"{'':<42} {'fp32':>8} {'int8':>8} {'fp32/int8':>11}")
        cold = [run(onnx_cmd(root, models, "--file", str(src), "--summary", "--precision", prec)) for prec in ("fp32", "int8")]
        loaded = [timed({**fast, "bert": predict.load_models(["bert"], root, prec)["bert"]}, models)
                  for prec in ("fp32", "int8")]
        for what, (a, b) in ((f"cold, {args.n} reviews (file), {'+'.join(models)}", cold),
                             (f"loaded, {args.n} reviews, {'+'.join(models)}", loaded)):
            print(f"{what:<42} {a:7.2f}s {b:7.2f}s {a / b:10.1f}x")
    if "bert" in models:
        positions, gflop, floor = transformer_floor(root / "bert", fast["bert"], texts)
        onnx_s = next(a for what, a, _ in rows if what == f"loaded, {args.n} reviews, bert")
        print(f"transformer floor (fp32): {positions} token positions, {gflop:.0f} GFLOP of matrix products; at this "
              f"CPU's fp32 matmul rate (numpy, {gflop / floor:.0f} GFLOP/s) at least {floor:.1f} s; "
              f"onnxruntime took {onnx_s:.1f} s ({floor / onnx_s:.0%} of that rate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
