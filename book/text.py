"""Chinese text: CJK extraction, jieba segmentation, word counts, log-ratios, a bigram LM."""
from __future__ import annotations

import logging
import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import jieba

from .names import CJK_RANGES

if TYPE_CHECKING:  # pandas is imported where a table is made: the predictor never loads it
    import pandas as pd

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr

# CJK Unified Ideographs, Extension A, Compatibility Ideographs, Extensions B–F.
_NON_CJK = re.compile(f"[^{CJK_RANGES}]+")
_CJK_CHAR = re.compile(f"[{CJK_RANGES}]")

# Function words left out of the frequency charts only (never out of a model's input):
# they top every list and say nothing about sentiment. Negations (不, 没, 没有) stay.
STOPWORDS = frozenset(
    "的 了 是 我 也 在 和 就 都 有 这 那 吃 还 很 个 去 一个 我们 你 他 她 它 着 给 吧 啊 呢 吗 哦 "
    "又 与 及 而 或 被 把 让 为 对 从 到 上 下 里 中 说 要 会 能 可以 这个 那个 一 人 家 店 "
    "这家 就是 一下 一些 一点 还是 感觉 觉得 比较 真的 还有 因为 所以 但是 不过 如果".split()
)


def cjk_only(text: str, sep: str = " ") -> str:
    """Keep the Chinese characters; every run of anything else becomes ``sep``."""
    return _NON_CJK.sub(sep, text).strip()


def non_cjk_runs(text: str) -> list[str]:
    """What ``cjk_only`` drops: each maximal run of non-Chinese characters, whitespace stripped
    (runs that are only whitespace are left out)."""
    return [r.strip() for r in _NON_CJK.findall(text) if r.strip()]


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


@lru_cache(maxsize=8192)
def _cut(chunk: str) -> tuple[str, ...]:
    return tuple(jieba.lcut(chunk, HMM=True))


def tokenize(text: str) -> list[str]:
    """jieba words of the Chinese parts of ``text``.

    Non-Chinese runs (punctuation, digits, Latin, emoji) split the text into
    chunks that are segmented separately, so no word ever spans a sentence
    boundary.
    jieba's segmentation is deterministic for a fixed dictionary.
    """
    words: list[str] = []
    for chunk in cjk_only(text).split():
        words.extend(_cut(chunk))
    return words


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


@lru_cache(maxsize=1 << 16)
def _segment_one(review: str) -> str:
    return " ".join(tokenize(review))


def segment(texts) -> list[str]:
    """Each review as its jieba words joined by spaces (cached per review text): the first step
    of the TF-IDF pipelines (book.baselines), defined here so that the pickled pipeline needs
    only this module."""
    if isinstance(texts, str):
        raise TypeError("segment() takes a list of reviews, not one string")
    return [_segment_one(t) for t in texts]


def word_counts(docs: Iterable[list[str]], stopwords: Iterable[str] = ()) -> Counter:
    """Total occurrences of each word over tokenized documents, minus ``stopwords``."""
    stop = set(stopwords)
    c: Counter = Counter()
    for words in docs:
        c.update(w for w in words if w not in stop)
    return c


