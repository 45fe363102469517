"""book.expect: the guard of a hand-written sentence whose direction depends on the run."""
from __future__ import annotations

import pytest

import book


def test_expect_passes_silently_when_the_sentence_holds():
    assert book.expect(0.885 > 0.837, "TF-IDF 好于 LSTM", "最佳基准高于 LSTM") is None


def test_expect_fails_naming_the_sentence_and_the_reason():
    with pytest.raises(book.ClaimNoLongerHolds, match="「TF-IDF 好于 LSTM」: it needs 最佳基准高于 LSTM"):
        book.expect(0.80 > 0.837, "TF-IDF 好于 LSTM", "最佳基准高于 LSTM")
    long = "这是一句很长很长的句子" * 10
    with pytest.raises(AssertionError, match="…"):
        book.expect([], long)
