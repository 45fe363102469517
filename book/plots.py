"""Figures: one look for the whole book, with a CJK font so Chinese labels render.

Every figure a chapter shows (or glues) is saved as a PNG that records its smallest font size
and its dpi (PNG text chunks ``book:min-font-pt`` and ``book:dpi``, written by the formatter
:func:`setup` installs), so that the browser check can tell how large its text appears on
the page: ``pt × dpi / 96 × displayed width / natural width`` must be at least 9 pt."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

from .names import LABEL_NAMES

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
                  rc={"axes.unicode_minus": True, "figure.dpi": 110, "savefig.dpi": 110,
                      "font.sans-serif": [font, "DejaVu Sans"]})
    # Missing glyphs are a bug, not a warning to scroll past.
    warnings.filterwarnings("error", message=r"Glyph \d+ .* missing from font")
    _install_png_formatter()
    return font


def min_font_pt(fig) -> float:
    """The smallest font size (points) of the text a figure draws: titles, labels, tick
    labels, legends, annotations (hidden axes and empty strings left out)."""
    fig.draw_without_rendering()  # tick labels get their text when drawn
    sizes = []
    for t in fig.findobj(matplotlib.text.Text):
        ax = t.axes
        if not t.get_visible() or not t.get_text().strip() or (ax is not None and not ax.get_visible()):
            continue
        if ax is not None and not ax.axison and t in ax.get_xticklabels() + ax.get_yticklabels():
            continue
        sizes.append(float(t.get_fontsize()))
    return min(sizes) if sizes else 0.0


def png_metadata(fig) -> dict:
    """The PNG text chunks that record a figure's smallest font and its dpi."""
    return {"book:min-font-pt": f"{min_font_pt(fig):.2f}", "book:dpi": f"{fig.dpi:g}"}


def _png(fig):
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", base64=True, metadata=png_metadata(fig))


def _install_png_formatter() -> None:
    """In a notebook, show figures (and glue them) as PNGs carrying :func:`png_metadata`."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or not hasattr(ip, "display_formatter"):
        return
    plt.close(plt.figure())  # load the inline backend first: it installs its own PNG formatter once
    from matplotlib.figure import Figure

    ip.display_formatter.formatters["image/png"].for_type(Figure, _png)


def bar_words(df: pd.DataFrame, value: str, ax=None, color=None, title: str = "", label: str = "word",
              xlabel: str = "出现次数"):
    """Horizontal bars of words (top row of df at the top)."""
    ax = ax or plt.gca()
    sns.barplot(data=df, y=label, x=value, ax=ax, color=color, orient="h")
    ax.set(title=title, ylabel="", xlabel=xlabel)
    return ax


def log_ratio_bars(lr: pd.DataFrame, k: int = 15, ax=None):
    """The k most positive and k most negative words by log-ratio, one diverging chart."""
    ax = ax or plt.gca()
    top = pd.concat([lr.head(k), lr.tail(k)]).sort_values("log_ratio")
    colors = [POS if v > 0 else NEG for v in top["log_ratio"]]
    ax.barh(top["word"], top["log_ratio"], color=colors)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="对数比 log-ratio（>0 偏正面，<0 偏负面）", ylabel="")
    return ax


CELL_NAMES = np.array([["TP", "FN"], ["FP", "TN"]])  # positive class first, as in chapter 1's table


def confusion_heatmap(cm, ax=None, title: str = "", normalize: bool = False):
    """A 2×2 confusion matrix (``cm`` as metrics.confusion gives it: rows true 0, 1, columns
    predicted 0, 1), drawn with the positive class first, each cell labelled TP/FN/FP/TN."""
    ax = ax or plt.gca()
    cm = np.asarray(cm)[::-1, ::-1]  # 正面 first
    data = cm / cm.sum(axis=1, keepdims=True) if normalize else cm
    annot = np.char.add(np.char.add(CELL_NAMES, "\n"), cm.astype(str))
    sns.heatmap(data, annot=annot, fmt="", cbar=False, cmap="Blues", square=True, ax=ax,
                xticklabels=["正面", "负面"], yticklabels=["正面", "负面"])
    ax.set(xlabel="预测", ylabel="真实", title=title)
    ax.tick_params(axis="y", rotation=0)
    return ax


def confusion_grid(cms: dict, ncols: int = 3, normalize: bool = False):
    """Several 2×2 confusion matrices (title → counts) in a grid of ``ncols`` columns, each panel
    large enough to read (labels 11 pt). Returns the figure."""
    n = len(cms)
    if n == 0:
        raise ValueError("confusion_grid needs at least one matrix")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.4 * nrows), squeeze=False)
    for ax, (title, cm) in zip(axes.flat, cms.items()):
        confusion_heatmap(cm, ax=ax, title=title, normalize=normalize)
        ax.title.set_fontsize(11)
        for text in ax.texts:
            text.set_fontsize(13)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def comparison_chart(table: pd.DataFrame, ax=None, metric: str = "accuracy", n_test: int = 200):
    """Models' accuracy as dots with their 95% bootstrap CIs (table from metrics.summary_table;
    its index labels the rows, so pass display names). Dots, not bars: the axis does not start
    at 0, and a bar's length would then misstate the ratio of two scores."""
    ax = ax or plt.gca()
    t = table.sort_values(metric)
    err = np.vstack([t[metric] - t["ci_low"], t["ci_high"] - t[metric]])
    y = np.arange(len(t))
    ax.errorbar(t[metric], y, xerr=err, fmt="o", color=sns.color_palette("deep")[0], capsize=3)
    ax.set_yticks(y, t.index)
    for yy, (v, hi) in enumerate(zip(t[metric], t["ci_high"])):
        ax.text(hi + 0.005, yy, f"{v:.3f}", va="center", fontsize=11)  # right of the error bar
    lo = max(0.0, float(t["ci_low"].min()) - 0.05)
    label = {"accuracy": "准确率", "f1": "宏平均 F1"}.get(metric, metric)
    ax.set(xlim=(lo, 1.0), ylim=(-0.6, len(t) - 0.4), ylabel="",
           xlabel=f"{label}（测试集 {n_test} 条，线段为 95% bootstrap 置信区间）")
    return ax


