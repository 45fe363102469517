"""Do the models hold up beyond the 200 test reviews? (chapter 5)

Models trained on dianping restaurant reviews are scored, unchanged, on two other domains:
all of waimai_10k (food delivery) and a stratified sample of online_shopping_10_cats (ten
product categories). These sets are test sets only: nothing is trained, tuned or selected on
them. The functions here are plain and tested; the chapter only calls them:

- :func:`sample_size`, :func:`stratified_sample`: how many shopping reviews, and which;
- :func:`load_predictor`, :func:`predict_all`: every saved model's P(positive) per review;
- :func:`score`, :func:`score_table`, :func:`paired_tests`: metrics with bootstrap CIs,
  McNemar with Holm's correction;
- :func:`oov_share`, :func:`polarity_shift`, :func:`hard_examples`: why transfer fails;
- :func:`nested_subsets` and ``curve_*``: learning curves on the dianping training split;
- :class:`SnowNLPPredictor`: an off-the-shelf peer model;
- :func:`domain_plot`, :func:`curve_plot`: the chapter's figures.

The sentences that depend on these numbers (``*_verdict``) are in :mod:`book.verdicts`, with the
book's other sentence builders.
"""
from __future__ import annotations

import itertools
import math
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import metrics, record
from .names import BASELINES_DIR, CJK_RANGES
from .text import CLAUSE_BREAKS, CLAUSE_OPENING_ONLY, CONTRAST_SPLIT_WORDS, log_ratio, tokenize, word_counts
from .verdicts import ALPHA

METRICS = ("accuracy", "f1_macro", "balanced_accuracy")
MIN_COUNT = 5             # a word scored by log-ratio in a domain appears at least this often
PER_CELL = 120            # shopping reviews per category × label (fewer where a cell has fewer)
CURVE_SIZES = (100, 200, 400, 800, 1600)
LSTM_RUNS_DIR = "lstm_runs"
STATUS_NAMES = {"flipped": "方向相反", "weaker": "明显变弱", "absent": "几乎不出现", "kept": "保持"}


