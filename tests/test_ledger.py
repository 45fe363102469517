"""The ledger of the original's claims (chapter 6): its verdict functions on small made-up
numbers, the paired gain, and the one function that reads the run record, on a made-up record."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from book import ledger, metrics, record
from book import verdicts as V

F, N, A = V.FOR, V.NEITHER, V.AGAINST
REP, NOT, REF, UND, UNT = V.REPRODUCED, V.NOT_REPRODUCED, V.REFUTED, V.UNDECIDED, V.UNTESTABLE


def test_claim_evidence_from_an_interval():
    assert V.claim_evidence(0.05, +1, ci=(0.01, 0.09)) == F
    assert V.claim_evidence(-0.05, +1, ci=(-0.09, -0.01)) == A
    assert V.claim_evidence(0.02, +1, ci=(-0.03, 0.07)) == N          # cannot be told apart on this data
    assert V.claim_evidence(-0.05, -1, ci=(-0.09, -0.01)) == F
    assert V.claim_evidence(0.05, +1, ci=(0.52, 0.58), null=0.5) == F  # against another null than 0


def test_claim_evidence_from_a_p_value():
    assert V.claim_evidence(0.05, +1, p=0.01) == F
    assert V.claim_evidence(-0.05, +1, p=0.01) == A
    assert V.claim_evidence(0.05, +1, p=0.20) == N
    assert V.claim_evidence(0.05, +1, p=0.05) == N                     # not below alpha
    assert V.claim_evidence(0.30, 0, p=0.001) == A                     # "nothing there" meets a clear difference
    assert V.claim_evidence(0.01, 0, p=0.60) == F                      # ... and recurs while the test finds nothing
    for bad in ({"ci": (0.1, 0.0)}, {"p": 1.5}, {}, {"ci": (0, 1), "p": 0.1}):
        with pytest.raises(ValueError):
            V.claim_evidence(0.1, +1, **bad)
    with pytest.raises(ValueError, match="direction"):
        V.claim_evidence(0.1, 2, p=0.1)


def test_claim_verdict_needs_three_runs_to_refute():
    assert V.claim_verdict([F, F, F], runs=3) == REP
    assert V.claim_verdict([A, A, A], runs=3) == REF
    assert V.claim_verdict([A], runs=1) == NOT                         # one run: never 被推翻
    assert V.claim_verdict([A, A, A], runs=2) == NOT                   # the other family has two runs only
    assert V.claim_verdict([A, A, N], runs=3) == NOT                   # against in some runs, for in none
    assert V.claim_verdict([F, A, A], runs=3) == UND                   # runs that disagree
    assert V.claim_verdict([F, N], runs=3) == UND and V.claim_verdict([N], runs=5) == UND
    for bad in ([], ["yes"]):
        with pytest.raises(ValueError):
            V.claim_verdict(bad, runs=3)
    with pytest.raises(ValueError, match="at least one run"):
        V.claim_verdict([F], runs=0)


def test_claim_band_judges_a_vague_quantity_against_a_band_fixed_before():
    band = (0.07, 0.13)
    assert V.claim_band(0.10, (0.04, 0.16), band, runs=1) == REP       # in the band, clear of zero
    assert V.claim_band(0.08, (-0.01, 0.17), band, runs=3) == UND      # in the band, but zero not ruled out
    assert V.claim_band(0.02, (-0.02, 0.05), band, runs=1) == NOT      # the whole interval below the band, one run
    assert V.claim_band(0.02, (-0.02, 0.05), band, runs=3) == REF      # ... with three runs of each family
    assert V.claim_band(0.20, (0.15, 0.25), band, runs=3) == REF       # far more than claimed is not "近10%" either
    assert V.claim_band(0.04, (-0.005, 0.09), band, runs=1) == UND     # below the band, but its interval reaches in
    with pytest.raises(ValueError):
        V.claim_band(0.1, (0.2, 0.0), band, runs=1)


def test_verdict_names_and_runs_note():
    assert [V.claim_name(v) for v in (REP, NOT, REF, UND, UNT)] == ["复现", "未能复现", "被推翻", "无法判断", "不可检验"]
    with pytest.raises(ValueError):
        V.claim_name("supported")
    assert V.runs_note({"LSTM": 3, "E5": 3}) == "LSTM 3 次，E5 3 次"
    assert V.runs_note({"LSTM": 3, "E5": 1}).endswith("（不足 3 次，不能判为被推翻）")
    with pytest.raises(ValueError):
        V.runs_note({"LSTM": 0})


def test_paired_gain_counts_reviews_and_averages_seeds():
    y = np.ones(100, dtype=int)
    new, a, b = y.copy(), y.copy(), y.copy()
    new[:10] = 0                                     # right on 90
    a[:20] = 0                                       # right on 80
    b[:10] = 0                                       # right on 90
    g = metrics.paired_gain(y, [a], new)
    assert g["diff"] == pytest.approx(0.10) and g["n"] == 100
    assert 0 < g["ci95"][0] < 0.10 < g["ci95"][1]
    assert metrics.paired_gain(y, [a, b], new)["diff"] == pytest.approx(0.05)
    assert metrics.paired_gain(y, [new], new) == {"diff": 0.0, "ci95": (0.0, 0.0), "n": 100}
    with pytest.raises(ValueError, match="has 99"):
        metrics.paired_gain(y, [a[:99]], new)


def test_sense_permutation_p_is_small_only_for_separated_senses():
    senses = ["a", "a", "b", "b", "c", "c", "c"]
    same = np.array([[s == t for t in senses] for s in senses])
    separated = np.where(same, 0.9, 0.3)
    assert ledger.sense_permutation_p(separated, senses) < 0.05
    rng = np.random.default_rng(0)
    noise = rng.uniform(0.4, 0.6, (7, 7))
    assert ledger.sense_permutation_p((noise + noise.T) / 2, senses) > 0.05


def _model(family, right, n=100):
    y = [1] * (n // 2) + [0] * (n - n // 2)
    pred = [t if i < right else 1 - t for i, t in enumerate(y)]
    return {"family": family, "accuracy": right / n, "fold": 0,
            "test": {"review_id": list(range(n)), "y_true": y, "y_pred": pred}}


MIXED = ledger.MIXED


def made_up_record() -> dict:
    best, tr, seeds = "tfidf_char_linearsvc", "bert_seed0", ["lstm_seed0", "lstm_seed1", "lstm_seed2"]
    orig = [f"origlstm_seed{k}" for k in range(3)]
    models = {"tfidf_original_style": _model("baseline", 56), best: _model("baseline", 88),
              **{s: _model("lstm", 80) for s in seeds}, **{o: _model("lstm_original", 78) for o in orig},
              tr: _model("bert", 90)}
    mcnemar = ([{"a": s, "b": best, "accuracy_a": 0.80, "accuracy_b": 0.88, "p_holm": p}
                for s, p in zip(seeds, (0.01, 0.02, 0.03))]
               + [{"a": tr, "b": s, "accuracy_a": 0.90, "accuracy_b": 0.80, "p_holm": p}
                  for s, p in zip(seeds, (0.01, 0.30, 0.01))])
    domains = {d: {"models": {m: {"all": {"accuracy": acc}} for m, acc in ((tr, 0.85), (best, 0.75), ("lstm_seed0", 0.70))}}
               for d in ledger.CROSS_DOMAINS}
    senses = dict(zip(["晚餐只吃了方便面", "泡一碗方便面", "我要方便方便", "去方便了一下", "交通很方便", "付款方便", "停车不方便"],
                      ["面", "面", "厕", "厕", "便", "便", "便"]))
    labels = list(senses.values())
    cos = [[0.9 if s == t else 0.3 for t in labels] for s in labels]
    return {
        "models": models,
        "results": {
            "baselines": {"best_by_cv": best}, "lstm_saved_seed": 0, "bert": {"saved_model": tr},
            "mcnemar": mcnemar,
            "lstm_tsne": {"n": 34, "agreement": 0.8, "chance": 0.5, "p": 0.001},
            "original_lstm": {"seeds": [0, 1, 2], "sentences": {MIXED: [0.92, 0.81, 0.35]},
                              "neighbours": [{"seed": k, "n": 34, "agreement": a, "chance": 0.5, "p": p}
                                             for k, a, p in ((0, 0.55, 0.6), (1, 0.5, 0.9), (2, 0.52, 0.7))]},
            "mixed_sentiment": {"whole": {"tfidf": 0.6, "lstm": 0.3, "bert": 0.13}},
            "rotation": {"tests": [{"a": "transformer", "b": "lstm", "n": 1000, "difference": 0.02, "ci_low": -0.01,
                                    "ci_high": 0.05, "p_holm": 0.2},
                                   {"a": "transformer", "b": "best_baseline", "n": 1000, "difference": 0.001,
                                    "ci_low": -0.02, "ci_high": 0.02, "p_holm": 1.0},
                                   {"a": "best_baseline", "b": "lstm", "n": 1000, "difference": 0.07,
                                    "ci_low": 0.03, "ci_high": 0.11, "p_holm": 0.001}],
                         "families": {r: {"n": 1000, "accuracy": a} for r, a in
                                      (("best_baseline", 0.88), ("lstm", 0.86), ("transformer", 0.88))},
                         "runs": {"transformer": {str(f): f"bert_fold{f}" for f in range(5)},
                                  "lstm": {str(f): f"lstm_fold{f}" for f in range(5)},
                                  "best_baseline": {str(f): f"tfidf_fold{f}" for f in range(5)}}},
            "generalization_pooled_drops": [{"domain": d, "runs": 5, "n_dianping": 1000, "difference": 0.06,
                                             "ci_low": 0.02, "ci_high": 0.1, "p_holm": 0.001} for d in ledger.CROSS_DOMAINS],
            "generalization": {
                "drop_tests": [{"domain": d, "a": tr, "b": b, "difference": 0.05, "p_holm": 0.001}
                               for d in ledger.CROSS_DOMAINS for b in (best, *seeds)],
                **domains},
            "contrast": {"families": {"lstm": seeds, "transformer": [tr]},
                         "models": {"lstm_seed0": {"n_disagree": 40, "follows_first": 0.75, "p_first": 0.002},
                                    "lstm_seed1": {"n_disagree": 30, "follows_first": 0.8, "p_first": 0.001},
                                    "lstm_seed2": {"n_disagree": 30, "follows_first": 0.3, "p_first": 0.04},
                                    tr: {"n_disagree": 26, "follows_first": 12 / 26, "p_first": 0.85}}},
            "fangbian": {"sentences": senses, "jieba": {s: ["方便面"] if "面" in s else ["方便"] for s in senses},
                         "cosine": cos, "contextual": {"same_sense": 0.9, "other_sense": 0.3}},
            "layer_probe": {"n_test": 200, "frozen": 8, "cka_trained_mean": 0.6,
                            "pretrained": [{"layer": k, "cv_accuracy": cv, "test_accuracy": acc}
                                           for k, cv, acc in ((0, 0.7, 0.7), (1, 0.8, 0.8), (2, 0.86, 0.85),
                                                              (3, 0.84, 0.83), (4, 0.81, 0.80))]},
        },
    }


def test_claims_on_a_made_up_record():
    rows = {r.key: r for r in ledger.claims(record.Record(made_up_record()), encoder="E5")}
    M, X, D = ledger.MADE, ledger.EXTENSION, ledger.DESIGN
    # as made: the original's LSTM (0.78) far above the original-style baseline (0.56) in every seed
    assert rows["words"].form(M).verdict == REP and "原报告式 LSTM（种子 0） 0.780" in rows["words"].form(M).evidence
    # the book's form: the best baseline beats every LSTM seed, but it is one run: not refuted
    assert rows["words"].form(X).verdict == NOT and "不能判为被推翻" in rows["words"].form(X).runs_zh
    # +12 points over the original-style LSTM, +10 over the book's: both in the 7-13 band
    assert rows["gain"].form(M).verdict == REP and "+12.0 个百分点" in rows["gain"].form(M).evidence
    assert "0.79 → 0.91" in rows["gain"].form(M).evidence and "7–13 个百分点" in rows["gain"].form(M).test
    assert rows["gain"].form(X).verdict == REP
    # on the rotation's 1000 reviews: +2 points, the interval below the band: against the claim, five runs
    rotation = rows["gain"].form(ledger.ROTATION)
    assert "1000 条测试评论" in rotation.test and "+2.0 个百分点" in rotation.evidence and rotation.verdict != REP
    # two of three original-style seeds lean to the first half: the runs disagree
    assert rows["mixed_lstm"].form(M).verdict == UND and "种子 0 给 0.920" in rows["mixed_lstm"].form(M).evidence
    assert rows["mixed_lstm"].form(X).verdict == UND                      # seed 2 goes the other way
    assert rows["mixed_bert"].form(M).verdict == REP and "P(负面) 0.870" in rows["mixed_bert"].form(M).evidence
    assert rows["mixed_bert"].form(X).verdict == UND
    assert rows["embedding_dimred"].tests[0].form == D and rows["embedding_dimred"].tests[0].verdict == UNT
    # no association in any original-style seed: the reading recurs; the book's LSTM (one run) differs
    assert rows["tsne_reading"].form(M).verdict == REP and rows["tsne_reading"].form(X).verdict == NOT
    assert rows["transfer_test"].form(X).verdict == UND                   # one pair of runs not significant
    assert rows["transfer_domains"].form(X).verdict == REP and rows["transfer_domains"].form(M) is None
    # the rotation: +0.020 with an interval reaching below 0 (five runs each): not reproduced, not refuted
    pooled_test = rows["transfer_test"].form(ledger.ROTATION)
    # the baseline 7 points above the LSTM over five runs each: "LSTM better than traditional models" refuted
    words = rows["words"].form(ledger.ROTATION)
    assert words.verdict == V.REFUTED and "最佳基准减LSTM +0.070" in words.evidence
    assert "1000 条测试评论" in pooled_test.test and "E5减LSTM +0.020" in pooled_test.evidence and pooled_test.verdict != REP
    pooled_drop = rows["transfer_domains"].form(ledger.ROTATION)             # every fold: both domains' intervals above 0
    assert "点评一侧 1000 条评论" in pooled_drop.test and pooled_drop.verdict == REP and "+0.060" in pooled_drop.evidence
    assert rows["fangbian"].form(D).verdict == UNT and rows["fangbian"].form(X).verdict == REP
    assert rows["layer_probe"].form(X).verdict == UND and "第 2 层 0.850" in rows["layer_probe"].form(X).evidence
    assert all(r.quote.startswith("「") and r.source and r.tests for r in rows.values())
    glued = ledger.glue_dict(rows.values())
    assert glued["gain_made_verdict"] == "复现" and glued["embedding_dimred_design_verdict"] == "不可检验"
    assert glued["made_n"] == sum(glued[f"made_n_{v}"] for v in V.CLAIM_NAMES) == 6
    table = ledger.overview(list(rows.values()))
    assert list(table.columns) == ["原报告的话", "出处", "原话的形式", "本书的推广"]
    assert table.set_index("出处").shape[0] == len(rows) and (table["本书的推广"] == "—").sum() == 1
    assert ledger.find(list(rows.values()), "gain") is rows["gain"]
    with pytest.raises(KeyError, match="no row 'nope'"):
        ledger.find(list(rows.values()), "nope")
    cells = dict(zip(table["原报告的话"], table["原话的形式"]))
    assert cells[rows["gain"].quote] == "复现（1）" and cells[rows["embedding_dimred"].quote] == "不可检验"


def test_claims_read_without_defaults():
    data = made_up_record()
    del data["results"]["contrast"]
    with pytest.raises(record.RecordError, match="results.contrast"):
        ledger.claims(record.Record(data), encoder="E5")
    data = made_up_record()
    data["models"]["bert_seed0"]["test"]["review_id"] = list(range(1, 101))
    with pytest.raises(ValueError, match="different reviews"):
        ledger.claims(record.Record(copy.deepcopy(data)), encoder="E5")


def test_ledger_without_the_original_lstm_names_chapter_3_2():
    data = made_up_record()
    del data["results"]["original_lstm"]
    with pytest.raises(record.RecordError, match="03b_lstm"):
        ledger.claims(record.Record(data), encoder="E5")
    data = made_up_record()
    for k in range(3):
        del data["models"][f"origlstm_seed{k}"]
    with pytest.raises(record.RecordError, match="03b_lstm"):
        ledger.claims(record.Record(data), encoder="E5")
