"""_ext/book_pages.py: spaces between Han characters and Latin letters or digits in the pages'
running text, across glued values, never inside code or formulas."""
from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))
import book_pages  # noqa: E402


def para(*parts) -> nodes.paragraph:
    p = nodes.paragraph()
    for x in parts:
        p += nodes.Text(x) if isinstance(x, str) else x
    return p


def test_spaces_across_glued_values_and_inside_text():
    p = para("本次运行的是", nodes.inline(text="E5-small"), "，最佳基准", nodes.inline(text="字 n-gram SVM"), "达到 0.885，文件的SHA-256")
    book_pages.space_han_latin(p)
    assert p.astext() == "本次运行的是 E5-small，最佳基准字 n-gram SVM 达到 0.885，文件的 SHA-256"


def test_leaves_code_math_and_spaced_text_alone():
    p = para("用", nodes.literal(text="book.bert的x"), "的", nodes.math(text="p值"), "模型 LSTM 的 3 个种子")
    before = p.astext()
    book_pages.space_han_latin(p)
    assert p.astext() == before                       # nothing joined across code or math, nothing doubled
    q = para("第", nodes.inline(text="3"), "轮（", nodes.inline(text="LSTM"), "）")
    book_pages.space_han_latin(q)
    assert q.astext() == "第 3 轮（LSTM）"              # fullwidth brackets take no space
