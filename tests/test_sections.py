"""book.sections: each section's values from small made-up results — the numbers a chapter's prose
quotes, the record entries the section keeps, and the sentences the build guards."""
from __future__ import annotations

import copy
import json
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from test_ledger import made_up_record

import book
from book import generalization as gen
from book import record, sections


@pytest.fixture
def artifacts(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    return tmp_path


def written(artifacts) -> dict:
    return json.loads((artifacts / "metrics.json").read_text(encoding="utf-8"))


def reviews(comments, labels) -> pd.DataFrame:
    return pd.DataFrame({"comment": comments, "sentiment": labels})


# ---------------------------------------------------------------- chapters 1–3


def test_chapter_1_counts_and_what_200_reviews_resolve():
    rv = reviews(["好", "差", "好吃", "难吃", "不错"], [1, 0, 1, 0, 1])
    splits = SimpleNamespace(test=rv.iloc[:4])
    v = sections.dataset_counts(rv, splits)
    assert (v["rows"], v["n_pos"], v["n_neg"], v["n_test"], v["n_boot"]) == (5, 3, 2, 4, 2000)
    ex = sections.worked_example(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1]))
    assert (ex["tp"], ex["fn"], ex["fp"], ex["tn"], ex["n"]) == (2, 1, 1, 1, 5) and ex["accuracy"] == 0.6
    r = sections.resolution(200)
    # A wrong on reviews 0-11, B on 0-7 and 12-17: 6 reviews only A gets right, 4 only B
    assert (r["ci_acc"], r["mc_acc_a"], r["mc_acc_b"], r["mc_b"], r["mc_c"]) == (0.9, 0.94, 0.93, 6, 4)
    assert r["ci_lo"] < 0.9 < r["ci_hi"] and 0.5 < r["mc_p"] <= 1 and r["ci_width_pp"] == pytest.approx(100 * (r["ci_hi"] - r["ci_lo"]))


def test_chapter_2_lengths_words_and_the_record(artifacts):
    rv = reviews(["好吃不贵", "太难吃了不好", "不错", "服务很差不会再来"], [1, 0, 1, 0])
    docs = [["好吃", "不贵"], ["太", "难吃", "了", "不好"], ["不错"], ["服务", "很差", "不会", "再来"]]
    lengths = rv.assign(chars=rv["comment"].str.len(), words=[len(d) for d in docs])
    stats = sections.length_stats(lengths)
    assert stats["all"]["chars"] == {"min": 2, "median": 5.0, "mean": 5.0, "max": 8}
    assert stats["negative"]["words"]["median"] == 4.0 and stats["positive"]["words"]["max"] == 2
    facts = {"rows": 4, "class_counts": {"0": 2, "1": 2}, "sha256": "ab",
             "splits": {"test": {"total": 1}, "valid": {"total": 1}, "train": {"total": 2}}, "split_seed": 42}
    v = sections.review_lengths(stats, facts)
    assert v["chars_median_all"] == 5.0 and v["words_max_negative"] == 4 and v["balance"] and v["skew"]
    docs2 = [["不", "好吃"], ["不", "难吃", "不"], ["好吃"], ["难吃"]]
    pos, neg = sections.class_word_counts(rv, docs2)
    assert pos["好吃"] == 2 and neg["不"] == 2 and "难吃" not in pos
    top = sections.frequent_words(rv, pos, neg, top_k=2)
    assert top["n_nontest"] == 4 and top["bu_rank_neg"] == 1 and top["bu_rank_pos"] >= 1
    lr = pd.DataFrame({"word": ["好吃", "不错", "环境", "你们", "你家", "差"],
                       "log_ratio": [2.0, 1.5, 0.1, -0.5, -0.7, -2.0]})
    w = sections.log_ratio_words(lr, min_count=10, alpha=1.0, k=2)
    assert w["lr_nimen"] == -0.5 and w["lr_top_neg"] == "差、你家、你们、环境、不错"
    assert sections.split_sizes(facts, stats)["n_rest"] == 3
    m = written(artifacts)
    assert m["results"]["log_ratio_top_words"] == {"min_count": 10, "alpha": 1.0, "positive": ["好吃", "不错"],
                                                   "negative": ["差", "你家"]}
    assert m["dataset"]["rows"] == 4 and m["dataset"]["lengths"]["all"]["chars"]["max"] == 8
    bow = pd.DataFrame([[1, 2], [0, 1]], columns=["她", "猫猫"])
    assert sections.bag_of_words(bow) == {"words": "她、猫猫", "n": 2, "v0": "[1, 2]", "v1": "[0, 1]",
                                          "cat": "「猫猫」是一个词"}


def test_chapter_3_removed_characters_and_vocabulary(artifacts):
    comments = pd.Series(["好吃!!", "ok好", "不错。"])
    runs = sections.removed_runs(comments)
    assert runs == Counter({"!!": 1, "ok": 1, "。": 1})
    v = sections.removed_characters(comments, runs, top_runs=5)
    # 10 characters, 5 of them Han; of the 5 removed, "!!" and "。" (3) are punctuation
    assert v["removed_pct"] == pytest.approx(50) and v["punct_pct"] == pytest.approx(60)
    assert v["alnum_pct"] == pytest.approx(100 / 3) and v["top_runs"] == 5
    splits = SimpleNamespace(train=reviews(["好吃", "好吃不错"], [1, 1]), valid=reviews(["好吃难吃"], [0]))
    voc = sections.vocabulary(splits, n_crossing=7)
    assert voc["n_train"] == 2 and voc["oov_pct"] > 0
    assert written(artifacts)["results"]["vocabulary"]["reviews_with_cross_boundary_words"] == 7


def baseline(name, cv, losses):
    return SimpleNamespace(name=name, cv_accuracy=cv, params={"alpha": 0.5},
                           trials=pd.DataFrame({"loss": losses}))


def entry(name, acc, lo, hi, y_pred=None):
    return {"name": name, "accuracy": acc, "ci95": [lo, hi], "precision_macro": acc, "recall_macro": acc,
            "f1_macro": acc, "seconds": 2.0, "test": {"y_pred": y_pred or [1, 0, 1, 0]}}


