"""Figures: one look for the whole book, with a CJK font so Chinese labels render."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

# Simplified-Chinese-capable fonts, best first. `make setup` installs WenQuanYi Micro Hei
# (Debian fonts-wqy-microhei) when none of these is on the machine.
CJK_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
    "Noto Sans CJK JP", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC",
)
PALETTE = {0: "#c0504d", 1: "#4f81bd"}  # negative red, positive blue
NEG, POS = PALETTE[0], PALETTE[1]


class FontError(RuntimeError):
    pass


def cjk_font() -> str:
    """The name of an installed font that has Chinese glyphs."""
    fm = font_manager.fontManager
    for attempt in range(2):
        installed = {f.name for f in fm.ttflist}
        for name in CJK_FONTS:
            if name in installed:
                return name
        if attempt == 0:  # matplotlib's font cache may predate the font: look on disk once
            known = {f.fname for f in fm.ttflist}
            for path in font_manager.findSystemFonts():
                if path not in known:
                    try:
                        fm.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        pass
    raise FontError(
        "no Chinese font found for matplotlib (looked for: " + ", ".join(CJK_FONTS) + "); "
        "run `make setup` or install one, e.g. `apt-get install fonts-wqy-microhei`, "
        "then delete matplotlib's font cache (~/.cache/matplotlib)"
    )


def setup() -> str:
    """Apply the book's style; returns the CJK font in use. Call once per chapter."""
    font = cjk_font()
    sns.set_theme(style="whitegrid", context="notebook", font=font,
                  rc={"axes.unicode_minus": False, "figure.dpi": 110, "savefig.dpi": 110,
                      "font.sans-serif": [font, "DejaVu Sans"]})
    # Missing glyphs are a bug, not a warning to scroll past.
    warnings.filterwarnings("error", message=r"Glyph \d+ .* missing from font")
    return font


def bar_words(df: pd.DataFrame, value: str, ax=None, color=None, title: str = "", label: str = "word"):
    """Horizontal bars of words (top row of df at the top)."""
    ax = ax or plt.gca()
    sns.barplot(data=df, y=label, x=value, ax=ax, color=color, orient="h")
    ax.set(title=title, ylabel="", xlabel=value)
    return ax


def log_ratio_bars(lr: pd.DataFrame, k: int = 15, ax=None):
    """The k most positive and k most negative words by log-ratio, one diverging chart."""
    ax = ax or plt.gca()
    top = pd.concat([lr.head(k), lr.tail(k)]).sort_values("log_ratio")
    colors = [POS if v > 0 else NEG for v in top["log_ratio"]]
    ax.barh(top["word"], top["log_ratio"], color=colors)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="log-ratio（>0 偏正面，<0 偏负面）", ylabel="")
    return ax


def confusion_heatmap(cm, ax=None, title: str = "", normalize: bool = False):
    """A 2×2 confusion matrix, rows true, columns predicted."""
    ax = ax or plt.gca()
    cm = np.asarray(cm)
    data = cm / cm.sum(axis=1, keepdims=True) if normalize else cm
    sns.heatmap(data, annot=cm, fmt="d", cbar=False, cmap="Blues", square=True, ax=ax,
                xticklabels=["负面", "正面"], yticklabels=["负面", "正面"])
    ax.set(xlabel="预测", ylabel="真实", title=title)
    return ax


def comparison_chart(table: pd.DataFrame, ax=None, metric: str = "accuracy"):
    """Models' accuracy with 95% bootstrap CIs (table from evaluate.summary_table)."""
    ax = ax or plt.gca()
    t = table.sort_values(metric)
    err = np.vstack([t[metric] - t["ci_low"], t["ci_high"] - t[metric]])
    ax.barh(t.index, t[metric], xerr=err, color=sns.color_palette("deep")[0], capsize=3)
    for y, v in enumerate(t[metric]):
        ax.text(v + 0.005, y, f"{v:.3f}", va="center", fontsize=9)
    lo = max(0.0, float(t["ci_low"].min()) - 0.05)
    ax.set(xlim=(lo, 1.0), xlabel=f"{metric}（测试集 200 条，误差线为 95% bootstrap 置信区间）", ylabel="")
    return ax


def training_curves(history: pd.DataFrame, axes=None, title: str = ""):
    """Loss and accuracy per epoch from a history table with columns
    epoch, train_loss, valid_loss and (optional) valid_accuracy."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    h = history
    axes[0].plot(h["epoch"], h["train_loss"], marker="o", label="训练")
    axes[0].plot(h["epoch"], h["valid_loss"], marker="o", label="验证")
    axes[0].set(xlabel="epoch", ylabel="loss", title=title)
    axes[0].legend()
    if "valid_accuracy" in h:
        if "train_accuracy" in h:
            axes[1].plot(h["epoch"], h["train_accuracy"], marker="o", label="训练")
        axes[1].plot(h["epoch"], h["valid_accuracy"], marker="o", label="验证")
        axes[1].set(xlabel="epoch", ylabel="accuracy")
        axes[1].legend()
    return axes
