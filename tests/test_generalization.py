"""book.generalization: sampling, scoring, paired tests, transfer analysis, nested subsets,
model files, verdicts. Everything runs on small data made here."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from book import generalization as g
from book import metrics, names, record


def frame(labels, cats=None, texts=None) -> pd.DataFrame:
    n = len(labels)
    df = pd.DataFrame({"comment": texts or [f"评论{i}" for i in range(n)], "sentiment": labels})
    if cats is not None:
        df["cat"] = cats
    df.index.name = "review_id"
    return df


class Fixed:
    """A predictor that returns given probabilities, looked up by text."""

    def __init__(self, table: dict):
        self.table = table

    def predict_proba(self, texts):
        return np.array([self.table[t] for t in texts])


# ---------------------------------------------------------------- sample


def test_sample_size_formula():
    assert g.sample_size(0.5) == 2401       # 1.96² · 0.25 / 0.02² = 2401.0
    assert g.sample_size(0.85) == 1225      # 1.96² · 0.1275 / 0.0004 = 1224.5 → 1225
    assert g.sample_size(0.5, halfwidth=0.04) == 601
    with pytest.raises(ValueError):
        g.sample_size(1.0)


def test_stratified_sample_takes_per_cell_or_all_and_is_seeded():
    cats = ["书籍"] * 50 + ["水果"] * 50
    labels = [0] * 10 + [1] * 40 + [0] * 25 + [1] * 25
    df = frame(labels, cats)
    s = g.stratified_sample(df, per_cell=20, seed=1)
    counts = s.groupby(["cat", "sentiment"]).size().to_dict()
    assert counts == {("书籍", 0): 10, ("书籍", 1): 20, ("水果", 0): 20, ("水果", 1): 20}
    assert s.index.is_monotonic_increasing and s.index.is_unique
    assert s.index.equals(g.stratified_sample(df, per_cell=20, seed=1).index)
    assert not s.index.equals(g.stratified_sample(df, per_cell=20, seed=2).index)


# ---------------------------------------------------------------- scores and tests


def test_predict_all_and_score_models_per_category():
    df = frame([1, 1, 0, 0, 1, 0], cats=["a", "a", "a", "b", "b", "b"])
    texts = list(df["comment"])
    perfect = Fixed({t: float(y) for t, y in zip(texts, df["sentiment"])})
    always_pos = Fixed({t: 0.9 for t in texts})
    probs, secs = g.predict_all({"perfect": perfect, "pos": always_pos}, texts)
    assert list(probs.columns) == ["perfect", "pos"] and set(secs) == {"perfect", "pos"}
    s = g.score_models(df, probs, by="cat")
    assert s["perfect"]["all"]["accuracy"] == 1.0 and s["perfect"]["all"]["accuracy_ci95"] == [1.0, 1.0]
    assert s["pos"]["all"]["accuracy"] == pytest.approx(0.5)
    assert s["pos"]["all"]["balanced_accuracy"] == pytest.approx(0.5)
    assert s["pos"]["by_cat"]["a"]["accuracy"] == pytest.approx(2 / 3)
    assert s["pos"]["by_cat"]["b"]["n"] == 3
    t = g.score_table(s)
    assert t.loc["pos", "accuracy_low"] <= t.loc["pos", "accuracy"] <= t.loc["pos", "accuracy_high"]
    assert g.category_accuracy(s).loc["b", "pos"] == pytest.approx(1 / 3)
    json.dumps(s)  # the record must be storable


def test_predict_all_passes_tokens_to_token_models():
    class TokenModel:
        def predict_tokens(self, docs):
            return np.array([len(d) / 10 for d in docs])

        def predict_proba(self, texts):
            raise AssertionError("should have used the tokens")

    probs, _ = g.predict_all({"m": TokenModel()}, ["x", "y"], tokens=[["a"], ["a", "b"]])
    assert probs["m"].tolist() == [0.1, 0.2]


def test_paired_tests_holm_over_all_domains():
    y = np.array([1] * 30 + [0] * 30)
    good = y.astype(float)
    bad = 1.0 - good
    probs = {"d1": pd.DataFrame({"a": good, "b": bad, "c": good}),
             "d2": pd.DataFrame({"a": good, "b": good, "c": good})}
    t = g.paired_tests({"d1": y, "d2": y}, probs, g.all_pairs(["a", "b", "c"]))
    assert len(t) == 6
    row = t[(t["domain"] == "d1") & (t["a"] == "a") & (t["b"] == "b")].iloc[0]
    assert row["a_only"] == 60 and row["b_only"] == 0 and row["p_value"] < 1e-10
    assert np.allclose(t["p_holm"], metrics.holm(t["p_value"]))
    assert (t["p_holm"] >= t["p_value"]).all()


# ---------------------------------------------------------------- transfer analysis


def test_oov_share_counts_tokens():
    assert g.oov_share([["好", "吃"], ["好", "慢", "慢"]], {"好", "吃"}) == pytest.approx(2 / 5)
    with pytest.raises(ValueError):
        g.oov_share([[]], {"好"})


def test_polarity_shift_statuses():
    src = pd.DataFrame({"word": ["好吃", "难吃", "快", "一般", "价格"], "log_ratio": [3.0, -2.5, 2.0, -1.8, 0.1]})
    tgt = pd.DataFrame({"word": ["好吃", "难吃", "快"], "log_ratio": [2.9, 0.4, 0.5]})
    t = g.polarity_shift(src, tgt, k=4)
    assert list(t.index) == ["好吃", "难吃", "快", "一般"]  # by |log_ratio|; 价格 is left out
    assert t["status"].to_dict() == {"好吃": "kept", "难吃": "flipped", "快": "weaker", "一般": "absent"}
    assert set(t["status"]) <= set(g.STATUS_NAMES)


def test_domain_log_ratio_signs():
    docs = [["好吃", "快"]] * 6 + [["难吃", "慢"]] * 6
    lr = g.domain_log_ratio(docs, [1] * 6 + [0] * 6, min_count=5).set_index("word")["log_ratio"]
    assert lr["好吃"] > 0 > lr["难吃"]


def test_hard_examples_most_models_wrong_first():
    df = frame([1, 0, 1], texts=["甲", "乙", "丙"])
    probs = pd.DataFrame({"m1": [0.2, 0.4, 0.9], "m2": [0.1, 0.6, 0.8]})
    h = g.hard_examples(df, probs, k=2)
    assert list(h["comment"]) == ["甲", "乙"]  # both wrong on 甲; one wrong on 乙; none on 丙
    assert h.loc[0, "m1"] == 0.2 and list(h.columns) == ["comment", "sentiment", "m1", "m2"]


# ---------------------------------------------------------------- nested subsets


def test_nested_subsets_nest_and_are_stratified():
    df = frame([1] * 90 + [0] * 60)  # 60% positive
    subs = g.nested_subsets(df, sizes=(10, 25, 50, 150), seed=3)
    assert [len(s) for s in subs.values()] == [10, 25, 50, 150]
    sizes = sorted(subs)
    for small, big in zip(sizes, sizes[1:]):
        assert set(subs[small].index) <= set(subs[big].index)
    for n, s in subs.items():
        assert abs(s["sentiment"].sum() - 0.6 * n) <= 0.5, n  # class counts within rounding
    assert subs[25].index.equals(g.nested_subsets(df, sizes=(10, 25), seed=3)[25].index)
    assert not subs[25].index.equals(g.nested_subsets(df, sizes=(25,), seed=4)[25].index)
    with pytest.raises(ValueError, match="between 2 and 150"):
        g.nested_subsets(df, sizes=(200,))


# ---------------------------------------------------------------- model files


def test_model_path_finds_saved_files_or_names_the_chapter(tmp_path, monkeypatch):
    monkeypatch.setenv(names.ARTIFACTS_ENV, str(tmp_path))
    rec = record.Record({
        "models": {"nb_hyperopt": {"family": "baseline"}, "tfidf_char_linearsvc": {"family": "baseline"},
                   "lstm_seed0": {"family": "lstm"}, "lstm_seed1": {"family": "lstm"}},
        "results": {"baselines": {"best_by_cv": "tfidf_char_linearsvc"}, "lstm_saved_seed": 1}})
    (tmp_path / "tfidf.joblib").write_bytes(b"x")
    assert g.model_path(rec, "tfidf_char_linearsvc") == tmp_path / "tfidf.joblib"
    with pytest.raises(g.MissingModel, match=r"nb_hyperopt\.joblib is missing; run chapters/03a_baselines\.md \(chapter 3\.1\)"):
        g.model_path(rec, "nb_hyperopt")
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "nb_hyperopt.joblib").write_bytes(b"x")
    assert g.model_path(rec, "nb_hyperopt") == tmp_path / "baselines" / "nb_hyperopt.joblib"
    (tmp_path / "lstm").mkdir()
    (tmp_path / "lstm" / "model.pt").write_bytes(b"x")
    assert g.model_path(rec, "lstm_seed1") == tmp_path / "lstm"
    with pytest.raises(g.MissingModel, match=r"lstm_seed0 is missing; run chapters/03b_lstm\.md \(chapter 3\.2\)"):
        g.model_path(rec, "lstm_seed0")
    with pytest.raises(record.RecordError):
        g.model_path(rec, "bilstm_seed0")


def test_snownlp_gives_probabilities():
    pytest.importorskip("snownlp")
    p = g.SnowNLPPredictor().predict_proba(["非常好吃，服务周到，下次还来", "太难吃了，服务差，再也不来了"])
    assert p.shape == (2,) and ((p >= 0) & (p <= 1)).all() and p[0] > p[1]
    with pytest.raises(TypeError):
        g.SnowNLPPredictor().predict_proba("好")


# ---------------------------------------------------------------- verdicts


def test_drops_change_and_its_ci():
    dp = {"a": np.array([1] * 90 + [0] * 10), "b": np.array([1] * 80 + [0] * 20)}
    do = {"a": np.array([1] * 700 + [0] * 300), "b": np.array([1] * 790 + [0] * 210)}
    t = g.drops(dp, do)
    assert t.loc["a", "change"] == pytest.approx(-0.2) and t.loc["b", "change"] == pytest.approx(-0.01)
    se = np.sqrt(0.09 / 100 + 0.21 / 1000)
    assert t.loc["a", "ci_high"] == pytest.approx(-0.2 + 1.96 * se)


def test_drop_differences_pairs_within_each_set():
    dp = {"a": np.array([1, 1, 0, 0] * 50), "b": np.array([1, 1, 0, 0] * 50)}      # identical on dianping
    do = {"a": np.array([1] * 900 + [0] * 100), "b": np.array([1] * 600 + [0] * 400)}
    r = g.drop_differences(dp, do, [("a", "b")]).iloc[0]
    assert r["difference"] == pytest.approx(0.3) and r["p_value"] < 1e-6
    d = do["a"] - do["b"]
    assert r["se"] == pytest.approx(np.sqrt(d.var() / len(d)))                       # dianping adds nothing
    same = g.drop_differences(dp, {"a": do["a"], "b": do["a"]}, [("a", "b")]).iloc[0]
    assert same["difference"] == 0 and same["p_value"] == 1.0


def test_family_summary_and_state():
    t = pd.DataFrame([
        {"domain": "w", "a": "t0", "b": "l0", "p_holm": 0.001, "favours": "t0"},
        {"domain": "w", "a": "t0", "b": "l1", "p_holm": 0.001, "favours": "t0"},
        {"domain": "s", "a": "t0", "b": "l0", "p_holm": 0.2, "favours": "t0"},
        {"domain": "s", "a": "t0", "b": "l1", "p_holm": 0.01, "favours": "l1"}])
    fam = {"t0": "T", "l0": "L", "l1": "L"}.get
    summ = g.family_summary(t, fam)
    assert summ.to_dict(orient="records") == [
        {"domain": "w", "family_a": "T", "family_b": "L", "n": 2, "a_better": 2, "b_better": 0},
        {"domain": "s", "family_a": "T", "family_b": "L", "n": 2, "a_better": 0, "b_better": 1}]
    assert g.family_state(summ, "w", "T", "L") == ("a", 2, 2) and g.family_state(summ, "w", "L", "T") == ("b", 2, 0)
    assert g.family_state(summ, "s", "T", "L") == ("some_b", 2, 0) and g.family_state(summ, "s", "L", "T") == ("some_a", 2, 1)
    assert g.family_state(summ.assign(a_better=0, b_better=0), "s", "T", "L")[0] == "none"
    assert g.family_state(summ.assign(a_better=1, b_better=1), "s", "T", "L")[0] == "split"
    with pytest.raises(KeyError, match="no comparison of T and S"):
        g.family_state(summ, "w", "T", "S")


def test_split_contrast_at_the_first_word_with_two_han_each_side():
    assert g.split_contrast("这家的环境不差，但是菜不怎么好吃。") == ("这家的环境不差，", "但是菜不怎么好吃。", "但是")
    assert g.split_contrast("环境好但贵") is None                       # one Han character after 但
    assert g.split_contrast("但是很好吃") is None                       # nothing before
    assert g.split_contrast("味道就是好，服务就是快") is None             # 就是 inside a clause is no contrast
    assert g.split_contrast("环境不错，就是有点贵") == ("环境不错，", "就是有点贵", "就是")
    assert g.split_contrast("菜还行只是一般般吧") is None
    assert g.split_contrast("味道可以，可是太贵了")[2] == "可是"
    df = frame([1, 0, 1], texts=["好吃", "服务好，就是有点贵", "菜一般不过便宜"])
    c = g.contrast_reviews(df)
    assert list(c.index) == [1, 2] and list(c["word"]) == ["就是", "不过"]


def test_clause_following_counts_only_disagreeing_halves():
    y = [0, 0, 0, 1, 1]
    first = [0.9, 0.9, 0.9, 0.2, 0.8]      # the last review's halves agree: left out
    last = [0.1, 0.1, 0.1, 0.9, 0.9]
    whole = [0.8, 0.2, 0.3, 0.7, 0.9]      # follows first once, last three times
    r = g.clause_following(y, whole, first, last)
    assert r["n_disagree"] == 4 and r["follows_first"] == 0.25
    assert r["whole_accuracy"] == 0.75 and r["first_accuracy"] == 0.0 and r["last_accuracy"] == 1.0
    assert 0 < r["follows_first_ci"][0] < 0.25 < r["follows_first_ci"][1] and r["p_first"] > 0.05
    lean = g.clause_following([0] * 40, [0.9] * 40, [0.9] * 40, [0.1] * 40)
    assert lean["follows_first"] == 1.0 and lean["p_first"] < 0.05


def test_seeds_at_every_size_refuses_a_mixed_curve():
    ok = pd.DataFrame({"role": ["l"] * 4, "size": [100, 100, 1600, 1600], "seed": [0, 1, 1, 0]})
    assert g.seeds_at_every_size(ok) == {"l": [0, 1]}
    bad = pd.DataFrame({"role": ["l"] * 3, "size": [100, 1600, 1600], "seed": [0, 0, 1]})
    with pytest.raises(ValueError, match="learning curve of l"):
        g.seeds_at_every_size(bad)






# ---------------------------------------------------------------- figures


def test_figures_have_chinese_labels_and_bands():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from book import plots
    plots.setup()  # a CJK font: a missing glyph would warn
    fig, (a1, a2) = plt.subplots(1, 2)
    acc = pd.DataFrame({"书籍": [0.8, 0.9], "水果": [0.7, 0.95]}, index=["甲", "乙"])
    g.category_heatmap(acc, ax=a1)
    assert a1.get_xlabel() == "商品类别" and [t.get_text() for t in a1.get_xticklabels()] == ["书籍", "水果"]
    curves = pd.DataFrame({"model": ["甲"] * 4 + ["乙"] * 2, "size": [100, 100, 200, 200, 100, 200],
                           "seed": [0, 1, 0, 1, 0, 0], "accuracy": [0.6, 0.7, 0.8, 0.9, 0.5, 0.6]})
    g.curve_plot(curves, ax=a2)
    assert a2.get_xscale() == "log" and a2.get_xlabel().startswith("训练评论条数")
    assert [l.get_label() for l in a2.get_lines()] == ["甲", "乙"]
    assert np.allclose(a2.get_lines()[0].get_ydata(), [0.65, 0.85])
    assert len(a2.collections) == 1  # a band only for the model with several seeds
    assert all(line.get_linestyle() == "-" for line in a2.get_lines())
    fig2, a3 = plt.subplots()
    partial = pd.concat([curves, pd.DataFrame({"model": ["甲"], "size": [400], "seed": [0], "accuracy": [0.92]})])
    g.curve_plot(partial, ax=a3)        # 乙 never trained on 400 reviews: dashed, and its label says so
    lines = {line.get_label(): line for line in a3.get_lines()}
    assert lines["甲"].get_linestyle() == "-"
    assert lines["乙（只在 100、200 条上训练；虚线只是连接）"].get_linestyle() == "--"
    plt.close(fig)
    plt.close(fig2)


def test_halfwidth_matches_sample_size():
    n = g.sample_size(0.85)
    assert g.halfwidth(0.85, n) <= 0.02 < g.halfwidth(0.85, n - 5)
    assert g.halfwidth(0.5, 100) == pytest.approx(0.098)


def test_predict_domains_keeps_each_domains_index():
    a, b = frame([1, 0], texts=["好吃", "难吃"]), frame([1], texts=["好用"])
    b.index = pd.Index([7], name="review_id")
    m = Fixed({"好吃": 0.9, "难吃": 0.2, "好用": 0.6})
    probs, secs, tokens = g.predict_domains({"m": m}, {"a": a, "b": b})
    assert probs["b"].index.tolist() == [7] and probs["a"]["m"].tolist() == [0.9, 0.2]
    assert tokens["a"] == [["好吃"], ["难吃"]] and set(secs) == {"a", "b"}


def test_nested_subsets_feed_a_baseline_curve():
    """The best baseline's recipe with fixed parameters, on nested subsets of a tiny made-up set."""
    pos = ["好吃又便宜", "服务很好", "环境不错好吃", "非常满意", "味道很好", "下次还来"] * 4
    neg = ["难吃又贵", "服务很差", "环境太差难吃", "非常失望", "味道很差", "再也不来"] * 4
    train = frame([1] * 24 + [0] * 24, texts=pos + neg)
    test = frame([1, 0, 1, 0], texts=["很好吃", "很难吃", "服务好", "服务差"])
    subs = g.nested_subsets(train, sizes=(20, 48), seed=0)
    rows = g.curve_baseline("tfidf_char_linearsvc", subs, test, params={"C": 1.0}, seed=0)
    assert [r["size"] for r in rows] == [20, 48]
    assert all(0 <= r["accuracy"] <= 1 for r in rows) and rows[-1]["accuracy"] >= 0.75