def test_chapter_3_1_hyperopt_models_and_the_chosen_baseline(artifacts):
    nb = baseline("nb_hyperopt", 0.80, [-0.7, -0.8, -0.75])
    knn = baseline("knn_hyperopt", 0.70, [-0.7, -0.6])
    v = sections.hyperopt_models([(nb, entry("nb_hyperopt", 0.85, 0.8, 0.9)), (knn, entry("knn_hyperopt", 0.6, 0.5, 0.7))])
    assert v["nb_first_best"] == 2 and v["knn_first_best"] == 1
    assert v["nb_diff"] == pytest.approx(0.05) and v["knn_lo"] == 0.5 and v["cv_in_ci"]
    orig = baseline("tfidf_original_style", 0.55, [0.0])
    best = baseline("tfidf_char_linearsvc", 0.88, [0.0])
    everyone = [orig, best, nb, knn]
    entries = [entry(orig.name, 0.55, 0.48, 0.62, [0, 0, 0, 0]), entry(best.name, 0.9, 0.85, 0.95, [1, 0, 1, 0]),
               entry(nb.name, 0.85, 0.8, 0.9, [1, 0, 1, 1]), entry(knn.name, 0.6, 0.5, 0.7, [0, 0, 1, 0])]
    test = reviews(["a", "b", "c", "d"], [1, 0, 1, 0])
    v, table = sections.baseline_results(everyone, entries, best, orig, (nb, knn), test, {"x": 0.6}, 30, "tfidf.joblib")
    assert (v["mc_a"], v["mc_b"]) == (2, 0) and v["best_acc"] == 0.9 and v["total_seconds"] == 8.0
    assert list(table.index) == [b.name for b in everyone]
    kept = written(artifacts)["results"]["baselines"]
    assert kept["best_by_cv"] == best.name and kept["hyperopt_loss"]["nb_hyperopt"] == [-0.7, -0.8, -0.75]


# ---------------------------------------------------------------- chapter 3.2


def fit(seed, n_hidden=4):
    model = SimpleNamespace(lstm=torch.nn.LSTM(3, n_hidden), parameters=lambda: iter([torch.zeros(10)]))
    hist = pd.DataFrame({"train_loss": [0.6, 0.4], "valid_loss": [0.5, 0.45], "seconds": [1.0, 3.0]})
    return SimpleNamespace(seed=seed, history=hist, predictor=SimpleNamespace(model=model))


def test_chapter_3_2_seeds_bidirectional_and_grid(artifacts):
    fits, bi = [fit(0), fit(1)], [fit(0, 2), fit(1, 2)]
    table = pd.DataFrame({"accuracy": [0.8, 0.84], "f1_macro": [0.8, 0.84], "valid_accuracy": [0.8, 0.82],
                          "seconds": [10.0, 12.0], "best_epoch": [2, 3]})
    bi_table = table.assign(accuracy=[0.82, 0.86], seconds=[22.0, 22.0])
    v = sections.lstm_seeds(fits, table)
    assert v["acc_mean"] == pytest.approx(0.82) and v["best_epochs"] == "2、3" and v["epoch_seconds"] == 2.0
    assert v["n_params_wan"] == pytest.approx(1e-3)
    b = sections.bilstm(fits, table, bi, bi_table, bi_hidden=2, n_test=200)
    assert b["bi_minus_uni"] == pytest.approx(0.02) and b["bi_time_ratio"] == 2.0
    assert b["bi_lstm_params"] < b["uni_lstm_params"]
    cfg = SimpleNamespace(embedding_dim=400, hidden_dim=256)
    cells = pd.DataFrame({"embedding_dim": [100, 100, 400, 400], "hidden_dim": [64, 256, 64, 256],
                          "valid_accuracy": [0.80, 0.81, 0.79, 0.83], "seconds": [5.0, 10.0, 8.0, 20.0]})
    grid = cells.pivot(index="embedding_dim", columns="hidden_dim", values="valid_accuracy")
    g = sections.lstm_grid(cells, grid, cfg, (100, 400), (64, 256), valid_sd=0.01)
    assert g["grid_best"] == "400 × 256" and g["grid_spread"] == pytest.approx(0.04) and g["grid_orig_acc"] == 0.83
    m = written(artifacts)["results"]
    assert m["lstm_accuracy_mean"] == pytest.approx(0.82) and m["bilstm_accuracy_mean"] == pytest.approx(0.84)
    assert len(m["lstm_grid_valid"]) == 4


def test_chapter_3_2_original_recipe_and_the_mixed_review(artifacts):
    rows = [{"p": 0.5, "agreement": 0.5, "chance": 0.49}, {"p": 0.01, "agreement": 0.7, "chance": 0.5},
            {"p": 0.01, "agreement": 0.3, "chance": 0.5}]
    assert sections.significant_neighbours(rows) == [rows[1]]
    mixed = "环境不差，菜不好吃。"
    plain = [rows[0], rows[2], rows[0]]                     # no seed's neighbours significantly above chance
    answers = {"neighbours": plain, "sentences": {mixed: [0.7, 0.6, 0.9]}}
    table = pd.DataFrame({"accuracy": [0.8, 0.78, 0.83], "seconds": [60.0, 62.0, 64.0]})
    v, near = sections.original_lstm({"embedding_dim": 400}, answers, table, mixed)
    assert near == [] and (v["n"], v["n_near"], v["n_mixed_pos"], v["seconds"]) == (3, 0, 3, 62.0)
    for changed in ({"neighbours": rows}, {"sentences": {mixed: [0.7, 0.4, 0.9]}}):   # the page's reading no longer holds
        with pytest.raises(book.ClaimNoLongerHolds, match="每个种子给出的"):
            sections.original_lstm({"embedding_dim": 400}, {**answers, **changed}, table, mixed)
    assert v["embedding_dim"] == 400 and written(artifacts)["results"]["original_lstm"]["config"] == {"embedding_dim": 400}
    prefix = pd.DataFrame({"word": ["环境", "不", "差", "菜", "不", "好吃"], "prob": [0.6, 0.55, 0.7, 0.7, 0.3, 0.35]})
    per_seed = pd.DataFrame({"种子 0": [0.3, 0.7, 0.2], "种子 1": [0.6, 0.7, 0.3]}, index=["整句", "a", "b"])
    m = sections.lstm_mixed(mixed, 0, [0.35, 0.7, 0.2], prefix, per_seed)
    assert (m["first"], m["second"]) == ("环境不差", "菜不好吃。")
    assert m["prefix_jump_word"] == "不" and m["prefix_jump"] == pytest.approx(0.4) and m["prefix_verdict"]
    assert written(artifacts)["results"]["lstm_mixed_case"]["whole"] == 0.35


