"""Baselines: the original report's TF-IDF-over-word-ids SVM, TF-IDF pipelines done right,
and Naive Bayes / KNN tuned with hyperopt (TPE).

Every baseline learns from ``splits.train_full`` (1800 reviews); its settings are chosen by
stratified 5-fold cross-validation inside those 1800 only, and it is scored once on
``splits.test`` with :meth:`Baseline.evaluate`.

    b = tune_grid("tfidf_word_linearsvc", splits.train_full)
    entry = b.evaluate(splits.test)          # recorded in artifacts/metrics.json
    save_predictor(b)                        # artifacts/tfidf.joblib, for book.predict

Reviews are segmented once: :func:`segment` caches each review's jieba words, so the
cross-validation folds and hyperopt trials never re-run jieba on the same text.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from hyperopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import BernoulliNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC, LinearSVC

from . import metrics, original, record, text
from .data import SEED
from .names import BASELINES_DIR, BUILD_HINT

MAXLEN = original.FACTS["seq_length"].value  # the original's sequence length (its notebook's pad_features)
CV_FOLDS = 5
WORD_NGRAMS = (1, 2)  # word uni- and bigrams
CHAR_NGRAMS = (1, 3)  # character 1- to 3-grams
PREDICTOR_FILE = "tfidf.joblib"

# The accuracies the original report's text gives for its SVM and Naive Bayes (book.original;
# the text gives none for KNN, and the notebook shows the 59% to be a CV score on training data).
ORIGINAL_REPORTED = {"tfidf_original_style": original.FACTS["svm_text"].value,
                     "nb_hyperopt": original.FACTS["nb_text"].value}


# ---------------------------------------------------------------- words


# segment lives in book.text, so that a pickled pipeline (artifacts/tfidf.joblib) references
# book.text.segment and unpickling it does not import this module (hyperopt and more).
from .text import segment  # noqa: E402


def segmenter() -> FunctionTransformer:
    """Pipeline step raw review → space-joined words (stateless, picklable)."""
    return FunctionTransformer(segment)


def word_tfidf(ngram_range=WORD_NGRAMS, min_df=1, sublinear_tf=True, max_features=None) -> TfidfVectorizer:
    """TF-IDF over the words that :func:`segment` wrote (one token = one run of non-spaces)."""
    return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=tuple(ngram_range),
                           min_df=min_df, sublinear_tf=sublinear_tf, max_features=max_features)


def char_tfidf(ngram_range=CHAR_NGRAMS, sublinear_tf=True) -> TfidfVectorizer:
    """TF-IDF over character n-grams of the Chinese text; ``char_wb`` keeps n-grams inside
    the runs of Chinese characters that :func:`book.text.cjk_only` leaves (no n-gram
    spans a punctuation mark)."""
    return TfidfVectorizer(analyzer="char_wb", preprocessor=text.cjk_only, ngram_range=tuple(ngram_range),
                           sublinear_tf=sublinear_tf)


# ---------------------------------------------------------------- the original's representation


class PaddedIds(BaseEstimator, TransformerMixin):
    """Word-id sequences as the original's notebook built them (its own ``pad_features``).

    Input: space-joined words (the output of :func:`segment`). Ids come from the training
    reviews by frequency (1 = most frequent word, ties in order of first appearance);
    words unseen in training are dropped; each sequence keeps its last ``maxlen`` ids and
    is left-padded with 0. Output: an (n, maxlen) integer matrix whose column j is "the
    word at position j" — which is why TF-IDF over it means nothing.
    """

    def __init__(self, maxlen: int = MAXLEN):
        self.maxlen = maxlen

    def fit(self, X, y=None):
        if self.maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {self.maxlen}")
        counts = Counter(w for doc in X for w in doc.split())
        self.vocabulary_ = {w: i for i, (w, _) in enumerate(counts.most_common(), start=1)}
        return self

    def transform(self, X):
        out = np.zeros((len(X), self.maxlen), dtype=np.int64)
        for row, doc in enumerate(X):
            ids = [self.vocabulary_[w] for w in doc.split() if w in self.vocabulary_][-self.maxlen:]
            if ids:
                out[row, self.maxlen - len(ids):] = ids
        return out


def padding_stats(model: Pipeline, texts) -> dict:
    """How much of the original-style matrix is padding, for a fitted original-style model."""
    ids = model.named_steps["ids"]
    x = model[:2].transform(list(texts))
    lengths = np.array([len(d.split()) for d in segment(texts)])
    return {"maxlen": ids.maxlen, "vocabulary": len(ids.vocabulary_), "zero_share": float(np.mean(x == 0)),
            "median_words": float(np.median(lengths)), "share_shorter": float(np.mean(lengths < ids.maxlen))}


def original_style_example(model: Pipeline, review: str, last: int = 8) -> pd.DataFrame:
    """The last ``last`` positions of one review in the original-style representation:
    the word there, its id, the position's IDF and the TF-IDF value the SVM sees."""
    ids = model.named_steps["ids"]
    words = [w for w in segment([review])[0].split() if w in ids.vocabulary_][-ids.maxlen:]
    row = model[:2].transform([review])[0]
    weights = model[:3].transform([review]).toarray()[0]
    pos = np.arange(ids.maxlen - last, ids.maxlen)
    padded = [""] * (ids.maxlen - len(words)) + words
    return pd.DataFrame({"位置": pos, "词": [padded[j] or "（补零）" for j in pos], "编号": row[pos],
                         "IDF": model.named_steps["tfidf"].idf_[pos], "TF-IDF": weights[pos]})