def test_accuracy_by_coverage_splits_known_and_unknown():
    r = g.accuracy_by_coverage(np.array([0, 0, 0.5, 0.2, np.nan]), np.array([1, 1, 0, 1, 1]))
    assert r == {"mean_unknown": pytest.approx(0.175), "n_all_known": 2, "acc_all_known": 1.0,
                 "n_some_unknown": 2, "acc_some_unknown": 0.5}
    assert g.accuracy_by_coverage(np.zeros(3), np.ones(3))["acc_some_unknown"] is None




def test_domain_plot_draws_a_row_per_model_and_a_colour_per_domain():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from book import plots
    plots.setup()
    t = pd.DataFrame({"accuracy": [0.9, 0.8], "ci_low": [0.85, 0.75], "ci_high": [0.95, 0.85]}, index=["甲", "乙"])
    fig, ax = plt.subplots()
    g.domain_plot({"点评": t, "外卖": t - 0.1}, ax=ax)
    assert [x.get_text() for x in ax.get_yticklabels()] == ["甲", "乙"]
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["点评", "外卖"]
    xs = sorted(round(float(v), 2) for line in ax.get_lines() for v in line.get_xdata() if line.get_marker() == "o")
    assert xs == [0.7, 0.8, 0.8, 0.9]
    with pytest.raises(ValueError):
        g.domain_plot({}, ax=ax)
    plt.close(fig)
