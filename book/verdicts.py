"""Sentences that depend on numbers. A chapter never types a verdict by hand ("足够精确",
"两者一致") next to a number that could contradict it: it calls one of these small, tested
functions with the numbers, and glues the sentence it returns.

Every function returns Chinese prose for the page (one or two sentences, no trailing space).
"""
from __future__ import annotations

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


def chance_and_reported(lo: float, hi: float, reported: float, chance: float = 0.5) -> str:
    """Where a model's test-accuracy CI [lo, hi] lies relative to a figure the original report
    gave (``reported``, quoted) and to guessing (``chance``)."""
    rep = (f"原报告的 {reported:.2f} 落在这个区间之内，与本书的结果一致" if lo <= reported <= hi
           else f"原报告的 {reported:.2f} 落在这个区间之外")
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


def pair(a: str, acc_a: float, b: str, acc_b: float, p_holm: float, n: int) -> str:
    """One paired comparison on ``n`` test reviews, after Holm's correction."""
    diff = acc_a - acc_b
    if p_holm < ALPHA:
        hi, lo = (a, b) if diff > 0 else (b, a)
        return (f"{hi}比{lo}高 {abs(diff):.3f}，Holm 校正后 {p_is(p_holm)}：在这 {n} 条测试评论上，"
                "这个差异站得住")
    return (f"{a}与{b}相差 {diff:+.3f}，Holm 校正后 {p_is(p_holm)}：在这 {n} 条测试评论上分不出高下"
            "（没有证据表明两者不同，但这不等于两者一样好）")


