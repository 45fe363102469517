"""What the original study said, showed and printed: the only place its numbers and words live.

The original is the public repository ``jianxungao/NLP_MLND_Project``. A fact about it rests on
one of four kinds of source, and the page must say which (``../shared/reference/original.md``):

- ``text``: the report's text (``REPORT.md``), quoted word for word in 「」;
- ``figure``: a screenshot shown in the report (``assets/result_lstm.png``, ...);
- ``notebook``: what the notebook (``Sentiment_RNN.ipynb``) printed;
- ``code``: what the notebook's code does (the book's reading of it, not a printed result).

Chapters glue every fact at once and quote them from there, never by hand::

    display.glue_values("orig", original.values())   # orig_lstm_figure = 0.79, orig_lstm_figure_say = "原报告的图…"
    original.say("svm_text")      # '原报告写道「…模型预测的准确率仅为56%。」'
    original.source("lstm_figure")   # '报告的图（result_lstm.png）', for a table's source column
"""
from __future__ import annotations

from dataclasses import dataclass

from .display import spaced

REPOSITORY = "jianxungao/NLP_MLND_Project"
KINDS = {"text": "报告正文", "figure": "报告的图", "notebook": "notebook 输出", "code": "notebook 代码"}


@dataclass(frozen=True)
class Fact:
    """One thing the original said, showed or printed. ``what`` is Chinese and reads after
    "原报告的图显示" / "原报告的 notebook 输出" (e.g. "LSTM 的测试准确率"); ``words`` is the
    report's exact text (for ``text`` facts, a verbatim substring of REPORT.md); ``value`` the
    number, if the fact has one, printed with ``fmt``."""

    kind: str
    what: str
    value: float | None = None
    words: str | None = None
    figure: str | None = None
    fmt: str = ".2f"
    note: str = ""      # what follows the number ("（训练数据上）", "个词")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}: choose from {', '.join(KINDS)}")
        if self.kind == "text" and not self.words:
            raise ValueError("a fact from the report's text needs its exact words")
        if self.kind == "figure" and not self.figure:
            raise ValueError("a fact from a figure needs the figure's file name")


