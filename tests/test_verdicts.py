"""The verdict sentences follow the numbers they are given (chapters 4 and 5)."""
from __future__ import annotations

from book import verdicts as V


def test_fmt_p():
    assert V.fmt_p(0.0004) == "< 0.001"
    assert V.fmt_p(0.01234) == "0.012" and V.fmt_p(0.00675) == "0.007"   # never more than 3 decimals
    assert V.p_is(0.0004) == "p < 0.001" and V.p_is(0.5) == "p = 0.500"















