"""book.text on tiny hand-made inputs: CJK extraction, segmentation, counts, log-ratio, bigram LM."""
from __future__ import annotations

import math
from collections import Counter

import jieba
import pytest

from book import text

# ---------------------------------------------------------------- CJK extraction


def test_cjk_only_keeps_chinese_and_separates_the_rest():
    assert text.cjk_only("好吃!!abc 很好😀，下次123再来。") == "好吃 很好 下次 再来"
    assert text.cjk_only("好吃，很好", sep="|") == "好吃|很好"
    assert text.cjk_only("OK 123 !!") == ""


def test_cjk_only_covers_the_extension_blocks():
    # U+3400 (Extension A), U+F900 (Compatibility), U+20000 (Extension B); U+3000 is CJK punctuation.
    assert text.cjk_only("\u3400a\uf900b\U00020000\u3000好") == "\u3400 \uf900 \U00020000 好"


def test_non_cjk_runs_are_what_cjk_only_drops():
    assert text.non_cjk_runs("好吃!! 很好 ,ok。再来") == ["!!", ",ok。"]
    assert text.has_cjk("ok 好") and not text.has_cjk("ok 123 ！")


# ---------------------------------------------------------------- segmentation


def test_tokenize_does_not_cross_punctuation():
    joined = "环境好吃的一般"
    # Precondition (so this test can fail): jieba on the text without its full stop makes 好吃.
    assert "好吃" in jieba.lcut(joined)
    words = text.tokenize("环境好。吃的一般")
    assert "好吃" not in words
    assert "".join(words) == joined and "好" in words and "吃" in words
    assert text.cross_boundary_words("环境好。吃的一般") == ["好吃"]
    assert text.cross_boundary_words("环境好吃的一般") == []  # no boundary, nothing crosses


def test_tokenize_drops_non_chinese_and_is_deterministic():
    t = "这家店的烤鸭 very good，123元两个人！"
    words = text.tokenize(t)
    assert all(text.has_cjk(w) for w in words)
    assert "".join(words) == text.cjk_only(t, sep="")
    assert text.tokenize_many([t, t]) == [words, words]


# ---------------------------------------------------------------- counts and log-ratio


def test_word_counts_and_top_words():
    c = text.word_counts([["好", "的", "菜"], ["好", "好"]], stopwords={"的"})
    assert c == Counter({"好": 3, "菜": 1})
    top = text.top_words(Counter({"b": 2, "a": 2, "c": 5}), k=2)
    assert top.to_dict("list") == {"word": ["c", "a"], "count": [5, 2]}  # ties by word


POS = Counter({"好": 3, "菜": 1})   # P = 4 words
NEG = Counter({"差": 2, "菜": 2})   # N = 4 words; vocabulary V = {好, 菜, 差}, |V| = 3


def test_log_ratio_by_hand():
    lr = text.log_ratio(POS, NEG, min_count=1, alpha=1.0).set_index("word")
    # log((p + 1) / (4 + 3)) - log((n + 1) / (4 + 3)) = log((p + 1) / (n + 1))
    assert lr.loc["好", "log_ratio"] == pytest.approx(math.log(4 / 1))
    assert lr.loc["菜", "log_ratio"] == pytest.approx(math.log(2 / 3))
    assert lr.loc["差", "log_ratio"] == pytest.approx(math.log(1 / 3))
    assert list(lr.index) == ["好", "菜", "差"]  # most positive first
    assert lr.loc["菜", ["pos", "neg", "total"]].tolist() == [1, 2, 3]


def test_log_ratio_unequal_totals_and_alpha():
    pos, neg = Counter({"好": 1, "菜": 3}), Counter({"好": 1})  # P = 4, N = 1, V = 2
    lr = text.log_ratio(pos, neg, min_count=1, alpha=0.5).set_index("word")
    assert lr.loc["好", "log_ratio"] == pytest.approx(math.log(1.5 / 5) - math.log(1.5 / 2))
    assert lr.loc["菜", "log_ratio"] == pytest.approx(math.log(3.5 / 5) - math.log(0.5 / 2))


def test_log_ratio_min_count_filters_rare_words_but_not_the_smoothing():
    lr = text.log_ratio(POS, NEG, min_count=3, alpha=1.0).set_index("word")
    assert set(lr.index) == {"好", "菜"}  # 差 (2 in all) is dropped
    assert lr.loc["好", "log_ratio"] == pytest.approx(math.log(4))  # |V| still counts 差
    assert text.log_ratio(POS, NEG, min_count=5).empty


# ---------------------------------------------------------------- bigram language model

DOCS = [["a", "b"], ["a", "c"], ["a", "b"]]


