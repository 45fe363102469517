"""Scoring every model the same way: accuracy and per-class scores, bootstrap intervals,
exact McNemar tests with Holm's correction, per-review predictions and error breakdowns.
:func:`evaluate` scores a model on the test split and keeps its entry in the run record
(:mod:`book.record`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .names import LABEL_NAMES, LABELS
from .record import Record, update_metrics


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
    entry.setdefault("fold", 0)        # the rotation's fold whose test split this is (book.data.fold_splits)
    entry.setdefault("seed", None)     # None: a model without a random seed of its own
    entry["test"] = {
        "review_id": [int(i) for i in ids],
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "prob": None if prob is None else [round(float(p), 6) for p in prob],
    }
    if save:
        update_metrics(lambda m: m.setdefault("models", {}).__setitem__(name, entry))
    return entry


FOLD_NAMES = {"fold": "折", "n": "测试评论", "accuracy": "测试准确率", "ci_low": "区间下限", "ci_high": "区间上限"}


def fold_table(entries) -> pd.DataFrame:
    """One row per run of the rotation (records from :func:`evaluate`), in fold order: fold, test
    reviews, accuracy and its 95 % bootstrap CI. Column names for the page: :data:`FOLD_NAMES`."""
    rows = [{"fold": int(e["fold"]), "n": int(e["n"]), "accuracy": e["accuracy"], "ci_low": e["ci95"][0],
             "ci_high": e["ci95"][1]} for e in entries]
    return pd.DataFrame(rows).sort_values("fold", kind="stable").reset_index(drop=True)


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


# ---------------------------------------------------------------- the rotation: every fold's runs together


def pooled_predictions(record: Record, family: str) -> pd.DataFrame:
    """The test predictions of ``family``'s runs on every fold of the rotation (``Record.fold_runs``),
    one row per review (indexed by review_id, sorted), with the fold and run that predicted it. Each
    review lies in one fold's test split, so each was predicted by a model that never saw it."""
    runs = record.fold_runs(family)
    df = pd.concat([test_predictions(record.model(n)).assign(fold=f, run=n) for f, n in runs.items()]).sort_index()
    if df.index.duplicated().any():
        raise ValueError(f"the {family} runs' test splits overlap: {sorted(set(df.index[df.index.duplicated()]))[:5]}")
    return df


def two_stage_ci(values, folds, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile CI of the mean of per-review ``values`` (1/0 correct, or a paired difference of
    them) that counts both sources of variation: each resample draws the folds (the runs) with
    replacement, then each drawn fold's reviews with replacement."""
    values, folds = np.asarray(values, dtype=float), np.asarray(folds)
    groups = [values[folds == f] for f in np.unique(folds)]
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for b in range(n_boot):
        picked = rng.integers(len(groups), size=len(groups))
        stats[b] = np.mean(np.concatenate([rng.choice(groups[g], size=len(groups[g])) for g in picked]))
    alpha = (1 - level) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))


def pooled_table(record: Record, families: dict) -> pd.DataFrame:
    """Per family (``families``: label → "baseline", "lstm" or "bert"): runs, reviews, the pooled
    accuracy over every fold's test split with its two-stage 95 % CI (:func:`two_stage_ci`), and the
    lowest and highest accuracy of a single fold."""
    rows = {}
    for label, family in families.items():
        p = pooled_predictions(record, family)
        by_fold = p.groupby("fold")["correct"].mean()
        lo, hi = two_stage_ci(p["correct"], p["fold"])
        rows[label] = {"runs": len(by_fold), "n": len(p), "accuracy": float(p["correct"].mean()),
                       "ci_low": lo, "ci_high": hi, "fold_min": float(by_fold.min()), "fold_max": float(by_fold.max())}
    return pd.DataFrame.from_dict(rows, orient="index")


def pooled_tests(record: Record, pairs, families: dict) -> pd.DataFrame:
    """Paired comparisons of families on the same reviews of the rotation: for each (label_a,
    label_b) in ``pairs`` (labels of ``families``), the accuracy difference A − B with its two-stage
    95 % CI (runs and reviews), and the exact McNemar test on the reviews with Holm's correction
    across the pairs. The reviews must be the same for both families."""
    rows = []
    for a, b in pairs:
        pa, pb = pooled_predictions(record, families[a]), pooled_predictions(record, families[b])
        if not pa.index.equals(pb.index):
            raise ValueError(f"{a} and {b} were tested on different reviews")
        diff = pa["correct"].astype(float) - pb["correct"].astype(float)
        lo, hi = two_stage_ci(diff, pa["fold"])
        t = mcnemar(pa["y_true"], pa["y_pred"], pb["y_pred"])
        rows.append({"a": a, "b": b, "n": len(pa), "difference": float(diff.mean()), "ci_low": lo, "ci_high": hi, **t})
    df = pd.DataFrame(rows)
    df["p_holm"] = holm(df["p_value"])
    df["significant"] = df["p_holm"] < 0.05
    return df
