"""Scoring every model the same way, and the run record ``artifacts/metrics.json``.

metrics.json layout::

    {"dataset":  {...rows, class counts, sha256, split sizes, test review ids...},
     "models":   {name: {accuracy, precision/recall/f1 per class and macro, ci95,
                         seconds, params..., "test": {"review_id", "y_true", "y_pred", "prob"}}},
     "results":  {key: any other number a chapter reports},
     "chapters": {chapter: {run_id, run_kind ("build" / "interactive"), source_sha256 of chapters/<chapter>.md,
                            started, seconds, finished}},
     "build":    {"seconds": ..., "run_id": ...},
     "manifest": {python, packages, cpu, gpu, source commit, encoder files' sha256, datasets' URLs
                  and sha256, seeds (from the appendix)}}
"""
from __future__ import annotations

import functools
import json
import os
import platform
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

try:  # POSIX file locks for metrics.json; elsewhere writes are simply not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

from . import device, names
from .data import ROOT
from .names import ARTIFACTS_ENV, LABEL_NAMES, LABELS  # noqa: F401 (re-exported: chapters read them here)


def artifacts_dir() -> Path:
    """Where the build writes (created if missing): :func:`book.names.artifacts_dir`."""
    return names.artifacts_dir(create=True)


def metrics_path() -> Path:
    return artifacts_dir() / "metrics.json"


# ---------------------------------------------------------------- metrics


def _labels(y, what: str) -> np.ndarray:
    """A 1-D array of 0/1 labels, or a ValueError naming ``what`` and the first bad value."""
    a = orig = np.asarray(y)
    if a.ndim != 1:
        raise ValueError(f"{what} must be a 1-D sequence of 0/1 labels, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{what} is empty: nothing to score")
    if a.dtype.kind == "O":  # e.g. a pandas object column of Python ints
        try:
            a = a.astype(float)
        except (TypeError, ValueError):
            pass
    ok = np.isin(a, LABELS) if a.dtype.kind in "biuf" else np.zeros(a.shape, dtype=bool)
    if not ok.all():
        i = int(np.argmin(ok))
        raise ValueError(f"{what}[{i}] is {np.asarray(orig[i]).item()!r}: labels must be 0 (negative) or 1 (positive)")
    return a.astype(int)


def _paired(y_true, *preds) -> list[np.ndarray]:
    """Validated label arrays of equal length: y_true, then each prediction."""
    out = [_labels(y_true, "y_true")]
    for k, p in enumerate(preds):
        what = "y_pred" if len(preds) == 1 else f"prediction {'ab'[k] if len(preds) == 2 else k}"
        arr = _labels(p, what)
        if arr.size != out[0].size:
            raise ValueError(f"y_true has {out[0].size} labels but {what} has {arr.size}")
        out.append(arr)
    return out


def confusion(y_true, y_pred) -> np.ndarray:
    """2×2 counts, rows = true label (0, 1), columns = predicted label (0, 1)."""
    t, p = _paired(y_true, y_pred)
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
    out["balanced_accuracy"] = out["recall_macro"]  # the mean of the two classes' recalls
    return out


def _from_cells(cells: np.ndarray) -> dict:
    """accuracy, macro F1 and balanced accuracy from confusion counts ``cells[..., 4]``
    (order tn, fp, fn, tp), vectorised over the leading axes."""
    tn, fp, fn, tp = (cells[..., i].astype(float) for i in range(4))
    n = tn + fp + fn + tp
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = [np.nan_to_num(2 * a / (2 * a + b + c)) for a, b, c in ((tn, fn, fp), (tp, fp, fn))]
        rec = [np.nan_to_num(tn / (tn + fp)), np.nan_to_num(tp / (tp + fn))]
        return {"accuracy": (tn + tp) / n, "f1_macro": (f1[0] + f1[1]) / 2,
                "balanced_accuracy": (rec[0] + rec[1]) / 2}