# ---------------------------------------------------------------- chapter 3.3


def test_chapter_3_3_runs_scores_attributions_and_layers(artifacts):
    run = SimpleNamespace(seconds=120.0, n_params=1.2e7, n_trained=3e6, best_epoch=3, valid_accuracy=0.86, seed=0,
                          fold=0, record={"accuracy": 0.88, "f1_macro": 0.879, "ci95": [0.83, 0.92], "precision": "fp32"})
    fold2 = SimpleNamespace(**{**vars(run), "fold": 2, "best_epoch": 4})
    v = sections.bert_runs([run, fold2], pd.DataFrame({"seconds": [30.0, 30.0]}), {"device": "cpu", "device_name": "Zen"},
                           "bf16", type("Cache", (), {"seconds": 30.0, "__len__": lambda self: 3})())
    assert v["n_seeds"] == 1 and v["n_runs"] == 2 and v["train_minutes"] == 4.0 and v["n_params_wan"] == 1200
    assert v["best_epochs"] == "第 0 折（种子 0）第 3 个、第 2 折（种子 0）第 4 个" and v["n_trained_wan"] == 300
    assert v["n_cached"] == 3 and v["cache_seconds"] == 30.0 and "bf16" in v["precision_text"]
    s = sections.bert_scores({0: run}, 0, pd.DataFrame({"accuracy": [0.88]}), 200)
    assert s["ci_width"] == pytest.approx(0.09) and s["seed_spread"].startswith("只训练了 1 个种子")
    attr = pd.DataFrame({"token": ["[CLS]", "不", "差", "好吃", "[SEP]"], "attribution": [0.0, -2.0, -1.26, 1.65, 0.0],
                         "special": [True, False, False, False, True]})
    attr.attrs.update(completeness_gap=0.01, margin_delta=3.0, steps=64)
    a = sections.attributions(attr)
    assert a["ig_neg"] == "「不」（-2.00）、「差」（-1.26）" and a["ig_pos"] == "「好吃」（+1.65）"
    pre = pd.DataFrame({"layer": [0, 1, 2, 3, 4], "cv_accuracy": [0.6, 0.7, 0.8, 0.75, 0.7],
                        "test_accuracy": [0.61, 0.72, 0.81, 0.77, 0.71]})
    cka = np.array([1.0, 0.99, 0.97, 0.6, 0.4])
    p, entry_ = sections.layer_probe(pre, cka, 0.88, 0, 1600, 200, frozen=2)
    assert p["probe_best_layer"] == 2 and p["probe_best_acc"] == 0.81 and p["n_layers"] == 4
    assert entry_["cka_trained_mean"] == pytest.approx(0.5) and p["cka_first_trained"] == 3
    with pytest.raises(ValueError, match="frozen=4"):
        sections.layer_probe(pre, cka, 0.88, 0, 1600, 200, frozen=4)
    assert written(artifacts)["results"]["layer_probe"]["best_layer_by_cv"] == 2


def test_chapter_3_3_fangbian_holds_only_while_the_senses_do_not_separate(artifacts):
    senses = {"吃方便面": "面", "泡方便面": "面", "去方便": "厕", "方便一下": "厕", "交通方便": "便"}
    jieba_words = [["吃", "方便面"], ["泡", "方便面"], ["去", "方便"], ["方便", "一下"], ["交通", "方便"]]
    labels = list(senses.values())
    mixed_up = np.array([[1.0 if i == j else (0.6 if labels[i] == labels[j] else 0.7) for j in range(5)] for i in range(5)])
    v = sections.fangbian(senses, jieba_words, [["方", "便"]] * 5, mixed_up, {"方便": 3}, "bert_seed0")
    assert v["fb_n_static"] == 3 and v["fb_top"] == 0.7 and v["fb_low"] == 0.6 and "不在 LSTM 的词表里" in v["fb_noodle"]
    assert written(artifacts)["results"]["fangbian"]["static_same_vector"] == ["去方便", "方便一下", "交通方便"]
    grouped = np.where(mixed_up == 0.7, 0.2, mixed_up)             # senses apart: the prose's sentence no longer holds
    with pytest.raises(book.ClaimNoLongerHolds, match="这些向量并没有按词义分成三组"):
        sections.fangbian(senses, jieba_words, [["方", "便"]] * 5, grouped, {}, "bert_seed0")


# ---------------------------------------------------------------- chapters 4 and 6