def rotation_chart(table: pd.DataFrame, ax=None):
    """Pooled accuracy over the rotation's folds (table from book.metrics.pooled_table, index the
    display names): a dot with its two-stage 95 % CI and its value above it, and hollow diamonds at
    the lowest and highest single fold (unlike the interval's caps)."""
    ax = ax or plt.gca()
    t = table.sort_values("accuracy")
    y = np.arange(len(t))
    err = np.vstack([t["accuracy"] - t["ci_low"], t["ci_high"] - t["accuracy"]])
    ax.errorbar(t["accuracy"], y, xerr=err, fmt="o", color=sns.color_palette("deep")[0], capsize=3)
    ax.scatter(np.r_[t["fold_min"], t["fold_max"]], np.r_[y, y], marker="D", s=36, facecolors="none",
               edgecolors="grey", linewidths=1.2, zorder=3)
    ax.set_yticks(y, t.index)
    for yy, v in enumerate(t["accuracy"]):
        ax.text(v, yy + 0.18, f"{v:.3f}", ha="center", va="bottom", fontsize=11)
    lo = max(0.0, float(t[["ci_low", "fold_min"]].min().min()) - 0.03)
    ax.set(xlim=(lo, 1.0), ylim=(-0.6, len(t) - 0.4), ylabel="",
           xlabel=f"准确率（五折合起来 {int(t['n'].iloc[0])} 条测试评论）")
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
        axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0.5, 1.0))  # chance to perfect: a few reviews look small
        axes[1].legend()
    return axes


def label_bars(labels, ax=None, title: str = ""):
    """Number of reviews per class (labels 0/1), each bar annotated with its count."""
    ax = ax or plt.gca()
    counts = pd.Series(np.asarray(labels, dtype=int)).value_counts().reindex([0, 1], fill_value=0)
    ax.bar(["负面", "正面"], counts.values, color=[NEG, POS])
    for x, v in enumerate(counts.values):
        ax.text(x, v, str(v), ha="center", va="bottom")
    ax.margins(y=0.12)
    ax.set(ylabel="评论数", title=title)
    return ax


def class_hist(df: pd.DataFrame, column: str, ax=None, bins: int = 30, title: str = "", xlabel: str = ""):
    """Histogram of ``column`` per class (df has a ``sentiment`` column), log-scaled x axis."""
    ax = ax or plt.gca()
    d = df.assign(类别=df["sentiment"].map(LABEL_NAMES))
    sns.histplot(data=d, x=column, hue="类别", hue_order=["负面", "正面"], bins=bins, log_scale=True,
                 element="step", palette={"负面": NEG, "正面": POS}, ax=ax)
    ax.set(title=title, xlabel=xlabel or column, ylabel="评论数")
    return ax


