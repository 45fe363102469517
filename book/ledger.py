"""The ledger of the original's claims (chapter 6): one row per claim, the report's own words
(from :mod:`book.original`), how this book tested it, the numbers, and the verdict computed by
:func:`book.verdicts.claim_verdict` and its kin. All the reading of the run record for the
ledger is in :func:`claims`, through :class:`book.evaluate.Record` (a missing key raises,
naming the chapter that writes it)::

    rows = ledger.claims(evaluate.Record.load())
    display.glue_values("led", ledger.glue_dict(rows))     # led_gain_verdict = '被推翻', ...
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import display, original, verdicts
from .evaluate import Record, paired_gain
from .generalization import DOMAIN_NAMES
from .verdicts import claim_name, claim_size, claim_verdict, combine_claims, p_is

CROSS_DOMAINS = ("waimai_10k", "online_shopping_10_cats")   # chapter 5's two other domains
GAIN_CLAIMED = original.FACTS["gain"].value                  # 「提高近10%」, read as 10 points


@dataclass
class Claim:
    key: str            # the ledger row's id (glue prefix)
    quote: str          # the report's words, in 「」
    source: str         # where they stand (original.source)
    test: str           # how this book tested the claim
    evidence: str       # the numbers, with their comparison
    verdict: str        # verdicts.SUPPORTED / REFUTED / UNDECIDED

    @property
    def verdict_zh(self) -> str:
        return claim_name(self.verdict)


def _f(x: float) -> str:
    return f"{x:.3f}"


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _mcnemar_rows(rec: Record) -> dict:
    return {(r["a"], r["b"]): r for r in rec.get("results.mcnemar")}


def _test(rec: Record, name: str) -> dict:
    t = rec.model(name)["test"]
    return {"review_id": list(t["review_id"]), "y_true": list(t["y_true"]), "y_pred": list(t["y_pred"])}


def _same_reviews(*tests) -> None:
    if any(t["review_id"] != tests[0]["review_id"] for t in tests):
        raise ValueError("the models of one ledger row were scored on different reviews")


def _follows(rec: Record, family: str) -> list[tuple[str, dict]]:
    """results.contrast for every model of a family (chapter 5's contrast clauses): (name, the
    record of book.generalization.clause_following)."""
    return [(m, rec.get(f"results.contrast.models.{m}")) for m in rec.get(f"results.contrast.families.{family}")]


def _noise(p1: float, p2: float, n: int, z: float = 1.96) -> float:
    """Half-width of an approximate 95% interval of the difference of two accuracies on ``n``
    reviews each, as if independent (for the same reviews, a conservative width)."""
    return z * float(np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n))


def sense_permutation_p(cos: np.ndarray, senses) -> float:
    """Exact two-sided permutation p-value of (mean cosine within a sense − between senses):
    every distinct reassignment of the sense labels to the sentences."""
    senses = list(senses)
    iu = np.triu_indices(len(senses), 1)
    values = cos[iu]

    def stat(labels):
        same = np.array([labels[i] == labels[j] for i, j in zip(*iu)])
        return values[same].mean() - values[~same].mean()

    observed = stat(senses)
    null = [stat(p) for p in set(itertools.permutations(senses))]
    return float(np.mean([abs(x) >= abs(observed) - 1e-12 for x in null]))


def claims(rec: Record, encoder: str | None = None) -> list[Claim]:
    """Every row of the ledger, computed from the run record. ``encoder``: the transformer's
    display name (default: the record's own, :meth:`Record.encoder`).

    What it reads: the models' per-review test answers and ``results.mcnemar`` (chapter 4),
    ``results.lstm_tsne`` (3.2), ``results.generalization.drop_tests`` (5), and three experiments:
    ``results.contrast.families.{lstm, transformer}`` and, for each of their models,
    ``results.contrast.models.<model>.{n_disagree, follows_first, p_first}`` (5); ``results.fangbian.{sentences, jieba, cosine, contextual}`` and
    ``results.layer_probe.{pretrained: [{layer, cv_accuracy, test_accuracy}], n_test,
    cka_lower_mean, cka_upper_mean}`` (3.3)."""
    encoder = encoder or rec.encoder()
    reps = rec.representatives()
    best = reps["best_baseline"]
    name = lambda m: display.model_name(m, encoder)  # noqa: E731
    seeds = rec.seed_names("lstm")
    tests = _mcnemar_rows(rec)
    rows = []

    # the baselines' reading: words alone are far from enough; the LSTM is better than traditional models
    lstm_vs_best = [tests[(s, best)] for s in seeds]
    v = combine_claims(claim_verdict(r["accuracy_a"] - r["accuracy_b"], +1, p=r["p_holm"]) for r in lstm_vs_best)
    ev = (f"{name(best)} {_f(lstm_vs_best[0]['accuracy_b'])}；LSTM 各种子 "
          + "、".join(f"{_f(r['accuracy_a'])}（Holm 校正后 {p_is(r['p_holm'])}）" for r in lstm_vs_best))
    rows.append(Claim("words", original.quote("words_not_enough"), original.source("words_not_enough"),
                      f"若只看词远远不够，读词序的 LSTM 应当显著好于只看词（字）的最佳 TF-IDF 基准（{name(best)}）："
                      "第四章逐个种子的成对 McNemar 检验", ev, v))
    rows.append(Claim("lstm_better", original.quote("lstm_better"), original.source("lstm_better"),
                      f"同一组检验：LSTM 各种子对做对了表示的传统模型（{name(best)}）", ev, v))

    # 「提高近10%」: the paired gain of the transformer over the LSTM (each family's seeds averaged per review)
    tr_seeds = rec.seed_names("bert")
    t_trs, t_seeds = [_test(rec, t) for t in tr_seeds], [_test(rec, s) for s in seeds]
    _same_reviews(*t_trs, *t_seeds)
    g = paired_gain(t_trs[0]["y_true"], [t["y_pred"] for t in t_seeds], [t["y_pred"] for t in t_trs])
    rows.append(Claim(
        "gain", original.quote("gain"), original.source("gain"),
        f"{encoder}（{len(tr_seeds)} 个种子）与 LSTM（{len(seeds)} 个种子），各自逐条评论平均后在同一批测试评论上的"
        "准确率之差，配对 bootstrap 95% 区间；"
        f"“近10%”按 {GAIN_CLAIMED:.2f} 的准确率差读",
        f"本书 {g['diff']:+.3f}，区间 {_ci(g['ci95'])}；原报告的图 {original.number('lstm_figure')} → "
        f"{original.number('bert_figure')}，notebook 输出 {original.number('lstm_notebook')} → "
        f"{original.number('bert_notebook')}（两者的测试集不同）",
        claim_size(g["ci95"], GAIN_CLAIMED)))

    # the mixed sentence, at scale: does the whole-review answer follow the first or the last clause?
    for key, family, direction, reading in (
            ("mixed_lstm", "lstm", +1, "整句的判断跟前半句（转折之前）的多于一半"),
            ("mixed_bert", "transformer", -1, "“有总体的判断”读作不偏向前半段：整句的判断跟前半句的少于一半，"
                                              "即多跟着转折之后的后半句")):
        follows = _follows(rec, family)
        vs = [claim_verdict(r["follows_first"] - 0.5, direction, p=r["p_first"]) if r["n_disagree"] else verdicts.UNDECIDED
              for _, r in follows]
        rows.append(Claim(
            key, original.quote(key), original.source(key),
            f"点评测试集和第五章两个样本中所有带转折词的评论，在转折词处切开，只看两半被判为不同方向的评论：{reading}"
            "（每个种子一个精确二项检验，第五章 5.6 节）",
            "；".join(f"{name(m)} {r['n_disagree']} 条中跟前半句 {r['follows_first']:.0%}（{p_is(r['p_first'])}）"
                     if r["n_disagree"] else f"{name(m)}没有两半判断不同的评论" for m, r in follows),
            combine_claims(vs)))

    # 「嵌入层用于降维」 and the t-SNE reading: does a word's nearest neighbour share its polarity?
    tsne = rec.get("results.lstm_tsne")
    v = claim_verdict(tsne["agreement"] - tsne["chance"], 0, p=tsne["p"])
    ev = (f"{tsne['n']} 个正负面词中最近邻同向的占 {tsne['agreement']:.0%}，打乱标签时期望 {tsne['chance']:.0%}，"
          f"置换检验 {p_is(tsne['p'])}")
    test = "LSTM 词向量空间里，正负面词的最近邻与自己情感方向相同的比例，对照打乱正负标签（第 3.2 节的置换检验）"
    for key in ("embedding_dimred", "tsne_reading"):
        rows.append(Claim(key, original.quote(key), original.source(key), test, ev, v))

    # generalization in the report's own sense: accuracy on the held-out test split
    tr_vs_lstm = [tests[(t, s)] for t in tr_seeds for s in seeds]
    rows.append(Claim(
        "transfer_test", original.quote("aim") + original.quote("generalization_meaning"), original.source("aim"),
        f"报告的“泛化能力”指测试集上的成绩：{encoder}的每个种子对 LSTM 的每个种子的成对 McNemar 检验"
        "（第四章，Holm 校正）",
        "；".join(f"{_f(r['accuracy_a'])} 对 {_f(r['accuracy_b'])}（{p_is(r['p_holm'])}）" for r in tr_vs_lstm),
        combine_claims(claim_verdict(r["accuracy_a"] - r["accuracy_b"], +1, p=r["p_holm"]) for r in tr_vs_lstm)))

    # ... and in chapter 5's sense: other domains' reviews, models unchanged
    # "generalizes better" on another domain means losing less from dianping to it, not only
    # being more accurate there: the difference in drops, every transformer seed against every
    # seed of the best baseline and the LSTM (chapter 5.2, Holm over all of them)
    drop_tests = rec.get("results.generalization.drop_tests")
    parts, vs = [], []
    for d in CROSS_DOMAINS:
        rs = [r for r in drop_tests if r["domain"] == d]
        vs += [claim_verdict(r["difference"], +1, p=r["p_holm"]) for r in rs]
        diffs = [r["difference"] for r in rs]
        n_sig = sum(r["p_holm"] < verdicts.ALPHA and r["difference"] > 0 for r in rs)
        parts.append(f"{DOMAIN_NAMES[d]}：{len(rs)} 对种子中{encoder}少损失 {min(diffs):+.3f} 到 {max(diffs):+.3f}，"
                     f"Holm 校正后显著的 {n_sig} 对")
    rows.append(Claim(
        "transfer_domains", original.quote("aim"), original.source("aim"),
        f"本书的推广：不再训练，从点评换到外卖与购物评论时，{encoder}的准确率是否比最佳基准和 LSTM 下降得少"
        "（两个模型的变化之差，每一对种子一个检验，第五章 5.2 节，Holm 校正）",
        "；".join(parts), combine_claims(vs)))

    # static vs contextual: the encoder's vectors for 「方便」 within a sense against between senses
    fb = rec.get("results.fangbian")
    senses = [fb["sentences"][t] for t in fb["sentences"]]
    same, other = fb["contextual"]["same_sense"], fb["contextual"]["other_sense"]
    p = sense_permutation_p(np.asarray(fb["cosine"]), senses)
    noodle = [t for t, words in fb["jieba"].items() if "方便面" in words]
    rows.append(Claim(
        "fangbian", original.quote("static_vectors"), original.source("static_vectors"),
        "LSTM 的静态词向量给「方便」一个向量；微调后编码器的上下文向量若能分开词义，同一用法的句子之间余弦相似度"
        "应高于不同用法之间（把用法标签在句子间重排的精确置换检验；第 3.3 节）",
        f"{len(senses)} 句：同一用法 {same:.2f}，不同用法 {other:.2f}，{p_is(p)}"
        + (f"；jieba 把「方便面」切成一个词（{len(noodle)} 句），LSTM 读到的是另一个词" if noodle else ""),
        claim_verdict(same - other, +1, p=p)))

    # the ImageNet argument on text: frozen layers before fine-tuning, a linear probe per layer
    lp = rec.get("results.layer_probe")
    pre = sorted(lp["pretrained"], key=lambda r: r["layer"])
    if len(pre) < 3:
        raise ValueError("results.layer_probe needs the embeddings and at least two layers")
    lower = [r for r in pre if 1 <= r["layer"] <= (len(pre) - 1) // 2]
    low, top = max(lower, key=lambda r: r["cv_accuracy"]), pre[-1]     # chosen on training CV
    diff, half = low["test_accuracy"] - top["test_accuracy"], _noise(low["test_accuracy"], top["test_accuracy"],
                                                                      lp["n_test"])
    rows.append(Claim(
        "layer_probe", original.quote("imagenet"), original.source("imagenet"),
        "冻结的预训练编码器（不微调）每层一个线性探针：若较低的层学的是通用特征、顶层专门于预训练任务，"
        "下半部分中按交叉验证选出的一层对新任务应好于顶层（差的 95% 区间按两个独立准确率近似；第 3.3 节）",
        f"第 {low['layer']} 层 {_f(low['test_accuracy'])}，顶层（第 {top['layer']} 层）{_f(top['test_accuracy'])}，"
        f"差 {diff:+.3f}，区间 {_ci((diff - half, diff + half))}；微调前后的 CKA 下半部分平均 "
        f"{lp['cka_lower_mean']:.2f}、上半部分 {lp['cka_upper_mean']:.2f}",
        claim_verdict(diff, +1, ci=(diff - half, diff + half))))
    return rows


def glue_dict(rows) -> dict:
    """``{key}_q``, ``_src``, ``_test``, ``_evidence``, ``_verdict`` (Chinese) for every row, and
    counts ``n_supported`` / ``n_refuted`` / ``n_undecided``: what the ledger's table glues."""
    out = {}
    for r in rows:
        out.update({f"{r.key}_q": r.quote, f"{r.key}_src": r.source, f"{r.key}_test": r.test,
                    f"{r.key}_evidence": r.evidence, f"{r.key}_verdict": r.verdict_zh})
    for v in verdicts.CLAIM_NAMES:
        out[f"n_{v}"] = int(np.sum([r.verdict == v for r in rows]))
    out["n_claims"] = len(rows)
    return out
