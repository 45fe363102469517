"""What a reader sees: Chinese names for the record's English keys, tables formatted the same
way on every page, and a helper that glues a dict of values at once.

The run record (metrics.json) keeps English keys; this module is the one place where they
become Chinese, at display time only::

    display.model_name("tfidf_char_linearsvc")      # '字 n-gram TF-IDF + 线性 SVM'
    display.table(df, caption="表：…")              # Chinese headers, 3 decimals, no empty index row
    display.glue_values("r", {"acc": 0.87})         # glue("r_acc", 0.87, display=False)
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_ENCODER = "bert-base-chinese"

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
    "bilstm": "BiLSTM",
    "transformer": "预训练 Transformer",
    "snownlp": "SnowNLP",
}
FAMILY_NAMES = {"baseline": "TF-IDF 基准", "lstm": "LSTM", "bilstm": "BiLSTM", "bert": "预训练 Transformer",
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
LABEL_NAMES = {0: "负面", 1: "正面"}
# the review groups of evaluate.error_breakdown
TRAIT_NAMES = {"all": "全部", "negation": "含否定词", "no_negation": "无否定词", "contrast": "含转折词",
               "no_contrast": "无转折词", "short": "短（<30 字）", "medium": "中（30–100 字）", "long": "长（>100 字）"}
BOOL_NAMES = {True: "是", False: "否"}


def model_name(name: str, encoder: str | None = None) -> str:
    """The Chinese display name of a model record's key: 'lstm_seed1' → 'LSTM（种子 1）';
    'bert' / 'bert_seed2' → ``encoder`` (the transformer's display name, see :func:`encoder_name`)."""
    if name in MODEL_NAMES:
        return MODEL_NAMES[name]
    m = re.fullmatch(r"(bilstm|lstm|bert)(?:_seed(\d+))?", name)
    if m:
        family, seed = m.groups()
        base = {"lstm": "LSTM", "bilstm": "BiLSTM"}.get(family) or encoder or "预训练 Transformer"
        return f"{base}（种子 {seed}）" if seed is not None else base
    return name


def encoder_name(model: str, config: dict | str | Path | None = None, short: bool = False) -> str:
    """A display name for the pretrained encoder that ran, derived from its id or folder and its
    own config.json: 'bert-base-chinese' → 'BERT-base（中文）'; an E5 folder → 'E5-small';
    anything else keeps its name. Unless it is the default, '（替代 bert-base-chinese）' follows
    (``short=True`` leaves that out). Never a path: only the folder's or id's last part."""
    if isinstance(config, (str, Path)):
        config = json.loads(Path(config).read_text(encoding="utf-8"))
    config = config or {}
    base = Path(str(model).rstrip("/\\")).name or str(model)
    low = base.lower()
    hidden = config.get("hidden_size")
    size = {384: "small", 768: "base", 1024: "large"}.get(hidden)
    if low == DEFAULT_ENCODER:
        return "BERT-base（中文）"
    if "e5" in re.split(r"[-_.]", low):
        name = f"E5-{size}" if size else "E5"
    elif low.startswith("bert") and config.get("model_type", "bert") == "bert":
        name = base
    else:
        name = base
    return name if short else f"{name}（替代 {DEFAULT_ENCODER}）"


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
    (rendered above the table, numbered by :func:`table_number`). Returns a pandas Styler."""
    names = {**COLUMN_NAMES, **(names or {})}
    df = df.copy()
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
                return f"{v:.1%}"
            if col in integer or isinstance(v, (int, np.integer)):
                return f"{int(round(v)):d}"
            return f"{v:.{decimals}f}"
        return f

    st = df.style.format({c: fmt(c) for c in df.columns}, escape="html")  # review texts may hold <, >, &
    if not index:
        st = st.hide(axis="index")
    elif df.index.name is None:
        st = st.hide(axis="index", names=True)
    if caption:
        st = st.set_caption(table_number(caption))
    return st


_TABLES: dict[str, int] = {}  # caption → number, in the order this kernel (one chapter) first showed them


def table_number(caption: str) -> str:
    """"表 n　caption": tables are numbered per page in the order they first appear (figures,
    numbered by Sphinx, count through the whole book instead); a cell run again keeps its table's number."""
    return f"表 {_TABLES.setdefault(caption, len(_TABLES) + 1)}　{caption}"


# A Han character next to a Latin letter, digit or % (either order): where Chinese typesetting,
# and this book's prose, put a space ("LSTM 的", "3 个", "50% 的").
_CJK = "\u4e00-\u9fff\u3400-\u4dbf"
_HAN_LATIN = re.compile(f"(?<=[{_CJK}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9%])(?=[{_CJK}])")


def spaced(text: str) -> str:
    """``text`` with a space wherever a Han character meets a Latin letter or digit (or a
    digit's %): generated sentences set like the hand-written prose around them."""
    return _HAN_LATIN.sub(" ", text)


def glue_values(prefix: str, values: dict) -> None:
    """``glue(f"{prefix}_{key}", value, display=False)`` for every item: the values a chapter's
    prose quotes, glued in one call. numpy scalars become plain Python numbers; sentences are
    :func:`spaced`."""
    from myst_nb import glue

    for k, v in values.items():
        if isinstance(v, np.generic):
            v = v.item()
        glue(f"{prefix}_{k}", spaced(v) if isinstance(v, str) else v, display=False)


def encoder_intro(model: str, config: dict, has_provenance: bool) -> str:
    """Two or three Chinese sentences on the pretrained encoder that ran, from its id or folder
    and its config.json (never a path): what it is, whether it stands in for bert-base-chinese,
    and where its provenance is written down."""
    name = encoder_name(model, config)
    out = f"本次运行的编码器是 {name}：{encoder_summary(config)}"
    if config.get("vocab_size"):
        out += f"，词表有 {config['vocab_size']} 个子词"
    out += "。"
    if Path(str(model).rstrip("/\\")).name.lower() != DEFAULT_ENCODER:
        out += f"它不是原报告用的 {DEFAULT_ENCODER}，本节和第四章的数字都是这个编码器的结果。"
    out += ("模型目录中的 PROVENANCE.md 写明了它的来源、许可证和所做的改动。" if has_provenance
            else "模型目录中没有 PROVENANCE.md，它的来源以模型名为准。")
    return out
