"""The verdict sentences of chapters 1–3.1 follow the numbers they are given (both branches)."""
from __future__ import annotations

import pytest

from book import verdicts


def test_mcnemar_difference_follows_alpha():
    assert "不足以说明" in verdicts.mcnemar_difference(0.2)
    assert "足以说明两者的错误率不同" in verdicts.mcnemar_difference(0.01)
    assert "不足以" in verdicts.mcnemar_difference(0.05)          # p = alpha is not below it


def test_chance_and_reported():
    s = verdicts.chance_and_reported(0.52, 0.655, 0.56)
    assert "之内" in s and "高 0.020" in s
    s = verdicts.chance_and_reported(0.45, 0.58, 0.60)
    assert "之外" in s and "包含瞎猜" in s


def test_all_above_names_the_models_below():
    assert "都高于" in verdicts.all_above({"甲": 0.81, "乙": 0.83}, 0.59, "原报告的最高数字")
    assert verdicts.all_above({"甲": 0.81}, 0.59, "x", who="除丙外，每个模型").startswith("除丙外，每个模型测试准确率")
    s = verdicts.all_above({"甲": 0.81, "乙": 0.55}, 0.59, "原报告的最高数字")
    assert "并非" in s and "乙" in s and "甲" not in s


def test_cv_in_ci_all_none_and_some():
    assert "都落在各自" in verdicts.cv_in_ci({"甲": (0.86, 0.84, 0.93), "乙": (0.86, 0.81, 0.91)})
    assert "之外" in verdicts.cv_in_ci({"甲": (0.95, 0.84, 0.93), "乙": (0.70, 0.81, 0.91)})
    s = verdicts.cv_in_ci({"甲": (0.86, 0.84, 0.93), "乙": (0.70, 0.81, 0.91)})
    assert s.startswith("甲") and "乙的则落在区间之外" in s


def test_best_among():
    assert "分不出高下" in verdicts.best_among(5, 0.21)
    s = verdicts.best_among(5, 0.003)
    assert "显著" in s and "0.003" in s


def test_class_balance():
    assert "数量相等" in verdicts.class_balance(1000, 1000) and "50%" in verdicts.class_balance(1000, 1000)
    s = verdicts.class_balance(600, 400)
    assert "不等" in s and "全部猜负面" in s and "60.0%" in s


def test_longer_class_names_the_longer_one():
    s = verdicts.longer_class(60, 30)
    assert s.index("负面评论的中位长度是 60") < s.index("正面评论只有 30") and "2.0 倍" in s
    s = verdicts.longer_class(20, 50)
    assert "正面评论的中位长度是 50" in s and "2.5 倍" in s
    assert "相同" in verdicts.longer_class(40, 40)


def test_order_matters():
    assert "低了 14.8" in verdicts.order_matters(-51.8, -66.6)
    assert "没能" in verdicts.order_matters(-70.0, -66.6)


def test_share_original_higher():
    assert "不是挑出来的" in verdicts.share_original_higher(0.9)
    assert "不典型" in verdicts.share_original_higher(0.4)


def test_laplace():
    assert "最高" in verdicts.laplace({1.0: 1000.0, 0.1: 500.0, 0.01: 420.0})
    assert "并不是最高" in verdicts.laplace({1.0: 400.0, 0.1: 500.0})
    with pytest.raises(ValueError, match="k = 1"):
        verdicts.laplace({0.1: 500.0})


def test_balanced_test():
    assert "数量相等" in verdicts.balanced_test(100, 100)
    s = verdicts.balanced_test(120, 80)
    assert "不等" in s and "60.0%" in s


def test_skew():
    assert "右偏" in verdicts.skew(45.2, 30) and "45.2" in verdicts.skew(45.2, 30)
    assert "并不右偏" in verdicts.skew(30.0, 31)