def test_chapter_4_paired_sentences_errors_and_the_mixed_review(artifacts):
    rows = [{"a": "best", "b": "orig", "accuracy_a": 0.88, "accuracy_b": 0.56, "p_holm": 0.001, "significant": True},
            {"a": "bert_seed0", "b": "best", "accuracy_a": 0.88, "accuracy_b": 0.88, "p_holm": 1.0, "significant": False},
            {"a": "bert_seed0", "b": "nb_hyperopt", "accuracy_a": 0.88, "accuracy_b": 0.86, "p_holm": 1.0, "significant": False},
            {"a": "bert_seed0", "b": "lstm_seed0", "accuracy_a": 0.88, "accuracy_b": 0.83, "p_holm": 0.3, "significant": False},
            {"a": "lstm_seed0", "b": "best", "accuracy_a": 0.83, "accuracy_b": 0.88, "p_holm": 0.2, "significant": False}]
    reps = {"best_baseline": "best", "original_style": "orig"}
    v = sections.paired_values(rows, reps, ["lstm_seed0"], ["bert_seed0"])
    assert (v["n_tests"], v["n_significant"]) == (5, 1)
    assert v["pp_baseline"] == pytest.approx(32) and v["p_baseline"] == "p = 0.001" and v["p_others_min"] == "p = 0.200"
    assert (v["d_tr_baseline"], v["d_tr_nb"], v["d_tr_lstm"], v["d_lstm_baseline"]) == ("+0.000", "+0.020", "+0.050", "-0.050")
    two = sections.paired_values(rows + [{**rows[4], "a": "lstm_seed1", "accuracy_a": 0.86},
                                        {**rows[3], "b": "lstm_seed1", "accuracy_b": 0.86}], reps,
                                 ["lstm_seed0", "lstm_seed1"], ["bert_seed0"])
    assert two["d_lstm_baseline"] == "-0.050 到 -0.020"            # several seeds: a range, smallest first
    correct = pd.DataFrame({"best_baseline": [True, True, False, False], "lstm": [True, False, False, True],
                            "transformer": [True, False, False, True]}, index=[10, 11, 12, 13])
    traits = pd.DataFrame({"contrast": [False, True, True, False], "chars": [10, 50, 20, 40]}, index=correct.index)
    test = reviews(["a", "b", "c", "d"], [1, 1, 0, 0]).set_axis(correct.index)
    e, overlap = sections.error_overlap(correct, traits, test)
    assert overlap == {"all_right": 1, "all_wrong": 1, "some_right": 2, "majority_right": 2}
    assert (e["n_tr_wrong"], e["n_wrong_contrast"], e["n_wrong_short"], e["n_wrong_pos"]) == (2, 2, 1, 1)
    assert e["majority_acc"] == 0.5 and written(artifacts)["results"]["error_overlap"] == overlap
    breakdown = pd.DataFrame({"n": [30, 170], "best_baseline": [0.2, 0.1], "lstm": [0.3, 0.1], "transformer": [0.1, 0.1]},
                             index=["contrast", "no_contrast"])
    c = sections.contrast_errors(breakdown.assign(best_baseline=[0.15, 0.1], lstm=[0.15, 0.1]))
    assert c["n_contrast"] == 30 and c["pp_per_review"] == pytest.approx(100 / 30)
    assert c["err_contrast_lstm"] == pytest.approx(15) and c["err_plain_best_baseline"] == pytest.approx(10)
    assert written(artifacts)["results"]["contrast_error_gap"]["lstm"] == pytest.approx(0.05)
    with pytest.raises(book.ClaimNoLongerHolds, match="几个百分点"):     # a 20-point gap is more than a clue
        sections.contrast_errors(breakdown)


MIXED = {"whole": {"tfidf": 0.1, "lstm": 0.38, "bert": 0.22}, "first": {"tfidf": 0.24, "lstm": 0.49, "bert": 0.42},
         "second": {"tfidf": 0.1, "lstm": 0.47, "bert": 0.21}}
UNITS = {"tfidf": ["环境", "不差", "不", "差"], "lstm": ["环境", "不差"], "bert": ["▁", "环境", "不", "差"]}


def test_chapter_4_mixed_review_reading_is_guarded(artifacts):
    class Saved:
        def __init__(self, units):
            self._units = units

        def units(self, text):
            return self._units

    saved = {k: Saved(u) for k, u in UNITS.items()}
    mixed = pd.DataFrame(MIXED).T
    v = sections.mixed_review(saved, ["这家的环境不差，", "但是菜不怎么好吃。"], mixed)
    assert v["p_first_lstm"] == 0.49 and v["p_whole_bert"] == 0.22 and v["first_half"] == "这家的环境不差，"
    assert written(artifacts)["results"]["mixed_units"]["bert"] == UNITS["bert"]
    sections.check_mixed_sentences(MIXED, UNITS)
    contradicting = [({**MIXED, "whole": {**MIXED["whole"], "bert": 0.6}}, UNITS, "整句判为负面"),
                     ({**MIXED, "first": {**MIXED["first"], "lstm": 0.4}}, UNITS, "几乎没有倾向"),
                     ({**MIXED, "first": {**MIXED["first"], "tfidf": 0.7}}, UNITS, "都不到 0.5"),
                     (MIXED, {**UNITS, "bert": ["不差"]}, "里有「不差」")]
    for probs, units, sentence in contradicting:
        with pytest.raises(book.ClaimNoLongerHolds, match=sentence):
            sections.check_mixed_sentences(probs, units)


def conclusion_record() -> dict:
    data = made_up_record()
    models = data["models"]
    models["nb_hyperopt"] = {**models["tfidf_char_linearsvc"], "accuracy": 0.86}
    models["tfidf_char_linearsvc"]["ci95"] = [0.83, 0.93]
    for m in models.values():
        m.setdefault("ci95", [m["accuracy"] - 0.05, m["accuracy"] + 0.05])
    models["lstm_seed0"]["embed_init_std"] = 0.1
    best, tr = "tfidf_char_linearsvc", "bert_seed0"
    seeds = ["lstm_seed0", "lstm_seed1", "lstm_seed2"]
    sig = lambda a, b, p: {"a": a, "b": b, "accuracy_a": models[a]["accuracy"], "accuracy_b": models[b]["accuracy"],  # noqa: E731
                           "p_holm": p, "significant": p < 0.05}
    data["results"]["mcnemar"] = ([sig(best, "tfidf_original_style", 0.001), sig(tr, best, 0.6), sig(tr, "nb_hyperopt", 0.5)]
                                  + [sig(tr, s, 0.04) for s in seeds] + [sig(s, best, 0.3) for s in seeds])
    data["dataset"] = {"test_review_ids": list(range(200)), "splits": {"train": {"total": 1400}, "valid": {"total": 200}}}
    data["results"]["mixed_sentiment"] = MIXED
    data["results"]["mixed_units"] = UNITS
    models["lstm_seed1"]["ci95"] = [0.80, 0.90]          # one seed's interval above the original's figure (0.79)
    data["results"]["error_overlap"] = {"some_right": 31}
    data["chapters"] = {c: {"seconds": 60.0} for c in record.READS["06_conclusion"]}
    return data


