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
- ``*_verdict``: the sentences that depend on the numbers.
"""
from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import evaluate
from .text import log_ratio, tokenize, word_counts
from .verdicts import ALPHA, fmt_p

METRICS = ("accuracy", "f1_macro", "balanced_accuracy")
MIN_COUNT = 5             # a word scored by log-ratio in a domain appears at least this often
PER_CELL = 120            # shopping reviews per category × label (fewer where a cell has fewer)
CURVE_SIZES = (100, 200, 400, 800, 1600)
BASELINE_DIR = "baselines"
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


def model_path(rec: evaluate.Record, name: str) -> Path:
    """Where the build saved model ``name``: artifacts/baselines/{name}.joblib,
    artifacts/lstm_runs/{name}/, artifacts/bert/; the predictor's own copies (tfidf.joblib,
    lstm/) serve for the model they hold. MissingModel names the chapter that saves it."""
    art = evaluate.artifacts_dir()
    family = rec.model(name)["family"]
    if family == "baseline":
        path = art / BASELINE_DIR / f"{name}.joblib"
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
        path = art / "bert"
        if path.is_dir():
            return path
        raise MissingModel(f"no saved model for {name}: {path} is missing; run chapters/03c_bert.md (chapter 3.3)")
    raise ValueError(f"{name}: no saved model for family {family!r}")


def load_predictor(rec: evaluate.Record, name: str):
    """The saved model ``name`` as an object with ``predict_proba(list[str])``."""
    path = model_path(rec, name)
    family = rec.model(name)["family"]
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
    s = evaluate.scores(y_true, y_pred)
    cis = evaluate.bootstrap_cis(y_true, y_pred, n_boot=n_boot, seed=seed)
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
            t = evaluate.mcnemar(y, pred[a].to_numpy(), pred[b].to_numpy())
            rows.append({"domain": domain, "a": a, "b": b, **t})
    out = pd.DataFrame(rows)
    out["p_holm"] = evaluate.holm(out["p_value"].to_numpy())
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
    return evaluate.scores(test["sentiment"].to_numpy(), (prob >= 0.5).astype(int))["accuracy"]


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


def curve_lstm(subsets: dict, valid: pd.DataFrame, test: pd.DataFrame, cfg=None, seed: int = 0) -> list[dict]:
    """book.lstm.fit on each subset (early stopping on ``valid``); test accuracy per size."""
    from . import lstm

    rows = []
    for n, sub in subsets.items():
        r = lstm.fit(sub, valid, cfg, seed=seed, progress=False)
        rows.append({"size": n, "seed": seed, "accuracy": _accuracy(r.predictor, test), "seconds": r.seconds})
    return rows


def curve_bert(subsets: dict, valid: pd.DataFrame, test: pd.DataFrame, seed: int = 0, source=None) -> list[dict]:
    """The transformer recipe of chapter 3.3 (bert.LR, bert.EPOCHS, batch size, pooling) on each
    subset; test accuracy per size."""
    from . import bert

    source = source or bert.resolve_model()
    rows = []
    for n, sub in subsets.items():
        t0 = time.perf_counter()
        dls = bert.dataloaders(source.tokenizer, sub, valid, bs=bert.BATCH_SIZE, max_len=bert.MAX_LEN)
        learn = bert.learner(source, dls, pooling=bert.POOLING, seed=seed)
        bert.train_model(learn, bert.EPOCHS, bert.LR)
        prob = bert.predict_proba(learn.model, source.tokenizer, test["comment"], bert.MAX_LEN)
        acc = evaluate.scores(test["sentiment"].to_numpy(), (prob >= 0.5).astype(int))["accuracy"]
        rows.append({"size": n, "seed": seed, "accuracy": acc, "seconds": time.perf_counter() - t0})
    return rows


# ---------------------------------------------------------------- verdicts


def drop_verdict(domain: str, rows: dict) -> str:
    """``rows``: model display name → (accuracy on the dianping test split, CI low, CI high on
    ``domain``). Counts how many models' CI on ``domain`` lies wholly below their dianping score."""
    if not rows:
        raise ValueError("drop_verdict needs at least one model")
    below = [m for m, (acc, lo, hi) in rows.items() if hi < acc]
    above = [m for m, (acc, lo, hi) in rows.items() if lo > acc]
    n = len(rows)
    if len(below) == n:
        s = (f"在{domain}上，全部 {n} 个模型的准确率区间都整体低于各自在点评测试集上的准确率：换了领域，"
             "各模型的准确率普遍下降（这里只看了新领域一侧的区间，点评测试集只有 200 条，它自己的准确率也有几个百分点的误差）。")
    elif not below:
        s = f"在{domain}上，{n} 个模型中没有一个的准确率区间整体低于它在点评测试集上的准确率：看不出换领域带来的损失。"
    else:
        s = (f"在{domain}上，{n} 个模型中有 {len(below)} 个的准确率区间整体低于各自在点评测试集上的准确率"
             f"（{'、'.join(below)}）。")
    if above:
        s += f"{'、'.join(above)}在{domain}上反而整体高于点评测试集。"
    return s


