"""book.plots: Chinese text renders with the book's font, and a missing glyph is caught."""
from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from book import plots  # noqa: E402

CHINESE = "正面评论与负面评论：好吃、难吃"


def chinese_figure():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["负面", "正面"], [3, 5])
    ax.set(title=CHINESE, xlabel="类别", ylabel="评论数")
    return fig


def glyph_warnings(fig) -> list[str]:
    """Render fig to PNG in memory; return matplotlib's missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.fixture
def book_style():
    with matplotlib.rc_context():  # setup() changes rcParams: restore them afterwards
        font = plots.setup()
        yield font


def test_setup_picks_a_cjk_font(book_style):
    assert book_style in plots.CJK_FONTS
    assert matplotlib.rcParams["font.sans-serif"][0] == book_style


def test_chinese_renders_without_missing_glyphs(book_style):
    assert glyph_warnings(chinese_figure()) == []


def test_missing_glyphs_are_detected_with_a_font_without_chinese():
    """The control: the same figure in DejaVu Sans (no CJK glyphs) does warn, so the check above can fail."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        found = glyph_warnings(chinese_figure())
    assert found and all("DejaVu Sans" in m for m in found)


def test_setup_turns_a_missing_glyph_into_an_error(book_style):
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig = chinese_figure()
        with pytest.raises(UserWarning, match=r"Glyph \d+ .* missing from font"):
            fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


# ---------------------------------------------------------------- the book's chart helpers


def test_label_bars_counts_each_class(book_style):
    fig, ax = plt.subplots()
    plots.label_bars([1, 0, 1, 1, 1], ax=ax)
    assert [p.get_height() for p in ax.patches] == [1, 4]
    assert [t.get_text() for t in ax.texts] == ["1", "4"]
    assert glyph_warnings(fig) == []


def test_class_hist_draws_one_histogram_per_class(book_style):
    df = pd.DataFrame({"sentiment": [0] * 5 + [1] * 5, "chars": [10, 20, 40, 80, 160, 15, 15, 30, 30, 60]})
    fig, ax = plt.subplots()
    plots.class_hist(df, "chars", ax=ax, bins=5, xlabel="字符数")
    assert ax.get_xscale() == "log"
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(["负面", "正面"])
    assert glyph_warnings(fig) == []


def test_log_ratio_bars_colours_by_sign(book_style):
    lr = pd.DataFrame({"word": ["好吃", "不错", "一般", "难吃"], "log_ratio": [2.0, 1.0, -0.5, -2.0]})
    fig, ax = plt.subplots()
    plots.log_ratio_bars(lr, k=2, ax=ax)
    widths = [p.get_width() for p in ax.patches]
    assert widths == [-2.0, -0.5, 1.0, 2.0]  # sorted, most negative at the bottom
    colors = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colors == [plots.NEG.lower()] * 2 + [plots.POS.lower()] * 2
    assert glyph_warnings(fig) == []


def test_confusion_heatmap_puts_the_positive_class_first_with_cell_names(book_style):
    fig, ax = plt.subplots()
    plots.confusion_heatmap([[5, 1], [2, 7]], ax=ax)  # rows true 0, 1; columns predicted 0, 1
    assert [t.get_text() for t in ax.texts] == ["TP\n7", "FN\n2", "FP\n1", "TN\n5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["正面", "负面"]
    assert glyph_warnings(fig) == []


def test_comparison_chart_draws_dots_not_bars(book_style):
    t = pd.DataFrame({"accuracy": [0.585, 0.885], "ci_low": [0.52, 0.84], "ci_high": [0.65, 0.93]}, index=["甲", "乙"])
    fig, ax = plt.subplots()
    plots.comparison_chart(t, ax=ax)
    assert not ax.patches  # no bars
    assert [t.get_text() for t in ax.get_yticklabels()] == ["甲", "乙"] and ax.get_xlim()[0] > 0
    assert glyph_warnings(fig) == []


def test_min_font_pt_and_png_metadata(book_style):
    from PIL import Image

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1], label="线")
    ax.legend(fontsize=7)
    ax.set_title("标题", fontsize=14)
    ax.text(0.5, 0.5, "", fontsize=3)  # empty: not drawn, not counted
    assert plots.min_font_pt(fig) == 7
    ax.get_legend().remove()
    assert plots.min_font_pt(fig) == min(matplotlib.rcParams["xtick.labelsize"], matplotlib.rcParams["axes.titlesize"], 14)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=plots.png_metadata(fig))
    plt.close(fig)
    info = Image.open(io.BytesIO(buf.getvalue())).text
    assert float(info["book:min-font-pt"]) == plots.min_font_pt(fig) and float(info["book:dpi"]) == fig.dpi


def test_tick_labels_use_the_minus_sign_not_a_hyphen():
    import matplotlib.pyplot as plt

    plots.setup()
    fig, ax = plt.subplots()
    ax.plot([-3, 2], [-1, 1])
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    plt.close(fig)
    assert any(s.startswith("\u2212") for s in labels) and not any(s.startswith("-") for s in labels)


def test_rotation_chart_marks_each_familys_pooled_accuracy_and_its_folds(book_style):
    table = pd.DataFrame({"accuracy": [0.88, 0.84], "ci_low": [0.85, 0.80], "ci_high": [0.91, 0.88],
                          "fold_min": [0.855, 0.79], "fold_max": [0.90, 0.89], "n": [1000, 1000]},
                         index=["最佳基准", "LSTM"])
    fig, ax = plt.subplots()
    plots.rotation_chart(table, ax=ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LSTM", "最佳基准"]        # sorted by accuracy
    assert {t.get_text() for t in ax.texts} == {"0.880", "0.840"} and "1000" in ax.get_xlabel()
    # each value sits above its own dot (not beside the highest fold, where it read as that fold's)
    assert [(t.get_position()[0], t.get_position()[1] > i) for i, t in enumerate(ax.texts)] == [(0.84, True), (0.88, True)]
    assert ax.get_xlim()[0] <= 0.76 and not glyph_warnings(fig)
    plt.close(fig)