def test_chapter_6_reads_chapters_3_to_5_from_the_record():
    rec = record.Record(conclusion_record())
    v = sections.conclusion_review(rec, "E5")
    assert (v["n_tests"], v["n_significant"], v["n_test"], v["n_train_full"], v["n_train"]) == (9, 4, 200, 1600, 1400)
    assert v["gain_baseline"] == pytest.approx(0.32) and v["tr"] == 0.9 and v["lstm"] == pytest.approx(0.8)
    assert v["build_minutes"] == 8.0 and v["overlap_some"] == 31 and v["p_first_lstm"] == 0.49
    assert v["ci_lo"] == pytest.approx(10) and (v["lstm_n"], v["lstm_above_figure"], v["lstm_figure"]) == (3, 1, 0.79)
    assert v["rot_n"] == 1000 and v["rot_pp_transformer_lstm"] == pytest.approx(2.0)
    data = conclusion_record()
    for s in ("lstm_seed0", "lstm_seed2"):
        data["models"][s]["ci95"] = [0.80, 0.90]        # every seed's interval above the figure: "只有" no longer holds
    with pytest.raises(book.ClaimNoLongerHolds, match="高于原报告的图"):
        sections.conclusion_review(record.Record(data), "E5")
    n = sections.lstm_vectors(rec)
    assert (n["orig_n"], n["orig_n_near"], n["lstm_init"]) == (3, 0, 0.1) and "34 个正负面词中有 80%" in n["tsne_sentence"]
    data = conclusion_record()
    data["results"]["original_lstm"]["neighbours"][0].update(p=0.01, agreement=0.8)   # one original-recipe seed significant
    with pytest.raises(book.ClaimNoLongerHolds, match="没有关联"):
        sections.lstm_vectors(record.Record(data))


# ---------------------------------------------------------------- chapter 5


def test_chapter_5_families_drop_tests_and_guarded_sentences():
    data = made_up_record()
    data["models"].update({f"bilstm_seed{k}": {**data["models"]["lstm_seed0"], "family": "bilstm"} for k in range(2)})
    rec = record.Record(data)
    names, reps, fams = gen.families(rec)
    assert names == ["tfidf_char_linearsvc", "nb_hyperopt", "lstm_seed0", "lstm_seed1", "lstm_seed2", "bilstm_seed0",
                     "bilstm_seed1", "bert_seed0"]
    assert names[0] == "tfidf_char_linearsvc" and fams["transformer"] == ["bert_seed0"] and reps["snownlp"] == "snownlp"
    first = lambda k, n: np.arange(n) < k          # noqa: E731  (the first k of n reviews right)
    dp = {m: first(170, 200) for m in ("t", "b", "l")}
    # on the domain the transformer loses 10 points, the baseline 35, the LSTM 11: only the first gap is significant
    dom = {"waimai_10k": {"t": first(225, 300), "b": first(150, 300), "l": first(222, 300)}}
    tests, summary = gen.drop_tests(dp, dom, {"transformer": ["t"], "best_baseline": ["b"], "lstm": ["l"]},
                                    {"t": "T", "b": "B", "l": "L"})
    assert list(zip(tests["a"], tests["b"])) == [("t", "b"), ("t", "l")]
    assert tests["p_holm"].iloc[0] < 0.05 and tests["p_holm"].iloc[1] > 0.05 and tests["favours"].iloc[0] == "t"
    assert summary.loc[summary["family_b"] == "B", "a_better"].item() == 1
    changes = {"waimai_10k": gen.drops(dp, dom["waimai_10k"])}
    pooled = pd.DataFrame([{"domain": "waimai_10k", "difference": 0.2, "ci_low": 0.1, "p_holm": 0.001}])
    sections.check_domain_sentences(changes, tests.assign(domain="waimai_10k"), pooled, ["t", "b", "l"], ["l"])
    better = {"waimai_10k": {**dom["waimai_10k"], "t": np.ones(300, dtype=bool)}}
    with pytest.raises(book.ClaimNoLongerHolds, match="比在点评测试集上低"):
        sections.check_domain_sentences({"waimai_10k": gen.drops(dp, better["waimai_10k"])}, tests, pooled, ["t", "b", "l"], ["l"])
    with pytest.raises(book.ClaimNoLongerHolds, match="把五折的训练都算上"):       # the pooled interval reaches 0
        sections.check_domain_sentences(changes, tests.assign(domain="waimai_10k"), pooled.assign(ci_low=-0.01),
                                        ["t", "b", "l"], ["l"])