class MissingModel(FileNotFoundError):
    """A model the chapter scores was not saved by the chapter that trains it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------- the sample


def sample_size(p: float, halfwidth: float = 0.02, z: float = 1.96) -> int:
    """Reviews needed for a ±``halfwidth`` normal-approximation CI of a proportion near ``p``:
    n = z² p(1 − p) / halfwidth², rounded up."""
    if not 0 < p < 1 or halfwidth <= 0:
        raise ValueError(f"need 0 < p < 1 and halfwidth > 0, got p={p}, halfwidth={halfwidth}")
    return math.ceil(z * z * p * (1 - p) / halfwidth ** 2 - 1e-9)


def halfwidth(p: float, n: int, z: float = 1.96) -> float:
    """Half-width of the normal-approximation CI of a proportion ``p`` measured on ``n`` items."""
    return z * math.sqrt(p * (1 - p) / n)


def stratified_sample(df: pd.DataFrame, per_cell: int = PER_CELL, by=("cat", "sentiment"),
                      seed: int = 0) -> pd.DataFrame:
    """``per_cell`` rows of every group of ``by`` (all of a group that has fewer), seeded,
    in review_id order."""
    parts = [g.sample(n=min(per_cell, len(g)), random_state=seed) for _, g in df.groupby(list(by), sort=True)]
    return pd.concat(parts).sort_index()


# ---------------------------------------------------------------- the models


def model_path(rec: record.Record, name: str) -> Path:
    """Where the build saved model ``name``: artifacts/baselines/{name}.joblib,
    artifacts/lstm_runs/{name}/, artifacts/bert_runs/{name}/; the predictor's own copies (tfidf.joblib,
    lstm/) serve for the model they hold. MissingModel names the chapter that saves it."""
    art = record.artifacts_dir()
    family = rec.model(name)["family"]
    if family == "baseline":
        path = art / BASELINES_DIR / f"{name}.joblib"
        if path.is_file():
            return path
        if name == rec.saved_model("tfidf") and (art / "tfidf.joblib").is_file():
            return art / "tfidf.joblib"
        raise MissingModel(f"no saved model for {name}: {path} is missing; run chapters/03a_baselines.md "
                           "(chapter 3.1), which saves every baseline")
    if family == "lstm":
        path = art / LSTM_RUNS_DIR / name
        if (path / "model.pt").is_file():
            return path
        if name == rec.saved_model("lstm") and (art / "lstm" / "model.pt").is_file():
            return art / "lstm"
        raise MissingModel(f"no saved model for {name}: {path} is missing; run chapters/03b_lstm.md "
                           "(chapter 3.2), which saves every LSTM and BiLSTM seed")
    if family == "bert":
        from .bert import META_FILE, RUNS_DIR

        path = art / RUNS_DIR / name
        if (path / META_FILE).is_file():
            return path
        raise MissingModel(f"no saved model for {name}: {path} is missing; run chapters/03c_bert.md "
                           "(chapter 3.3), which saves every seed")
    raise ValueError(f"{name}: no saved model for family {family!r}")


def load_predictor(rec: record.Record, name: str, cache=None):
    """The saved model ``name`` as an object with ``predict_proba(list[str])``. A transformer run
    trained with frozen lower layers predicts from ``cache`` (a book.bert.StateCache with the same
    frozen layers, shared by every run) when one is given: the same probabilities, computed once
    for the lower layers."""
    path = model_path(rec, name)
    family = rec.model(name)["family"]
    if family == "bert" and cache is not None and rec.model(name).get("frozen") == cache.frozen:
        from .bert import FrozenPredictor
        return FrozenPredictor(path, cache)
    if family == "baseline":
        from .baselines import load_predictor as load
    elif family == "lstm":
        from .lstm import load_predictor as load
    else:
        from .bert import load_predictor as load
    return load(path)


class SnowNLPPredictor:
    """SnowNLP's bundled sentiment model (naive Bayes trained on shopping reviews), untouched:
    ``predict_proba(texts)`` is ``SnowNLP(text).sentiments`` = P(positive)."""

    name = "snownlp"

    def __init__(self):
        from snownlp import SnowNLP
        self._snow = SnowNLP

    def predict_proba(self, texts) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of reviews, not one string")
        return np.array([float(self._snow(t).sentiments) for t in texts], dtype=float)


def families(rec: record.Record) -> tuple[list[str], dict, dict]:
    """Which saved models chapter 5 scores (the best baseline, naive Bayes and every seed of the
    LSTM, the bidirectional LSTM and the transformer), the representative of each family (SnowNLP
    included), and the families compared: every seed of a seeded family, never one seed for the family."""
    best = rec.best_baseline()
    names = list(dict.fromkeys([best, "nb_hyperopt", *rec.seed_names("lstm"), *rec.seed_names("bilstm"),
                                *rec.seed_names("bert")]))
    reps = {"best_baseline": best, "lstm": rec.saved_model("lstm"), "transformer": rec.saved_model("bert"),
            "snownlp": "snownlp"}
    fams = {"best_baseline": [best], "lstm": rec.seed_names("lstm"), "transformer": rec.seed_names("bert"),
            "snownlp": ["snownlp"]}
    return names, reps, fams


def score_snownlp(predictor, test: pd.DataFrame) -> dict:
    """SnowNLP on the dianping test split, scored and recorded like every other model (family "peer")."""
    t0 = time.perf_counter()
    prob = predictor.predict_proba(list(test["comment"]))
    return metrics.evaluate("snownlp", test["sentiment"].to_numpy(), (prob >= 0.5).astype(int),
                            prob=prob, review_ids=test.index, seconds=None, family="peer",
                            predict_seconds=time.perf_counter() - t0, package="snownlp 0.12.3",
                            note="bundled sentiment model, not trained here")


def domain_table(scores: dict, in_domain: dict, name) -> pd.DataFrame:
    """One domain's table: each model's dianping accuracy beside its accuracy (with CI), macro F1
    and balanced accuracy on the domain, rows named by ``name(model)``."""
    t = score_table(scores)
    t.insert(0, "dianping_accuracy", [in_domain[n]["accuracy"] for n in t.index])
    t = t.rename(columns={"accuracy_low": "ci_low", "accuracy_high": "ci_high"})
    t = t[["dianping_accuracy", "accuracy", "ci_low", "ci_high", "f1_macro", "balanced_accuracy"]]
    t.index = [name(n) for n in t.index]
    t.index.name = "model"
    return t


def predict_all(predictors: dict, texts, tokens=None) -> tuple[pd.DataFrame, dict]:
    """P(positive) of every predictor for every text (columns = predictor names) and the seconds
    each took. ``tokens``: the texts already segmented by book.text.tokenize, passed to predictors
    that accept them (``predict_tokens``, the LSTMs) so jieba runs once."""
    texts = list(texts)
    probs, seconds = {}, {}
    for name, p in predictors.items():
        t0 = time.perf_counter()
        if tokens is not None and hasattr(p, "predict_tokens"):
            probs[name] = np.asarray(p.predict_tokens(tokens), dtype=float)
        else:
            probs[name] = np.asarray(p.predict_proba(texts), dtype=float)
        seconds[name] = time.perf_counter() - t0
    return pd.DataFrame(probs), seconds


def run_accuracy(rec: record.Record, runs, probs: dict, truth: dict) -> pd.DataFrame:
    """One row per run (record names ``runs``): its fold and seed, its accuracy on its own fold's
    dianping test split, and its accuracy on each domain (``probs``: domain → P(positive) table
    with a column per run; ``truth``: domain → labels)."""
    rows = []
    for n in runs:
        m = rec.model(n)
        row = {"run": n, "fold": m["fold"], "seed": m["seed"], "dianping": m["accuracy"]}
        for d, table in probs.items():
            row[d] = float(np.mean((table[n].to_numpy() >= 0.5).astype(int) == truth[d]))
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_drops(rec: record.Record, a_family: str, b_family: str, probs: dict, truth: dict, n_boot: int = 2000,
                 seed: int = 0) -> pd.DataFrame:
    """Does ``a_family`` lose less than ``b_family`` from dianping to each domain, over every fold of
    the rotation? Per fold f the two families' runs f are compared twice on the same reviews: on
    fold f's dianping test split and on the domain's sample (``probs``: domain → P(positive) with a
    column per run; ``truth``: domain → labels). The difference = mean domain gap (A − B, over the
    folds) − pooled dianping gap (A − B, over every fold's test reviews). Its 95 % CI and standard
    error come from a two-stage bootstrap (folds with replacement; within them the dianping reviews,
    and one draw of the domain's reviews shared by the folds); the p-value from the normal
    approximation, Holm-corrected over the domains. One row per domain."""
    from scipy.stats import norm

    ra, rb = rec.fold_runs(a_family), rec.fold_runs(b_family)
    if set(ra) != set(rb):
        raise ValueError(f"{a_family} and {b_family} were not trained on the same folds: {sorted(ra)} and {sorted(rb)}")
    folds = sorted(ra)
    dp = []
    for f in folds:
        pa, pb = metrics.test_predictions(rec.model(ra[f])), metrics.test_predictions(rec.model(rb[f]))
        if not pa.index.equals(pb.index):
            raise ValueError(f"{ra[f]} and {rb[f]} were scored on different reviews")
        dp.append(pa["correct"].to_numpy(float) - pb["correct"].to_numpy(float))
    rng = np.random.default_rng(seed)
    rows = []
    for d, table in probs.items():
        y = np.asarray(truth[d])
        dom = np.array([((table[ra[f]].to_numpy() >= 0.5) == y).astype(float)
                        - ((table[rb[f]].to_numpy() >= 0.5) == y).astype(float) for f in folds])
        dp_gap, dom_gap = float(np.mean(np.concatenate(dp))), float(dom.mean())
        stats = np.empty(n_boot)
        for b in range(n_boot):
            picked = rng.integers(len(folds), size=len(folds))
            idx = rng.integers(dom.shape[1], size=dom.shape[1])
            dp_b = np.mean([dp[k][rng.integers(len(dp[k]), size=len(dp[k]))].mean() for k in picked])
            stats[b] = dom[picked][:, idx].mean() - dp_b
        se = float(stats.std(ddof=1))
        diff = dom_gap - dp_gap
        p = float(2 * norm.sf(abs(diff) / se)) if se > 0 else (0.0 if diff else 1.0)
        rows.append({"domain": d, "a": a_family, "b": b_family, "runs": len(folds),
                     "n_dianping": int(sum(len(x) for x in dp)), "n_domain": int(dom.shape[1]),
                     "dianping_gap": dp_gap, "domain_gap": dom_gap, "difference": diff,
                     "ci_low": float(np.quantile(stats, 0.025)), "ci_high": float(np.quantile(stats, 0.975)),
                     "se": se, "p_value": p})
    out = pd.DataFrame(rows)
    out["p_holm"] = metrics.holm(out["p_value"].to_numpy())
    return out


def predict_domains(predictors: dict, domains: dict) -> tuple[dict, dict, dict]:
    """:func:`predict_all` on every domain (name → DataFrame with a ``comment`` column).
    Returns three dicts by domain: P(positive) tables, seconds per model, jieba tokens."""
    probs, seconds, tokens = {}, {}, {}
    for d, df in domains.items():
        tokens[d] = [tokenize(t) for t in df["comment"]]
        probs[d], seconds[d] = predict_all(predictors, df["comment"], tokens=tokens[d])
        probs[d].index = df.index
    return probs, seconds, tokens


# ---------------------------------------------------------------- scores


def score(y_true, prob, n_boot: int = 2000, seed: int = 0) -> dict:
    """n, accuracy, macro F1 and balanced accuracy of P(positive) ≥ 0.5, each with its
    percentile-bootstrap 95% CI (``{metric}_ci95``)."""
    y_pred = (np.asarray(prob, dtype=float) >= 0.5).astype(int)
    s = metrics.scores(y_true, y_pred)
    cis = metrics.bootstrap_cis(y_true, y_pred, n_boot=n_boot, seed=seed)
    return {"n": s["n"], **{m: s[m] for m in METRICS}, **{f"{m}_ci95": list(cis[m]) for m in METRICS}}


def score_models(df: pd.DataFrame, probs: pd.DataFrame, by: str | None = None) -> dict:
    """name → {"all": score, and with ``by`` (e.g. "cat"): "by_<by>": {group: score}}: the
    record written under results.generalization.<domain>."""
    y = df["sentiment"].to_numpy()
    out = {}
    for name in probs.columns:
        p = probs[name].to_numpy()
        out[name] = {"all": score(y, p)}
        if by:
            groups = df[by].to_numpy()
            out[name][f"by_{by}"] = {str(g): score(y[groups == g], p[groups == g]) for g in sorted(set(groups))}
    return out


def score_table(scores: dict, part: str = "all") -> pd.DataFrame:
    """One row per model from :func:`score_models`: n, each metric and its CI bounds."""
    rows = {}
    for name, s in scores.items():
        r = s[part]
        rows[name] = {"n": r["n"], **{k: v for m in METRICS
                                      for k, v in ((m, r[m]), (f"{m}_low", r[f"{m}_ci95"][0]),
                                                   (f"{m}_high", r[f"{m}_ci95"][1]))}}
    return pd.DataFrame.from_dict(rows, orient="index")


def category_accuracy(scores: dict, by: str = "cat") -> pd.DataFrame:
    """Accuracy per group (rows) and model (columns) from :func:`score_models`."""
    return pd.DataFrame({name: {g: r["accuracy"] for g, r in s[f"by_{by}"].items()} for name, s in scores.items()})


def paired_tests(truth: dict, probs: dict, pairs) -> pd.DataFrame:
    """Exact McNemar test for each (a, b) in ``pairs`` on each domain (``truth``: domain → labels,
    ``probs``: domain → DataFrame of P(positive)), with Holm's correction over all of them."""
    rows = []
    for domain, y in truth.items():
        pred = (probs[domain] >= 0.5).astype(int)
        for a, b in pairs:
            t = metrics.mcnemar(y, pred[a].to_numpy(), pred[b].to_numpy())
            rows.append({"domain": domain, "a": a, "b": b, **t})
    out = pd.DataFrame(rows)
    out["p_holm"] = metrics.holm(out["p_value"].to_numpy())
    return out


def all_pairs(names) -> list[tuple[str, str]]:
    return list(itertools.combinations(names, 2))


# ---------------------------------------------------------------- why transfer fails


def oov_share(docs, vocab) -> float:
    """Share of the word tokens in ``docs`` (lists of words) that are not in ``vocab``."""
    total = sum(len(d) for d in docs)
    if total == 0:
        raise ValueError("oov_share needs at least one word")
    return sum(w not in vocab for d in docs for w in d) / total


def domain_log_ratio(docs, labels, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """book.text.log_ratio of tokenized reviews with 0/1 labels."""
    labels = np.asarray(labels)
    pos = word_counts(d for d, y in zip(docs, labels) if y == 1)
    neg = word_counts(d for d, y in zip(docs, labels) if y == 0)
    return log_ratio(pos, neg, min_count=min_count)


def polarity_shift(source: pd.DataFrame, target: pd.DataFrame, k: int = 15, weak: float = 0.5) -> pd.DataFrame:
    """The ``k`` words with the strongest source log-ratio (by absolute value) and their
    log-ratio in the target domain, with a status: flipped (opposite sign), weaker (less than
    ``weak`` times as strong), absent (too rare in the target to score), kept."""
    top = source.assign(strength=source["log_ratio"].abs()).sort_values(["strength", "word"], ascending=[False, True])
    top = top.head(k).set_index("word")
    tgt = target.set_index("word")["log_ratio"].reindex(top.index)
    src = top["log_ratio"]
    status = np.where(tgt.isna(), "absent",
                      np.where(np.sign(tgt) != np.sign(src), "flipped",
                               np.where(tgt.abs() < weak * src.abs(), "weaker", "kept")))
    return pd.DataFrame({"source": src, "target": tgt, "status": status}, index=top.index)


def hard_examples(df: pd.DataFrame, probs: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The ``k`` reviews most models get wrong (ties: the most confidently wrong on average),
    with the true label and each model's P(positive)."""
    y = df["sentiment"].to_numpy()[:, None]
    p = probs.to_numpy()
    wrong = ((p >= 0.5).astype(int) != y)
    confidence = np.abs(p - 0.5).mean(axis=1)
    order = np.lexsort((np.arange(len(df)), -confidence, -wrong.sum(axis=1)))[:k]
    out = df.iloc[order][["comment", "sentiment"]].copy()
    for name in probs.columns:
        out[name] = probs[name].to_numpy()[order]
    return out


# ---------------------------------------------------------------- learning curves


def nested_subsets(train: pd.DataFrame, sizes=CURVE_SIZES, seed: int = 0) -> dict[int, pd.DataFrame]:
    """Stratified subsets of ``train`` (label column ``sentiment``) of each size, nested: each
    class is shuffled once (seeded) and every subset takes the first reviews of each class's
    order, so a smaller subset lies inside every larger one. Class counts are the class shares
    times the size, rounded by largest remainder."""
    sizes = sorted(int(n) for n in sizes)
    if not sizes or sizes[0] < 2 or sizes[-1] > len(train):
        raise ValueError(f"subset sizes must lie between 2 and {len(train)}, got {sizes}")
    rng = np.random.default_rng(seed)
    classes = sorted(train["sentiment"].unique())
    orders = {c: rng.permutation(train.index[train["sentiment"] == c].to_numpy()) for c in classes}
    shares = {c: len(orders[c]) / len(train) for c in classes}
    out = {}
    for n in sizes:
        exact = {c: n * shares[c] for c in classes}
        counts = {c: int(math.floor(v)) for c, v in exact.items()}
        for c in sorted(classes, key=lambda c: (counts[c] - exact[c], c))[:n - sum(counts.values())]:
            counts[c] += 1
        ids = np.concatenate([orders[c][:counts[c]] for c in classes])
        out[n] = train.loc[np.sort(ids)]
    return out


def _accuracy(predictor, test: pd.DataFrame) -> float:
    prob = predictor.predict_proba(list(test["comment"]))
    return metrics.scores(test["sentiment"].to_numpy(), (prob >= 0.5).astype(int))["accuracy"]


def curve_baseline(name: str, subsets: dict, test: pd.DataFrame, params: dict | None = None, seed: int = 0,
                   n_trials: int = 15) -> list[dict]:
    """The baseline recipe ``name`` fitted on each subset; test accuracy per size. A grid recipe
    keeps the ``params`` chapter 3.1 chose (e.g. {"C": 0.3}; a calibrated SVM, as there) instead of
    re-running its grid search on every subset; a hyperopt recipe is searched again with ``n_trials``."""
    from . import baselines

    rows = []
    for n, sub in subsets.items():
        t0 = time.perf_counter()
        if name in baselines.GRIDS:
            model = baselines.pipeline(name, seed).set_params(**{f"clf__{k}": v for k, v in (params or {}).items()})
            model.set_params(clf=baselines.calibrated(model.named_steps["clf"], seed))
            model.fit(list(sub["comment"]), sub["sentiment"].to_numpy(dtype=int))
            b = baselines.TfidfPredictor(name, model)
        else:
            kind = {v: k for k, v in baselines.HYPEROPT_NAMES.items()}[name]
            b = baselines.tune_hyperopt(kind, sub, n_trials=n_trials, seed=seed)
        rows.append({"size": n, "seed": seed, "accuracy": _accuracy(b, test), "seconds": time.perf_counter() - t0})
    return rows


def curve_lstm(draws: dict, valid: pd.DataFrame, test: pd.DataFrame, cfg=None) -> list[dict]:
    """book.lstm.fit on each subset of each draw (``draws`` maps a seed, which is also the model's
    seed, to its nested subsets by size; early stopping on ``valid``), all side by side
    (book.lstm.fit_many); test accuracy per size and seed and the epochs each run took."""
    from . import lstm

    jobs = [(seed, n, sub) for seed, subsets in draws.items() for n, sub in subsets.items()]
    fits = lstm.fit_many([{"train": sub, "valid": valid, "cfg": cfg, "seed": seed} for seed, _, sub in jobs])
    return [{"size": n, "seed": seed, "accuracy": _accuracy(r.predictor, test), "seconds": r.seconds,
             "epochs_run": len(r.history)} for (seed, n, _), r in zip(jobs, fits)]


def curve_bert(subsets: dict, valid: pd.DataFrame, test: pd.DataFrame, seed: int = 0, cache=None) -> list[dict]:
    """The transformer recipe of chapter 3.3 (book.bert.fit_frozen: the lower layers from ``cache``,
    a book.bert.StateCache, bert.LR, bert.EPOCHS) on each subset; test accuracy per size."""
    from . import bert

    cache = cache or bert.StateCache(bert.resolve_model())
    rows = []
    for n, sub in subsets.items():
        t0 = time.perf_counter()
        learn, _, _ = bert.fit_frozen(cache.source, cache, sub, valid, seed)
        prob = bert.predict_proba(learn.full, cache.source.tokenizer, test["comment"], bert.MAX_LEN)
        acc = metrics.scores(test["sentiment"].to_numpy(), (prob >= 0.5).astype(int))["accuracy"]
        rows.append({"size": n, "seed": seed, "accuracy": acc, "seconds": time.perf_counter() - t0})
    return rows


# ---------------------------------------------------------------- changes from dianping to a domain


def drops(dianping_correct: dict, domain_correct: dict) -> pd.DataFrame:
    """Per model (the keys of both dicts: arrays of 0/1 correctness on the dianping test split
    and on a domain's reviews): both accuracies, the change (domain − dianping) and its 95 % CI,
    normal approximation for two independent samples."""
    rows = {}
    for m, c_dp in dianping_correct.items():
        a, b = np.asarray(c_dp, dtype=float), np.asarray(domain_correct[m], dtype=float)
        se = math.sqrt(a.var() / len(a) + b.var() / len(b))
        d = b.mean() - a.mean()
        rows[m] = {"dianping_accuracy": a.mean(), "domain_accuracy": b.mean(), "change": d,
                   "ci_low": d - 1.96 * se, "ci_high": d + 1.96 * se}
    return pd.DataFrame.from_dict(rows, orient="index")


def drop_differences(dianping_correct: dict, domain_correct: dict, pairs) -> pd.DataFrame:
    """For each (a, b): how much less a loses than b from dianping to the domain,
    (acc_a − acc_b on the domain) − (acc_a − acc_b on dianping). Each bracket is a paired
    difference on the same reviews; the two review sets are independent, so its variance is the
    sum of the two paired variances. z, a two-sided normal p-value; no correction here."""
    from scipy.stats import norm

    rows = []
    for a, b in pairs:
        d_dp = np.asarray(dianping_correct[a], dtype=float) - np.asarray(dianping_correct[b], dtype=float)
        d_do = np.asarray(domain_correct[a], dtype=float) - np.asarray(domain_correct[b], dtype=float)
        diff = d_do.mean() - d_dp.mean()
        se = math.sqrt(d_dp.var() / len(d_dp) + d_do.var() / len(d_do))
        z = diff / se if se > 0 else 0.0
        rows.append({"a": a, "b": b, "difference": diff, "se": se, "z": z,
                     "p_value": float(2 * norm.sf(abs(z))) if se > 0 else 1.0})
    return pd.DataFrame(rows)


def family_summary(tests: pd.DataFrame, family, alpha: float = ALPHA) -> pd.DataFrame:
    """Per domain and pair of families (``family``: model → family display name): how many of
    the seed pairs were compared, and how many favour each side after Holm (``p_holm`` < alpha).
    ``tests`` has columns domain, a, b, p_holm and favours (the model the estimate favours)."""
    rows = []
    for (dom, fa, fb), part in tests.assign(fa=tests["a"].map(family), fb=tests["b"].map(family)) \
            .groupby(["domain", "fa", "fb"], sort=False):
        sig = part[part["p_holm"] < alpha]
        rows.append({"domain": dom, "family_a": fa, "family_b": fb, "n": len(part),
                     "a_better": int((sig["favours"] == sig["a"]).sum()),
                     "b_better": int((sig["favours"] == sig["b"]).sum())})
    return pd.DataFrame(rows)


def family_state(summary, domain: str, a: str, b: str) -> tuple[str, int, int]:
    """How the rows of :func:`family_summary` settle families ``a`` against ``b`` on ``domain``
    (the row may list them in either order): ('a' every pair favours a significantly, 'b' every
    pair favours b, 'none' no pair is significant, 'some_a' / 'some_b' some pairs favour one side
    and none the other, 'split' some each way), with the number of pairs and of those favouring
    ``a``. A pair the summary lacks raises KeyError."""
    rows = pd.DataFrame(summary)
    for fa, fb, flip in ((a, b, False), (b, a, True)):
        hit = rows[(rows["domain"] == domain) & (rows["family_a"] == fa) & (rows["family_b"] == fb)]
        if len(hit):
            r = hit.iloc[0]
            n, for_a, for_b = int(r["n"]), int(r["a_better"]), int(r["b_better"])
            if flip:
                for_a, for_b = for_b, for_a
            state = ("a" if for_a == n else "b" if for_b == n else "none" if for_a == for_b == 0
                     else "some_a" if for_b == 0 else "some_b" if for_a == 0 else "split")
            return state, n, for_a
    raise KeyError(f"no comparison of {a} and {b} on {domain} in the family summary")


def drop_tests(dianping_correct: dict, domain_correct: dict, families: dict, family_of: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Does the transformer lose less than the other families? Each of its seeds against each
    seed of the best baseline and the LSTM (``families``: family → model names), on every domain
    of ``domain_correct`` (domain → model → 0/1 correctness), with Holm's correction across all of
    them; ``favours`` names the model the estimate favours. Returns the tests and
    :func:`family_summary` of them (``family_of``: model → family display name)."""
    pairs = [(t, o) for t in families["transformer"] for o in families["best_baseline"] + families["lstm"]]
    tests = pd.concat([drop_differences(dianping_correct, domain_correct[d], pairs).assign(domain=d)
                       for d in domain_correct], ignore_index=True)
    tests["p_holm"] = metrics.holm(tests["p_value"].to_numpy())
    tests["favours"] = np.where(tests["difference"] > 0, tests["a"], tests["b"])
    return tests, family_summary(tests, family_of)


# ---------------------------------------------------------------- names and figures

DOMAIN_NAMES = {"dianping": "点评测试集", "waimai_10k": "外卖评论", "online_shopping_10_cats": "购物评论"}


def category_heatmap(acc: pd.DataFrame, ax=None, title: str = ""):
    """Accuracy per product category (columns) and model (rows, display names): a diverging
    colour scale centred on 0.5 (chance on balanced cells), red below it, green up to 1."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ax = ax or plt.gca()
    low = min(0.4, float(np.nanmin(acc.to_numpy())))
    sns.heatmap(acc, annot=True, fmt=".2f", cmap="RdYlGn", vmin=low, vmax=1.0, center=0.5, cbar=True, ax=ax,
                annot_kws={"fontsize": 11}, cbar_kws={"label": "准确率（0.5 为瞎猜）"})
    ax.set(title=title, xlabel="商品类别", ylabel="模型")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")   # ten names, none touching
    ax.tick_params(axis="y", rotation=0)
    return ax


def curve_plot(curves: pd.DataFrame, ax=None, title: str = ""):
    """Test accuracy against training reviews (log scale), one line per ``model`` (the mean over
    seeds) with a band from the lowest to the highest seed where there are several.
    ``curves``: columns model (display name), size, seed, accuracy."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    sizes = sorted(curves["size"].unique())
    for model, part in curves.groupby("model", sort=False):
        agg = part.groupby("size")["accuracy"].agg(["mean", "min", "max", "count"])
        partial = len(agg) < len(sizes)       # trained at some sizes only: the line between is no data
        label = model + ("（只在 " + "、".join(str(n) for n in agg.index) + " 条上训练；虚线只是连接）" if partial else "")
        line, = ax.plot(agg.index, agg["mean"], marker="o", ls="--" if partial else "-", label=label)
        if (agg["count"] > 1).any():
            ax.fill_between(agg.index, agg["min"], agg["max"], color=line.get_color(), alpha=0.2)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set(title=title, xlabel="训练评论条数（对数刻度）", ylabel="点评测试集准确率")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)      # off the curves
    return ax


def domain_plot(tables: dict, ax=None, title: str = ""):
    """Accuracy by model and domain as dots with their 95% intervals: one row per model, one colour
    per domain. ``tables``: domain label → DataFrame indexed by model display name with columns
    accuracy, ci_low, ci_high (the same models in each, in the order of the first)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ax = ax or plt.gca()
    labels = list(tables)
    if not labels:
        raise ValueError("domain_plot needs at least one domain")
    models = list(next(iter(tables.values())).index)
    colors = sns.color_palette("deep", len(labels))
    step = 0.22
    for k, (label, color) in enumerate(zip(labels, colors)):
        t = tables[label].loc[models]
        y = np.arange(len(models)) + (k - (len(labels) - 1) / 2) * step
        err = np.vstack([t["accuracy"] - t["ci_low"], t["ci_high"] - t["accuracy"]])
        ax.errorbar(t["accuracy"], y, xerr=err, fmt="o", color=color, capsize=2, ms=5, label=label)
    ax.set_yticks(np.arange(len(models)), models)
    ax.invert_yaxis()
    ax.set(title=title, xlabel="准确率（线段为 95% 区间）", ylabel="")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)      # off the dots
    return ax


# ---------------------------------------------------------------- contrast clauses



def split_contrast(text: str, words=CONTRAST_SPLIT_WORDS, min_side: int = 2):
    """(first clause, last clause, word) at the first contrast word with at least ``min_side``
    Han characters on each side (the word opens the last clause, as in 「这家的环境不差，」 /
    「但是菜不怎么好吃。」); None when the review has none. 就是 and 只是 count only where they open a
    clause, right after a punctuation mark (``CLAUSE_OPENING_ONLY``): 「就是好吃」 is no contrast."""
    for i in range(len(text)):
        for w in words:
            if w in CLAUSE_OPENING_ONLY and (i == 0 or text[i - 1] not in CLAUSE_BREAKS):
                continue
            if text.startswith(w, i):
                first, last = text[:i], text[i:]
                if sum(_is_han(c) for c in first) >= min_side and sum(_is_han(c) for c in last[len(w):]) >= min_side:
                    return first, last, w
    return None


def _is_han(c: str) -> bool:
    return re.fullmatch(f"[{CJK_RANGES}]", c) is not None


def contrast_reviews(df: pd.DataFrame, words=CONTRAST_SPLIT_WORDS) -> pd.DataFrame:
    """The reviews of ``df`` (columns comment, sentiment) that :func:`split_contrast` splits:
    index kept, columns comment, sentiment, first, last, word."""
    rows = {i: (c, y, *parts) for i, c, y in zip(df.index, df["comment"], df["sentiment"])
            if (parts := split_contrast(c, words)) is not None}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["comment", "sentiment", "first", "last", "word"])


def clause_following(y, whole, first, last) -> dict:
    """On the reviews whose two clauses a model judges differently (P ≥ 0.5 on one side only):
    how often its whole-review answer follows the first clause (share, Wilson 95 % CI, exact
    binomial p against 1/2), and its accuracy with the whole review, the first clause alone and
    the last clause alone; ``p_whole_vs_clause``: exact McNemar of the whole review against the
    better of the two clauses. Inputs: labels and P(positive) arrays of the same reviews."""
    from scipy.stats import binomtest

    y = np.asarray(y, dtype=int)
    w, f, la = (np.asarray(x, dtype=float) >= 0.5 for x in (whole, first, last))
    dis = f != la
    n = int(dis.sum())
    out = {"n_reviews": len(y), "n_disagree": n}
    if n == 0:
        return {**out, "follows_first": None, "follows_first_ci": None, "p_first": None, "whole_accuracy": None,
                "first_accuracy": None, "last_accuracy": None, "p_whole_vs_clause": None}
    k = int((w == f)[dis].sum())
    ci = binomtest(k, n).proportion_ci(method="wilson")
    acc = {part: float((x.astype(int) == y)[dis].mean()) for part, x in (("whole", w), ("first", f), ("last", la))}
    clause = f if acc["first"] >= acc["last"] else la
    t = metrics.mcnemar(y[dis], w[dis].astype(int), clause[dis].astype(int))
    return {**out, "follows_first": k / n, "follows_first_ci": [float(ci.low), float(ci.high)],
            "p_first": float(binomtest(k, n).pvalue), "whole_accuracy": acc["whole"], "first_accuracy": acc["first"],
            "last_accuracy": acc["last"], "p_whole_vs_clause": float(t["p_value"])}


def seeds_at_every_size(curves: pd.DataFrame) -> dict:
    """role → the seeds of the learning curve (columns role, size, seed), checked to be the
    same set at every size: a curve that mixes one seed here with a mean of three there
    compares unlike things. ValueError names the role and the sizes that differ."""
    out = {}
    for role, part in curves.groupby("role", sort=False):
        by_size = {int(n): sorted(int(s) for s in g["seed"]) for n, g in part.groupby("size")}
        first = next(iter(by_size.values()))
        bad = {n: s for n, s in by_size.items() if s != first}
        if bad:
            raise ValueError(f"learning curve of {role}: seeds {first} at some sizes but {bad} at others")
        out[role] = first
    return out


def coverage_by_review(model, texts) -> np.ndarray:
    """Share of each review's units (the model's own: n-grams, words or pieces, via
    ``model.coverage``) that the model does not know; NaN for a review with no units."""
    out = []
    for t in texts:
        known, total = model.coverage(t)
        out.append((total - known) / total if total else np.nan)
    return np.array(out)


def accuracy_by_coverage(unknown: np.ndarray, correct: np.ndarray) -> dict:
    """Accuracy on the reviews whose every unit is known and on those with at least one unknown
    unit (with their counts): do unknown units go with errors?"""
    unknown, correct = np.asarray(unknown, dtype=float), np.asarray(correct, dtype=bool)
    known_all = unknown == 0
    some = unknown > 0
    return {"mean_unknown": float(np.nanmean(unknown)),
            "n_all_known": int(known_all.sum()), "acc_all_known": float(correct[known_all].mean()) if known_all.any() else None,
            "n_some_unknown": int(some.sum()), "acc_some_unknown": float(correct[some].mean()) if some.any() else None}