FACTS: dict[str, Fact] = {
    # ---- the report's text (REPORT.md)
    "svm_text": Fact("text", "SVM 基准的准确率", 0.56, fmt=".0%",
                     words="以原始的评论为输入，使用TF-IDF进行特征提取。模型预测的准确率仅为56%。"),
    "svm_input_text": Fact("text", "基准模型的输入", words="以原始的评论为输入，使用TF-IDF进行特征提取"),
    "nb_text": Fact("text", "朴素贝叶斯基准的准确率", 0.59, fmt=".0%",
                    words="以原始评论为输入。朴素贝叶斯模型的预测准确率为59%。"),
    "knn_text": Fact("text", "用 hyperopt 调参的两个基准",
                     words="分别使用朴素贝叶斯模型（Naive Bayes）和K最近邻模型（KNN）为分类器"),
    "words_not_enough": Fact("text", "对基准模型的解读",
                             words="仅仅依赖单纯的词作为输入数据的特征远远不够。"),
    "lstm_better": Fact("text", "LSTM 为什么比传统模型好",
                        words="LSTM模型之所以表现比传统的模型好，其主要的原因，我想是它对句子的特征提取有独到之处。"),
    "aim": Fact("text", "研究的目的", words="比较模型在泛化能力上的优劣"),
    "generalization_meaning": Fact("text", "“泛化能力”指什么", words="训练好的模型在测试集查看模型的泛化能力。"),
    "lstm_split": Fact("text", "LSTM 的训练集", 1600, fmt=".0f", words="训练集 1600"),
    "bert_split": Fact("text", "BERT 的训练集", 1620, fmt=".0f", words="训练集 1620"),
    "lstm_vocab": Fact("text", "LSTM 的词表大小", 9524, fmt=".0f", words="词汇量或输入的值，9524"),
    "lstm_embedding": Fact("text", "LSTM 的词向量维数", 400, fmt=".0f", words="嵌入查找表中的列数；400"),
    "lstm_hidden": Fact("text", "LSTM 的隐藏状态维数", 256, fmt=".0f", words="LSTM单元的隐藏层的神经单元的个数。256个"),
    "lstm_layers": Fact("text", "LSTM 的层数", 2, fmt=".0f", words="网络中LSTM的层数。2层"),
    "embedding_dimred": Fact("text", "嵌入层的作用", words="在这种情况下，嵌入层用于降维，而不是用于学习语义表示"),
    "bert_fastai": Fact("text", "BERT 的训练框架", words="使用Fastai"),
    "gain": Fact("text", "BERT 比 LSTM 好多少", 0.10, fmt=".0%",
                 words="BERT预训练模型上的迁移学习测试结果比LSTM模型测试结果提高近10%。"),
    "mixed_lstm": Fact("text", "LSTM 对褒贬混合句的判断", words="前部分正向，后部分负向比较复杂的情感判断，偏向于前半段。"),
    "mixed_bert": Fact("text", "BERT 对褒贬混合句的判断", words="前部分正向，后部分负向比较复杂的情感判断，有总体的判断。"),
    "tsne_reading": Fact("text", "t-SNE 图的读法", words="可以看出LSTM Embedding层功能只是降维，词向量没有明显的语义上的关联。"),
    "bow_dict": Fact("text", "词袋的例子", words='我们可以构建一个词频字典：{"她": 1, "他": 1, "喜欢": 2 "猫": 4, "也": 1}'),
    "bow_vectors": Fact("text", "词袋的例子", words="[1, 0, 1，2，0]和[0, 1, 1, 2, 1]"),
    "static_vectors": Fact("text", "静态词向量的局限",
                           words="例如，“方便”一词的含义在不同的上下文有所不同（例如，“晚餐只吃了方便面”与“我要方便方便”）。"
                                 "而传统的词向量方法仅为每个词分配一个向量。"),
    "imagenet": Fact("text", "ImageNet 的论证",
                     words="在ImageNet上训练的深度神经网络模型，通过对每一层神经网络学习到的特征进行研究，发现它们可以适用于一般通用任务。"),
    "ulmfit": Fact("text", "ULMFiT", words="它类似于对ImageNet模型的微调"),
    # ---- the report's figures (screenshots of classification reports)
    "lstm_figure": Fact("figure", "LSTM 在 200 条测试评论上的准确率为", 0.79, figure="result_lstm.png"),
    "bert_figure": Fact("figure", "BERT 在 200 条测试评论上的准确率为", 0.91, figure="result_bert.png"),
    "tsne_figure": Fact("figure", "训练后的 LSTM 嵌入矩阵中 22 个词（按 LSTM 自己的词表 vocab_to_int 取行）的 t-SNE 投影",
                        figure="LSTM.png"),
    # ---- what the notebook printed (Sentiment_RNN.ipynb)
    "svm_notebook": Fact("notebook", "SVC 在测试集上的准确率", 0.565, fmt=".3f"),
    "nb_notebook": Fact("notebook", "朴素贝叶斯在 hyperopt 中的最好成绩", 0.590, fmt=".3f",
                        note="（训练数据上的交叉验证分数，不是测试分数）"),
    "knn_notebook": Fact("notebook", "KNN 在 hyperopt 一行中间记录里的成绩", 0.5475, fmt=".4f",
                         note="（训练数据上的交叉验证分数）"),
    "lstm_notebook": Fact("notebook", "LSTM 的测试准确率", 0.780, fmt=".3f"),
    "bert_notebook": Fact("notebook", "BERT（bert-base-chinese）的测试准确率", 0.89),
    "roberta_notebook": Fact("notebook", "RoBERTa（hfl/chinese-roberta-wwm-ext）的测试准确率", 0.87),
    "mixed_lstm_notebook": Fact("notebook", "LSTM 给「这家的环境不差，但是菜不怎么好吃。」的正面概率", 0.924, fmt=".3f"),
    "mixed_bert_notebook": Fact("notebook", "BERT 给「这家的环境不差，但是菜不怎么好吃。」的负面概率", 0.9525, fmt=".4f"),
    "lstm_neg_notebook": Fact("notebook", "LSTM 给「这家的环境差，菜也不好吃。」的正面概率", 0.121, fmt=".3f"),
    "lstm_pos_notebook": Fact("notebook", "LSTM 给「这家店的味道不错。」的正面概率", 0.988, fmt=".3f"),
    # ---- what the notebook's code does (the book's reading)
    "seq_length": Fact("code", "每条评论用 pad_features 在左侧补 0（或截断）到", 100, fmt=".0f", note=" 个词"),
    "svm_input": Fact("code", "SVC 的输入是补齐的词编号矩阵（pad_features 的输出），网格搜索的是 C 和 gamma"),
    "nb_objective": Fact("code", "hyperopt 的目标是在同一个词编号矩阵上 cross_val_score 的平均值，即训练数据上的交叉验证分数"),
    "lstm_dropout": Fact("code", "两层 LSTM 之间有 0.5 的 dropout，全连接层前还有 0.3 的 dropout，"
                                          "全连接层读的是最后一个时间步的输出"),
    "bert_libraries": Fact("code", "BERT 是用 fastai v1 和 pytorch_transformers 的分词器微调的 bert-base-chinese"),
}