def test_chapter_5_change_and_family_sentences_are_guarded():
    change = lambda c, lo, hi: {"change": c, "ci_low": lo, "ci_high": hi}          # noqa: E731
    w = pd.DataFrame({"b": change(-0.08, -0.13, -0.03), "l": change(-0.05, -0.11, 0.01), "t": change(-0.03, -0.08, 0.02),
                      "snownlp": change(0.05, -0.02, 0.11)}).T
    s = w.assign(ci_high=[-0.07, -0.01, 0.04, 0.17], ci_low=[-0.17, -0.12, -0.06, 0.04], change=[-0.12, -0.07, -0.01, 0.1])
    changes = {"waimai_10k": w, "online_shopping_10_cats": s}
    fams = {"transformer": "T", "best_baseline": "B", "lstm": "L"}
    drop = pd.DataFrame([{"domain": d, "family_a": "T", "family_b": b, "n": n, "a_better": k, "b_better": 0}
                         for d, rows in (("waimai_10k", (("B", 1, 0), ("L", 3, 0))),
                                         ("online_shopping_10_cats", (("B", 1, 1), ("L", 3, 2)))) for b, n, k in rows])
    snow = {"accuracy": 0.73, "ci95": [0.67, 0.79]}
    scores = {d: {"snownlp": {"all": {"accuracy": 0.8}}} for d in changes}
    v = sections.domain_changes(changes, drop.head(3), drop, snow, scores, 3.0, 1000, str.upper, "t", fams)
    assert (v["n_changed"], v["n_lost_waimai"], v["n_lost_shop"], v["n_drop_tests"]) == (4, 1, 2, 3)
    assert v["others_waimai"] == "L" and v["others_shop"] == "没有别的模型" and v["snow_ms"] == 3.0
    assert (v["drop_shop_lstm_pairs"], v["drop_shop_lstm_less"], v["tr_change_shop"]) == (3, 2, -0.01)
    lost = {**changes, "online_shopping_10_cats": s.assign(ci_high=[-0.07, -0.01, -0.01, 0.17])}   # the transformer's drop settles
    with pytest.raises(book.ClaimNoLongerHolds, match="下降在误差之内的"):
        sections.domain_changes(lost, drop, drop, snow, scores, 3.0, 1000, str, "t", fams)
    with pytest.raises(book.ClaimNoLongerHolds, match="SnowNLP 在两个领域上反而"):
        sections.check_change_sentences({**changes, "online_shopping_10_cats": s.assign(ci_low=-0.01)}, "t")
    settled = drop.assign(a_better=[0, 3, 1, 2])                   # waimai: every LSTM seed now loses more
    with pytest.raises(book.ClaimNoLongerHolds, match="购物评论上，预训练 Transformer") as err:
        sections.domain_changes(changes, drop, settled, snow, scores, 3.0, 1000, str, "t", fams)
    assert "waimai_10k T/L: a≠none" in str(err.value)


def test_chapter_5_pooled_drops_pair_each_fold_and_count_both_sides(artifacts):
    from test_metrics import rotation_record

    rec = record.Record(rotation_record({"baseline": [18] * 5, "lstm": [14] * 5, "bert": [18] * 5}, n=20))
    y = np.array([1, 0] * 50)
    runs = {**rec.fold_runs("bert"), **{10 + f: n for f, n in rec.fold_runs("baseline").items()}}
    # on the domain every transformer run is right on all 100 reviews, every baseline run on 70
    probs = pd.DataFrame({n: np.where(np.arange(100) < (100 if n.startswith("bert") else 70), y, 1 - y).astype(float)
                          for n in runs.values()})
    out = gen.pooled_drops(rec, "bert", "baseline", {"waimai_10k": probs}, {"waimai_10k": y}, n_boot=300)
    row = out.iloc[0]
    assert (row["runs"], row["n_dianping"], row["n_domain"]) == (5, 100, 100)
    assert row["dianping_gap"] == 0 and row["domain_gap"] == pytest.approx(0.3) and row["difference"] == pytest.approx(0.3)
    assert row["ci_low"] > 0 and row["p_holm"] < 0.05
    v = sections.pooled_drop_values(out)
    assert v["pd_w_diff"] == pytest.approx(0.3) and v["pd_w_gap"] == pytest.approx(0.3) and v["pd_w_p"].startswith("p ")
    assert (v["pooled_runs"], v["pooled_n_dianping"]) == (5, 100)
    assert written(artifacts)["results"]["generalization_pooled_drops"][0]["runs"] == 5


def test_chapter_5_snownlp_is_scored_and_recorded_like_every_model(artifacts):
    test = reviews(["好", "差", "好吃", "难吃"], [1, 0, 1, 0]).set_axis([7, 8, 9, 10])
    peer = SimpleNamespace(predict_proba=lambda texts: np.array([0.9, 0.2, 0.4, 0.1]))
    e = gen.score_snownlp(peer, test)
    assert e["accuracy"] == 0.75 and e["family"] == "peer" and e["test"]["review_id"] == [7, 8, 9, 10]
    assert written(artifacts)["models"]["snownlp"]["accuracy"] == 0.75
    scores = {"m": {"all": {"n": 300, **{k: 0.7 for k in gen.METRICS}, **{f"{k}_ci95": [0.6, 0.8] for k in gen.METRICS}}}}
    t = gen.domain_table(scores, {"m": {"accuracy": 0.88}}, str.upper)
    assert list(t.index) == ["M"] and list(t.columns)[:4] == ["dianping_accuracy", "accuracy", "ci_low", "ci_high"]


