"""Sentences that depend on numbers. A chapter never types a verdict by hand ("足够精确",
"两者一致") next to a number that could contradict it: it calls one of these small, tested
functions with the numbers, and glues the sentence it returns.

Every function returns Chinese prose for the page (one or two sentences, no trailing space).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the sentences need no pandas
    import pandas as pd

ALPHA = 0.05


def fmt_p(p: float) -> str:
    """A p-value as the book prints it: 3 decimals, '< 0.001' below that."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_is(p: float) -> str:
    """'p = 0.0123' or 'p < 0.001', for use inside a sentence."""
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


# ---------------------------------------------------------------- chapters 1–3.1


def _f3(x: float) -> str:
    return f"{x:.3f}"


def mcnemar_difference(p: float, alpha: float = ALPHA) -> str:
    """What an exact McNemar p-value says about two models' error rates."""
    if p < alpha:
        return f"p 值小于 {alpha}，足以说明两者的错误率不同。"
    return f"p 值不小于 {alpha}，不足以说明两者的错误率有差别。"


def chance_and_reported(lo: float, hi: float, reported: float, chance: float = 0.5, source: str = "原报告") -> str:
    """Where a model's test-accuracy CI [lo, hi] lies relative to a figure the original report
    gave (``reported``, quoted; ``source`` says where, e.g. '原报告正文') and to guessing (``chance``)."""
    rep = (f"{source}的 {reported:.2f} 落在这个区间之内，与本书的结果一致" if lo <= reported <= hi
           else f"{source}的 {reported:.2f} 落在这个区间之外")
    if lo > chance:
        return f"{rep}；区间下限比瞎猜的 {chance} 高 {_f3(lo - chance)}。"
    return f"{rep}；区间包含瞎猜的 {chance}，测试集分不出它与瞎猜。"


def all_above(lows: dict, reference: float, what: str, who: str = "每个模型") -> str:
    """Whether every model's CI lower bound (``lows``: display name → CI low) lies above
    ``reference`` (described by ``what``, e.g. '原报告的最高数字'); ``who`` says which models
    ``lows`` covers (e.g. '除原报告式 SVM 外，每个模型')."""
    below = [n for n, lo in lows.items() if lo <= reference]
    if not below:
        return f"{who}测试准确率的 95% 置信区间下限都高于{what} {reference:.2f}。"
    return f"并非每个模型都明显高于{what} {reference:.2f}：{'、'.join(below)}的 95% 置信区间下限不高于它。"


def cv_in_ci(rows: dict) -> str:
    """Whether each model's CV accuracy lies inside its test-accuracy CI.
    ``rows``: display name → (cv accuracy, CI low, CI high)."""
    inside = [n for n, (cv, lo, hi) in rows.items() if lo <= cv <= hi]
    outside = [n for n in rows if n not in inside]
    if not outside:
        return (f"{'两个' if len(rows) == 2 else '每个'}模型的交叉验证分数都落在各自测试准确率的 95% 置信区间之内："
                "测试集分辨不出交叉验证分数与测试分数之间这么小的差别。")
    if not inside:
        return f"{'、'.join(outside)}的交叉验证分数都落在各自测试准确率的 95% 置信区间之外：测试分数与选参数时的分数确有差别。"
    return (f"{'、'.join(inside)}的交叉验证分数落在测试准确率的 95% 置信区间之内，"
            f"{'、'.join(outside)}的则落在区间之外。")


def best_among(n_others: int, min_p: float, alpha: float = ALPHA, what: str = "模型") -> str:
    """The best model against each of ``n_others`` others (``what`` they are): the smallest
    McNemar p-value."""
    head = f"把它与其余 {n_others} 个{what}逐一比较，McNemar 检验的最小 p 值是 {fmt_p(min_p)}"
    if min_p >= alpha:
        return head + "：在这么小的测试集上，它们彼此分不出高下。"
    return head + f"：至少有一对的差别在 {alpha} 水平上显著（未做多重比较校正）。"


def class_balance(n_neg: int, n_pos: int) -> str:
    """Whether the two classes are balanced, and what always guessing the larger one scores."""
    share = max(n_neg, n_pos) / (n_neg + n_pos)
    if n_neg == n_pos:
        return f"两类评论数量相等（各 {n_neg} 条），所以“全部猜同一类”只能得到 {share:.0%} 的准确率，这也是所有模型的起点。"
    more = "负面" if n_neg > n_pos else "正面"
    return (f"两类评论数量不等（负面 {n_neg} 条、正面 {n_pos} 条），“全部猜{more}”就能得到 {share:.1%} 的准确率，"
            "这是所有模型的起点。")


def longer_class(median_neg: float, median_pos: float, unit: str = "个字符") -> str:
    """Which class writes longer reviews, by median length."""
    if median_neg == median_pos:
        return f"两类评论的中位长度相同（{median_neg:.0f} {unit}）。"
    if median_neg > median_pos:
        return (f"两类评论的长度并不相同：负面评论的中位长度是 {median_neg:.0f} {unit}，正面评论只有 {median_pos:.0f} 个，"
                f"前者约为后者的 {median_neg / median_pos:.1f} 倍。满意的顾客常常一句“好吃，还会再来”，不满意的顾客则愿意把经过讲清楚。")
    return (f"两类评论的长度并不相同：正面评论的中位长度是 {median_pos:.0f} {unit}，负面评论只有 {median_neg:.0f} 个，"
            f"前者约为后者的 {median_pos / median_neg:.1f} 倍。")


def order_matters(logp_orig: float, logp_shuffled: float) -> str:
    """Whether a bigram model scores a sentence above the same words shuffled."""
    if logp_orig > logp_shuffled:
        return (f"词完全相同，只是顺序变了，对数概率就低了 {logp_orig - logp_shuffled:.1f}："
                "模型认为打乱的那句不像一句话。")
    return "词完全相同，打乱后的对数概率却不低于原句：这个模型没能从词序上区分这两句。"