# the report's example sentences, which chapters compute with (each stands in the report's text)
EXAMPLES = {
    "bow": ("她喜欢猫猫.", "他也喜欢猫猫."),
    "fangbian": ("晚餐只吃了方便面", "我要方便方便"),
    "mixed": ("这家的环境不差，但是菜不怎么好吃。",),
}


# the three sentences the notebook asked its LSTM (one cell), with the fact holding the P(正面) it printed
NOTEBOOK_SENTENCES = {
    "这家的环境不差，但是菜不怎么好吃。": "mixed_lstm_notebook",
    "这家的环境差，菜也不好吃。": "lstm_neg_notebook",
    "这家店的味道不错。": "lstm_pos_notebook",
}


def fact(key: str) -> Fact:
    """The fact under ``key``; a KeyError that lists the keys when there is none."""
    if key not in FACTS:
        raise KeyError(f"book.original has no fact {key!r}; known: {', '.join(FACTS)}")
    return FACTS[key]


def number(key: str) -> str:
    """The fact's number as the original wrote it ('56%', '0.79', '0.780')."""
    f = fact(key)
    if f.value is None:
        raise ValueError(f"the original's fact {key!r} has no number")
    return format(f.value, f.fmt)


def quote(key: str) -> str:
    """The report's exact words in 「」 (text facts only)."""
    f = fact(key)
    if f.kind != "text":
        raise ValueError(f"{key!r} is not from the report's text ({KINDS[f.kind]}): it cannot be quoted")
    return f"「{f.words}」"


def say(key: str) -> str:
    """The fact with its source, for running text: 原报告写道「…」 / 原报告的图（result_lstm.png）显示
    LSTM … 0.79 / 原报告的 notebook 输出 … 0.780 / 从原报告 notebook 的代码看，…"""
    f = fact(key)
    if f.kind == "text":
        return f"原报告写道{quote(key)}"
    tail = f" {number(key)}{f.note}" if f.value is not None else f.note
    if f.kind == "figure":
        head = f"原报告的图（{f.figure}）显示"
    elif f.kind == "notebook":
        head = "原报告的 notebook 输出"
    else:
        head = "从原报告 notebook 的代码看，"
    return spaced(head + f.what + tail)


def source(key: str) -> str:
    """The short source for a table column: '报告正文', '报告的图（result_lstm.png）', 'notebook 输出'."""
    f = fact(key)
    return f"{KINDS[f.kind]}（{f.figure}）" if f.kind == "figure" else KINDS[f.kind]


def values() -> dict:
    """Everything a chapter may glue, under the fact's key: the number (``key``, where there is
    one), ``key_say`` (:func:`say`), ``key_src`` (:func:`source`) and, for the report's text,
    ``key_q`` (:func:`quote`)."""
    out = {}
    for key, f in FACTS.items():
        if f.value is not None:
            out[key] = f.value
            out[f"{key}_n"] = number(key)
        out[f"{key}_say"] = say(key)
        out[f"{key}_src"] = source(key)
        if f.kind == "text":
            out[f"{key}_q"] = quote(key)
    return out