# ---------------------------------------------------------------- pipelines and grids


def pipeline(name: str, seed: int = SEED) -> Pipeline:
    """A fresh, unfitted pipeline from raw review text to a label."""
    if name == "tfidf_original_style":
        return Pipeline([("segment", segmenter()),
                         ("ids", PaddedIds(MAXLEN)),
                         ("tfidf", TfidfTransformer()), ("clf", SVC())])
    if name == "tfidf_word_svc":
        return Pipeline([("segment", segmenter()), ("tfidf", word_tfidf()),
                         ("clf", SVC())])
    if name == "tfidf_word_linearsvc":
        return Pipeline([("segment", segmenter()), ("tfidf", word_tfidf()),
                         ("clf", LinearSVC(random_state=seed))])
    if name == "tfidf_char_linearsvc":
        return Pipeline([("tfidf", char_tfidf()),
                         ("clf", LinearSVC(random_state=seed))])
    if name == "tfidf_wordchar_linearsvc":  # both representations
        words = Pipeline([("segment", segmenter()), ("tfidf", word_tfidf())])
        both = FeatureUnion([("word", words), ("char", char_tfidf())])
        return Pipeline([("tfidf", both),
                         ("clf", LinearSVC(random_state=seed))])
    raise ValueError(f"unknown baseline {name!r}: "
                     f"choose from {', '.join(GRIDS)}")


# Small grids, searched by CV on the training part only.
GRIDS = {
    "tfidf_original_style": {"clf__kernel": ["linear", "rbf"], "clf__C": [0.1, 1.0, 10.0]},
    "tfidf_word_svc": {"clf__kernel": ["linear", "rbf"], "clf__C": [1.0, 10.0]},
    "tfidf_word_linearsvc": {"clf__C": [0.1, 0.3, 1.0, 3.0]},
    "tfidf_char_linearsvc": {"clf__C": [0.1, 0.3, 1.0, 3.0]},
    "tfidf_wordchar_linearsvc": {"clf__C": [0.1, 0.3, 1.0]},
}
CORRECT = ("tfidf_word_svc", "tfidf_word_linearsvc", "tfidf_char_linearsvc", "tfidf_wordchar_linearsvc")


def cv_folds(seed: int = SEED) -> StratifiedKFold:
    return StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)


