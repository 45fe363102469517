"""The verdict sentences follow the numbers they are given (chapters 4 and 5)."""
from __future__ import annotations

import pytest

from book import verdicts as V


def test_fmt_p():
    assert V.fmt_p(0.0004) == "< 0.001"
    assert V.fmt_p(0.01234) == "0.012" and V.fmt_p(0.00675) == "0.007"   # never more than 3 decimals
    assert V.p_is(0.0004) == "p < 0.001" and V.p_is(0.5) == "p = 0.500"


def test_pair_says_significant_only_below_alpha_after_holm():
    yes = V.pair("甲", 0.90, "乙", 0.85, 0.01, 200)
    assert yes.startswith("甲比乙高 0.050") and "站得住" in yes and "p = 0.010" in yes
    assert "p < 0.001" in V.pair("甲", 0.90, "乙", 0.60, 0.0001, 200)
    flipped = V.pair("甲", 0.80, "乙", 0.85, 0.01, 200)
    assert flipped.startswith("乙比甲高 0.050")
    no = V.pair("甲", 0.86, "乙", 0.87, 0.56, 200)
    assert "分不出高下" in no and "甲比乙低 0.010" in no and "0.56" in no


def test_seeds_vs_counts_significant_seeds():
    none = V.seeds_vs("LSTM", "乙", [-0.03, -0.01], [0.2, 0.9])
    assert "没有一个种子" in none and "平均 -0.020" in none
    every = V.seeds_vs("LSTM", "乙", [0.06, 0.08], [0.01, 0.02])
    assert "都显著" in every and "确实更好" in every
    mixed = V.seeds_vs("LSTM", "乙", [-0.06, -0.01], [0.01, 0.9])
    assert "其中 1 个种子" in mixed and "取决于随机种子" in mixed
    with pytest.raises(ValueError):
        V.seeds_vs("a", "b", [0.1], [0.1, 0.2])


def test_contrast_errors_names_which_models_err_more():
    both = V.contrast_errors({"x": (0.2, 0.1), "y": (0.3, 0.1)}, 20)
    assert "每个模型在含转折词的评论上都错得更多" in both and "20 条" in both
    one = V.contrast_errors({"x": (0.2, 0.1), "y": (0.05, 0.1)}, 20)
    assert "只有x" in one
    none = V.contrast_errors({"x": (0.05, 0.1)}, 20)
    assert "并没有让哪个模型错得更多" in none


def test_mixed_sentence_follows_each_models_probabilities():
    s = V.mixed_sentence({"A": (0.3, 0.2, 0.4), "B": (0.6, 0.7, 0.6)}, "前半", "后半")
    assert "被A判为负面" in s and "被B判为正面" in s
    assert "A却把它判为负面（P(正面)：0.20）" in s
    assert "后半句「后半」被B判为正面" in s
    good = V.mixed_sentence({"A": (0.1, 0.8, 0.1), "B": (0.2, 0.9, 0.3)}, "前半", "后半")
    assert good.startswith("整句被每个模型判为负面") and "没有被读反" in good and "被每个模型判为负面。" in good
    bad = V.mixed_sentence({"A": (0.9, 0.8, 0.1)}, "前半", "后半")
    assert bad.startswith("整句被每个模型判为正面")


def test_mixed_sentence_explains_from_what_each_model_read():
    probs = {"L": (0.3, 0.1, 0.2), "T": (0.3, 0.2, 0.2), "N": (0.3, 0.49, 0.2)}
    s = V.mixed_sentence(probs, "这家的环境不差", "后半", units={"L": ["这家", "的", "环境", "不差"],
                                                            "T": ["▁这家", "的", "环境", "不", "差"]})
    assert "L读入的单位里有「不差」这个整体" in s and "错不在看不懂「不」" in s
    assert "T读到的是分开的「不」和「差」" in s
    assert "N给它的 P(正面) 离 0.5 不到 0.05（0.49）" in s and "几乎没有倾向" in s
    assert "N却把它判为负面" not in s
    assert s.count("是轻微的肯定") == 1 and "对前半句，L、T却把它判为负面（P(正面)：L 0.10，T 0.20）" in s


def test_expectation_follows_rank_and_significance():
    assert "得到了支持" in V.expectation("E5", 1, 10, "…", True, 0.05)
    assert "很弱的支持" in V.expectation("E5", 1, 10, "…", False, 0.01)
    assert "没有得到支持" in V.expectation("E5", 3, 10, "…", True, -0.05)
    assert "部分支持" in V.expectation("E5", 2, 10, "…", True, 0.05)
    s = V.expectation("E5", 4, 10, "…", False, -0.01)
    assert "第 4 高" in s and "既没有被证实，也没有被推翻" in s
    assert "并列第 4 高（与 1 个模型同分）" in V.expectation("E5", 4, 10, "…", False, -0.01, ties=1)




def test_seeds_vs_with_one_seed_says_it_is_one_run():
    one = V.seeds_vs("T", "B", [0.03], [0.01])
    assert one.startswith("T（只有 1 个种子）与B相差 +0.030") and "不能据此说整个模型族" in one
    assert "差异不显著" in V.seeds_vs("T", "B", [0.01], [0.6]) and "不能据此说整个模型族" in V.seeds_vs("T", "B", [0.01], [0.6])
    assert V.seeds_vs("T", "B", [0.01, 0.02], [0.6, 0.7]).endswith("Holm 校正后没有一个种子的差异显著")