def share_original_higher(share: float) -> str:
    """Whether most reviews score higher in their original order than shuffled."""
    if share > 0.5:
        return "上面那一句不是挑出来的个例。"
    return "不到一半，上面那一句并不典型。"


def laplace(valid_ppl: dict) -> str:
    """What the validation perplexities (k → perplexity) say about add-one (k = 1) smoothing."""
    if 1.0 not in valid_ppl:
        raise ValueError("laplace needs the validation perplexity at k = 1")
    if valid_ppl[1.0] == max(valid_ppl.values()):
        return "k = 1（拉普拉斯平滑）的困惑度最高：它把太多概率分给了没见过的词对。"
    return "k = 1（拉普拉斯平滑）的困惑度并不是最高的。"


# ---------------------------------------------------------------- chapters 4 and 5: comparisons


def _gap(name: str) -> str:
    """The space between a name and a number after it, none after a full-width bracket ("LSTM（种子 1）0.49")."""
    return "" if name[-1:] in "）」" else " "


def than(a: str, b: str, diff: float, digits: int = 3) -> str:
    """'A比B高 0.015' / 'A比B低 0.015' / 'A与B持平' for ``diff`` = A − B, rounded to ``digits``
    places (never a signed difference in prose)."""
    d = round(diff, digits)
    if d == 0:
        return f"{a}与{b}持平"
    return f"{a}比{b}{'高' if d > 0 else '低'} {abs(d):.{digits}f}"


def pair(a: str, acc_a: float, b: str, acc_b: float, p_holm: float, n: int, caveat: bool = True) -> str:
    """One paired comparison on ``n`` test reviews, after Holm's correction. ``caveat=False``
    leaves out the note that no evidence of a difference is no evidence of equality (for a
    second such comparison in the same paragraph)."""
    diff = acc_a - acc_b
    if p_holm < ALPHA:
        hi, lo = (a, b) if diff > 0 else (b, a)
        return (f"{hi}比{lo}高 {abs(diff):.3f}，Holm 校正后 {p_is(p_holm)}：在这 {n} 条测试评论上，"
                "这个差异站得住")
    return (f"{than(a, b, diff)}，Holm 校正后 {p_is(p_holm)}：在这 {n} 条测试评论上分不出高下"
            + ("（没有证据表明两者不同，但这不等于两者一样好）" if caveat else ""))


def seeds_vs(a: str, b: str, diffs, p_holm, b_seeds: int = 1) -> str:
    """A model family ``a`` trained with several seeds against ``b``: one model, or a family of
    ``b_seeds`` seeds (then ``diffs`` and ``p_holm`` hold every pair of seeds): how many differ
    significantly after Holm's correction, and in which direction on average.
    ``diffs``: accuracy of each seed (pair) of ``a`` minus that of ``b``."""
    diffs, p_holm = list(diffs), list(p_holm)
    if len(diffs) != len(p_holm) or not diffs or len(diffs) % b_seeds:
        raise ValueError("seeds_vs needs one accuracy difference and one p-value per seed (pair)")
    k = sum(p < ALPHA for p in p_holm)
    if len(diffs) == 1:
        head = f"{a}（只有 1 个种子）与{b}相差 {diffs[0]:+.3f}，Holm 校正后 {p_is(p_holm[0])}"
        if not k:
            return head + "：差异不显著，而且只有一次训练，不能据此说整个模型族"
        return (head + f"：{a}的这一个种子{'更好' if diffs[0] > 0 else '更差'}；"
                "只有一次训练，不能据此说整个模型族")
    mean = sum(diffs) / len(diffs)
    unit = "种子" if b_seeds == 1 else "对种子"
    who = (f"{a}的 {len(diffs)} 个种子与{b}相比" if b_seeds == 1 else
           f"{a}的 {len(diffs) // b_seeds} 个种子与{b}的 {b_seeds} 个种子两两相比（{len(diffs)} 对）")
    head = f"{who}，准确率之差从 {min(diffs):+.3f} 到 {max(diffs):+.3f}（平均 {mean:+.3f}）"
    if k == 0:
        return head + f"，Holm 校正后没有一{'个' if b_seeds == 1 else '对'}{'种子' if b_seeds == 1 else ''}的差异显著"
    if k == len(diffs) and all(d > 0 for d in diffs) or k == len(diffs) and all(d < 0 for d in diffs):
        side = "更好" if mean > 0 else "更差"
        return head + f"，每{'个' if b_seeds == 1 else '一对'}{'种子' if b_seeds == 1 else ''}的差异在 Holm 校正后都显著：{a}确实{side}"
    return (head + f"，其中 {k} {'个' if b_seeds == 1 else ''}{unit}的差异在 Holm 校正后显著、其余不显著：结论取决于随机种子，"
            "不能说一个模型族胜过另一个")


def contrast_errors(rates: dict, n_contrast: int) -> str:
    """Error rates on reviews with and without a contrast word (但是, 不过…), per model label:
    ``rates[label] = (with, without)``."""
    parts = [f"{m}在含转折词的评论上错误率 {w:.1%}，不含的 {wo:.1%}" for m, (w, wo) in rates.items()]
    worse = [m for m, (w, wo) in rates.items() if w > wo]
    if len(worse) == len(rates):
        head = "每个模型在含转折词的评论上都错得更多"
    elif worse:
        head = f"只有{'、'.join(worse)}在含转折词的评论上错得更多"
    else:
        head = "含转折词的评论并没有让哪个模型错得更多"
    return ("；".join(parts) + f"。{head}，但这一组只有 {n_contrast} 条评论，"
            "差别落在抽样波动之内也不奇怪，只能当作线索")


NEAR_HALF = 0.05     # a probability this close to 0.5 is "almost no lean", whatever side of the threshold


