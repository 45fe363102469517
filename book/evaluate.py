"""Scoring every model the same way, and the run record ``artifacts/metrics.json``.

metrics.json layout::

    {"dataset":  {...rows, class counts, sha256, split sizes, test review ids...},
     "models":   {name: {accuracy, precision/recall/f1 per class and macro, ci95,
                         seconds, params..., "test": {"review_id", "y_true", "y_pred", "prob"}}},
     "results":  {key: any other number a chapter reports},
     "chapters": {chapter: {"seconds": ...}},
     "build":    {"seconds": ...},
     "manifest": {python, packages, cpu, gpu, seed, models that ran}}
"""
from __future__ import annotations

import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binom

from .data import ROOT

ARTIFACTS_ENV = "BOOK_ARTIFACTS"
LABELS = (0, 1)
LABEL_NAMES = {0: "负面", 1: "正面"}


def artifacts_dir() -> Path:
    d = Path(os.environ.get(ARTIFACTS_ENV) or ROOT / "artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


def metrics_path() -> Path:
    return artifacts_dir() / "metrics.json"


# ---------------------------------------------------------------- metrics


def confusion(y_true, y_pred) -> np.ndarray:
    """2×2 counts, rows = true label (0, 1), columns = predicted label (0, 1)."""
    t, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    cm = np.zeros((2, 2), dtype=int)
    np.add.at(cm, (t, p), 1)
    return cm


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def scores(y_true, y_pred) -> dict:
    """Accuracy, and precision / recall / F1 for each class and their macro average.

    precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R), each with the class
    in question as "positive"; a ratio whose denominator is 0 counts as 0 (as sklearn's
    zero_division=0).
    """
    cm = confusion(y_true, y_pred)
    out: dict = {"n": int(cm.sum()), "accuracy": _ratio(np.trace(cm), cm.sum())}
    for k in LABELS:
        tp = cm[k, k]
        p = _ratio(tp, cm[:, k].sum())
        r = _ratio(tp, cm[k, :].sum())
        out[f"precision_{k}"], out[f"recall_{k}"] = p, r
        out[f"f1_{k}"] = _ratio(2 * p * r, p + r)
    for m in ("precision", "recall", "f1"):
        out[f"{m}_macro"] = float(np.mean([out[f"{m}_{k}"] for k in LABELS]))
    return out


def report_table(y_true, y_pred) -> pd.DataFrame:
    """A classification report as a DataFrame: one row per class, then the macro average."""
    s = scores(y_true, y_pred)
    cm = confusion(y_true, y_pred)
    rows = {
        LABEL_NAMES[k]: [s[f"precision_{k}"], s[f"recall_{k}"], s[f"f1_{k}"], int(cm[k].sum())]
        for k in LABELS
    }
    rows["宏平均"] = [s["precision_macro"], s["recall_macro"], s["f1_macro"], s["n"]]
    return pd.DataFrame.from_dict(rows, orient="index", columns=["precision", "recall", "f1", "support"])


def bootstrap_ci(y_true, y_pred, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of accuracy: resample the test reviews with replacement."""
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, correct.size, size=(n_boot, correct.size))
    accs = correct[idx].mean(axis=1)
    lo, hi = np.quantile(accs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def mcnemar(y_true, pred_a, pred_b) -> dict:
    """Exact McNemar test of two models on the same reviews.

    b = reviews A gets right and B wrong, c = the reverse; under H0 (equal error rates)
    b ~ Binomial(b + c, 1/2). Two-sided p = min(1, 2 P(X <= min(b, c))).
    """
    t, a, bb = (np.asarray(x) for x in (y_true, pred_a, pred_b))
    ra, rb = a == t, bb == t
    b = int(np.sum(ra & ~rb))
    c = int(np.sum(~ra & rb))
    p = 1.0 if b + c == 0 else float(min(1.0, 2 * binom.cdf(min(b, c), b + c, 0.5)))
    return {"a_only": b, "b_only": c, "p_value": p}


def evaluate(name: str, y_true, y_pred, prob=None, review_ids=None, seconds: float | None = None,
             save: bool = True, **info) -> dict:
    """Score one model on the common test split and (by default) record it in metrics.json.

    ``prob`` is P(positive) per review; ``info`` holds anything else worth keeping
    (family, params, seed, model id, cv score...). Returns the record.
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    entry = {"name": name, "split": "test", **scores(y_true, y_pred)}
    entry["ci95"] = list(bootstrap_ci(y_true, y_pred))
    entry["seconds"] = None if seconds is None else float(seconds)
    entry.update(info)
    entry["test"] = {
        "review_id": [int(i) for i in (review_ids if review_ids is not None else range(len(y_true)))],
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "prob": None if prob is None else [round(float(p), 6) for p in prob],
    }
    if save:
        update_metrics(lambda m: m.setdefault("models", {}).__setitem__(name, entry))
    return entry


def summary_table(entries) -> pd.DataFrame:
    """One row per model record: accuracy, macro P/R/F1, CI and seconds."""
    rows = [{
        "model": e["name"], "accuracy": e["accuracy"], "precision": e["precision_macro"],
        "recall": e["recall_macro"], "f1": e["f1_macro"], "ci_low": e["ci95"][0],
        "ci_high": e["ci95"][1], "seconds": e.get("seconds"),
    } for e in entries]
    return pd.DataFrame(rows).set_index("model")


# ---------------------------------------------------------------- the record


def load_metrics(path: Path | None = None) -> dict:
    path = path or metrics_path()
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def update_metrics(change, path: Path | None = None) -> dict:
    """Read metrics.json, apply ``change(dict)`` in place, write it back atomically."""
    path = path or metrics_path()
    m = load_metrics(path)
    change(m)
    m.setdefault("manifest", {}).update(manifest())
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return m


def record(key: str, value, section: str = "results") -> None:
    """Keep one reported value (a number, a small table as a dict...) under ``section``."""
    update_metrics(lambda m: m.setdefault(section, {}).__setitem__(key, value))


class ChapterTimer:
    """``t = ChapterTimer("02-analysis")`` in a chapter's first cell, ``t.stop()`` in its last."""

    def __init__(self, chapter: str):
        self.chapter, self.t0 = chapter, time.perf_counter()

    def stop(self) -> float:
        secs = round(time.perf_counter() - self.t0, 2)
        record(self.chapter, {"seconds": secs, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, "chapters")
        return secs


_PACKAGES = ("torch", "transformers", "tokenizers", "fastai", "fastcore", "scikit-learn", "hyperopt",
             "jieba", "numpy", "pandas", "scipy", "matplotlib", "seaborn", "jupyter-book", "myst-nb")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def manifest() -> dict:
    """What ran: Python, package versions, CPU/GPU. Seeds and model ids are added by chapters."""
    versions = {}
    for p in _PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    try:
        import torch
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        threads = torch.get_num_threads()
    except ImportError:
        gpu, threads = None, None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": threads,
        "gpu": gpu,
        "packages": versions,
    }
