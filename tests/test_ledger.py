"""The ledger of the original's claims (chapter 6): its verdict functions on small made-up
numbers, the paired gain, and the one function that reads the run record, on a made-up record."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from book import evaluate, ledger
from book import verdicts as V

S, R, U = V.SUPPORTED, V.REFUTED, V.UNDECIDED


def test_claim_verdict_from_an_interval():
    assert V.claim_verdict(0.05, +1, ci=(0.01, 0.09)) == S
    assert V.claim_verdict(-0.05, +1, ci=(-0.09, -0.01)) == R
    assert V.claim_verdict(0.02, +1, ci=(-0.03, 0.07)) == U          # cannot be told apart on this data
    assert V.claim_verdict(-0.05, -1, ci=(-0.09, -0.01)) == S
    assert V.claim_verdict(0.05, +1, ci=(0.52, 0.58), null=0.5) == S  # against another null than 0


def test_claim_verdict_from_a_p_value():
    assert V.claim_verdict(0.05, +1, p=0.01) == S
    assert V.claim_verdict(-0.05, +1, p=0.01) == R
    assert V.claim_verdict(0.05, +1, p=0.20) == U
    assert V.claim_verdict(0.05, +1, p=0.05) == U                     # not below alpha
    assert V.claim_verdict(0.30, 0, p=0.001) == R                     # "no difference" refuted by a clear one
    assert V.claim_verdict(0.01, 0, p=0.60) == U                      # ... and never supported by a null result
    for bad in ({"ci": (0.1, 0.0)}, {"p": 1.5}, {}, {"ci": (0, 1), "p": 0.1}):
        with pytest.raises(ValueError):
            V.claim_verdict(0.1, +1, **bad)
    with pytest.raises(ValueError, match="direction"):
        V.claim_verdict(0.1, 2, p=0.1)


def test_claim_size_and_combine():
    assert V.claim_size((0.05, 0.15), 0.10) == S
    assert V.claim_size((0.01, 0.07), 0.10) == R                      # clearly less than claimed
    assert V.claim_size((-0.02, 0.12), 0.10) == U                     # holds the claim and no change
    assert V.combine_claims([S, S]) == S and V.combine_claims([R, R, R]) == R
    assert V.combine_claims([S, U]) == U and V.combine_claims([S, R]) == U
    with pytest.raises(ValueError):
        V.combine_claims([])
    assert V.claim_name(U) == "在这份数据上分不出" and V.claim_name(R) == "被推翻"


def test_paired_gain_counts_reviews_and_averages_seeds():
    y = np.ones(100, dtype=int)
    new, a, b = y.copy(), y.copy(), y.copy()
    new[:10] = 0                                     # right on 90
    a[:20] = 0                                       # right on 80
    b[:10] = 0                                       # right on 90
    g = evaluate.paired_gain(y, [a], new)
    assert g["diff"] == pytest.approx(0.10) and g["n"] == 100
    assert 0 < g["ci95"][0] < 0.10 < g["ci95"][1]
    assert evaluate.paired_gain(y, [a, b], new)["diff"] == pytest.approx(0.05)
    assert evaluate.paired_gain(y, [new], new) == {"diff": 0.0, "ci95": (0.0, 0.0), "n": 100}
    with pytest.raises(ValueError, match="has 99"):
        evaluate.paired_gain(y, [a[:99]], new)


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
    return {"family": family, "accuracy": right / n,
            "test": {"review_id": list(range(n)), "y_true": y, "y_pred": pred}}


def made_up_record() -> dict:
    best, tr, seeds = "tfidf_char_linearsvc", "bert_seed0", ["lstm_seed0", "lstm_seed1"]
    models = {"tfidf_original_style": _model("baseline", 56), best: _model("baseline", 88),
              "lstm_seed0": _model("lstm", 80), "lstm_seed1": _model("lstm", 80), tr: _model("bert", 90)}
    mcnemar = ([{"a": s, "b": best, "accuracy_a": 0.80, "accuracy_b": 0.88, "p_holm": p}
                for s, p in zip(seeds, (0.01, 0.02))]
               + [{"a": tr, "b": s, "accuracy_a": 0.90, "accuracy_b": 0.80, "p_holm": p}
                  for s, p in zip(seeds, (0.01, 0.30))])
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
            "generalization": {
                "drop_tests": [{"domain": d, "a": tr, "b": b, "difference": 0.05, "p_holm": 0.001}
                               for d in ledger.CROSS_DOMAINS for b in (best, *seeds)],
                **domains},
            "contrast": {"families": {"lstm": seeds, "transformer": [tr]},
                         "models": {"lstm_seed0": {"n_disagree": 40, "follows_first": 0.75, "p_first": 0.002},
                                    "lstm_seed1": {"n_disagree": 30, "follows_first": 0.8, "p_first": 0.001},
                                    tr: {"n_disagree": 26, "follows_first": 12 / 26, "p_first": 0.85}}},
            "fangbian": {"sentences": senses, "jieba": {s: ["方便面"] if "面" in s else ["方便"] for s in senses},
                         "cosine": cos, "contextual": {"same_sense": 0.9, "other_sense": 0.3}},
            "layer_probe": {"n_test": 200, "cka_lower_mean": 0.95, "cka_upper_mean": 0.6,
                            "pretrained": [{"layer": k, "cv_accuracy": cv, "test_accuracy": acc}
                                           for k, cv, acc in ((0, 0.7, 0.7), (1, 0.8, 0.8), (2, 0.86, 0.85),
                                                              (3, 0.84, 0.83), (4, 0.81, 0.80))]},
        },
    }


def test_claims_on_a_made_up_record():
    rows = {r.key: r for r in ledger.claims(evaluate.Record(made_up_record()), encoder="E5")}
    assert rows["words"].verdict == R and rows["lstm_better"].verdict == R        # the baseline is better
    assert rows["gain"].verdict == S and "+0.100" in rows["gain"].evidence and "0.79 → 0.91" in rows["gain"].evidence
    assert rows["mixed_lstm"].verdict == S and "40 条中跟前半句 75%" in rows["mixed_lstm"].evidence
    assert rows["mixed_bert"].verdict == U
    assert rows["embedding_dimred"].verdict == R and rows["tsne_reading"].verdict == R
    assert rows["transfer_test"].verdict == U                                   # one seed of two significant
    assert rows["transfer_domains"].verdict == S and "外卖评论" in rows["transfer_domains"].evidence
    assert rows["fangbian"].verdict == S and "方便面" in rows["fangbian"].evidence
    assert rows["layer_probe"].verdict == U and "第 2 层 0.850" in rows["layer_probe"].evidence
    assert all(r.quote.startswith("「") and r.source for r in rows.values())
    glued = ledger.glue_dict(rows.values())
    assert glued["n_claims"] == len(rows) == glued["n_supported"] + glued["n_refuted"] + glued["n_undecided"]
    assert glued["gain_verdict"] == "得到支持"


def test_claims_read_without_defaults():
    data = made_up_record()
    del data["results"]["contrast"]
    with pytest.raises(evaluate.RecordError, match="results.contrast"):
        ledger.claims(evaluate.Record(data), encoder="E5")
    data = made_up_record()
    data["models"]["bert_seed0"]["test"]["review_id"] = list(range(1, 101))
    with pytest.raises(ValueError, match="different reviews"):
        ledger.claims(evaluate.Record(copy.deepcopy(data)), encoder="E5")