def mixed_sentence(probs: dict, first: str, second: str, units: dict | None = None) -> str:
    """How each saved model read the mixed review and its halves. ``probs[label]`` =
    (P(positive) of the whole, of the first half, of the second half). The whole and the second
    half are negative to a human reader; the first half (「不差」 = not bad) is mildly positive.
    ``units[label]``: what that model read in the first half (its jieba words, pieces or
    n-grams), so the explanation of a misread 「不差」 fits what the model actually received."""
    whole_neg = [m for m, (w, _, _) in probs.items() if w < 0.5]
    whole_pos = [m for m in probs if m not in whole_neg]
    first_ok = [m for m, (_, f, _) in probs.items() if f >= 0.5]
    first_bad = [m for m in probs if m not in first_ok]
    second_ok = [m for m, (_, _, s) in probs.items() if s < 0.5]
    out = []
    if not whole_pos:
        out.append("整句被每个模型判为负面，与人的读法一致")
    elif not whole_neg:
        out.append("整句被每个模型判为正面，与人的读法相反")
    else:
        out.append(f"整句被{'、'.join(whole_neg)}判为负面（与人的读法一致），被{'、'.join(whole_pos)}判为正面")
    close = [m for m in first_bad if abs(probs[m][1] - 0.5) < NEAR_HALF]
    clear = [m for m in first_bad if m not in close]

    def firsts(models):  # one model's number alone, several with their names
        if len(models) == 1:
            return f"{probs[models[0]][1]:.2f}"
        return "，".join(f"{m}{_gap(m)}{probs[m][1]:.2f}" for m in models)

    lead = f"前半句「{first}」是轻微的肯定，"      # said once, by the first clause that needs it
    if close:
        out.append(f"{lead}{'、'.join(close)}给它的 P(正面) 离 0.5 不到 {NEAR_HALF}（{firsts(close)}）："
                   "按 0.5 的门槛算是负面，实际上几乎没有倾向")
        lead = "对前半句，"
    if clear:
        ps = firsts(clear)
        whole_word = [m for m in clear if units and "不差" in units.get(m, ())]
        split = [m for m in clear if m not in whole_word]
        why = []
        if whole_word:
            why.append(f"{'、'.join(whole_word)}读入的单位里有「不差」这个整体，它的分量是从训练评论里学来的，错不在看不懂「不」")
        if split:
            why.append(f"{'、'.join(split)}读到的是分开的「不」和「差」，而「差」在训练评论里几乎总是负面信号")
        out.append(f"{lead}{'、'.join(clear)}却把它判为负面（P(正面)：{ps}）：" + "；".join(why))
    else:
        out.append(f"前半句「{first}」被每个模型读成了正面，「不差」没有被读反")
    if len(second_ok) == len(probs):
        out.append(f"后半句「{second}」被每个模型判为负面")
    else:
        miss = [m for m in probs if m not in second_ok]
        out.append(f"后半句「{second}」被{'、'.join(miss)}判为正面：「好吃」是很强的正面信号，「不怎么」对它的否定没有被读出来")
    return "。".join(out) + "。"


# ---------------------------------------------------------------- chapters 3.2 (LSTM) and 3.3 (transformer)

IG_MAX_GAP = 0.05     # integrated gradients: an integration error up to 5 % of the logit change counts as accurate


def _quoted(words) -> str:
    return "".join(f"「{w}」" for w in words)


def lstm_curves(train_losses, valid_losses) -> str:
    """How the per-epoch losses of several runs (one list per seed, in seed order) moved: whether
    the training loss fell every epoch, at which epoch each validation loss was lowest, and
    whether it rose again afterwards (the reason for early stopping)."""
    train_losses, valid_losses = [list(t) for t in train_losses], [list(v) for v in valid_losses]
    if not train_losses or len(train_losses) != len(valid_losses) or not all(train_losses) or not all(valid_losses):
        raise ValueError("lstm_curves needs, for each run, a non-empty list of training and of validation losses")
    if all(all(b < a for a, b in zip(t, t[1:])) for t in train_losses):
        head = "训练集的损失每一轮都在下降；"
    elif all(t[-1] < t[0] for t in train_losses):
        head = "训练集的损失总体在下降（个别轮次有回升）；"
    else:
        head = "训练集的损失并没有一路下降；"
    lows = [v.index(min(v)) + 1 for v in valid_losses]
    rose = sum(v[-1] > min(v) for v in valid_losses)
    head += f"验证集的损失分别在第 {'、'.join(map(str, lows))} 轮（按种子顺序）降到最低"
    if rose == len(valid_losses):
        return head + "，之后回升：模型开始记住训练集，验证集上反而变差，早停和“保留最好的一轮”就是为此设的。"
    if rose:
        return head + f"，其中 {rose} 个种子之后回升：早停和“保留最好的一轮”防的就是这种情况。"
    return head + "，之后没有回升。"


def bilstm_vs_lstm(diff: float, noise: float, n_seeds: int, n_test: int) -> str:
    """The BiLSTM's mean test accuracy minus the LSTM's (``diff``) against the seed-to-seed
    spread (``noise``: the larger of the two standard deviations)."""
    if abs(diff) < noise:
        return ("这个差别小于种子之间的波动（两者标准差中较大的那个），在这份数据上看不出双向带来的好处；"
                "评论大多很短，从头读到尾的单向 LSTM 已经够用。")
    side = "更好" if diff > 0 else "反而更差"
    return (f"双向{side}，差别大于种子之间的波动（两者标准差中较大的那个）；"
            f"不过每种模型只有 {n_seeds} 个种子、测试集只有 {n_test} 条，这只是一个迹象。")


def grid_size(spread: float, seed_sd: float, small: str, small_acc: float, time_ratio: float) -> str:
    """What a grid of model sizes (validation accuracy, one seed per cell) shows: the largest
    difference between cells (``spread``) against the seed-to-seed standard deviation of one
    setting (``seed_sd``). ``small``: the smallest cell's label, ``small_acc`` its accuracy,
    ``time_ratio``: the original size's training time over the smallest cell's."""
    if spread > 2 * seed_sd:
        return "格子之间的差距明显大于只换种子带来的波动；不过每个格子只训练了一个种子，这个结论仍要谨慎看待。"
    out = "格子之间的差距与只换种子带来的波动是同一个量级，这张图不足以说明哪个尺寸更好。"
    if time_ratio >= 1.5:
        out += (f"能说的是：在这份数据上，模型的大小不是瓶颈——最小的 {small}（验证集 {small_acc:.3f}）"
                f"训练用时只有原报告尺寸的 1/{time_ratio:.0f}。")
    return out