def test_chapter_5_samples_curves_and_contrast_clauses(artifacts):
    waimai_all = reviews(["a"] * 10, [1] * 4 + [0] * 6)
    shopping = pd.DataFrame({"comment": ["x"] * 6, "sentiment": [1, 0, 1, 0, 1, 1], "cat": ["书", "书", "书", "书", "衣", "衣"]})
    v = sections.domain_samples(waimai_all, 1, waimai_all.iloc[:8], shopping, 2, shopping, 0.025, 0.85, 0.5, 12, 6)
    assert (v["waimai_n"], v["waimai_pos"], v["waimai_per_label"], v["per_cat"], v["n_rnn"]) == (10, 4, 4, 2, 6)
    assert "衣的负面评论只有 0 条" not in v["short_cells"] and "书的正面评论只有 2 条" in v["short_cells"]
    curves = pd.DataFrame({"size": [100, 200] * 3, "seed": [0] * 6, "accuracy": [0.83, 0.86, 0.52, 0.55, 0.55, 0.58],
                           "role": ["best_baseline"] * 2 + ["lstm"] * 2 + ["transformer"] * 2, "model": ["x"] * 6})
    c = sections.learning_curve(curves, (100, 200), (0,), (100,), (0,), SimpleNamespace(epochs=8, patience=2), 4,
                                "E5", 200, {"lstm": 1.0})
    assert c["curve_first_n"] == 100 and c["curve_base_first"] == 0.83 and c["curve_bert_first"] == 0.55
    assert c["gain_lstm"] == pytest.approx(3) and (c["last_from_lstm"], c["last_to_lstm"]) == (100, 200)
    assert 7 < c["noise_lo"] < c["noise_hi"] < 10          # 1.96·sqrt(2p(1−p)/200) for p from 0.845 to 0.535
    with pytest.raises(book.ClaimNoLongerHolds, match="误差范围"):   # a 25-point gain is beyond the noise
        sections.last_doubling({"best_baseline": pd.Series([0.83, 0.86]), "lstm": pd.Series([0.52, 0.77]),
                                "transformer": pd.Series([0.55, 0.58])}, 200)
    with pytest.raises(book.ClaimNoLongerHolds, match="最佳基准已有"):
        sections.last_doubling({"best_baseline": pd.Series([0.83, 0.86]), "lstm": pd.Series([0.52, 0.55]),
                                "transformer": pd.Series([0.80, 0.82])}, 200)
    assert written(artifacts)["results"]["learning_curve"]["rows"][0] == {"size": 100, "seed": 0, "accuracy": 0.83,
                                                                         "role": "best_baseline"}
    contrast = {"dianping": pd.DataFrame({"word": ["但是", "但是", "不过"]})}
    y = [1, 0] * 20
    first = [p if i < 10 else 1 - p for i, p in enumerate([0.9, 0.1] * 20)]       # right on the first 10 only
    last = [1 - p for p in first]                                                  # the halves always disagree
    follow = {"lstm_seed0": gen.clause_following(y, [0.9, 0.1] * 20, [0.2, 0.8] * 20, [0.9, 0.1] * 20),   # the last clause
              "bert_seed0": gen.clause_following(y, first[:20] + last[20:], first, last)}             # half and half
    assert follow["lstm_seed0"]["follows_first"] == 0 and follow["bert_seed0"]["follows_first"] == 0.5
    fams = {"lstm": ["lstm_seed0"], "transformer": ["bert_seed0"]}
    k = sections.contrast_clauses(contrast, {"dianping": reviews(["a"] * 9, [1] * 9)}, follow, fams, "E5")
    assert k["contrast_n"] == 3 and k["contrast_counts"] == "点评测试集 3 条（共 9 条）"
    assert (k["lstm_runs"], k["lstm_disagree"], k["lstm_first"], k["transformer_first"]) == (1, "40", "0%", "50%")
    assert k["n_clause_models"] == 2
    leaning = {**follow, "bert_seed0": gen.clause_following(y, [0.9, 0.1] * 20, [0.9, 0.1] * 20, [0.1, 0.9] * 20)}
    with pytest.raises(book.ClaimNoLongerHolds, match="与一半分不开"):           # the transformer follows the first half
        sections.clause_values(leaning, fams)
    assert written(artifacts)["results"]["contrast"]["by_word"] == {"但是": 2, "不过": 1}


# ---------------------------------------------------------------- the rotation (chapter 4) and every transformer run (5.2)


def test_chapter_4_rotation_compares_the_families_on_the_pooled_reviews(artifacts):
    from test_metrics import rotation_record

    rec = record.Record(rotation_record({"baseline": [18] * 5, "lstm": [14] * 5, "bert": [19, 19, 18, 19, 19]}))
    table, tests, v = sections.rotation(rec)
    assert v["rot_n"] == 100 and v["rot_runs"] == 5 and v["rot_transformer"] == pytest.approx(0.94)
    assert v["rot_d_transformer_lstm"] == pytest.approx(0.24) and v["rot_dlo_transformer_lstm"] > 0
    assert v["rot_p_transformer_lstm"] == "p < 0.001" and v["rot_dlo_transformer_best_baseline"] <= 0   # +0.04 on 100 reviews
    kept = written(artifacts)["results"]["rotation"]
    assert kept["runs"]["lstm"]["3"] == "lstm_fold3" and len(kept["tests"]) == 3




def test_chapter_5_every_transformer_run_on_the_domains(artifacts):
    data = made_up_record()
    data["models"]["bert_fold1"] = {**data["models"]["bert_seed0"], "fold": 1, "seed": 0, "accuracy": 0.85}
    data["models"]["bert_seed0"]["seed"] = 0
    rec = record.Record(data)
    truth = {"waimai_10k": np.array([1, 0, 1, 0]), "online_shopping_10_cats": np.array([1, 1, 0, 0])}
    probs = {"waimai_10k": pd.DataFrame({"bert_seed0": [0.9, 0.1, 0.8, 0.2], "bert_fold1": [0.9, 0.9, 0.8, 0.2]}),
             "online_shopping_10_cats": pd.DataFrame({"bert_seed0": [0.9, 0.1, 0.2, 0.2], "bert_fold1": [0.9, 0.9, 0.2, 0.2]})}
    runs = gen.run_accuracy(rec, ["bert_seed0", "bert_fold1"], probs, truth)
    assert list(runs["fold"]) == [0, 1] and list(runs["waimai_10k"]) == [1.0, 0.75] and list(runs["dianping"]) == [0.9, 0.85]
    scores = {d: {"best": {"all": {"accuracy": 0.8}}} for d in truth}
    v = sections.transformer_runs(runs, scores, "best")
    assert (v["n_tr_runs"], v["runs_waimai_above"], v["runs_shop_above"]) == (2, 1, 1)
    assert v["runs_waimai_min"] == 0.75 and v["runs_shop_min"] == 0.75 and v["runs_shop_base"] == 0.8
    assert written(artifacts)["results"]["generalization_runs"][1]["run"] == "bert_fold1"