def log_ratio(pos: Counter, neg: Counter, min_count: int = 5,
              alpha: float = 1.0) -> pd.DataFrame:
    """Smoothed log-ratio of each word's rate in positive vs negative
    reviews:

        log((pos[w] + a) / (P + a V)) - log((neg[w] + a) / (N + a V))

    with P, N the total word counts of each class and V the vocabulary size
    (additive smoothing, so a word seen in one class only gets a finite
    score). Words seen fewer than ``min_count`` times in all are dropped.
    Positive scores lean positive. Returns columns word, pos, neg, total,
    log_ratio, sorted by log_ratio descending.
    """
    vocab = set(pos) | set(neg)
    v = len(vocab)
    p_total, n_total = sum(pos.values()), sum(neg.values())
    rows = []
    for w in vocab:
        p, n = pos.get(w, 0), neg.get(w, 0)
        if p + n < min_count:
            continue
        lr = (math.log((p + alpha) / (p_total + alpha * v))
              - math.log((n + alpha) / (n_total + alpha * v)))
        rows.append((w, p, n, p + n, lr))
    df = _frame(rows, ["word", "pos", "neg", "total", "log_ratio"])
    return df.sort_values(["log_ratio", "word"], ascending=[False, True],
                          ignore_index=True)


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    """A DataFrame (pandas imported here: the predictor, which uses this module, never loads it)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def cross_boundary_words(text: str) -> list[str]:
    """Words jieba would form across punctuation if the non-Chinese runs were simply deleted.

    ``tokenize`` never produces these; this shows what splitting at punctuation prevents,
    e.g. 「环境好。吃的一般」 → ["好吃"] (好 ends one sentence, 吃 starts the next).
    """
    chunks = cjk_only(text).split()
    bounds, pos = set(), 0
    for chunk in chunks[:-1]:
        pos += len(chunk)
        bounds.add(pos)
    return [w for w, start, end in jieba.tokenize("".join(chunks), HMM=True)
            if any(start < b < end for b in bounds)]


def top_words(counts: Counter, k: int = 20) -> pd.DataFrame:
    """The k most frequent words as a DataFrame (word, count), ties broken by the word."""
    items = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:k]
    import pandas as pd

    return pd.DataFrame(items, columns=["word", "count"])


def bag_of_words(texts) -> pd.DataFrame:
    """The bag-of-words vectors of a few texts: one row per text (in order), one column per
    word of :func:`tokenize` (in order of first appearance over all texts), the counts. Word
    order inside a text is lost; so is any relation between two words."""
    docs = [tokenize(t) for t in texts]
    vocab = list(dict.fromkeys(w for d in docs for w in d))
    import pandas as pd

    return pd.DataFrame([[d.count(w) for w in vocab] for d in docs], index=list(texts), columns=vocab)


# ---------------------------------------------------------------- a bigram language model

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


class BigramLM:
    """A word bigram language model with add-k smoothing.

    P(w | v) = (c(v, w) + k) / (c(v) + k |V|)

    c counts the training bigrams (each document is wrapped in <s> … </s>), V is the
    vocabulary: the words seen at least ``min_count`` times, plus </s> and <unk>; rarer
    and unseen words are read as <unk>. For every history v the probabilities over V sum to 1.
    """

    def __init__(self, k: float = 1.0, min_count: int = 2):
        if not k > 0:
            raise ValueError(f"k must be > 0 (got {k}): without smoothing an unseen bigram has probability 0")
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1 (got {min_count})")
        self.k, self.min_count = float(k), int(min_count)
        self.vocab: frozenset[str] | None = None

    def _map(self, words: list[str]) -> list[str]:
        return [BOS] + [w if w in self.vocab else UNK for w in words] + [EOS]

    def fit(self, docs: Iterable[list[str]]) -> BigramLM:
        docs = [list(d) for d in docs]
        if not any(docs):
            raise ValueError("BigramLM.fit needs at least one non-empty document")
        freq = Counter(w for d in docs for w in d)
        self.vocab = frozenset(w for w, c in freq.items() if c >= self.min_count) | {EOS, UNK}
        self.bigrams: Counter = Counter()
        self.history: Counter = Counter()
        for d in docs:
            seq = self._map(d)
            self.bigrams.update(zip(seq, seq[1:]))
            self.history.update(seq[:-1])
        return self

    def prob(self, prev: str, word: str) -> float:
        """P(word | prev), both given as words (unknown ones are read as <unk>)."""
        if self.vocab is None:
            raise RuntimeError("BigramLM is not fitted: call fit(docs) first")
        prev = prev if prev == BOS or prev in self.vocab else UNK
        word = word if word in self.vocab else UNK
        return (self.bigrams[(prev, word)] + self.k) / (self.history[prev] + self.k * len(self.vocab))

    def word_logprobs(self, words: list[str]) -> pd.DataFrame:
        """One row per predicted token (the words, then </s>): prev, word, prob, logprob (natural log)."""
        if self.vocab is None:
            raise RuntimeError("BigramLM is not fitted: call fit(docs) first")
        seq = [BOS, *words, EOS]
        rows = [(v, w, self.prob(v, w)) for v, w in zip(seq, seq[1:])]
        import pandas as pd

        df = pd.DataFrame(rows, columns=["prev", "word", "prob"])
        df["logprob"] = [math.log(p) for p in df["prob"]]
        return df

    def logprob(self, words: list[str]) -> float:
        """log P(<s> words </s>) = sum of log P(w_i | w_{i-1})."""
        seq = [BOS, *words, EOS]
        return float(sum(math.log(self.prob(v, w)) for v, w in zip(seq, seq[1:])))

    def perplexity(self, docs: Iterable[list[str]]) -> float:
        """exp(-(total log probability) / (number of predicted tokens, </s> included))."""
        total, n = 0.0, 0
        for d in docs:
            total += self.logprob(d)
            n += len(d) + 1
        if n == 0:
            raise ValueError("perplexity needs at least one document")
        return math.exp(-total / n)


def scramble(words: list[str], seed: int = 0) -> list[str]:
    """The same words in a random order (a seeded permutation, so the same every run)."""
    return random.Random(seed).sample(list(words), len(words))


def scramble_comparison(lm: BigramLM, docs: Iterable[list[str]], seed: int = 0) -> pd.DataFrame:
    """Per-token log probability of each document and of the same words in a random order.

    Returns columns ``original`` and ``scrambled`` (mean log P per predicted token, </s>
    included), one row per document; document i is shuffled by ``scramble(words, seed + i)``.
    """
    rows = []
    for i, d in enumerate(docs):
        d = list(d)
        shuffled = scramble(d, seed + i)
        rows.append((lm.logprob(d) / (len(d) + 1), lm.logprob(shuffled) / (len(d) + 1)))
    import pandas as pd

    return pd.DataFrame(rows, columns=["original", "scrambled"])


# Traits that make a review hard, for the error analysis of chapter 4.
NEGATION_PREFIXES = ("不", "没", "无", "未", "别")
# words that start like a negation but are one lexical item that negates nothing: 不错 "good",
# 不少 "many", 不过 "but", 无论 "whatever", 未来 "future", 别人 "others" ...
LEXICALISED = frozenset("不错 不少 不过 不仅 不但 不管 不论 无论 不断 不久 未来 别人 别的 无比 没想到".split())
CONTRAST_WORDS = frozenset("但 但是 可是 不过 却 然而 只是 就是 虽然 虽说 而是".split())
# where a review is cut into two clauses (book.generalization.split_contrast): the words that open
# the second clause, longest first at one position (not 虽然, which opens the first)
CONTRAST_SPLIT_WORDS = ("但是", "可是", "不过", "然而", "只是", "就是", "但")
# ... of which these two mark a contrast only where they open a clause (「环境不错，就是有点贵」, not
# 「就是好吃」 or 「只是一般」): they count only right after a punctuation mark
CLAUSE_OPENING_ONLY = ("只是", "就是")
CLAUSE_BREAKS = "，,。.！!？?；;、:：~～… \n"
LENGTH_BINS = (0, 30, 100, float("inf"))
LENGTH_LABELS = ("短（<30 字）", "中（30–100 字）", "长（>100 字）")


def review_traits(texts: Iterable[str]) -> pd.DataFrame:
    """Per review: has a negation word (a jieba word starting with 不/没/无/未/别, such as 不好,
    没有, 不怎么, but not the lexicalised words in LEXICALISED: 不错, 不少 …), has a contrast
    word (但是, 不过, 却...), and its length class in characters."""
    rows = []
    for t in texts:
        words = tokenize(t)
        rows.append({
            "negation": any(w.startswith(NEGATION_PREFIXES) and w not in LEXICALISED for w in words),
            "contrast": any(w in CONTRAST_WORDS for w in words),
            "chars": len(t),
        })
    import pandas as pd

    df = pd.DataFrame(rows)
    df["length"] = pd.cut(df["chars"], LENGTH_BINS, labels=LENGTH_LABELS, right=False)
    return df