def seeds_vs(a: str, b: str, diffs, p_holm) -> str:
    """A model family ``a`` trained with several seeds against one model ``b``: how many seeds
    differ significantly after Holm's correction, and in which direction on average.
    ``diffs``: accuracy of each seed of ``a`` minus that of ``b``."""
    diffs, p_holm = list(diffs), list(p_holm)
    if len(diffs) != len(p_holm) or not diffs:
        raise ValueError("seeds_vs needs one accuracy difference and one p-value per seed")
    k = sum(p < ALPHA for p in p_holm)
    mean = sum(diffs) / len(diffs)
    head = f"{a}的 {len(diffs)} 个种子与{b}相比，准确率之差从 {min(diffs):+.3f} 到 {max(diffs):+.3f}（平均 {mean:+.3f}）"
    if k == 0:
        return head + "，Holm 校正后没有一个种子的差异显著：两者在这个测试集上分不出高下"
    if k == len(diffs) and all(d > 0 for d in diffs) or k == len(diffs) and all(d < 0 for d in diffs):
        side = "更好" if mean > 0 else "更差"
        return head + f"，每个种子的差异在 Holm 校正后都显著：{a}确实{side}"
    return (head + f"，其中 {k} 个种子的差异在 Holm 校正后显著、其余不显著：结论取决于随机种子，"
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


def mixed_sentence(probs: dict, first: str, second: str) -> str:
    """How each saved model read the mixed review and its halves. ``probs[label]`` =
    (P(positive) of the whole, of the first half, of the second half). The whole and the second
    half are negative to a human reader; the first half (「不差」 = not bad) is mildly positive."""
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
    if first_bad:
        ps = "，".join(f"{m} {probs[m][1]:.2f}" for m in first_bad)
        out.append(f"前半句「{first}」是轻微的肯定，{'、'.join(first_bad)}却把它判为负面（P(正面)：{ps}）："
                   "「差」在训练评论里几乎总是负面信号，看不懂「不」对它的否定，就会把「不差」读反")
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
LR_FACTOR = 3.0       # lr_find: a rate within 3× of the valley suggestion is "of the same order"
LR_MIN_DROP = 0.10    # lr_find: a smoothed loss that never falls 10 % below its start shows no valley


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
    out += (f"前半句让概率从第一个词时的 {first_prob:.3f} 变到 {after_first:.3f}，后半句又变了 {final - after_first:+.3f}："
            f"模型的判断主要在{half}形成。")
    if 0 < n_negative < n_seeds:
        out += (f"不过别把一个模型的一条曲线读得太重：{n_seeds} 个种子中有 {n_negative} 个把整句判为负面，"
                "同样的数据、同样的设置，只是随机种子不同，对这种正负参半的句子就可能给出相反的判断。")
    elif n_negative == n_seeds:
        out += f"{n_seeds} 个种子都把整句判为负面，这个判断不取决于随机种子。"
    else:
        out += f"{n_seeds} 个种子都把整句判为正面，这个错误不取决于随机种子。"
    return out


def lr_find_reading(chosen: float, suggested: float, losses, factor: float = LR_FACTOR,
                    min_drop: float = LR_MIN_DROP) -> str:
    """The learning rate used (``chosen``) against lr_find's valley suggestion, read only when
    the finder's (smoothed) ``losses`` fell at least ``min_drop`` below their start."""
    losses = [float(x) for x in losses]
    if not losses or chosen <= 0 or suggested <= 0:
        raise ValueError("lr_find_reading needs positive learning rates and the finder's losses")
    drop = (losses[0] - min(losses)) / abs(losses[0])
    if drop < min_drop:
        return (f"这次 lr_find 的损失最多只比起点低 {max(drop, 0):.0%}（不到 {min_drop:.0%}），曲线几乎是平的，"
                "谷底建议值说明不了什么；学习率是按验证集选的，这里不拿它与建议值比较。")
    ratio = chosen / suggested
    if 1 / factor <= ratio <= factor:
        return f"所用的学习率是谷底建议值的 {ratio:.2g} 倍，相差不到 {factor:g} 倍，两者在同一个量级。"
    return (f"所用的学习率是谷底建议值的 {ratio:.2g} 倍，相差超过 {factor:g} 倍；学习率是按验证集选的，"
            "lr_find 只跑了几十个 batch，这里只把它当作量级上的参考。")


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
        verdict = "它并不是最好的，但与最佳基准也分不出高下：这个预期在本次的测试集上既没有被证实，也没有被推翻"
    return f"第一章预期预训练模型最好。本次 {n_models} 个模型中，{encoder}的测试准确率排在{where}；{vs_best}。{verdict}"


def skew(mean: float, median: float, unit: str = "个字符") -> str:
    """Whether a length distribution is right-skewed (mean above median)."""
    if mean > median:
        return f"分布右偏，少数长评论把均值拉到了 {mean:.1f} {unit}。"
    return f"均值为 {mean:.1f} {unit}，不高于中位数，分布并不右偏。"


def transfer_thesis(encoder: str, rows: dict) -> str:
    """The original report's thesis (transfer learning generalizes better), judged on the
    cross-domain test sets. ``rows``: domain display name → list of (other model's display name,
    the encoder's accuracy, the other's accuracy, Holm-corrected McNemar p)."""
    parts, wins, losses, total = [], 0, 0, 0
    for domain, comparisons in rows.items():
        segs = []
        for other, a, b, p in comparisons:
            total += 1
            if p < ALPHA and a > b:
                wins += 1
                segs.append(f"显著高于{other}（{a:.3f} 对 {b:.3f}，校正后 {p_is(p)}）")
            elif p < ALPHA:
                losses += 1
                segs.append(f"显著低于{other}（{a:.3f} 对 {b:.3f}，校正后 {p_is(p)}）")
            else:
                segs.append(f"与{other}分不出高下（{a:.3f} 对 {b:.3f}，校正后 {p_is(p)}）")
        parts.append(f"在{domain}上，{encoder}" + "，".join(segs))
    if total == 0:
        raise ValueError("transfer_thesis needs at least one comparison")
    if wins == total:
        verdict = "原报告「迁移学习泛化得更好」的论点在新领域上得到了支持：每一个比较都显著占优"
    elif wins and not losses:
        verdict = (f"原报告「迁移学习泛化得更好」的论点得到了部分支持：{total} 个比较中 {wins} 个显著占优，"
                   "其余分不出高下")
    elif losses and not wins:
        verdict = f"原报告「迁移学习泛化得更好」的论点没有得到支持：{total} 个比较中有 {losses} 个显著落后，没有一个显著占优"
    elif wins and losses:
        verdict = (f"原报告「迁移学习泛化得更好」的论点只在一部分比较上成立：{wins} 个显著占优，{losses} 个显著落后，"
                   "结论取决于领域和对手")
    else:
        verdict = "原报告「迁移学习泛化得更好」的论点没有得到支持：没有一个比较在 Holm 校正后显著"
    return "；".join(parts) + "。" + verdict + "。"
