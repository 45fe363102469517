"""book.baselines on a tiny made-up corpus where the right answer is obvious."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from book import baselines as B
from book import predict as P

POS_WORDS = ["好吃", "推荐", "满意", "喜欢", "新鲜"]
NEG_WORDS = ["难吃", "失望", "糟糕", "恶心", "后悔"]
FILLER = ["今天", "我们", "朋友", "晚上", "中午", "一起", "这里", "餐厅"]


def made_up(n_per_class: int, seed: int) -> pd.DataFrame:
    """Reviews of filler words plus two or three words of their class, shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for label, words in ((1, POS_WORDS), (0, NEG_WORDS)):
        for _ in range(n_per_class):
            parts = list(rng.choice(FILLER, 3)) + list(rng.choice(words, int(rng.integers(2, 4))))
            rng.shuffle(parts)
            rows.append(("，".join(parts) + "。", label))
    return pd.DataFrame(rows, columns=["comment", "sentiment"]).sample(frac=1, random_state=seed)


@pytest.fixture(scope="module")
def train():
    return made_up(20, seed=1)


@pytest.fixture(scope="module")
def held_out():
    return made_up(8, seed=2)


@pytest.fixture(autouse=True)
def artifacts(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", B.CORRECT)
def test_correct_pipelines_learn_the_obvious(name, train, held_out):
    grid = {k: v[:1] for k, v in B.GRIDS[name].items()}  # one setting: fast
    b = B.tune_grid(name, train, grid=grid)
    assert b.name == name and b.cv_accuracy == 1.0
    prob = b.predict_proba(held_out["comment"])
    assert ((prob >= 0.5).astype(int) == held_out["sentiment"].to_numpy()).all()
    assert np.all((prob > 0) & (prob < 1))
    entry = b.evaluate(held_out)
    assert entry["accuracy"] == 1.0 and entry["cv_score"] == 1.0 and entry["family"] == "baseline"


def test_grid_search_picks_by_cv_and_is_deterministic(train, held_out):
    a = B.tune_grid("tfidf_word_linearsvc", train, grid={"clf__C": [1e-4, 1.0]})
    b = B.tune_grid("tfidf_word_linearsvc", train, grid={"clf__C": [1e-4, 1.0]})
    assert a.params == b.params and a.cv_accuracy == b.cv_accuracy
    assert np.array_equal(a.predict_proba(held_out["comment"]), b.predict_proba(held_out["comment"]))


def test_segment_is_cached_words():
    assert B.segment(["菜很好吃。", "菜很好吃。"]) == ["菜 很 好吃"] * 2
    with pytest.raises(TypeError, match="a list of reviews, not one string"):
        B.segment("好吃")


def test_padded_ids_shape_and_left_padding():
    docs = ["a b a c", "b", "c a a a a"]       # counts: a 6, b 2, c 2 (b seen first)
    f = B.PaddedIds().fit(docs)
    assert f.vocabulary_ == {"a": 1, "b": 2, "c": 3}
    x = f.transform(["a b c", "z b", "a " * 150 + "c"])
    assert x.shape == (3, B.MAXLEN) and x.dtype.kind == "i"
    assert (x[0, :97] == 0).all() and x[0, 97:].tolist() == [1, 2, 3]   # left-padded
    assert (x[1, :99] == 0).all() and x[1, 99] == 2                      # unknown word dropped
    assert x[2, -1] == 3 and (x[2, :-1] == 1).all()                      # long: keeps the last 100


def test_original_style_pipeline_runs(train, held_out):
    b = B.tune_grid("tfidf_original_style", train, grid={"clf__C": [1.0], "clf__kernel": ["rbf"]})
    assert b.model[:2].transform(list(held_out["comment"])).shape == (len(held_out), B.MAXLEN)
    assert b.predict_proba(held_out["comment"]).shape == (len(held_out),)


def test_save_load_round_trip(train, held_out, artifacts):
    b = B.tune_grid("tfidf_char_linearsvc", train, grid={"clf__C": [1.0]})
    path = B.save_predictor(b)
    assert path == artifacts / "tfidf.joblib"
    p = B.load_predictor()
    assert p.name == "tfidf_char_linearsvc"
    texts = list(held_out["comment"])
    assert np.array_equal(p.predict_proba(texts), b.predict_proba(texts))
    with pytest.raises(TypeError, match="not one string"):
        p.predict_proba("好吃")
    # the command-line predictor finds and uses it
    df = P.predict(["很好吃，推荐", "难吃，失望"], models=["tfidf"])
    assert df["label"].tolist() == [1, 0]


def test_missing_predictor_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no trained TF-IDF model at .*make book"):
        B.load_predictor(tmp_path / "nothing.joblib")


def test_not_a_predictor_file(tmp_path):
    import joblib
    joblib.dump([1, 2], tmp_path / "x.joblib")
    with pytest.raises(ValueError, match="not a TF-IDF model saved by"):
        B.load_predictor(tmp_path / "x.joblib")


def test_best_by_cv_never_looks_at_test():
    mk = lambda n, cv: B.Baseline(n, None, cv, 0.0, {}, 0.0)
    assert B.best_by_cv([mk("a", 0.8), mk("b", 0.9), mk("c", 0.9)]).name == "b"
    with pytest.raises(ValueError, match="at least one"):
        B.best_by_cv([])


def test_hyperopt_nb_is_deterministic(train, held_out):
    a = B.tune_hyperopt("nb", train, n_trials=4, seed=3)
    b = B.tune_hyperopt("nb", train, n_trials=4, seed=3)
    assert len(a.trials) == 4 and a.trials["loss"].tolist() == b.trials["loss"].tolist()
    assert a.params == b.params and a.cv_accuracy == b.cv_accuracy
    assert a.cv_accuracy == pytest.approx(1 - a.trials["loss"].min())
    assert (a.trials["best_loss"].diff().dropna() <= 0).all()
    assert set(a.params) == {"ngram_range", "min_df", "sublinear_tf", "max_features", "nb", "alpha"}
    assert np.array_equal(a.predict_proba(held_out["comment"]), b.predict_proba(held_out["comment"]))


def test_hyperopt_knn(held_out):
    train = made_up(65, seed=4)   # ≥ 100 reviews in each CV training fold
    k = B.tune_hyperopt("knn", train, n_trials=3, seed=0)
    assert k.name == "knn_hyperopt" and isinstance(k.params["n_neighbors"], int)
    assert k.evaluate(held_out, save=False)["accuracy"] >= 0.9


@pytest.mark.parametrize("kind, n, msg", [("svm", 2, "unknown hyperopt model 'svm'"),
                                          ("nb", 0, "n_trials must be at least 1"),
                                          ("knn", 2, "needs at least 100 training reviews per CV fold")])
def test_hyperopt_bad_arguments(kind, n, msg, train):
    with pytest.raises(ValueError, match=msg):
        B.tune_hyperopt(kind, train, n_trials=n)


def test_unknown_baseline_and_bad_columns(train):
    with pytest.raises(ValueError, match="unknown baseline 'svm'"):
        B.pipeline("svm")
    with pytest.raises(ValueError, match="unknown baseline 'svm'"):
        B.tune_grid("svm", train)
    with pytest.raises(ValueError, match="missing: sentiment"):
        B.tune_grid("tfidf_word_svc", train[["comment"]])


def test_original_style_weights_are_ids_times_position_idf(train):
    b = B.tune_grid("tfidf_original_style", train, grid={"clf__C": [1.0], "clf__kernel": ["linear"]})
    review = "好吃，推荐。"
    ex = B.original_style_example(b.model, review, last=4)
    assert ex["词"].tolist() == ["（补零）", "（补零）", "好吃", "推荐"]
    raw = (ex["编号"] * ex["IDF"]).to_numpy(dtype=float)
    # the row is L2-normalised over its only two non-zero cells, which are the last two here
    assert np.allclose(ex["TF-IDF"], raw / np.linalg.norm(raw))
    stats = B.padding_stats(b.model, [review])
    assert stats["zero_share"] == pytest.approx(98 / 100) and stats["share_shorter"] == 1.0


def test_results_table_and_text_helpers(train):
    mk = lambda n, cv: B.Baseline(n, None, cv, 0.0, {}, 1.0)
    t, p = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    from book import metrics
    entries = [metrics.evaluate("tfidf_original_style", t, p, save=False), metrics.evaluate("tfidf_word_svc", t, t, save=False)]
    table = B.results_table([mk("tfidf_original_style", 0.6), mk("tfidf_word_svc", 0.9)], entries)
    assert table["cv_accuracy"].tolist() == [0.6, 0.9] and table["accuracy"].tolist() == [0.75, 1.0]
    assert table.loc["tfidf_original_style", "original_reported"] == B.ORIGINAL_REPORTED["tfidf_original_style"]
    assert np.isnan(table.loc["tfidf_word_svc", "original_reported"])
    with pytest.raises(ValueError, match="same order"):
        B.results_table([mk("tfidf_word_svc", 0.9), mk("tfidf_original_style", 0.6)], entries)
    assert B.format_params({"alpha": 0.123456, "ngram_range": [1, 3], "max_features": None}) == \
        "alpha = 0.123, ngram_range = (1, 3), max_features = 不限"
    assert set(B.search_space_table()["模型"]) >= set(B.GRIDS)


def test_format_params_writes_booleans_as_the_tables_do():
    assert B.format_params({"sublinear_tf": False, "C": 1.0}) == "sublinear_tf = 否, C = 1"
    assert B.KERNEL_NAMES["linear"] == "线性"


def test_score_folds_refits_the_chosen_settings_on_each_further_fold(train, held_out, artifacts):
    from types import SimpleNamespace

    b = B.tune_grid("tfidf_char_linearsvc", train, grid={"clf__C": [0.3]})
    flipped = held_out.assign(sentiment=1 - held_out["sentiment"])            # a fold whose training labels lie
    folds = {0: None, 1: SimpleNamespace(train_full=train, test=held_out),
             2: SimpleNamespace(train_full=flipped, test=held_out)}
    e1, e2 = B.score_folds(b, folds)
    assert (e1["name"], e1["fold"], e1["family"], e1["params"]) == ("tfidf_char_linearsvc_fold1", 1, "baseline", b.params)
    assert e1["accuracy"] == 1.0 and e2["accuracy"] == 0.0                     # each fold's own training data
    assert e1["test"]["review_id"] == [int(i) for i in held_out.index]
    saved = json.loads((artifacts / "metrics.json").read_text(encoding="utf-8"))["models"]
    assert {"tfidf_char_linearsvc_fold1", "tfidf_char_linearsvc_fold2"} <= set(saved)
    again = B.load_predictor(artifacts / "baselines" / "tfidf_char_linearsvc_fold2.joblib")
    assert np.array_equal((again.predict_proba(held_out["comment"]) >= 0.5).astype(int), e2["test"]["y_pred"])
    assert np.array_equal(b.predict_proba(held_out["comment"]), B.refit(b.model, train).predict_proba(
        list(held_out["comment"]))[:, 1])                                      # same settings, same data: same model