def bootstrap_cis(y_true, y_pred, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """Percentile bootstrap CIs of accuracy, macro F1 and balanced accuracy.

    Resampling n reviews with replacement only changes how many fall in each of the four cells
    of the confusion matrix, so each resample is drawn as Multinomial(n, cells / n): the same
    distribution as resampling the reviews, at a cost that does not grow with n.
    Returns {metric: (low, high)}."""
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    cm = confusion(y_true, y_pred).ravel()
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(cm.sum()), cm / cm.sum(), size=int(n_boot))
    q = [(1 - level) / 2, (1 + level) / 2]
    return {k: tuple(float(x) for x in np.quantile(v, q)) for k, v in _from_cells(draws).items()}


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of several p-values (controls the
    family-wise error rate): sort ascending, multiply the i-th smallest (from
    0) by (m - i), carry the running maximum, cap at 1. Returned in the input
    order."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise ValueError("holm needs a non-empty 1-D sequence of p-values")
    if np.any((p < 0) | (p > 1) | np.isnan(p)):
        raise ValueError("p-values must lie in [0, 1]")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (m - np.arange(m))
    adj = np.minimum(1.0, np.maximum.accumulate(scaled))
    out = np.empty(m)
    out[order] = adj
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
    """Percentile bootstrap CI of accuracy: resample the test reviews with replacement
    ``n_boot`` times (seeded, so the same every run) and take the central ``level`` quantiles."""
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    t, p = _paired(y_true, y_pred)
    correct = (t == p).astype(float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, correct.size, size=(n_boot, correct.size))
    accs = correct[idx].mean(axis=1)
    lo, hi = np.quantile(accs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def paired_gain(y_true, base_preds, new_pred, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """Accuracy of ``new_pred`` minus that of the base model on the same reviews, with a paired
    percentile bootstrap CI (each resample draws reviews, both models' answers together).
    ``base_preds``: one prediction list per run of the base model (e.g. per seed); its per-review
    correctness is averaged over the runs. ``new_pred``: one prediction list, or one per run of
    the new model (averaged the same way). Returns {"diff", "ci95": (low, high), "n"}."""
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    base_preds = list(base_preds)
    new_runs = [new_pred] if np.ndim(new_pred) == 1 else list(new_pred)
    if not base_preds or not new_runs:
        raise ValueError("paired_gain needs at least one base and one new prediction list")
    t, *runs = _paired(y_true, *new_runs, *base_preds)
    new, base = runs[:len(new_runs)], runs[len(new_runs):]
    gain = np.mean([(r == t) for r in new], axis=0) - np.mean([(b == t) for b in base], axis=0)
    rng = np.random.default_rng(seed)
    boots = gain[rng.integers(0, gain.size, size=(int(n_boot), gain.size))].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return {"diff": float(gain.mean()), "ci95": (float(lo), float(hi)), "n": int(gain.size)}


def mcnemar(y_true, pred_a, pred_b) -> dict:
    """Exact McNemar test of two models on the same reviews.

    b = reviews A gets right and B wrong, c = the reverse; under H0 (equal error rates)
    b ~ Binomial(b + c, 1/2). Two-sided p = min(1, 2 P(X <= min(b, c))).
    """
    t, a, bb = _paired(y_true, pred_a, pred_b)
    ra, rb = a == t, bb == t
    b = int(np.sum(ra & ~rb))
    c = int(np.sum(~ra & rb))
    from scipy.stats import binom  # imported here: scipy.stats costs ~1 s, the predictor never needs it

    p = 1.0 if b + c == 0 else float(min(1.0, 2 * binom.cdf(min(b, c), b + c, 0.5)))
    return {"a_only": b, "b_only": c, "p_value": p}


def evaluate(name: str, y_true, y_pred, prob=None, review_ids=None, seconds: float | None = None,
             save: bool = True, **info) -> dict:
    """Score one model on the common test split and (by default) record it in metrics.json.

    ``prob`` is P(positive) per review; ``info`` holds anything else worth keeping
    (family, params, seed, model id, cv score...). Returns the record.
    """
    y_true, y_pred = _paired(y_true, y_pred)
    n = y_true.size
    ids = np.arange(n) if review_ids is None else np.asarray(review_ids)
    if ids.shape != (n,):
        raise ValueError(f"{name}: review_ids has {ids.size} entries for {n} predictions")
    if prob is not None:
        prob = np.asarray(prob, dtype=float)
        if prob.shape != (n,):
            raise ValueError(f"{name}: prob must hold one P(positive) per review ({n}), got shape {prob.shape}")
        if not np.all((prob >= 0) & (prob <= 1)):
            raise ValueError(f"{name}: prob must be probabilities in [0, 1] (found {prob[~((prob >= 0) & (prob <= 1))][0].item()!r})")
    entry = {"name": name, "split": "test", **scores(y_true, y_pred)}
    entry["ci95"] = list(bootstrap_ci(y_true, y_pred))
    entry["seconds"] = None if seconds is None else float(seconds)
    clash = sorted(set(info) & (set(entry) | {"test"}))
    if clash:
        raise ValueError(f"{name}: {', '.join(clash)} would overwrite a computed score; pass it under another name")
    entry.update(info)
    entry["test"] = {
        "review_id": [int(i) for i in ids],
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "prob": None if prob is None else [round(float(p), 6) for p in prob],
    }
    if save:
        update_metrics(lambda m: m.setdefault("models", {}).__setitem__(name, entry))
    return entry


def summary_table(entries, extra=()) -> pd.DataFrame:
    """One row per model record: accuracy, macro P/R/F1, CI and seconds.

    ``entries``: records from :func:`evaluate` (a list, or metrics.json's ``models`` dict);
    ``extra``: further record keys to add as columns (e.g. ``("cv_score",)``): NaN for a model
    whose family does not have it (an LSTM has no CV score), but a key that no record holds is a
    misspelt key and raises (a silent all-NaN column once hid the wrong model being chosen).
    """
    entries = list(entries.values()) if isinstance(entries, dict) else list(entries)
    if not entries:
        raise ValueError("summary_table needs at least one model record")
    unknown = [k for k in extra if not any(k in e for e in entries)]
    if unknown:
        raise KeyError(f"no model record has {', '.join(map(repr, unknown))} "
                       f"(keys it could be: {', '.join(sorted(set().union(*entries) - {'test'}))})")
    rows = [{
        "model": e["name"], "accuracy": e["accuracy"], "precision": e["precision_macro"],
        "recall": e["recall_macro"], "f1": e["f1_macro"], "ci_low": e["ci95"][0],
        "ci_high": e["ci95"][1], "seconds": e["seconds"],
        **{k: e[k] if k in e else np.nan for k in extra},
    } for e in entries]
    return pd.DataFrame(rows).set_index("model")


def test_predictions(entry: dict) -> pd.DataFrame:
    """A model record's per-review test predictions, indexed by review_id."""
    t = entry["test"]
    df = pd.DataFrame({"y_true": t["y_true"], "y_pred": t["y_pred"],
                       "prob": t["prob"] if t["prob"] is not None else np.nan},
                      index=pd.Index(t["review_id"], name="review_id"))
    df["correct"] = df["y_true"] == df["y_pred"]
    return df


TRAIT_GROUPS = ("all", "negation", "no_negation", "contrast", "no_contrast", "short", "medium", "long")


def error_breakdown(entries: dict, traits: pd.DataFrame) -> pd.DataFrame:
    """Error rate of each model within groups of the test reviews.

    ``entries``: key → model record; ``traits``: from :func:`book.text.review_traits`, indexed by
    review_id, with boolean columns negation/contrast and a length class (three ordered categories,
    short to long). Rows (English keys, see TRAIT_GROUPS; ``display.TRAIT_NAMES`` has the Chinese):
    all, negation, no_negation, contrast, no_contrast, short, medium, long; columns: n, then one per model.
    """
    lengths = list(traits["length"].cat.categories)
    if len(lengths) != 3:
        raise ValueError(f"expected three length classes (short, medium, long), got {lengths}")
    groups = {"all": pd.Series(True, index=traits.index),
              "negation": traits["negation"], "no_negation": ~traits["negation"],
              "contrast": traits["contrast"], "no_contrast": ~traits["contrast"]}
    for key, label in zip(("short", "medium", "long"), lengths):
        groups[key] = traits["length"] == label
    wrong = {name: ~test_predictions(e)["correct"].reindex(traits.index) for name, e in entries.items()}
    rows = {g: {"n": int(mask.sum()), **{name: float(w[mask].mean()) if mask.any() else np.nan
                                         for name, w in wrong.items()}}
            for g, mask in groups.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def paired_tests(record: Record, pairs) -> pd.DataFrame:
    """Exact McNemar tests of model pairs on the common test reviews, with Holm's correction
    across all the pairs given (the family of tests a page reports).

    ``pairs``: (name_a, name_b) record names. One row per pair: a, b, accuracy_a, accuracy_b,
    a_only (A right, B wrong), b_only, p_value, p_holm, significant (p_holm < 0.05)."""
    rows = []
    for a, b in pairs:
        ea, eb = record.model(a), record.model(b)
        if ea["test"]["review_id"] != eb["test"]["review_id"]:
            raise ValueError(f"{a} and {b} were scored on different reviews")
        t = mcnemar(ea["test"]["y_true"], ea["test"]["y_pred"], eb["test"]["y_pred"])
        rows.append({"a": a, "b": b, "accuracy_a": ea["accuracy"], "accuracy_b": eb["accuracy"], **t})
    df = pd.DataFrame(rows)
    df["p_holm"] = holm(df["p_value"])
    df["significant"] = df["p_holm"] < 0.05
    return df


# ---------------------------------------------------------------- the record


def load_metrics(path: Path | None = None) -> dict:
    path = Path(path) if path else metrics_path()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}); "
                         "delete it and rebuild with `make book`") from None