def test_chapter_6_guards_its_hand_written_sentences():
    from test_findings import supporting_record

    data = supporting_record()          # a tie on the pooled reviews, both above the LSTM; every run above the baseline
    fam = [{"domain": d, "family_a": "E5", "family_b": b, "n": n, "a_better": n, "b_better": 0}
           for d in ("waimai_10k", "online_shopping_10_cats") for b, n in (("最佳基准", 1), ("LSTM", 3))]
    drops = [{**r, "a_better": {"waimai_10k": 0, "online_shopping_10_cats": min(2, r["n"])}[r["domain"]]} for r in fam]
    data["results"]["generalization"].update(family_tests=fam, drop_summary=drops)
    data["results"]["generalization"]["waimai_10k"]["models"]["snownlp"] = {"all": {"accuracy": 0.7}}
    data["results"]["generalization"]["online_shopping_10_cats"]["models"]["snownlp"] = {"all": {"accuracy": 0.8}}
    data["results"]["generalization"]["waimai_10k"]["n"] = 1538
    data["results"]["generalization"]["online_shopping_10_cats"]["n"] = 2380
    rec = record.Record(data)
    sections.check_conclusion_sentences(rec)
    v = sections.transfer(rec, "E5")
    assert v["tr_runs"] == 5 and v["w_min"] == 0.85 and v["w_base"] == 0.75 and v["w_less"] == 0.06
    assert (v["w_acc_lstm_pairs"], v["s_drop_lstm_pairs"], v["s_drop_lstm_less"]) == (3, 3, 2)
    moved = copy.deepcopy(data)
    moved["results"]["generalization"]["drop_summary"][1]["a_better"] = 1     # waimai: one LSTM seed now settled
    with pytest.raises(book.ClaimNoLongerHolds, match="外卖评论上没有一对分得出高下"):
        sections.transfer(record.Record(moved), "E5")
    broken = [lambda d: d["results"]["rotation"]["tests"][0].update(p_holm=0.01, ci_low=0.01),
              lambda d: d["results"]["generalization_runs"][2].update(waimai_10k=0.7),
              lambda d: d["results"]["generalization_pooled_drops"][1].update(ci_low=-0.01)]
    for change, sentence in zip(broken, ("是平手", "每一次都高于最佳基准", "对最佳基准，也是")):
        data = supporting_record()
        data["results"]["generalization"].update(family_tests=fam, drop_summary=fam)
        change(data)
        with pytest.raises(book.ClaimNoLongerHolds, match=sentence):
            sections.check_conclusion_sentences(record.Record(data))


def test_chapter_5_vocabulary_shift_reads_oov_and_polarity_with_a_control():
    def frame(texts, labels):
        return pd.DataFrame({"comment": texts, "sentiment": labels})

    train = frame(["好吃，很好吃"] * 10 + ["难吃，真难吃"] * 10, [1] * 10 + [0] * 10)
    test = frame(["好吃，很好吃"] * 6 + ["难吃，真难吃"] * 6 + ["排队"] * 2, [1] * 6 + [0] * 6 + [1, 0])
    splits = SimpleNamespace(train_full=train, test=test)
    # the new domain: 好吃 in both labels (weaker), 难吃 never (absent), and words the LSTM never saw
    domain = frame(["好吃，快递快"] * 6 + ["好吃，快递慢"] * 6, [1] * 6 + [0] * 6)
    domains = {"waimai_10k": domain, "online_shopping_10_cats": domain}
    tokens = {d: [["好吃", "快递", "快"]] * 6 + [["好吃", "快递", "慢", "很", "慢"]] * 6 for d in domains}
    vocab = {"好吃", "很", "难吃", "真"}
    v, oov, shifts, control = sections.vocabulary_shift(vocab, splits, domains, tokens, k=2)
    assert v["oov_ratio_waimai"] > 1 and v["shift_control_absent"] == 0 and v["shift_k"] == 2
    assert dict(shifts["waimai_10k"]["status"]) == {"好吃": "weaker", "难吃": "absent"}
    assert set(control["status"]) == {"kept"}
    mixed_test = frame(["好吃，很好吃"] * 12 + ["难吃，真难吃"] * 6 + ["排队"], [1] * 6 + [0] * 12 + [1])   # 好吃 on both sides
    with pytest.raises(book.ClaimNoLongerHolds, match="没有一个明显变弱"):
        sections.vocabulary_shift(vocab, SimpleNamespace(train_full=train, test=mixed_test), domains, tokens, k=2)


def test_chapter_3_1_says_why_the_top_test_score_was_not_chosen():
    assert sections.top_test_note("a", {"a": 0.885, "b": 0.89}, {"b": 0.6}).startswith("测试集上准确率最高的其实是b，0.890。")
    assert "本来就不显著" in sections.top_test_note("a", {"a": 0.885, "b": 0.89}, {"b": 0.6})
    assert "是显著的" in sections.top_test_note("a", {"a": 0.80, "b": 0.89}, {"b": 0.01})
    assert sections.top_test_note("a", {"a": 0.89, "b": 0.89}, {"b": 1.0}) == ""      # a tie keeps the chosen one


def test_chapter_5_family_reading_is_guarded():
    names = {"transformer": "T", "best_baseline": "B", "lstm": "L", "snownlp": "S"}
    rows = []
    for d, table in (("waimai_10k", [("B", "L", 3, 2, 0), ("B", "T", 5, 0, 5), ("B", "S", 1, 0, 0), ("L", "T", 15, 0, 15),
                                     ("L", "S", 3, 0, 0), ("T", "S", 5, 5, 0)]),
                     ("online_shopping_10_cats", [("B", "L", 3, 1, 0), ("B", "T", 5, 0, 5), ("B", "S", 1, 0, 1),
                                                  ("L", "T", 15, 0, 15), ("L", "S", 3, 0, 3), ("T", "S", 5, 3, 0)])):
        rows += [{"domain": d, "family_a": a, "family_b": b, "n": n, "a_better": x, "b_better": y} for a, b, n, x, y in table]
    summary = pd.DataFrame(rows)
    v = sections.accuracy_families(summary, names)
    assert (v["fam_tr_snow_s_n"], v["fam_tr_snow_s_k"], v["fam_base_lstm_w_k"], v["fam_base_lstm_s_k"]) == (5, 3, 2, 1)
    flipped = summary.copy()
    flipped.loc[(flipped["domain"] == "waimai_10k") & (flipped["family_b"] == "S") & (flipped["family_a"] == "B"), "b_better"] = 1
    with pytest.raises(book.ClaimNoLongerHolds, match="结论最清楚的是预训练 Transformer") as err:
        sections.accuracy_families(flipped, names)
    assert "waimai_10k S/B: a≠none" in str(err.value)