def _plain(v):
    """hyperopt / numpy values → JSON-friendly Python values."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass
class Baseline:
    """A baseline fitted on the training part, with how it was chosen."""

    name: str
    model: Pipeline                 # fitted on all of train_full; predict_proba gives P(positive)
    cv_accuracy: float              # mean CV accuracy (train_full) of the chosen setting
    cv_std: float
    params: dict
    seconds: float                  # tuning + final fit, wall clock
    trials: pd.DataFrame | None = field(default=None, repr=False)  # hyperopt only

    def predict_proba(self, texts) -> np.ndarray:
        return positive_proba(self.model, texts)

    def evaluate(self, test: pd.DataFrame, save: bool = True) -> dict:
        """Score on the common test split (columns comment, sentiment; index review_id) with
        :func:`book.metrics.evaluate`, which records it in metrics.json unless ``save=False``."""
        prob = self.predict_proba(list(test["comment"]))
        y_pred = np.asarray(self.model.predict(list(test["comment"])), dtype=int)
        return metrics.evaluate(
            self.name, test["sentiment"].to_numpy(), y_pred, prob=prob, review_ids=test.index,
            seconds=self.seconds, save=save, family="baseline", cv_score=self.cv_accuracy,
            cv_std=self.cv_std, cv_folds=CV_FOLDS, params=self.params)


def positive_proba(model, texts) -> np.ndarray:
    if isinstance(texts, str):
        raise TypeError("predict_proba takes a list of reviews, not one string")
    proba = model.predict_proba(list(texts))
    return proba[:, list(model.classes_).index(1)]


def _xy(train: pd.DataFrame):
    missing = {"comment", "sentiment"} - set(train.columns)
    if missing:
        raise ValueError(f"training data needs columns comment and sentiment (missing: {', '.join(sorted(missing))})")
    return list(train["comment"]), train["sentiment"].to_numpy(dtype=int)


def calibrated(clf, seed: int = SEED) -> CalibratedClassifierCV:
    """An SVM with P(positive): Platt's sigmoid fitted on out-of-fold decision values
    (5 folds), then the SVM refitted on all the data (``ensemble=False``)."""
    return CalibratedClassifierCV(clf, method="sigmoid", cv=cv_folds(seed), ensemble=False)


def tune_grid(name: str, train: pd.DataFrame, grid: dict | None = None, seed: int = SEED) -> Baseline:
    """Grid search by stratified 5-fold CV accuracy on ``train``, then refit the best
    setting on all of ``train`` with a calibrated SVM so the model gives P(positive)."""
    if name not in GRIDS:
        raise ValueError(f"unknown baseline {name!r}: choose from {', '.join(GRIDS)}")
    X, y = _xy(train)
    grid = GRIDS[name] if grid is None else grid
    t0 = time.perf_counter()
    # one process: no worker start-up cost on a 2-core machine, and nothing depends on scheduling;
    # a failing fit raises instead of silently scoring NaN
    search = GridSearchCV(pipeline(name, seed), grid, scoring="accuracy", cv=cv_folds(seed), n_jobs=1,
                          refit=False, error_score="raise")
    search.fit(X, y)
    i = search.best_index_
    model = pipeline(name, seed).set_params(**search.best_params_)
    model.set_params(clf=calibrated(model.named_steps["clf"], seed))
    model.fit(X, y)
    return Baseline(name=name, model=model, cv_accuracy=float(search.cv_results_["mean_test_score"][i]),
                    cv_std=float(search.cv_results_["std_test_score"][i]),
                    params=_plain({k.removeprefix("clf__"): v for k, v in search.best_params_.items()}),
                    seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------- hyperopt (TPE)

# The search spaces. The vectorizer's settings are shared by both searches
# and discrete, so each setting's per-fold TF-IDF matrices are computed once
# and reused by later trials.
VECTOR_CHOICES = {
    "ngram_range": [(1, 1), (1, 2), (1, 3)],
    "min_df": [1, 2, 3],
    "sublinear_tf": [True, False],
    "max_features": [None, 2000, 5000, 20000],
}
NB_CHOICES = ["multinomial", "bernoulli"]
ALPHA_RANGE = (1e-3, 10.0)      # log-uniform
KNN_MAX_NEIGHBORS = 100         # n_neighbors uniform over 1..this
KNN_WEIGHTS = ["uniform", "distance"]
VECTOR_SPACE = {k: hp.choice(k, v) for k, v in VECTOR_CHOICES.items()}
SPACES = {
    "nb": {**VECTOR_SPACE,
           "nb": hp.choice("nb", NB_CHOICES),
           "alpha": hp.loguniform("alpha", *map(math.log, ALPHA_RANGE))},
    "knn": {**VECTOR_SPACE,
            "n_neighbors": hp.quniform("n_neighbors", 1,
                                       KNN_MAX_NEIGHBORS, 1),
            "weights": hp.choice("weights", KNN_WEIGHTS)},
}
HYPEROPT_NAMES = {"nb": "nb_hyperopt", "knn": "knn_hyperopt"}
_VEC_KEYS = tuple(VECTOR_SPACE)


def classifier(kind: str, params: dict):
    if kind == "nb":
        cls = {"multinomial": MultinomialNB, "bernoulli": BernoulliNB}[params["nb"]]
        return cls(alpha=float(params["alpha"]))
    if kind == "knn":
        return KNeighborsClassifier(n_neighbors=int(params["n_neighbors"]), weights=params["weights"],
                                    metric="cosine", algorithm="brute")
    raise ValueError(f"unknown hyperopt model {kind!r}: choose from {', '.join(SPACES)}")


def tune_hyperopt(kind: str, train: pd.DataFrame, n_trials: int = 30,
                  seed: int = SEED) -> Baseline:
    """TPE over the vectorizer's and the classifier's parameters;
    objective = mean stratified 5-fold CV accuracy on ``train``
    (loss = 1 − accuracy).
    The best trial's setting is refitted on all of ``train``. Deterministic
    for a given seed."""
    if kind not in SPACES:
        raise ValueError(f"unknown hyperopt model {kind!r}: "
                         f"choose from {', '.join(SPACES)}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    X, y = _xy(train)
    # training reviews in the smallest CV fold
    smallest_fold = len(X) - math.ceil(len(X) / CV_FOLDS)
    if kind == "knn" and smallest_fold < KNN_MAX_NEIGHBORS:
        raise ValueError(
            f"the KNN search tries up to {KNN_MAX_NEIGHBORS} neighbours, "
            f"so it needs at least {KNN_MAX_NEIGHBORS} training reviews "
            f"per CV fold; got {smallest_fold} ({len(X)} reviews, "
            f"{CV_FOLDS} folds)")
    t0 = time.perf_counter()
    docs = np.array(segment(X), dtype=object)
    folds = list(cv_folds(seed).split(docs, y))
    cache: dict = {}

    def fold_matrices(vec_params: dict):
        key = tuple(repr(vec_params[k]) for k in _VEC_KEYS)
        if key not in cache:
            mats = []
            for tr, va in folds:
                vec = word_tfidf(**vec_params)
                mats.append((vec.fit_transform(docs[tr]),
                             vec.transform(docs[va])))
            cache[key] = mats
        return cache[key]

    def objective(params):
        vec_params = {k: params[k] for k in _VEC_KEYS}
        accs = []
        for (tr, va), (xtr, xva) in zip(folds, fold_matrices(vec_params)):
            clf = classifier(kind, params).fit(xtr, y[tr])
            accs.append(float(np.mean(clf.predict(xva) == y[va])))
        return {"loss": 1.0 - float(np.mean(accs)), "status": STATUS_OK,
                "cv_std": float(np.std(accs))}

    trials = Trials()
    fmin(objective, SPACES[kind], algo=tpe.suggest, max_evals=n_trials,
         trials=trials, rstate=np.random.default_rng(seed),
         show_progressbar=False, verbose=False)
    best = trials.best_trial
    params = space_eval(SPACES[kind], trials.argmin)
    vec_params = {k: params[k] for k in _VEC_KEYS}
    model = Pipeline([("segment", segmenter()),
                      ("tfidf", word_tfidf(**vec_params)),
                      ("clf", classifier(kind, params))]).fit(X, y)
    seconds = time.perf_counter() - t0
    losses = np.array(trials.losses(), dtype=float)
    table = pd.DataFrame({"trial": np.arange(1, len(losses) + 1),
                          "loss": losses, "cv_accuracy": 1.0 - losses,
                          "best_loss": np.minimum.accumulate(losses)})
    params = _plain(params)
    if kind == "knn":
        params["n_neighbors"] = int(params["n_neighbors"])
    result = best["result"]
    return Baseline(name=HYPEROPT_NAMES[kind], model=model,
                    cv_accuracy=1.0 - float(result["loss"]),
                    cv_std=float(result["cv_std"]), params=params,
                    seconds=seconds, trials=table)


KERNEL_NAMES = {"linear": "线性", "rbf": "RBF"}  # SVC's kernel, as the prose names it ("线性核")


def _fmt(v) -> str:
    """A parameter value for the page: None → 不限, booleans → 是/否 (as in the tables), floats to 3 digits."""
    if v is None:
        return "不限"
    if isinstance(v, bool):
        return "是" if v else "否"
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def format_params(params: dict) -> str:
    """``k = v, ...`` with floats to 3 significant digits, for the text."""
    return ", ".join(f"{k} = {tuple(v) if isinstance(v, list) else _fmt(v)}" for k, v in params.items())


def search_space_table() -> pd.DataFrame:
    """What each baseline's tuning searched over (from GRIDS and the hyperopt spaces)."""
    rows = [(name, k.removeprefix("clf__"), "、".join(_fmt(v) for v in values), "网格搜索")
            for name, grid in GRIDS.items() for k, values in grid.items()]
    vec = [(k, "、".join(_fmt(v) for v in values)) for k, values in VECTOR_CHOICES.items()]
    rows += [("nb_hyperopt、knn_hyperopt", k, v, "TPE") for k, v in vec]
    rows += [("nb_hyperopt", "nb", "、".join(NB_CHOICES), "TPE"),
             ("nb_hyperopt", "alpha", f"{_fmt(ALPHA_RANGE[0])} – {_fmt(ALPHA_RANGE[1])}（对数均匀）", "TPE")]
    rows += [("knn_hyperopt", "n_neighbors", f"1 – {KNN_MAX_NEIGHBORS}（整数）", "TPE"),
             ("knn_hyperopt", "weights", "、".join(KNN_WEIGHTS), "TPE")]
    return pd.DataFrame(rows, columns=["模型", "参数", "取值", "方法"])