def neighbour_agreement(agreement: float, chance: float, p: float, alpha: float = ALPHA) -> str:
    """The share of words whose nearest neighbour has the same polarity (``agreement``) against
    the share expected when the polarity labels are shuffled (``chance``) and the permutation
    p-value ``p``."""
    head = (f"它比打乱正负标签时的期望（{chance:.0%}）高 {100 * (agreement - chance):.0f} 个百分点"
            if agreement > chance else f"它不比打乱正负标签时的期望（{chance:.0%}）高")
    p_text = f"p {fmt_p(p)}" if p < 0.001 else f"p = {fmt_p(p)}"
    if agreement > chance and p < alpha:
        return head + f"，置换检验 {p_text}：训练确实把同一方向的情感词拉到了一起。"
    return (head + f"，置换检验 {p_text}：这个比例与随机配对分不开，"
            "不能说词向量按情感分开了，t-SNE 图上的远近也不要读成“正面词聚在一起”。")


def tsne_reading(addressed, word: str, word_log_ratio: float, nearest, nearest_negative) -> str:
    """What the word vectors remember, for the case where they do separate the polar words.
    ``addressed``: words aimed at the staff (你们, 服务员…) that fell among the negative words;
    ``word``: a neutral word of the original (菜), its training log-ratio, its nearest polar words
    and whether each of them is a negative word."""
    nearest, nearest_negative = list(nearest), [bool(n) for n in nearest_negative]
    if len(nearest) != len(nearest_negative):
        raise ValueError("tsne_reading needs one polarity per nearest word")
    out = ("不过要看清这说明了什么：这些词正是按训练集里的 log-ratio 挑出来的，模型学的也是这些评论，它们是最容易分开的一批词。"
           "词向量记住的是“这个词在训练集里常出现在哪类评论中”，而不一定是词义")
    out += (f"：例如{_quoted(addressed)}偏负面，是因为抱怨常常直接冲着店里的人说。" if addressed else "。")
    if nearest:
        out += (f"原报告的「{word}」本身并无褒贬，它在训练集里的 log-ratio 是 {word_log_ratio:.2f}，"
                f"在词向量空间里离它最近的 {len(nearest)} 个情感词是{_quoted(nearest)}")
        if all(nearest_negative):
            out += "，都是负面词。"
        elif not any(nearest_negative):
            out += "，都是正面词。"
        else:
            out += f"，其中 {sum(nearest_negative)} 个是负面词。"
    return out


def prefix_reading(first_prob: float, after_first: float, final: float, n_negative: int, n_seeds: int) -> str:
    """How one LSTM's P(positive) moved while reading the mixed review word by word: after its
    first word (``first_prob``), after the first half (``after_first``), at the end (``final``);
    and how many of ``n_seeds`` seeds judged the whole review negative."""
    out = f"读完前半句时 P(正面) 为 {after_first:.3f}，读完整句为 {final:.3f}，"
    out += "最终判为负面，与人的读法一致。" if final < 0.5 else "最终判为正面，与人的读法不一致。"
    half = "后半句" if abs(final - after_first) > abs(after_first - first_prob) else "前半句"
    d = round(final - after_first, 3)
    second = "没有再改变它" if d == 0 else f"又把它{'提高' if d > 0 else '降低'}了 {abs(d):.3f}"
    out += (f"前半句让概率从第一个词时的 {first_prob:.3f} 变到 {after_first:.3f}，后半句{second}："
            f"模型的判断主要在{half}形成。")
    if 0 < n_negative < n_seeds:
        out += (f"不过别把一个模型的一条曲线读得太重：{n_seeds} 个种子中有 {n_negative} 个把整句判为负面，"
                "同样的数据、同样的设置，只是随机种子不同，对这种正负参半的句子就可能给出相反的判断。")
    elif n_negative == n_seeds:
        out += f"{n_seeds} 个种子都把整句判为负面，这个判断不取决于随机种子。"
    else:
        out += f"{n_seeds} 个种子都把整句判为正面，这个错误不取决于随机种子。"
    return out


def probe_reading(probe_acc: float, tuned_acc: float, n_test: int) -> str:
    """The best frozen layer's linear probe (``probe_acc``, one deterministic fit) against the
    fine-tuned model's test accuracy (``tuned_acc``, the mean over its seeds), judged against the
    rough noise of two accuracies on the same ``n_test`` reviews, ±1.96·sqrt(2·p(1−p)/n)."""
    p = (probe_acc + tuned_acc) / 2
    noise = 1.96 * math.sqrt(2 * p * (1 - p) / n_test)
    diff = tuned_acc - probe_acc
    if abs(diff) <= noise:
        return (f"{than('微调整个网络（各种子平均）', '冻结特征加逻辑回归', diff)}，在 {n_test} 条测试评论的噪声"
                f"（约 ±{noise:.3f}）之内：在这份数据上分不出两种用法的高下。")
    better, worse = ("微调整个网络（各种子平均）", "冻结特征加逻辑回归") if diff > 0 else ("冻结特征加逻辑回归", "微调整个网络（各种子平均）")
    return (f"{better}比{worse}高 {abs(diff):.3f}，超过 {n_test} 条测试评论的噪声（约 ±{noise:.3f}）。")


