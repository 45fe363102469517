"""book.findings: the main findings hold on a record that supports them, and a record that
contradicts one stops the build naming the sentence."""
from __future__ import annotations

import pytest
from test_ledger import made_up_record

import book
from book import findings, ledger, record


def supporting_record() -> dict:
    data = made_up_record()
    data["results"]["mcnemar"] += [
        {"a": "tfidf_char_linearsvc", "b": "tfidf_original_style", "accuracy_a": 0.88, "accuracy_b": 0.56, "p_holm": 0.001},
        {"a": "bert_seed0", "b": "tfidf_char_linearsvc", "accuracy_a": 0.90, "accuracy_b": 0.88, "p_holm": 0.6}]
    data["results"]["original_lstm"]["sentences"][ledger.MIXED] = [0.92, 0.81, 0.65]   # every run leans to the first half
    for seed, share in zip(("lstm_seed0", "lstm_seed1", "lstm_seed2"), (0.3, 0.35, 0.4)):  # the book's LSTM: the second
        data["results"]["contrast"]["models"][seed].update(follows_first=share, p_first=0.001)
    data["results"]["generalization_runs"] = [{"run": f"bert_fold{f}", "waimai_10k": 0.85, "online_shopping_10_cats": 0.85}
                                              for f in range(5)]
    rot = data["results"]["rotation"]        # on the 1000 pooled reviews: a tie, and both above the LSTM
    rot["families"] = {"best_baseline": {"n": 1000, "accuracy": 0.882}, "lstm": {"n": 1000, "accuracy": 0.81},
                       "transformer": {"n": 1000, "accuracy": 0.883}}
    rot["tests"] = [{"a": "transformer", "b": "best_baseline", "n": 1000, "difference": 0.001, "ci_low": -0.02,
                     "ci_high": 0.02, "p_holm": 1.0},
                    {"a": "transformer", "b": "lstm", "n": 1000, "difference": 0.073, "ci_low": 0.03, "ci_high": 0.1,
                     "p_holm": 0.001},
                    {"a": "best_baseline", "b": "lstm", "n": 1000, "difference": 0.072, "ci_low": 0.03, "ci_high": 0.1,
                     "p_holm": 0.001}]
    return data


def run(data: dict):
    rec = record.Record(data)
    return findings.main(rec, ledger.claims(rec, encoder="E5"), encoder="E5")


def test_findings_on_a_record_that_supports_them():
    items = run(supporting_record())
    assert len(items) == 6 and all(title and text.endswith("。") for title, text in items)
    text = "\n".join(t for _, t in items)
    assert "测试准确率 0.780–0.780" in text and "照做在本书的测试集上是 0.560" in text and "后是 0.880" in text
    assert "五折合起来的 1000 条测试评论上（每种做法 5 次训练" in text and "两者之差 +0.001（区间 [-0.020, +0.020]）" in text
    assert "外卖 0.850" in text and "最佳基准降到外卖 0.750" in text
    assert "准确率之差为 +12.0 个百分点" in text and "判定为「复现」" in text
    assert "比例只有 30%、35%、40%" in text and "判定是「被推翻」" in text and "1000 条评论上，对这句话的判定是「被推翻」" in text
    page = findings.html(items)
    assert page.startswith('<ol class="book-findings"><li><strong>原报告对它的 LSTM 的观察复现了</strong>：')
    assert page.count("<li>") == 6
    assert "E5 0.883" in page                            # Han and Latin spaced as in the prose
    assert "[−0.020, +0.020]" in page and "[-0.020" not in page      # minus signs, as the pages set them


@pytest.mark.parametrize("change, sentence", [
    # on the pooled reviews the LSTM is not clearly below the transformer: "both above the LSTM" no longer holds
    (lambda d: d["results"]["rotation"]["tests"][1].update(ci_low=-0.01), "打成平手……两者都显著高于"),
    # the transformer significantly better than the best baseline: no longer a tie
    (lambda d: d["results"]["rotation"]["tests"][0].update(p_holm=0.01, ci_low=0.01), "打成平手"),
    # on one domain the best baseline is more accurate: "more accurate on both" no longer holds
    (lambda d: d["results"]["generalization"]["waimai_10k"]["models"]["tfidf_char_linearsvc"]["all"].update(accuracy=0.9),
     "换一个领域"),
    # one transformer run of five below the best baseline on one domain
    (lambda d: d["results"]["generalization_runs"][3].update(online_shopping_10_cats=0.7), "换一个领域"),
    # over every fold the baseline's loss is not clearly larger on one domain
    (lambda d: d["results"]["generalization_pooled_drops"][0].update(ci_low=-0.01, p_holm=0.2), "换一个领域"),
    # the original-recipe LSTM far from the notebook's 0.780
    (lambda d: [d["models"][f"origlstm_seed{k}"].update(accuracy=0.6) for k in range(3)], "按原报告的做法重训"),
    # one original-recipe run reads the mixed sentence as negative: the observation no longer recurs in every run
    (lambda d: d["results"]["original_lstm"]["sentences"][ledger.MIXED].__setitem__(2, 0.2), "按原报告的做法重训"),
    # a seed of the book's LSTM follows the first half: "one sentence is not a habit" no longer holds as written
    (lambda d: d["results"]["contrast"]["models"]["lstm_seed2"].update(follows_first=0.7), "一句话不是习惯"),
])
def test_a_contradicted_finding_stops_the_build_naming_it(change, sentence):
    data = supporting_record()
    change(data)
    with pytest.raises(book.ClaimNoLongerHolds, match=sentence):
        run(data)


def test_no_findings_no_list():
    with pytest.raises(ValueError):
        findings.html([])