# ---------------------------------------------------------------- choosing, saving, loading


def best_by_cv(baselines) -> Baseline:
    """The baseline with the highest CV accuracy (the first one on a tie); never the test score."""
    baselines = list(baselines)
    if not baselines:
        raise ValueError("best_by_cv needs at least one baseline")
    return max(baselines, key=lambda b: b.cv_accuracy)


def refit(model: Pipeline, train: pd.DataFrame) -> Pipeline:
    """A fresh copy of the fitted pipeline ``model`` (the same settings, chosen once) fitted on ``train``."""
    from sklearn.base import clone

    return clone(model).fit(*_xy(train))


def score_folds(best: Baseline, folds: dict, save_dir: str | Path | None = None) -> list[dict]:
    """The chosen baseline's settings (chosen by fold 0's training CV, not searched again) fitted on
    each further fold's training and validation reviews, as chapter 3.1 fits fold 0, and scored once
    on that fold's test split: recorded as ``<name>_fold<f>`` (family baseline, fold f) and saved as
    ``save_dir/<name>_fold<f>.joblib`` (default artifacts/baselines/, where chapter 5 finds it)."""
    save_dir = Path(save_dir) if save_dir is not None else record.artifacts_dir() / BASELINES_DIR
    entries = []
    for f, sp in folds.items():
        if f == 0:
            continue
        t0 = time.perf_counter()
        model = refit(best.model, sp.train_full)
        seconds = time.perf_counter() - t0
        test = sp.test
        name = f"{best.name}_fold{f}"
        save_predictor(Baseline(name, model, best.cv_accuracy, best.cv_std, best.params, seconds), save_dir / f"{name}.joblib")
        entries.append(metrics.evaluate(
            name, test["sentiment"].to_numpy(),
            np.asarray(model.predict(list(test["comment"])), dtype=int),
            prob=positive_proba(model, test["comment"]), review_ids=test.index, seconds=seconds,
            family="baseline", fold=f, params=best.params, settings_from="fold 0"))
    return entries