def ig_accuracy(gap: float, delta: float, steps: int, max_gap: float = IG_MAX_GAP) -> str:
    """Integrated gradients' integration error (``gap``: |sum of attributions - logit change|)
    judged against the logit change ``delta`` itself: accurate when gap / |delta| <= ``max_gap``."""
    if abs(delta) < 1e-6:
        return "整句与空白句的 logit 差几乎为零，无法用相对误差判断积分是否精确。"
    rel = gap / abs(delta)
    if rel <= max_gap:
        return (f"误差是 logit 差的 {rel:.1%}，在本书取的 {max_gap:.0%} 门槛之内：{steps} 步的积分足够精确，"
                "各 token 的贡献可以按数值来读。")
    return (f"误差是 logit 差的 {rel:.1%}，超过本书取的 {max_gap:.0%} 门槛：{steps} 步的积分不够精确，"
            "各 token 的贡献只宜看正负和相对大小，不宜细读数值（增加步数可以减小误差）。")


def reload_check(max_diff: float, atol: float) -> str:
    """Whether a model reloaded from disk reproduces the probabilities scored before saving."""
    if max_diff <= atol:
        return f"一致（最大相差 {max_diff:.1e}，不超过容差 {atol:g}）"
    return f"不一致（最大相差 {max_diff:.1e}，超过容差 {atol:g}）"


def training_precision(device: str, device_name: str, precision: str) -> str:
    """One sentence on where the transformer was fine-tuned (``device``: "cpu" or "cuda", as in
    ``book.device.describe()``, and the hardware's name) and whether bf16 autocast was used
    (``precision``: "bf16" or "fp32")."""
    kind = {"cpu": "CPU", "cuda": "GPU"}.get(device)
    if kind is None:
        raise ValueError(f"device is {device!r}; expected 'cpu' or 'cuda'")
    device = f"{kind}（{device_name}）" if device_name else f"{kind} "
    if precision == "bf16":
        return (f"微调在 {device}上进行，用了 bf16：前向与反向的矩阵乘法在 bf16 自动混合精度（autocast）下计算，"
                "权重与优化器状态仍是 fp32。")
    if precision == "fp32":
        return f"微调在 {device}上进行，全程 fp32，没有用 bf16。"
    raise ValueError(f"precision is {precision!r}; expected 'bf16' or 'fp32'")


def balanced_test(n_pos: int, n_neg: int) -> str:
    """Why accuracy is a fair main metric on a test split with these class counts."""
    counts = f"测试集中正面 {n_pos} 条、负面 {n_neg} 条"
    if n_pos == n_neg:
        return f"两类评论数量相等（{counts}），两种错误的代价也没有理由不同，此时准确率既直观又不会被类别不平衡误导。"
    return (f"两类评论数量不等（{counts}），全部猜较多的一类就能得到 {max(n_pos, n_neg) / (n_pos + n_neg):.1%} 的准确率，"
            "所以读准确率时要和这个数比较，并参考宏平均的指标。")


def expectation(encoder: str, rank: int, n_models: int, vs_best: str, significant: bool, diff: float,
                ties: int = 0) -> str:
    """Chapter 1 expected the pretrained encoder to be best: what this run says. ``rank`` is its
    place by test accuracy among ``n_models`` (1 = best), ``vs_best`` the comparison sentence
    with the best baseline, ``significant`` whether that difference survived Holm's correction,
    ``diff`` = encoder accuracy − best baseline accuracy, ``ties`` how many other models have
    exactly its accuracy (``rank`` is then 1 + the number of models strictly better)."""
    where = "最高" if rank == 1 else f"第 {rank} 高"
    if ties:
        where = f"并列{where}（与 {ties} 个模型同分）"
    if rank == 1 and significant:
        verdict = "这个预期在本次的测试集上得到了支持"
    elif rank == 1:
        verdict = "它的准确率虽然最高，但与最佳基准的差异在统计上站不住，所以这个预期只得到了很弱的支持"
    elif significant and diff > 0:
        verdict = "它显著好于最佳基准，但不是所有模型中最好的，这个预期只得到了部分支持"
    elif significant:
        verdict = "它显著不如最佳基准，这个预期在本次的测试集上没有得到支持"
    else:
        verdict = "它并不是最好的，但与最佳基准的差异也不显著：这个预期在本次的测试集上既没有被证实，也没有被推翻"
    return f"第一章预期预训练模型最好。本次 {n_models} 个模型中，{encoder}的测试准确率排在{where}；{vs_best}。{verdict}"


def skew(mean: float, median: float, unit: str = "个字符") -> str:
    """Whether a length distribution is right-skewed (mean above median)."""
    if mean > median:
        return f"分布右偏，少数长评论把均值拉到了 {mean:.1f} {unit}。"
    return f"均值为 {mean:.1f} {unit}，不高于中位数，分布并不右偏。"


# ---------------------------------------------------------------- chapter 6: the ledger of the original's claims
#
# A claim of the original is tested first in the form it was made (its sentence, its model, its
# settings) and then, labelled as the book's own, in a general form. Each test gives one verdict:
#   复现      the observation recurs (the evidence stands on the claim's side);
#   未能复现  it does not recur: the evidence stands against it, but with fewer than
#             MIN_RUNS_TO_REFUTE runs of a family behind it (or not in every run);
#   被推翻    the evidence contradicts it in every run, with at least MIN_RUNS_TO_REFUTE runs
#             (seeds or folds) of each family compared: beyond the variation between runs, not
#             only the resampling of one run's test reviews;
#   无法判断  the evidence does not separate (an interval across the line, a test not significant,
#             runs that disagree);
#   不可检验  a design statement or a definition, not an observation.
# A claim that something is absent ("没有明显的语义上的关联") recurs when the test finds nothing
# and fails to recur when it finds a clear association. A vague quantity ("近10%") is judged
# against a band fixed before looking (GAIN_BAND).

REPRODUCED, NOT_REPRODUCED, REFUTED, UNDECIDED, UNTESTABLE = (
    "reproduced", "not_reproduced", "refuted", "undecided", "untestable")
CLAIM_NAMES = {REPRODUCED: "复现", NOT_REPRODUCED: "未能复现", REFUTED: "被推翻", UNDECIDED: "无法判断",
               UNTESTABLE: "不可检验"}
