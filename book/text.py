"""Chinese text: CJK extraction, jieba segmentation, word counts, log-ratios."""
from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import jieba
import pandas as pd

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr

# CJK Unified Ideographs, Extension A, Compatibility Ideographs, Extensions B–F.
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
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


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


@lru_cache(maxsize=8192)
def _cut(chunk: str) -> tuple[str, ...]:
    return tuple(jieba.lcut(chunk, HMM=True))


def tokenize(text: str) -> list[str]:
    """jieba words of the Chinese parts of ``text``.

    Non-Chinese runs (punctuation, digits, Latin, emoji) split the text into chunks that
    are segmented separately, so no word ever spans a sentence boundary.
    jieba's segmentation is deterministic for a fixed dictionary.
    """
    words: list[str] = []
    for chunk in cjk_only(text).split():
        words.extend(_cut(chunk))
    return words


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


def word_counts(docs: Iterable[list[str]], stopwords: Iterable[str] = ()) -> Counter:
    """Total occurrences of each word over tokenized documents, minus ``stopwords``."""
    stop = set(stopwords)
    c: Counter = Counter()
    for words in docs:
        c.update(w for w in words if w not in stop)
    return c


def log_ratio(pos: Counter, neg: Counter, min_count: int = 5, alpha: float = 1.0) -> pd.DataFrame:
    """Smoothed log-ratio of each word's rate in positive vs negative reviews.

    log_ratio(w) = log((pos[w] + a) / (P + a V)) - log((neg[w] + a) / (N + a V))
    with P, N the total word counts of each class and V the vocabulary size (additive
    smoothing, so a word seen in one class only gets a finite score). Words seen fewer
    than ``min_count`` times in all are dropped. Positive scores lean positive.
    Returns columns word, pos, neg, total, log_ratio, sorted by log_ratio descending.
    """
    vocab = set(pos) | set(neg)
    v = len(vocab)
    p_total, n_total = sum(pos.values()), sum(neg.values())
    rows = []
    for w in vocab:
        p, n = pos.get(w, 0), neg.get(w, 0)
        if p + n < min_count:
            continue
        lr = math.log((p + alpha) / (p_total + alpha * v)) - math.log((n + alpha) / (n_total + alpha * v))
        rows.append((w, p, n, p + n, lr))
    df = pd.DataFrame(rows, columns=["word", "pos", "neg", "total", "log_ratio"])
    return df.sort_values(["log_ratio", "word"], ascending=[False, True], ignore_index=True)