def _json_default(v):
    """numpy scalars and arrays, tuples of them: what models' parameters often hold."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"cannot store a {type(v).__name__} in metrics.json: {v!r}")


def update_metrics(change, path: Path | None = None) -> dict:
    """Read metrics.json, apply ``change(dict)`` in place, write it back atomically.

    A lock file next to it serialises concurrent writers (two processes scoring models at
    once would otherwise each write back a copy without the other's model)."""
    path = Path(path) if path else metrics_path()
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        m = load_metrics(path)
        change(m)
        m.setdefault("manifest", {}).update(manifest())
        data = json.dumps(m, ensure_ascii=False, indent=1, default=_json_default)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(data, encoding="utf-8")
        tmp.replace(path)
    return m


def record(key: str, value, section: str = "results") -> None:
    """Keep one reported value (a number, a small table as a dict...) under ``section``."""
    update_metrics(lambda m: m.setdefault(section, {}).__setitem__(key, value))


# ---------------------------------------------------------------- reading the record

# Which chapter writes each part of the record: a missing part names the chapter to run.
WRITERS = {
    "dataset": "chapters/02_analysis.md",
    "results.log_ratio_top_words": "chapters/02_analysis.md",
    "results.baselines": "chapters/03a_baselines.md",
    "results.lstm_saved_seed": "chapters/03b_lstm.md",
    "results.lstm_tsne": "chapters/03b_lstm.md",
    "results.original_lstm": "chapters/03b_lstm.md",
    "results.word2vec": "chapters/03b_lstm.md",
    "results.bert": "chapters/03c_bert.md",
    "results.layer_probe": "chapters/03c_bert.md",
    "results.fangbian": "chapters/03c_bert.md",
    "results.contrast": "chapters/04b_generalization.md",
    "results.bert_int8": "chapters/03c_bert.md",
    "results.generalization": "chapters/04b_generalization.md",
    "results.learning_curve": "chapters/04b_generalization.md",
    "results": "chapters/04_results.md",
    "manifest": "chapters/02_analysis.md",
    "chapters": "chapters/01_definition.md",
}
MODEL_WRITERS = (("lstm_seed", "chapters/03b_lstm.md"), ("bilstm_seed", "chapters/03b_lstm.md"),
                 ("origlstm_seed", "chapters/03b_lstm.md"),
                 ("bert", "chapters/03c_bert.md"), ("snownlp", "chapters/04b_generalization.md"),
                 ("", "chapters/03a_baselines.md"))

# Which chapters each chapter reads (through the record or the models in artifacts/), in the
# book's order (_toc.yml): declared once, here. A chapter can only read chapters whose file names
# sort before its own: the build executes the pages in file-name order, not in the book's order. `make book` (tools/book_key.py) re-executes a chapter when one it reads
# re-executes; a chapter's first cell stops with one sentence when a part of the record it needs
# is missing (``writer_of`` above names the chapter that writes it).
READS = {
    "01_definition": (),
    "02_analysis": (),
    "03_methods": (),
    "03a_baselines": (),
    "03b_lstm": (),
    "03c_bert": ("03a_baselines", "03b_lstm"),          # the other saved models, beside the transformer
    "04_results": ("03a_baselines", "03b_lstm", "03c_bert"),
    "04b_generalization": ("03a_baselines", "03b_lstm", "03c_bert"),
    # the dataset, every model and test, and the seconds of every chapter before it
    "05_conclusion": ("01_definition", "02_analysis", "03_methods", "03a_baselines", "03b_lstm", "03c_bert",
                      "04_results", "04b_generalization"),
    "07_tryit": ("03a_baselines", "03b_lstm", "03c_bert"),   # the three saved models, exported for the browser
    # the whole record of the chapters executed before it (not 07_tryit: see below)
    "06_appendix_run": ("01_definition", "02_analysis", "03_methods", "03a_baselines", "03b_lstm", "03c_bert",
                        "04_results", "04b_generalization", "05_conclusion"),
}


class RecordError(LookupError):
    """Something the run record should hold is missing: the one sentence names the chapter to run."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: in Jupyter the error is one line."""
        return [f"{type(self).__name__}: {self}"]


def writer_of(key: str) -> str:
    """The chapter that writes ``key`` ("results.baselines", "models.lstm_seed0", ...)."""
    if key.startswith("models."):
        name = key.split(".", 1)[1]
        return next(ch for prefix, ch in MODEL_WRITERS if name.startswith(prefix))
    if key.startswith("chapters.") and key.split(".")[1] in READS:
        return f"chapters/{key.split('.')[1]}.md"
    best = max((k for k in WRITERS if key == k or key.startswith(k + ".")), key=len, default=None)
    return WRITERS[best] if best else "the chapters before this one"


class Record:
    """The run record, read without defaults: every lookup either finds its key or raises
    :class:`RecordError` saying which chapter writes it. ``Record.load()`` reads metrics.json.

        rec = Record.load()
        rec.best_baseline()          # 'tfidf_char_linearsvc' (chosen by CV in chapter 3.1)
        rec.saved_model("lstm")      # 'lstm_seed2' (the LSTM the predictor uses)
    """

    def __init__(self, data: dict, source: str = "metrics.json"):
        self.data, self.source = data, source

    @classmethod
    def load(cls, path: Path | None = None) -> Record:
        path = Path(path) if path else metrics_path()
        return cls(load_metrics(path), path.name)

    def get(self, key: str):
        """The value at a dotted key ("results.baselines.best_by_cv"); RecordError if absent."""
        node = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise RecordError(f"{self.source} has no {key!r}: run {writer_of(key)} first (or `make book`)")
            node = node[part]
        return node

    def model(self, name: str) -> dict:
        models = self.data.get("models") if isinstance(self.data.get("models"), dict) else {}
        if name not in models:
            raise RecordError(f"{self.source} has no model {name!r}: run {writer_of('models.' + name)} first "
                              "(or `make book`)")
        return models[name]

    def models(self, family: str | None = None) -> dict:
        """name → record of every scored model (of one ``family``: baseline, lstm, bert, ...)."""
        models = self.get("models")
        return {n: m for n, m in models.items() if family is None or m["family"] == family}

    def seed_names(self, prefix: str) -> list[str]:
        """The models trained once per seed under ``prefix`` ("lstm", "bilstm"), in seed order."""
        names = sorted((n for n in self.get("models") if re.fullmatch(rf"{prefix}_seed\d+", n)),
                       key=lambda n: int(n.rsplit("seed", 1)[1]))
        if not names:
            raise RecordError(f"{self.source} has no {prefix}_seed* models: run "
                              f"{writer_of('models.' + prefix + '_seed0')} first (or `make book`)")
        return names

    def seed_summary(self, prefix: str) -> dict:
        """Test accuracy over the seeds of ``prefix``: names, accuracies, mean, sd (ddof 1), min, max."""
        names = self.seed_names(prefix)
        acc = np.array([self.model(n)["accuracy"] for n in names])
        return {"names": names, "accuracies": acc.tolist(), "n": len(names), "mean": float(acc.mean()),
                "sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                "min": float(acc.min()), "max": float(acc.max())}

    def best_baseline(self) -> str:
        """The baseline chapter 3.1 chose by cross-validation (and saved for the predictor)."""
        name = self.get("results.baselines.best_by_cv")
        self.model(name)
        return name

    def saved_model(self, family: str) -> str:
        """The record name of the model the predictor uses for ``family`` (tfidf, lstm, bert)."""
        if family == "tfidf":
            return self.best_baseline()
        if family == "lstm":
            name = f"lstm_seed{self.get('results.lstm_saved_seed')}"
        elif family == "bert":
            name = self.get("results.bert.saved_model")
        else:
            raise ValueError(f"unknown family {family!r}: choose from tfidf, lstm, bert")
        self.model(name)
        return name

    def representatives(self) -> dict:
        """role → model name for the comparisons of chapters 4 and 5: the original-style baseline,
        the best baseline (by CV), the saved LSTM, the saved transformer."""
        self.model("tfidf_original_style")
        return {"original_style": "tfidf_original_style", "best_baseline": self.best_baseline(),
                "lstm": self.saved_model("lstm"), "transformer": self.saved_model("bert")}

    def encoder(self, short: bool = True) -> str:
        """The display name of the pretrained encoder that ran (from its record, never a path)."""
        from .display import encoder_name, read_provenance

        m = self.model(self.saved_model("bert"))
        return encoder_name(m["model_id"], m["encoder_config"], short=short, provenance=read_provenance(m["model_path"]))


RUN_ENV = "BOOK_RUN_ID"        # set by `make book` for the whole build; unset in Jupyter and tools/run_chapter.py
RUN_GLUE = "book_run_id"      # the glue key under which a chapter's first cell leaves its run id in its outputs


def run_id() -> tuple[str, str]:
    """(the id of this run, its kind): $BOOK_RUN_ID and "build" inside `make book`; elsewhere
    (Jupyter, tools/run_chapter.py) ``interactive-<UTC time>`` and "interactive"."""
    rid = os.environ.get(RUN_ENV, "").strip()
    if rid and not rid.startswith("interactive-"):
        return rid, "build"
    return rid or time.strftime("interactive-%Y%m%dT%H%M%SZ", time.gmtime()), "interactive"


def chapter_source(chapter: str) -> Path:
    """The chapter's source ``<chapter>.md``: next to the running notebook (the build and Jupyter
    run a chapter in its own folder), else in this repository's ``chapters/``."""
    for path in (Path.cwd() / f"{chapter}.md", ROOT / "chapters" / f"{chapter}.md"):
        if path.is_file():
            return path
    raise ValueError(f"ChapterTimer({chapter!r}): there is no chapters/{chapter}.md "
                     "(the name is the chapter's file name without .md)")


def _sha256_file(path: Path) -> str:
    from .data import sha256_of  # imported here: book.data imports pandas, which the predictor never needs

    return sha256_of(path)


class ChapterTimer:
    """``t = ChapterTimer("02_analysis")`` in a chapter's first cell, ``t.stop()`` in its last.

    Starting replaces the chapter's entry in the record's ``chapters`` section with who is
    writing it now: the sha256 of the chapter's source, the run id and kind (:func:`run_id`), the
    start time; ``stop`` adds the seconds and the finish time. So an entry without seconds is a run
    that did not finish. In a notebook kernel it also glues the run id (key :data:`RUN_GLUE`, not
    shown), so the page's outputs say which run made them and `make book` can tell when the record
    comes from another run (tools/book_key.py)."""

    def __init__(self, chapter: str):
        rid, kind = run_id()
        self.chapter = chapter
        self.run = {"run_id": rid, "run_kind": kind, "source_sha256": _sha256_file(chapter_source(chapter)),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        record(chapter, dict(self.run), "chapters")
        _glue_run(rid)
        self.t0 = time.perf_counter()

    def stop(self) -> float:
        secs = round(time.perf_counter() - self.t0, 2)
        record(self.chapter, {**self.run, "seconds": secs, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
               "chapters")
        return secs


def _glue_run(rid: str) -> None:
    """Glue the run id into the running notebook's outputs (nothing outside a kernel)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
        return
    from myst_nb import glue

    glue(RUN_GLUE, rid, display=False)


_PACKAGES = ("torch", "transformers", "tokenizers", "fastai", "fastcore", "scikit-learn", "hyperopt",
             "jieba", "snownlp", "numpy", "pandas", "scipy", "matplotlib", "seaborn", "onnxruntime",
             "jupyter-book", "myst-nb", "jupyter-cache", "jupytext")


@functools.cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, once per process for the same (path, size, mtime): the encoder's weights
    are hashed once, not on every write of the record."""
    return _sha256_file(Path(path))


def encoder_files(model: str | None = None) -> dict:
    """The encoder this run fine-tunes (``model``, else $BOOK_BERT_MODEL, else book.bert's
    default): ``{"model": ..., "files": {name: {"bytes", "sha256"}}}``, the files only for a local
    folder (a Hugging Face id is fetched by transformers, which checks its own files)."""
    if model is None:
        model = os.environ.get("BOOK_BERT_MODEL") or None
    if model is None:
        model = names.DEFAULT_ENCODER
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return {"model": model, "files": None}
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        st = path.stat()
        files[path.relative_to(folder).as_posix()] = {
            "bytes": st.st_size, "sha256": _file_digest(str(path.resolve()), st.st_size, st.st_mtime_ns)}
    return {"model": str(folder.resolve()), "files": files}


@functools.cache
def source_state(root: Path = ROOT) -> dict:
    """The source this run executes: git's commit and whether the tree differs from it
    (``dirty``: tracked changes or untracked files, as ``git status --porcelain`` lists them).
    None for both outside a git checkout. Once per process."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def manifest() -> dict:
    """What ran: Python, package versions, CPU/GPU, the source commit, the encoder's files and the
    datasets' addresses and checksums. Seeds and model ids are added by chapters."""
    from .data import DATASETS

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
        "compute": device.describe(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": device.cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": threads,
        "gpu": gpu,
        "packages": versions,
        "source": source_state(),
        "encoder": encoder_files(),
        "datasets": {name: {"url": s.url, "sha256": s.sha256, "member": s.member, "member_sha256": s.member_sha256}
                     for name, s in DATASETS.items()},
    }