MIN_RUNS_TO_REFUTE = 3
FOR, NEITHER, AGAINST = 1, 0, -1     # what one test's evidence says of the claim


def claim_evidence(estimate: float, direction: int, ci=None, p: float | None = None, null: float = 0.0,
                   alpha: float = ALPHA) -> int:
    """What one test says of a claim about the sign of a quantity (``estimate``, e.g. a difference
    in accuracy) against ``null``: FOR, NEITHER or AGAINST. ``direction`` +1 (the claim says it is
    above ``null``), -1 (below) or 0 (the claim says there is nothing: it stands while the test finds
    nothing, and falls with a clear difference). The evidence is a confidence interval ``ci`` =
    (low, high) or a two-sided p-value ``p`` judged at ``alpha``, never both."""
    if direction not in (-1, 0, 1):
        raise ValueError(f"direction must be -1, 0 or +1, got {direction!r}")
    if (ci is None) == (p is None):
        raise ValueError("claim_evidence needs either a confidence interval or a p-value, not both")
    if ci is not None:
        lo, hi = (float(x) for x in ci)
        if lo > hi:
            raise ValueError(f"the interval's low end {lo} is above its high end {hi}")
        side = 1 if lo > null else -1 if hi < null else 0
    else:
        if not 0 <= p <= 1:
            raise ValueError(f"a p-value lies in [0, 1], got {p}")
        side = (1 if estimate > null else -1 if estimate < null else 0) if p < alpha else 0
    if direction == 0:
        return FOR if side == 0 else AGAINST
    return NEITHER if side == 0 else FOR if side == direction else AGAINST


def claim_verdict(evidence, runs: int) -> str:
    """One verdict from the tests of one form of a claim (one per run, or one for all runs):
    every test FOR → 复现; every test AGAINST → 被推翻 when each family compared has at least
    MIN_RUNS_TO_REFUTE runs (``runs``: the fewest), else 未能复现; some AGAINST and none FOR →
    未能复现; anything else (nothing separates, or runs that disagree) → 无法判断."""
    evidence = list(evidence)
    if not evidence or any(e not in (FOR, NEITHER, AGAINST) for e in evidence):
        raise ValueError(f"claim_verdict needs one or more of FOR, NEITHER, AGAINST, got {evidence!r}")
    if runs < 1:
        raise ValueError(f"a verdict needs at least one run, got {runs}")
    if all(e == FOR for e in evidence):
        return REPRODUCED
    if all(e == AGAINST for e in evidence):
        return REFUTED if runs >= MIN_RUNS_TO_REFUTE else NOT_REPRODUCED
    if AGAINST in evidence and FOR not in evidence:
        return NOT_REPRODUCED
    return UNDECIDED


def claim_band(estimate: float, ci, band: tuple[float, float], runs: int) -> str:
    """The verdict on a vague quantity ("提高近10%") judged against ``band`` = (low, high), fixed
    before looking: 复现 when the estimate lies in the band and the interval ``ci`` leaves out 0;
    against the claim when the whole interval lies outside the band (被推翻 with at least
    MIN_RUNS_TO_REFUTE runs, else 未能复现); 无法判断 otherwise."""
    lo, hi = (float(x) for x in ci)
    b_lo, b_hi = band
    if lo > hi or b_lo > b_hi:
        raise ValueError(f"an interval's low end is above its high end: {ci}, {band}")
    if b_lo <= estimate <= b_hi and not lo <= 0 <= hi:
        return REPRODUCED
    if hi < b_lo or lo > b_hi:
        return claim_verdict([AGAINST], runs)
    return UNDECIDED


def claim_name(verdict: str) -> str:
    """The Chinese word for a verdict: 复现 / 未能复现 / 被推翻 / 无法判断 / 不可检验."""
    if verdict not in CLAIM_NAMES:
        raise ValueError(f"unknown verdict {verdict!r}: choose from {', '.join(CLAIM_NAMES)}")
    return CLAIM_NAMES[verdict]


def runs_note(runs: dict) -> str:
    """How many runs stand behind a test, for the ledger: 'LSTM 3 次，E5 1 次（不足 3 次，不能判为被推翻）'."""
    if not runs or any(n < 1 for n in runs.values()):
        raise ValueError(f"every family needs at least one run, got {runs!r}")
    text = "，".join(f"{who} {n} 次" for who, n in runs.items())
    if min(runs.values()) < MIN_RUNS_TO_REFUTE:
        text += f"（不足 {MIN_RUNS_TO_REFUTE} 次，不能判为被推翻）"
    return text


# ---------------------------------------------------------------- chapter 5: other domains


def family_verdict(summary: pd.DataFrame, domain_name, what: str = "更准") -> str:
    """The rows of :func:`family_summary` (one per domain and pair of families) summed up
    instead of read out: which pairs every seed pair settles (and which way, ``what``: 更准,
    损失更小 …), how many no seed pair settles, and which depend on the seeds."""
    clear, none, mixed, clear_n = [], [], [], []
    for r in summary.itertuples():
        where = domain_name(r.domain)
        if r.a_better == r.n or r.b_better == r.n:
            win, lose = (r.family_a, r.family_b) if r.a_better == r.n else (r.family_b, r.family_a)
            clear.append(f"{where}上{win}比{lose}")
            clear_n.append(r.n)
        elif r.a_better == 0 and r.b_better == 0:
            none.append(f"{where}上{r.family_a}与{r.family_b}")
        else:
            mixed.append(f"{where}上{r.family_a}与{r.family_b}（{r.n} 对中 {r.a_better + r.b_better} 对显著）")
    parts = []
    if clear:
        if max(clear_n) == 1:      # one run of each family: one test, not "every pair of seeds"
            parts.append(f"{len(clear)} 组显著（每组只有一对运行，一次比较）：{'、'.join(clear)}{what}")
        elif min(clear_n) == 1:
            parts.append(f"{len(clear)} 组显著且方向一致（其中有的组只有一对运行）：{'、'.join(clear)}{what}")
        else:
            parts.append(f"{len(clear)} 组的每一对运行都显著且方向一致：{'、'.join(clear)}{what}")
    if none:
        parts.append(f"{len(none)} 组没有一对分得出高下" + (f"（{'、'.join(none)}）" if len(none) <= 2 else ""))
    if mixed:
        parts.append(f"{len(mixed)} 组的结论取决于种子：{'、'.join(mixed)}")
    return f"Holm 校正后，表中 {len(summary)} 组模型族的比较里，" + "；".join(parts) + "。"