def test_bigram_probabilities_by_hand():
    lm = text.BigramLM(k=1.0, min_count=1).fit(DOCS)
    assert lm.vocab == {"a", "b", "c", text.EOS, text.UNK}        # |V| = 5
    assert lm.prob(text.BOS, "a") == pytest.approx((3 + 1) / (3 + 5))
    assert lm.prob("a", "b") == pytest.approx((2 + 1) / (3 + 5))
    assert lm.prob("b", text.EOS) == pytest.approx((2 + 1) / (2 + 5))
    assert lm.prob("c", "a") == pytest.approx((0 + 1) / (1 + 5))
    assert lm.prob("zzz", "a") == pytest.approx(1 / 5)              # unseen history <unk>: uniform
    expected = math.log(4 / 8) + math.log(3 / 8) + math.log(3 / 7)
    assert lm.logprob(["a", "b"]) == pytest.approx(expected)
    assert lm.perplexity([["a", "b"]]) == pytest.approx(math.exp(-expected / 3))
    table = lm.word_logprobs(["a", "b"])
    assert table["prev"].tolist() == [text.BOS, "a", "b"] and table["word"].tolist() == ["a", "b", text.EOS]
    assert table["logprob"].sum() == pytest.approx(expected)


def test_bigram_min_count_maps_rare_words_to_unk():
    lm = text.BigramLM(k=0.5, min_count=2).fit(DOCS)
    assert lm.vocab == {"a", "b", text.EOS, text.UNK}                # c (once) is <unk>
    assert lm.prob("a", "c") == lm.prob("a", "never-seen") == lm.prob("a", text.UNK)
    assert lm.prob("a", text.UNK) == pytest.approx((1 + 0.5) / (3 + 0.5 * 4))


@pytest.mark.parametrize("k", [1.0, 0.01])
def test_bigram_distribution_sums_to_one(k):
    lm = text.BigramLM(k=k, min_count=1).fit(DOCS)
    for prev in (text.BOS, "a", "b", "c", text.UNK):
        assert sum(lm.prob(prev, w) for w in lm.vocab) == pytest.approx(1.0)


def test_bigram_prefers_the_word_order_it_was_trained_on():
    docs = [["菜", "很", "好吃"], ["服务", "很", "好"], ["菜", "不", "好吃"], ["环境", "很", "好"]] * 5
    lm = text.BigramLM(k=0.1, min_count=1).fit(docs)
    assert lm.logprob(["菜", "很", "好吃"]) > lm.logprob(["好吃", "很", "菜"])
    cmp = text.scramble_comparison(lm, [["服务", "很", "好"], ["环境", "很", "好"]], seed=0)
    assert list(cmp.columns) == ["original", "scrambled"] and len(cmp) == 2
    assert (cmp["original"] >= cmp["scrambled"]).all()


def test_scramble_is_a_seeded_permutation():
    words = list("一二三四五六七八")
    assert sorted(text.scramble(words, 3)) == sorted(words)
    assert text.scramble(words, 3) == text.scramble(words, 3)
    assert text.scramble(words, 3) != text.scramble(words, 4)


def test_bigram_bad_input():
    with pytest.raises(ValueError, match="k must be > 0"):
        text.BigramLM(k=0)
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        text.BigramLM(min_count=0)
    with pytest.raises(ValueError, match="at least one non-empty document"):
        text.BigramLM().fit([[], []])
    with pytest.raises(RuntimeError, match="not fitted"):
        text.BigramLM().prob("a", "b")
    with pytest.raises(ValueError, match="at least one document"):
        text.BigramLM(min_count=1).fit(DOCS).perplexity([])


def test_review_traits_tags_negation_contrast_and_length():
    from book.text import review_traits

    t = review_traits(["这家的环境不差，但是菜不怎么好吃。", "好吃" * 60, "很好吃，推荐"])
    assert t["negation"].tolist() == [True, False, False]
    assert t["contrast"].tolist() == [True, False, False]
    assert t["chars"].tolist() == [17, 120, 6]
    assert [str(x)[0] for x in t["length"]] == ["短", "长", "短"]


def test_review_traits_leave_lexicalised_negation_out():
    from book.text import review_traits

    t = review_traits(["味道不错，服务也不少", "菜不好吃", "没有下次了", "不过价格很贵"])
    assert t["negation"].tolist() == [False, True, True, False]


def test_bag_of_words_counts_jieba_words_in_order_of_first_appearance():
    bow = text.bag_of_words(["她喜欢猫猫。", "他也喜欢猫猫。", "猫猫，猫猫"])
    assert list(bow.columns) == ["她", "喜欢", "猫猫", "他", "也"]    # jieba keeps 猫猫 as one word
    assert bow.loc["她喜欢猫猫。"].tolist() == [1, 1, 1, 0, 0]
    assert bow.loc["他也喜欢猫猫。"].tolist() == [0, 1, 1, 1, 1]
    assert bow.loc["猫猫，猫猫"].tolist() == [0, 0, 2, 0, 0]
