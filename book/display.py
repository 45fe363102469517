"""What a reader sees: Chinese names for the record's English keys, tables formatted the same
way on every page, and a helper that glues a dict of values at once.

The run record (metrics.json) keeps English keys; this module is the one place where they
become Chinese, at display time only::

    display.model_name("tfidf_char_linearsvc")      # '字 n-gram TF-IDF + 线性 SVM'
    display.table(df, caption="表：…")              # Chinese headers, 3 decimals, no empty index row
    display.glue_values("04_results", {"acc": 0.87})   # glue("04_results_acc", 0.87, display=False); chapters call ch.glue
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from .names import CJK_RANGES, DEFAULT_ENCODER, LABEL_NAMES  # noqa: F401 (LABEL_NAMES re-exported)

MODEL_NAMES = {
    "tfidf_original_style": "原报告式 SVM（词编号 + TF-IDF）",
    "tfidf_word_svc": "词 TF-IDF + SVC",
    "tfidf_word_linearsvc": "词 TF-IDF + 线性 SVM",
    "tfidf_char_linearsvc": "字 n-gram TF-IDF + 线性 SVM",
    "tfidf_wordchar_linearsvc": "词 + 字 TF-IDF + 线性 SVM",
    "nb_hyperopt": "朴素贝叶斯（hyperopt 调参）",
    "knn_hyperopt": "KNN（hyperopt 调参）",
    "snownlp": "SnowNLP（现成模型，未训练）",
}
# the roles chapters compare (English keys in code and record; these labels on the page)
ROLE_NAMES = {
    "original_style": "原报告式基准",
    "best_baseline": "最佳基准（按交叉验证选出）",
    "lstm": "LSTM",
    "bilstm": "双向 LSTM",
    "transformer": "预训练 Transformer",
    "snownlp": "SnowNLP",
}
FAMILY_NAMES = {"baseline": "TF-IDF 基准", "lstm": "LSTM", "bilstm": "双向 LSTM", "lstm_original": "原报告式 LSTM",
                "bert": "预训练 Transformer",
                "peer": "现成模型"}
COLUMN_NAMES = {
    "model": "模型", "name": "模型", "family": "模型族", "seed": "种子",
    "accuracy": "准确率", "precision": "精确率", "recall": "召回率", "f1": "F1", "f1_macro": "宏平均 F1",
    "precision_macro": "宏平均精确率", "recall_macro": "宏平均召回率", "balanced_accuracy": "平衡准确率",
    "ci_low": "95% 区间下限", "ci_high": "95% 区间上限", "seconds": "秒", "support": "条数", "n": "条数",
    "cv_score": "交叉验证准确率", "cv_accuracy": "交叉验证准确率", "cv_std": "交叉验证标准差",
    "valid_accuracy": "验证集准确率", "best_epoch": "最佳轮次", "epochs_run": "训练轮数",
    "epoch": "轮次", "train_loss": "训练损失", "valid_loss": "验证损失", "train_accuracy": "训练准确率",
    "review_id": "评论编号", "y_true": "真实标签", "y_pred": "预测标签", "prob": "P(正面)",
    "correct": "是否答对", "comment": "评论", "review": "评论", "sentiment": "真实标签", "label": "真实标签",
    "a_only": "A 对 B 错", "b_only": "A 错 B 对", "p_value": "p 值", "p_holm": "Holm 校正后 p 值",
    "word": "词", "count": "次数", "log_ratio": "log-ratio", "group": "组",
}
# the review groups of metrics.error_breakdown
TRAIT_NAMES = {"all": "全部", "negation": "含否定词", "no_negation": "无否定词", "contrast": "含转折词",
               "no_contrast": "无转折词", "short": "短（<30 字）", "medium": "中（30–100 字）", "long": "长（>100 字）"}
BOOL_NAMES = {True: "是", False: "否"}


def model_name(name: str, encoder: str | None = None) -> str:
    """The Chinese display name of a model record's key: 'lstm_seed1' → 'LSTM（种子 1）';
    'bert' / 'bert_seed2' → ``encoder`` (the transformer's display name, see :func:`encoder_name`)."""
    if name in MODEL_NAMES:
        return MODEL_NAMES[name]
    m = re.fullmatch(r"(bilstm|origlstm|lstm|bert)(?:_seed(\d+))?", name)
    if m:
        family, seed = m.groups()
        base = ({"lstm": "LSTM", "bilstm": "双向 LSTM", "origlstm": "原报告式 LSTM"}.get(family)
                or encoder or "预训练 Transformer")
        return f"{base}（种子 {seed}）" if seed is not None else base
    return name


def read_provenance(folder: str | Path | None) -> str | None:
    """A model folder's PROVENANCE.md (None when the folder or the file is not there)."""
    p = Path(str(folder)) / "PROVENANCE.md" if folder else None
    return p.read_text(encoding="utf-8") if p is not None and p.is_file() else None


_SOURCE_MODEL = re.compile(r"^\s*-?\s*Model:\s*(?:([\w.-]+)/)?([\w.-]+)", re.M)


def encoder_name(model: str, config: dict | str | Path | None = None, short: bool = False,
                 provenance: str | None = None) -> str:
    """A display name for the pretrained encoder that ran, from its id or folder and the folder's
    own files: 'bert-base-chinese' → 'BERT-base（中文）'; a folder whose PROVENANCE.md names the
    model it was made from ('- Model: intfloat/multilingual-e5-small …') → that model's name,
    'multilingual-e5-small'; anything else keeps its folder's or id's last part (never a path).
    Unless it is the default, '（替代 bert-base-chinese）' follows (``short=True`` leaves that out).
    ``config`` is accepted for callers that pass it; the name does not depend on it."""
    base = Path(str(model).rstrip("/\\")).name or str(model)
    if base.lower() == DEFAULT_ENCODER:
        return "BERT-base（中文）"
    m = _SOURCE_MODEL.search(provenance or "")
    name = m[2] if m else base
    return name if short else f"{name}（替代 {DEFAULT_ENCODER}）"


def local_encoder(model: str | None = None) -> tuple[str, dict, str | None]:
    """(model, config, PROVENANCE.md) of the encoder this build fine-tunes, without loading it:
    ``model``, else $BOOK_BERT_MODEL, else bert-base-chinese; config and provenance only for a
    local folder (empty and None for a Hugging Face id)."""
    import os

    model = model or os.environ.get("BOOK_BERT_MODEL") or DEFAULT_ENCODER
    folder = Path(model).expanduser()
    cfg = folder / "config.json"
    config = json.loads(cfg.read_text(encoding="utf-8")) if cfg.is_file() else {}
    return model, config, read_provenance(folder) if folder.is_dir() else None


def _changes(provenance: str | None) -> list[str]:
    """What PROVENANCE.md says was done to the published model, in Chinese clauses."""
    text, out = provenance or "", []
    if re.search(r"4-bit", text) and re.search(r"dequantiz", text, re.I):
        out.append("权重由 4 位量化版本还原为浮点数")
    if t := re.search(r"trimmed from ([\d,]+) to ([\d,]+)", text):
        out.append(f"词表从 {t[1]} 个子词裁剪到 {t[2]} 个")
    return out


def encoder_sentence(model: str, config: dict | None = None, provenance: str | None = None) -> str:
    """One Chinese sentence on what ran, for where a chapter first names the encoder, from the
    folder's PROVENANCE.md and config.json: its name, who released it, its size, and what was
    changed (dequantized from 4-bit, vocabulary trimmed), e.g. '本次运行的编码器是
    multilingual-e5-small（intfloat 发布，12 层、隐藏维数 384）的一个改动版：权重由 4 位量化版本
    还原为浮点数，词表从 250,002 个子词裁剪到 37,275 个，不是原报告用的 bert-base-chinese。'"""
    config = config or {}
    name = encoder_name(model, short=True, provenance=provenance)
    m = _SOURCE_MODEL.search(provenance or "")
    about = [f"{m[1]} 发布"] if m and m[1] else []
    if config.get("num_hidden_layers") and config.get("hidden_size"):
        about.append(f"{config['num_hidden_layers']} 层、隐藏维数 {config['hidden_size']}")
    out = f"本次运行的编码器是 {name}" + (f"（{'，'.join(about)}）" if about else "")
    changes = _changes(provenance)
    if changes:
        out += "的一个改动版：" + "，".join(changes)
    if Path(str(model).rstrip("/\\")).name.lower() != DEFAULT_ENCODER:
        out += f"，不是原报告用的 {DEFAULT_ENCODER}"
    return out + "。"


def encoder_summary(config: dict) -> str:
    """One clause on the architecture, from config.json: '12 层、隐藏维数 384 的 BERT 结构编码器'."""
    arch = (config.get("architectures") or [config.get("model_type", "?")])[0]
    arch = re.sub(r"(Model|ForMaskedLM|ForPreTraining)$", "", arch).upper() if arch else "?"
    return f"{config.get('num_hidden_layers', '?')} 层、隐藏维数 {config.get('hidden_size', '?')} 的 {arch} 结构编码器"


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def table(df: pd.DataFrame, caption: str | None = None, decimals: int = 3, percent=(), integer=(),
          names: dict | None = None, index: bool = True):
    """A DataFrame styled for the page: English column / index names translated (COLUMN_NAMES,
    then ``names``), floats to ``decimals`` places (``percent`` columns as 12.3%, ``integer``
    columns without decimals), booleans as 是/否, no empty index-name row, and a caption
    (rendered above the table, numbered by :func:`table_number`, spaced by :func:`spaced`). Negative numbers take the
    minus sign − (U+2212), not a hyphen. A named index becomes the first column (no header row
    of its own). Column widths: short headers and cells never wrap; a long header wraps to at
    most two lines, a long text column keeps at least 12 characters a line (:func:`_layout`).
    Returns a pandas Styler."""
    names = {**COLUMN_NAMES, **(names or {})}
    df = df.copy()
    if index and df.index.name is not None and df.index.nlevels == 1 and df.columns.nlevels == 1 \
            and df.index.name not in df.columns:
        df = df.reset_index()
        index = False
    percent, integer = set(percent), set(integer)
    for c in df.columns:
        if df[c].dtype == bool:
            df[c] = df[c].map(BOOL_NAMES)
    if df.index.name in names:
        df.index.name = names[df.index.name]
    df = df.rename(columns=lambda c: names.get(c, c))
    percent = {names.get(c, c) for c in percent}
    integer = {names.get(c, c) for c in integer}

    def fmt(col):
        def f(v):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return "—"
            if not _is_number(v):
                return v
            if col in percent:
                out = f"{v:.1%}"
            elif col in integer or isinstance(v, (int, np.integer)):
                out = f"{int(round(v)):d}"
            else:
                out = f"{v:.{decimals}f}"
            return out.replace("-", MINUS)
        return f

    formatters = {c: fmt(c) for c in df.columns}
    st = df.style.format(formatters, escape="html")  # review texts may hold <, >, &
    st = st.set_table_styles(_layout(df, formatters, index), overwrite=False)
    if not index:
        st = st.hide(axis="index")
    elif df.index.name is None:
        st = st.hide(axis="index", names=True)
    if caption:
        st = st.set_caption(table_number(spaced(caption)))  # generated captions set like the prose
    return st


MINUS = "\u2212"


def text_width(s: str) -> float:
    """Width of a string in em: a Han character or full-width sign 1, anything else about 0.55."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in str(s))


PAGE_EM = 43.0        # the article's width at 1280 px (688 px) in the page's 16 px em
TABLE_FONT = 0.9      # _static/custom.css sets tables in 0.9 em, with 0.8 em of padding either side of a cell
CELL_PAD_EM = 1.6
COMPACT_FONT = 0.8    # a table too wide for the page is set smaller (12.8 px, above 9 pt) ...
COMPACT_PAD = "0.3em 0.4em"   # ... with less padding between its columns
COMPACT_PAD_EM = 0.8


def _layout(df: pd.DataFrame, formatters: dict, index: bool) -> list[dict]:
    """CSS for one table (pandas Styler's classes) that fits the page at 1280 px: a header up to 10 em
    wide or a column whose cells are all up to 16 em wide never wraps; a longer header gets a little
    more than half its width (two lines) as its minimum, a longer text column 12 em. When that
    would be wider than the page, the table is set smaller with less padding, headers over 6 em
    (then over 4 em) wrap to two lines and text columns wrap down to 6 em, so no table needs
    horizontal scrolling."""
    cols = [(f"th.col_heading.col{i}", " ".join(map(str, c)) if isinstance(c, tuple) else str(c),
             f"td.col{i}", [formatters[c](v) for v in df[c]]) for i, c in enumerate(df.columns)]
    if index:
        cols.append((None, "", "th.row_heading", [" ".join(map(str, v)) if isinstance(v, tuple) else str(v)
                                                  for v in df.index]))

    def plan(head_nowrap: float, cell_nowrap: float, cell_min: float, pad: float):
        rules, width = [], 0.0
        for hsel, htext, csel, values in cols:
            hw = text_width(htext)
            cw = max((text_width(v) for v in values), default=0)
            if hsel:
                hmin = hw if hw <= head_nowrap else hw / 2 + 1
                rules.append({"selector": hsel, "props": "white-space: nowrap;" if hw <= head_nowrap
                              else f"min-width: {hmin:.1f}em;"})
            else:
                hmin = 0
            cmin = cw if cw <= cell_nowrap else cell_min
            rules.append({"selector": csel, "props": "white-space: nowrap;" if cw <= cell_nowrap
                          else f"min-width: {cell_min:g}em;"})
            width += max(hmin, cmin) + pad
        return rules, width

    rules, width = plan(10, 16, 12, CELL_PAD_EM)
    if width * TABLE_FONT <= PAGE_EM:
        return rules
    budget = PAGE_EM / COMPACT_FONT
    for head_nowrap, cell_min in ((6, 10), (6, 8), (6, 6), (4, 6)):
        rules, width = plan(head_nowrap, min(cell_min, 16), cell_min, COMPACT_PAD_EM)
        if width <= budget:
            break
    return [{"selector": "", "props": f"font-size: {COMPACT_FONT}em;"},
            {"selector": "th, td", "props": f"padding: {COMPACT_PAD};"}, *rules]


_TABLES: dict[str, int] = {}  # caption → number, in the order this kernel (one chapter) first showed them


def table_number(caption: str) -> str:
    """"表 n　caption", numbered in the order this kernel first shows them (a cell run again keeps
    its table's number). In the book, _ext/book_pages.py renumbers them per chapter ("表 5.2"),
    as it does the figures."""
    return f"表 {_TABLES.setdefault(caption, len(_TABLES) + 1)}　{caption}"


# A Han character next to a Latin letter, digit or % (either order): where Chinese typesetting,
# and this book's prose, put a space ("LSTM 的", "3 个", "50% 的").
_HAN_LATIN = re.compile(f"(?<=[{CJK_RANGES}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9%])(?=[{CJK_RANGES}])")


HYPHEN_MINUS = re.compile(r"(?<![\w.\-/\u2212])-(?=\d)")


def minus_signs(text: str) -> str:
    """'-0.015' → '−0.015' in running text (a hyphen before a digit that starts a number), the
    rule the book's Sphinx extension applies to the pages and the findings apply to their raw HTML."""
    return HYPHEN_MINUS.sub(MINUS, text)


def spaced(text: str) -> str:
    """``text`` with a space wherever a Han character meets a Latin letter or digit (or a
    digit's %): generated sentences set like the hand-written prose around them."""
    return _HAN_LATIN.sub(" ", text)


def seen_at_least(n: int, what: str = "词") -> str:
    """'出现至少 3 次的词', or '出现过的词' when the threshold is 1 (every word seen)."""
    return f"出现过的{what}" if n <= 1 else f"出现至少 {n} 次的{what}"


def seed_spread(values, what: str = "测试集准确率", saved: float | None = None) -> str:
    """'3 个种子的测试集准确率在 0.825 到 0.865 之间，平均 0.847' (and ', 保存给预测器的那个种子为 …'
    when ``saved`` is given); for one seed '只有 1 个种子，测试集准确率为 0.890': a range from a
    number to itself is not a spread, and one seed has no mean to speak of. Three decimals."""
    v = [float(x) for x in values]
    if not v:
        raise ValueError("seed_spread needs at least one seed's value")
    if len(v) == 1:
        return f"只有 1 个种子，{what}为 {v[0]:.3f}"
    out = f"{len(v)} 个种子的{what}在 {min(v):.3f} 到 {max(v):.3f} 之间，平均 {float(np.mean(v)):.3f}"
    return out if saved is None else f"{out}，保存给预测器的那个种子为 {float(saved):.3f}"


def signed_range(values, digits: int = 3) -> str:
    """Signed differences as a sentence quotes them: '+0.010' for one, '+0.010 到 +0.060' for several
    (smallest to largest); one run's difference is not a range."""
    v = sorted(float(x) for x in values)
    if not v:
        raise ValueError("signed_range needs at least one value")
    lo, hi = f"{v[0]:+.{digits}f}", f"{v[-1]:+.{digits}f}"
    return lo if lo == hi else f"{lo} 到 {hi}"


def glue_values(prefix: str, values: dict) -> None:
    """``glue(f"{prefix}_{key}", value, display=False)`` for every item: the values a chapter's
    prose quotes, glued in one call. numpy scalars become plain Python numbers; sentences are
    :func:`spaced`."""
    from myst_nb import glue

    for k, v in values.items():
        if isinstance(v, np.generic):
            v = v.item()
        glue(f"{prefix}_{k}", spaced(v) if isinstance(v, str) else v, display=False)


def encoder_intro(model: str, config: dict, has_provenance: bool, provenance: str | None = None) -> str:
    """Two or three Chinese sentences on the pretrained encoder that ran, from its id or folder,
    its config.json and PROVENANCE.md (never a path): what it is, whether it stands in for
    bert-base-chinese, and where its provenance is written down."""
    name = encoder_name(model, config, provenance=provenance)
    out = f"本次运行的编码器是 {name}：{encoder_summary(config)}"
    if config.get("vocab_size"):
        out += f"，词表有 {config['vocab_size']:,} 个子词"
    out += "。"
    if changes := _changes(provenance):
        out += f"它是已发布的 {encoder_name(model, short=True, provenance=provenance)} 的一个改动版：{'，'.join(changes)}。"
    if Path(str(model).rstrip("/\\")).name.lower() != DEFAULT_ENCODER:
        out += f"它不是原报告用的 {DEFAULT_ENCODER}，本节和第四章的数字都是这个编码器的结果。"
    out += ("模型目录中的 PROVENANCE.md 写明了它的来源、许可证和所做的改动。" if has_provenance
            else "模型目录中没有 PROVENANCE.md，它的来源以模型名为准。")
    return out