def change_verdict(domain: str, table: pd.DataFrame) -> str:
    """``table`` from :func:`drops` (index: display names). Which models lost accuracy beyond the
    noise of both samples, which did not, and the exceptions whose accuracy rose."""
    n = len(table)
    lost = list(table.index[table["ci_high"] < 0])
    rose = list(table.index[table["change"] >= 0])
    if len(lost) == n:
        s = f"换到{domain}，{n} 个模型的准确率都下降了，而且每一个的下降都超出了两边样本合起来的误差。"
    elif not lost:
        s = f"换到{domain}，{n} 个模型中没有一个的下降超出两边样本合起来的误差。"
    else:
        s = (f"换到{domain}，{n} 个模型中有 {len(lost)} 个的下降超出了两边样本合起来的误差，"
             f"其余 {n - len(lost)} 个（{'、'.join(m for m in table.index if m not in lost)}）分不出是否下降。")
    if rose:
        s += f"准确率不降反升的是{'、'.join(rose)}。"
    return s


def oov_verdict(in_domain: float, others: dict) -> str:
    """Compare the out-of-vocabulary share of each other domain (name → share) with the dianping
    test split's."""
    parts = []
    for domain, share in others.items():
        ratio = share / in_domain if in_domain else float("inf")
        if ratio >= 1.5:
            parts.append(f"{domain}中的未登录词比例是点评测试集的 {ratio:.1f} 倍")
        elif ratio <= 1 / 1.5:
            parts.append(f"{domain}中的未登录词比例反而低于点评测试集")
        else:
            parts.append(f"{domain}中的未登录词比例与点评测试集相近")
    return "；".join(parts) + "。"


def shift_verdict(counts: dict, control: dict, k: int) -> str:
    """``counts``: domain name → {status: number of the ``k`` strongest dianping words}, from
    :func:`polarity_shift`; ``control``: the same for the held-out dianping test reviews. Says
    whether any word flips, and reads the weakening against the control: words chosen for their
    extreme training log-ratio weaken in any fresh sample (regression to the mean)."""
    parts = []
    flipped = {d: c.get("flipped", 0) for d, c in counts.items()}
    if not any(flipped.values()):
        parts.append(f"{k} 个词里没有一个在新领域中方向相反：「同一个词，意思反了」在这里一个例子也没有找到")
    else:
        parts.append("方向相反的词：" + "、".join(f"{d} {n} 个" for d, n in flipped.items()))
    weak = "、".join(f"{d} {c.get('weaker', 0)} 个" for d, c in counts.items())
    absent = f"另有 {control.get('absent', 0)} 个在那 200 条里出现太少、无法计算"
    if control.get("weaker", 0):
        parts.append(f"明显变弱的词{weak}，而在同一领域、训练时没见过的点评测试集上也有 {control['weaker']} 个"
                     f"（{absent}）：按训练集上最极端的数值挑出的词，换一份新样本本来就会变弱一些，变弱不全是领域的差别")
    else:
        parts.append(f"明显变弱的词{weak}；在同一领域、训练时没见过的点评测试集上没有一个明显变弱（{absent}），"
                     "这个对照太小，说明不了变弱里有多少来自领域、多少只是换了一份样本")
    return "；".join(parts) + "。"


def last_clause_verdict(rows: dict) -> str:
    """From :func:`clause_following` per model: is the last clause alone a better guide to the
    label than the first, for every model, none, or some?"""
    valid = [r for r in rows.values() if r["n_disagree"]]
    if not valid:
        return "没有模型给两半不同的判断，无从比较前后两半。"
    k = sum(r["last_accuracy"] > r["first_accuracy"] for r in valid)
    if k == len(valid):
        return (f"{k} 个模型只看后半句都比只看前半句准：在这些转折句里，评论者的态度多半在转折之后。")
    if k == 0:
        return f"{len(valid)} 个模型只看前半句都比只看后半句准：在这些转折句里，态度多半在转折之前。"
    return f"{len(valid)} 个模型中有 {k} 个只看后半句比只看前半句准，其余的反过来：前后两半哪一半更能代表态度，因模型而异。"


def curve_verdicts(curves: dict, n_test: int) -> str:
    """The last doubling of the training reviews for several models in one sentence (instead of one
    near-identical sentence each): ``curves`` maps a model's display name to (sizes, mean accuracy
    per size), in size order. Each gain is judged against the noise of two accuracies on the same
    ``n_test`` reviews, as :func:`curve_verdict` does."""
    if not curves:
        raise ValueError("curve_verdicts needs at least one model")
    parts, up, down, flat, bands = [], [], [], [], []
    for model, (sizes, accs) in curves.items():
        sizes, accs = list(sizes), list(accs)
        if len(sizes) < 2 or len(sizes) != len(accs):
            raise ValueError(f"{model}: a curve needs at least two sizes and one accuracy per size")
        gain = accs[-1] - accs[-2]
        p = (accs[-1] + accs[-2]) / 2
        noise = 1.96 * math.sqrt(2 * p * (1 - p) / n_test)
        bands.append(noise)
        parts.append(f"{model}（{sizes[-2]} → {sizes[-1]} 条）{100 * gain:+.1f}")
        (up if gain > noise else down if gain < -noise else flat).append(model)
    out = (f"训练评论最后一次加倍时，准确率的变化（百分点）是{'，'.join(parts)}；{n_test} 条测试评论上两次测量的误差范围约 "
           f"±{100 * min(bands):.0f} 到 ±{100 * max(bands):.0f} 个百分点。")
    if up:
        out += f"超出误差范围、曲线还在上升的：{'、'.join(up)}，更多点评数据对它仍然有用。"
    if down:
        out += f"多给数据反而变差、超出误差范围的：{'、'.join(down)}，值得怀疑这次训练是否正常。"
    if flat:
        out += f"其余（{'、'.join(flat)}）的变化在误差范围之内，这个测试集判断不了它们的曲线末端是否还在上升。"
    return out