def trial_losses(trials: pd.DataFrame, ax=None, title: str = ""):
    """hyperopt trials in order: each trial's loss (1 - mean CV accuracy) and the best so far.
    ``trials`` has columns trial, loss, best_loss (``Baseline.trials`` in book.baselines)."""
    ax = ax or plt.gca()
    deep = sns.color_palette("deep")
    ax.scatter(trials["trial"], trials["loss"], s=16, color=deep[0], label="每次试验")
    ax.step(trials["trial"], trials["best_loss"], where="post", color=deep[3], label="迄今最低")
    ax.set(xlabel="试验序号", ylabel="损失 = 1 − 交叉验证准确率", title=title)
    ax.margins(y=0.15)  # no point on the frame
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)  # below, over no point
    return ax


def grid_heatmap(table: pd.DataFrame, ax=None, title: str = "", fmt: str = ".3f", cmap: str = "Blues",
                 vmin: float | None = None, vmax: float | None = None):
    """Scores of a two-parameter grid: rows and columns of ``table`` are the two parameters
    (their names are the index / column names), cells the scores. Give vmin/vmax so that
    small differences do not look large."""
    ax = ax or plt.gca()
    sns.heatmap(table, annot=True, fmt=fmt, cmap=cmap, cbar=False, square=True, ax=ax, vmin=vmin, vmax=vmax)
    ax.set(title=title, xlabel=table.columns.name or "", ylabel=table.index.name or "")
    ax.tick_params(axis="y", rotation=0)
    return ax


def word_scatter(df: pd.DataFrame, ax=None, group: str = "group", palette=None, title: str = ""):
    """Labelled points of a 2-D word map (columns x, y, word and ``group``), e.g. a t-SNE."""
    ax = ax or plt.gca()
    sns.scatterplot(data=df, x="x", y="y", hue=group, palette=palette, s=40, ax=ax)
    for r in df.itertuples():
        ax.annotate(r.word, (r.x, r.y), xytext=(3, 3), textcoords="offset points", fontsize=11)
    ax.margins(x=0.1, y=0.08)          # room for the labels of the outermost points inside the frame
    ax.set(xlabel="", ylabel="", xticks=[], yticks=[], title=title)
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)   # off the points
    return ax


def prefix_curve(df: pd.DataFrame, ax=None, title: str = ""):
    """P(positive) after each word (columns word, prob), the words as x tick labels."""
    ax = ax or plt.gca()
    x = np.arange(1, len(df) + 1)
    ax.plot(x, df["prob"], marker="o", color=POS)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_xticks(x, df["word"])
    ax.set(ylim=(0, 1), xlabel="读到第几个词（横轴为该词）", ylabel="P(正面)", title=title)
    return ax


def seed_curves(histories: dict, axes=None):
    """Training curves of several runs (e.g. seeds) on one pair of axes: loss and accuracy per
    epoch, one colour per run, dashed = training, solid = validation, a circle on the epoch
    each run kept (history column ``best``). ``histories`` maps a label to a history table
    (columns epoch, train_loss, valid_loss, train_accuracy, valid_accuracy[, best])."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    colors = sns.color_palette("deep", len(histories))
    for color, (label, h) in zip(colors, histories.items()):
        for ax, metric in zip(axes, ("loss", "accuracy")):
            ax.plot(h["epoch"], h[f"train_{metric}"], ls="--", marker=".", color=color, alpha=0.8)
            ax.plot(h["epoch"], h[f"valid_{metric}"], ls="-", marker="o", color=color, label=label)
            if "best" in h:
                b = h[h["best"]]
                ax.scatter(b["epoch"], b[f"valid_{metric}"], s=140, facecolors="none", edgecolors="black", zorder=3)
    epochs = sorted({int(e) for h in histories.values() for e in h["epoch"]})
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.set_xticks(epochs)
        ax.set(xlabel="epoch", ylabel=metric)
    axes[-1].plot([], [], ls="--", color="grey", label="虚线：训练集")
    axes[-1].plot([], [], ls="-", color="grey", label="实线：验证集")
    axes[-1].legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)   # off the curves
    return axes