def results_table(baselines, entries) -> pd.DataFrame:
    """metrics.summary_table of the test scores, plus the CV accuracy each setting was chosen
    by and, where the original report's text gave one, its figure (from book.original, not computed)."""
    baselines, entries = list(baselines), list(entries)
    if [b.name for b in baselines] != [e["name"] for e in entries]:
        raise ValueError("results_table needs the baselines and their test records in the same order")
    table = metrics.summary_table(entries)
    table.insert(0, "cv_accuracy", [b.cv_accuracy for b in baselines])
    table["original_reported"] = [ORIGINAL_REPORTED.get(n, np.nan) for n in table.index]
    return table


class TfidfPredictor:
    """The saved TF-IDF pipeline behind ``book.predict``: ``.predict_proba(list[str])``."""

    def __init__(self, name: str, model: Pipeline):
        self.name, self.model = name, model

    def predict_proba(self, texts) -> np.ndarray:
        return positive_proba(self.model, texts)


def save_predictor(baseline: Baseline, path: str | Path | None = None, check_texts=()) -> Path:
    """Pickle the fitted pipeline to ``path`` (default artifacts/tfidf.joblib). The predictor's
    model (a file named tfidf.joblib) also gets, where book.export can express it in plain numbers
    (a linear SVM), the tfidf.json beside it that the scikit-learn-free predictor reads (checked
    against the pipeline on ``check_texts``); where it cannot, no JSON is left beside the pickle
    and the predictor uses the pickle."""
    from . import export

    path = Path(path) if path is not None else record.artifacts_dir() / PREDICTOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"name": baseline.name, "model": baseline.model, "cv_accuracy": baseline.cv_accuracy,
                 "params": baseline.params, "sklearn": sklearn.__version__}, path)
    if path.name == PREDICTOR_FILE:
        try:
            export.export_tfidf(path, check_texts)
        except ValueError:
            path.with_suffix(".json").unlink(missing_ok=True)
    return path


def load_predictor(path: str | Path | None = None) -> TfidfPredictor:
    path = Path(path) if path is not None else record.artifacts_dir() / PREDICTOR_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no trained TF-IDF model at {path}: {BUILD_HINT}")
    saved = joblib.load(path)
    if not isinstance(saved, dict) or not {"name", "model"} <= set(saved):
        raise ValueError(f"{path} is not a TF-IDF model saved by book.baselines.save_predictor")
    return TfidfPredictor(saved["name"], saved["model"])
