"""Sentences whose wording depends on numbers in ways a page cannot settle in advance: the
ledger's verdicts, and the short readings a chapter glues where the direction is genuinely open
("足够精确" or not). Where the direction is settled, a chapter writes the sentence by hand with the
numbers glued in, and guards it with :func:`book.expect` (the checks live in :mod:`book.sections`).

Every function returns Chinese prose for the page (one or two sentences, no trailing space).
"""
from __future__ import annotations

import math

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



def than(a: str, b: str, diff: float, digits: int = 3) -> str:
    """'A比B高 0.015' / 'A比B低 0.015' / 'A与B持平' for ``diff`` = A − B, rounded to ``digits``
    places (never a signed difference in prose)."""
    d = round(diff, digits)
    if d == 0:
        return f"{a}与{b}持平"
    return f"{a}比{b}{'高' if d > 0 else '低'} {abs(d):.{digits}f}"


NEAR_HALF = 0.05     # a probability this close to 0.5 is "almost no lean", whatever side of the threshold


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


TUNED, PROBE = "微调后的模型", "选出的那一层上的探针"


def probe_reading(probe_acc: float, tuned_acc: float, n_test: int) -> str:
    """The best frozen layer's linear probe (``probe_acc``, one deterministic fit) against the
    fine-tuned model's test accuracy (``tuned_acc``, the mean over its seeds), judged against the
    rough noise of two accuracies on the same ``n_test`` reviews, ±1.96·sqrt(2·p(1−p)/n)."""
    p = (probe_acc + tuned_acc) / 2
    noise = 1.96 * math.sqrt(2 * p * (1 - p) / n_test)
    diff = tuned_acc - probe_acc
    if abs(diff) <= noise:
        return (f"{than(TUNED, PROBE, diff)}，在 {n_test} 条测试评论的噪声"
                f"（约 ±{noise:.3f}）之内：在这份数据上分不出两种用法的高下。")
    better, worse = (TUNED, PROBE) if diff > 0 else (PROBE, TUNED)
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