def clause_verdicts(family: str, rows: dict, alpha: float = ALPHA) -> str:
    """One sentence for all runs of a model family (``rows``: run name → :func:`clause_following`'s
    record) instead of one per run: how often the whole-review answer follows the first clause,
    and which way each run leans beyond chance."""
    if not rows:
        raise ValueError("clause_verdicts needs at least one run")
    seen = {m: r for m, r in rows.items() if r["n_disagree"]}
    if not seen:
        return f"{family}在每条转折评论上都给两半相同的判断，无从看它跟哪一半。"
    share = "、".join(f"{r['follows_first']:.0%}" for r in seen.values())
    n = "、".join(str(r["n_disagree"]) for r in seen.values())
    first = [m for m, r in seen.items() if r["p_first"] < alpha and r["follows_first"] > 0.5]
    last = [m for m, r in seen.items() if r["p_first"] < alpha and r["follows_first"] < 0.5]
    runs = f"{len(seen)} 次运行" if len(seen) > 1 else "唯一的一次运行"
    out = f"{family}（{runs}）在两半判断不同的 {n} 条评论中，整句跟前半句的比例为 {share}"
    if len(first) == len(seen):
        return out + ("：每次运行都显著偏向前半句。" if len(seen) > 1 else "：显著偏向前半句。")
    if len(last) == len(seen):
        return out + ("：每次运行都显著偏向后半句。" if len(seen) > 1 else "：显著偏向后半句。")
    if not first and not last:
        return out + "：都与一半分不开，看不出偏向哪一半。"
    return out + f"：显著偏向前半句的 {len(first)} 次，偏向后半句的 {len(last)} 次，结论取决于运行。"


# ---------------------------------------------------------------- small phrases of the sections (book.sections)


def cat_segmentation(one_word: bool) -> str:
    """2.6: how jieba cuts 「猫猫」 in the original's bag-of-words example."""
    return "「猫猫」是一个词" if one_word else "「猫猫」被切成了两个「猫」"


def tsne_missing(missing) -> str:
    """3.2: the t-SNE words left out for lacking a vector, or that none was."""
    return (f"不在词表中的词没有自己的词向量，不画：{'、'.join(missing)}。" if missing
            else "这些词都在 LSTM 的词表里，全部画出。")


def seed_spread_sentence(accuracies) -> str:
    """3.3: the seeds' test accuracies as one sentence; one seed has no spread to report."""
    from .display import seed_spread

    return (seed_spread(accuracies) + "。" if len(accuracies) > 1
            else "只训练了 1 个种子，没有种子之间的差异可以报告。")


def noodle_in_vocab(in_vocab: bool) -> str:
    """3.3: what the LSTM makes of 「方便面」."""
    return "在 LSTM 的词表里，是另一个独立的词" if in_vocab else "不在 LSTM 的词表里，读成未知词"


def full_space_neighbours(n: int, agreement: float, chance: float, p: float) -> str:
    """6.3: the nearest-neighbour test of the book's LSTM in its full embedding space."""
    return (f"在完整的词向量空间里，{n} 个正负面词中有 {agreement:.0%} 的最近邻与自己的情感方向相同；"
            + neighbour_agreement(agreement, chance, p))


def short_cells(short) -> str:
    """5.1: the shopping sample's category × label cells with fewer reviews than asked for
    (``short``: (category, label name, n) triples), or that every cell has enough."""
    return "、".join(f"{c}的{y}评论只有 {n} 条" for c, y, n in short) or "每个格子都够"


def rotation_pair(a: str, b: str, difference: float, ci, p_holm: float) -> str:
    """One sentence on two families compared on the rotation's pooled test reviews (chapter 4):
    ``difference`` = accuracy of ``a`` − ``b`` with its two-stage CI (runs and reviews) and the
    Holm-adjusted McNemar p. A direction only where both the interval leaves out 0 and the test
    is significant."""
    lo, hi = (float(x) for x in ci)
    head = f"{a}减{b}为 {difference:+.3f}（区间 [{lo:+.3f}, {hi:+.3f}]，校正后 {p_is(p_holm)}）"
    excludes = lo > 0 or hi < 0
    if excludes and p_holm < 0.05:
        better, worse = (a, b) if difference > 0 else (b, a)
        return f"{head}：{better}比{worse}更准，两种误差都算进去也站得住。"
    if p_holm < 0.05:
        return f"{head}：逐条评论的检验显著，但把五次训练之间的差别也算进去，区间包含 0，这个差别还不能归给做法本身。"
    if excludes:
        return f"{head}：区间不含 0，但逐条评论的检验校正后不显著，证据还不够下结论。"
    return f"{head}：区间包含 0，检验也不显著，1000 条评论上两者的差别仍在误差之内。"


def pooled_drop(domain: str, a: str, b: str, row) -> str:
    """One clause on whether ``a`` loses less than ``b`` from dianping to ``domain`` over every fold
    (a row of book.generalization.pooled_drops)."""
    head = (f"{domain}上，{a}减{b}为 {row['domain_gap']:+.3f}，点评上为 {row['dianping_gap']:+.3f}，"
            f"损失之差 {row['difference']:+.3f}（区间 [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]，校正后 {p_is(row['p_holm'])}）")
    if row["p_holm"] < ALPHA and (row["ci_low"] > 0 or row["ci_high"] < 0):
        return head + (f"：{a}损失得显著更少" if row["difference"] > 0 else f"：{b}损失得显著更少")
    return head + "：差别在误差之内"