def paired_verdict(tests: pd.DataFrame, name, domain_name, alpha: float = ALPHA) -> str:
    """Which pairs differ after Holm's correction. ``tests`` from :func:`paired_tests`;
    ``name``/``domain_name``: callables giving display names."""
    sig = tests[tests["p_holm"] < alpha]
    if sig.empty:
        return (f"Holm 校正后，{len(tests)} 对比较中没有一对在 {alpha} 水平上显著：这些模型在跨领域评论上的差别，"
                "这么多评论也分辨不出来。")
    parts = []
    for _, r in sig.iterrows():
        better, worse = (r["a"], r["b"]) if r["a_only"] > r["b_only"] else (r["b"], r["a"])
        p = fmt_p(r["p_holm"])
        parts.append(f"{domain_name(r['domain'])}上{name(better)}优于{name(worse)}"
                     f"（校正后 p {p if p.startswith('<') else '= ' + p}）")
    return (f"Holm 校正后，{len(tests)} 对比较中有 {len(sig)} 对在 {alpha} 水平上显著：" + "；".join(parts) + "。")


def curve_verdict(model: str, sizes, accs, n_test: int) -> str:
    """Whether the last doubling of the training reviews still helped ``model`` (mean test
    accuracy per size, in size order), judged against the noise of two accuracies measured on
    the same ``n_test`` reviews: about ±1.96·sqrt(2·p(1−p)/n_test), p their mean (a rough,
    conservative band; the runs share the test reviews, so the true band is narrower)."""
    sizes, accs = list(sizes), list(accs)
    if len(sizes) < 2 or len(sizes) != len(accs):
        raise ValueError("curve_verdict needs at least two sizes and one accuracy per size")
    gain = accs[-1] - accs[-2]
    p = (accs[-1] + accs[-2]) / 2
    noise = 1.96 * math.sqrt(2 * p * (1 - p) / n_test)
    head = f"{model}从 {sizes[-2]} 条增加到 {sizes[-1]} 条训练评论时，准确率"
    head += f"提高了 {100 * gain:.1f} 个百分点" if gain >= 0 else f"降低了 {-100 * gain:.1f} 个百分点"
    band = f"（{n_test} 条测试评论上两次测量的误差范围约 ±{100 * noise:.0f} 个百分点）"
    if gain > noise:
        return head + band + "，超出了误差范围：曲线还在上升，更多点评数据仍然有用。"
    if gain < -noise:
        return head + band + "，超出了误差范围：多给数据反而变差，值得怀疑这次训练是否正常。"
    return head + band + "，在误差范围之内：这个测试集判断不了曲线末端是否还在上升。"


def oov_verdict(in_domain: float, others: dict) -> str:
    """Compare the out-of-vocabulary share of each other domain (name → share) with the dianping
    test split's."""
    parts = []
    for domain, share in others.items():
        ratio = share / in_domain if in_domain else float("inf")
        if ratio >= 1.5:
            parts.append(f"{domain}中的未登录词比例是点评测试集的 {ratio:.1f} 倍")
        elif ratio <= 1 / 1.5:
            parts.append(f"{domain}中的未登录词比例反而低于点评测试集")
        else:
            parts.append(f"{domain}中的未登录词比例与点评测试集相近")
    return "；".join(parts) + "。"


# ---------------------------------------------------------------- names and figures

DOMAIN_NAMES = {"dianping": "点评测试集", "waimai_10k": "外卖评论", "online_shopping_10_cats": "购物评论"}


def category_heatmap(acc: pd.DataFrame, ax=None, title: str = ""):
    """Accuracy per product category (columns) and model (rows, display names), one colour
    scale from 0.5 (chance on balanced cells) to 1."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ax = ax or plt.gca()
    sns.heatmap(acc, annot=True, fmt=".2f", cmap="RdYlGn", vmin=0.5, vmax=1.0, cbar=True, ax=ax,
                cbar_kws={"label": "准确率"})
    ax.set(title=title, xlabel="商品类别", ylabel="模型")
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0)
    return ax


def curve_plot(curves: pd.DataFrame, ax=None, title: str = ""):
    """Test accuracy against training reviews (log scale), one line per ``model`` (the mean over
    seeds) with a band from the lowest to the highest seed where there are several.
    ``curves``: columns model (display name), size, seed, accuracy."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for model, part in curves.groupby("model", sort=False):
        agg = part.groupby("size")["accuracy"].agg(["mean", "min", "max", "count"])
        line, = ax.plot(agg.index, agg["mean"], marker="o", label=model)
        if (agg["count"] > 1).any():
            ax.fill_between(agg.index, agg["min"], agg["max"], color=line.get_color(), alpha=0.2)
    ax.set_xscale("log", base=2)
    sizes = sorted(curves["size"].unique())
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set(title=title, xlabel="训练评论条数（对数刻度）", ylabel="点评测试集准确率")
    ax.legend(loc="lower right")
    return ax
