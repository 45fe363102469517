"""What a trained LSTM learned, read after the fact: the t-SNE of its word vectors, how often a
word's nearest neighbour shares its polarity (against the chance level of shuffled labels), the
nearest words of a word, and the prediction after each word of a review.

    from book import lstm, probe
    predictor = lstm.load_predictor()
    words = probe.tsne_words(splits.train)
    points, missing = probe.embedding_tsne(predictor, words["word"])
    probe.neighbour_chance(predictor, polar_words, polarity)   # observed agreement, chance, p-value

(Named ``probe`` rather than ``inspect`` so that no file of the package shadows the standard
library's ``inspect``, which torch and pandas import.)
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .lstm import LSTMClassifier, LSTMPredictor, seed_everything
from .text import tokenize

ORIGINAL_WORDS = ("好吃", "好", "难吃", "极慢", "吃", "菜")  # the words of the original's t-SNE plot


def tsne_words(train: pd.DataFrame, k: int = 17, min_count: int = 5) -> pd.DataFrame:
    """The original's six words, then the ``k`` most positive and ``k`` most negative words by
    log-ratio (book.text.log_ratio, words seen at least ``min_count`` times) in the training
    reviews. Columns word, group, log_ratio (NaN for an original word under min_count)."""
    from .text import log_ratio, word_counts

    pos = word_counts(tokenize(t) for t in train.loc[train["sentiment"] == 1, "comment"])
    neg = word_counts(tokenize(t) for t in train.loc[train["sentiment"] == 0, "comment"])
    lr = log_ratio(pos, neg, min_count=min_count).set_index("word")["log_ratio"]
    rows = [(w, "原报告的词", lr.get(w, np.nan)) for w in ORIGINAL_WORDS]
    rest = lr.drop([w for w in ORIGINAL_WORDS if w in lr.index])
    rows += [(w, "正面词（log-ratio 最高）", v) for w, v in rest.head(k).items()]
    rows += [(w, "负面词（log-ratio 最低）", v) for w, v in rest.tail(k)[::-1].items()]
    return pd.DataFrame(rows, columns=["word", "group", "log_ratio"])


def embedding_tsne(predictor: LSTMPredictor, words: Sequence[str], perplexity: float = 10.0,
                   random_state: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """2-D t-SNE of the learned word vectors of ``words``, looked up in the LSTM's own
    vocabulary. Returns (one row per word found: word, id, x, y; the words not in the
    vocabulary, which have no vector of their own)."""
    from sklearn.manifold import TSNE

    words = list(dict.fromkeys(words))
    found = [w for w in words if w in predictor.vocab]
    missing = [w for w in words if w not in predictor.vocab]
    if len(found) < 3:
        raise ValueError(f"only {len(found)} of the words are in the vocabulary; t-SNE needs at least 3")
    ids = [predictor.vocab.stoi[w] for w in found]
    vectors = predictor.model.embedding.weight.detach()[ids].float().cpu().numpy().astype(np.float64)
    perplexity = min(perplexity, (len(found) - 1) / 3)
    xy = TSNE(n_components=2, perplexity=perplexity, random_state=random_state, init="pca",
              metric="cosine").fit_transform(vectors)
    return pd.DataFrame({"word": found, "id": ids, "x": xy[:, 0], "y": xy[:, 1]}), missing


def untrained(predictor: LSTMPredictor, seed: int) -> LSTMPredictor:
    """The same model as it was before training: :func:`fit` seeds and then builds the model,
    so the same seed gives back the initial weights."""
    seed_everything(seed)
    model = LSTMClassifier(len(predictor.vocab), predictor.cfg).to(predictor.model.embedding.weight.device)
    return LSTMPredictor(model, predictor.vocab, predictor.cfg, name=predictor.name + "_untrained")


def word_vectors(predictor: LSTMPredictor, words: Sequence[str]) -> np.ndarray:
    """The learned vectors of ``words`` (one row each, float64, on the CPU); every word must be
    in the model's vocabulary."""
    words = list(words)
    missing = [w for w in words if w not in predictor.vocab]
    if missing:
        raise ValueError(f"not in the vocabulary: {', '.join(missing)}")
    ids = [predictor.vocab.stoi[w] for w in words]
    return predictor.model.embedding.weight.detach()[ids].float().cpu().numpy().astype(np.float64)


def nearest_neighbours(vectors: np.ndarray) -> np.ndarray:
    """For each row, the index of the closest other row (cosine similarity)."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2 or len(v) < 2:
        raise ValueError(f"need at least 2 vectors (rows), got shape {v.shape}")
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    return sim.argmax(axis=1)


def _polarity(polarity, n: int) -> np.ndarray:
    pol = np.asarray(list(polarity))
    if len(pol) != n:
        raise ValueError(f"{n} words but {len(pol)} polarity labels")
    return pol


def neighbour_agreement(predictor: LSTMPredictor, words: Sequence[str], polarity: Sequence[int]) -> float:
    """Share of ``words`` whose nearest other word (cosine, in the full embedding space) has
    the same polarity (+1 / -1): a number to read the t-SNE picture against
    (:func:`neighbour_chance` gives its chance level)."""
    words = list(words)
    pol = _polarity(polarity, len(words))
    nearest = nearest_neighbours(word_vectors(predictor, words))
    return float(np.mean(pol == pol[nearest]))


def shuffled_agreement(vectors: np.ndarray, polarity: Sequence[int], n_shuffles: int = 2000,
                       seed: int = 0) -> dict:
    """Nearest-neighbour agreement of ``vectors`` against shuffled labels (a permutation test):
    the neighbours stay fixed, the polarity labels are permuted ``n_shuffles`` times (seeded).

    Returns ``observed`` (the share agreeing with the real labels), ``chance`` (the mean share
    over the shuffles), ``chance_exact`` (its expected value, (p(p-1) + q(q-1)) / (n(n-1)) for p
    and q words of each polarity), ``p_value`` (one-sided: the share of shuffles agreeing at
    least as often as observed, counting the observed labelling itself, so never 0) and
    ``n_shuffles``."""
    if n_shuffles < 1:
        raise ValueError(f"n_shuffles must be at least 1, got {n_shuffles}")
    nearest = nearest_neighbours(vectors)
    pol = _polarity(polarity, len(nearest))
    observed = float(np.mean(pol == pol[nearest]))
    rng = np.random.default_rng(seed)
    shuffled = np.array([np.mean(p == p[nearest]) for p in (rng.permutation(pol) for _ in range(n_shuffles))])
    n = len(pol)
    counts = np.unique(pol, return_counts=True)[1]
    return {"observed": observed, "chance": float(shuffled.mean()),
            "chance_exact": float(np.sum(counts * (counts - 1)) / (n * (n - 1))),
            "p_value": float((1 + np.sum(shuffled >= observed - 1e-12)) / (1 + n_shuffles)),
            "n_shuffles": int(n_shuffles)}


def neighbour_chance(predictor: LSTMPredictor, words: Sequence[str], polarity: Sequence[int],
                     n_shuffles: int = 2000, seed: int = 0) -> dict:
    """:func:`neighbour_agreement` with its chance level: :func:`shuffled_agreement` on the
    learned vectors of ``words``."""
    return shuffled_agreement(word_vectors(predictor, words), polarity, n_shuffles=n_shuffles, seed=seed)


def nearest_words(predictor: LSTMPredictor, word: str, candidates: Sequence[str], k: int = 3) -> list[str]:
    """The ``k`` words of ``candidates`` whose learned vectors are closest (cosine) to ``word``'s."""
    missing = [w for w in [word, *candidates] if w not in predictor.vocab]
    if missing:
        raise ValueError(f"not in the vocabulary: {', '.join(missing)}")
    cands = [w for w in candidates if w != word]
    v = word_vectors(predictor, cands)
    q = word_vectors(predictor, [word])[0]
    sim = (v @ q) / (np.linalg.norm(v, axis=1) * np.linalg.norm(q))
    return [cands[i] for i in np.argsort(-sim, kind="stable")[:k]]


def prefix_probabilities(predictor: LSTMPredictor, text: str) -> pd.DataFrame:
    """P(positive) after each word: row i is the prediction for the first i words."""
    words = tokenize(text)
    if not words:
        raise ValueError(f"{text!r} has no Chinese word to predict from")
    probs = predictor.predict_tokens([words[:i] for i in range(1, len(words) + 1)])
    return pd.DataFrame({"position": range(1, len(words) + 1), "word": words,
                         "in_vocab": [w in predictor.vocab for w in words], "prob": probs})


def _stable_hash(s: str) -> int:
    """A hash that is the same in every process (Python's own ``hash`` of a str is salted per
    process), so that gensim's seeded initial vectors, and the trained vectors, repeat."""
    import hashlib

    return int.from_bytes(hashlib.sha256(s.encode("utf-8")).digest()[:4], "little")


def word2vec(docs, dim: int = 100, window: int = 5, min_count: int = 2, epochs: int = 20, sg: int = 1,
             seed: int = 0):
    """gensim's Word2Vec (skip-gram by default, ``sg=0`` for CBOW) trained on ``docs`` (lists of
    words), with one worker and a process-independent hash so the same seed gives the same
    vectors. Returns the vectors (gensim ``KeyedVectors``: ``kv[word]``, ``kv.index_to_key``)."""
    from gensim.models import Word2Vec

    return Word2Vec(list(docs), vector_size=dim, window=window, min_count=min_count, sg=sg, epochs=epochs,
                    seed=seed, workers=1, hashfxn=_stable_hash).wv


def nearest_in(vectors: np.ndarray, words: Sequence[str], query: str, k: int = 5) -> list[str]:
    """The ``k`` rows of ``vectors`` (one per word of ``words``) closest (cosine) to ``query``'s row."""
    words = list(words)
    v = np.asarray(vectors, dtype=np.float64)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    q = v[words.index(query)]
    order = [i for i in np.argsort(-(v @ q), kind="stable") if words[i] != query]
    return [words[i] for i in order[:k]]


def original_recipe_answers(fits, words: Sequence[str], polarity: Sequence[int], sentences: Sequence[str]) -> dict:
    """What the original's claims ask of its LSTM, for every run of its recipe (``fits``, one per
    seed): P(正面) of each of ``sentences`` and the nearest-neighbour test of the word vectors of
    ``words`` (:func:`neighbour_chance`, with the agreement before training beside it). The words
    missing from a run's vocabulary are left out of its test. Returns {"seeds", "sentences": {text:
    [P per seed]}, "neighbours": [{"seed", "n", "agreement", "untrained_agreement", "chance", "p"}]}."""
    sentences = list(sentences)
    out = {"seeds": [f.seed for f in fits], "sentences": {t: [] for t in sentences}, "neighbours": []}
    for f in fits:
        for t, prob in zip(sentences, f.predictor.predict_proba(sentences)):
            out["sentences"][t].append(float(prob))
        keep = [(w, s) for w, s in zip(words, polarity) if w in f.predictor.vocab]
        ws, signs = [w for w, _ in keep], [s for _, s in keep]
        chance = neighbour_chance(f.predictor, ws, signs)
        out["neighbours"].append({
            "seed": f.seed, "n": len(ws), "agreement": chance["observed"],
            "untrained_agreement": neighbour_agreement(untrained(f.predictor, f.seed), ws, signs),
            "chance": chance["chance"], "p": chance["p_value"]})
    return out


def original_recipe_table(scores: pd.DataFrame, answers: dict, sentences: dict) -> pd.DataFrame:
    """The runs of the original's LSTM recipe side by side (one column per seed) with what the
    original's notebook printed: test accuracy, P(正面) of each of ``sentences`` (text → the key of
    the notebook's printed value in :mod:`book.original`), the nearest-neighbour share with its
    chance level and p-value, and the training seconds. ``scores``: :func:`book.lstm.score_seeds`'s
    table; ``answers``: :func:`original_recipe_answers`. Cells are text, ready for the page."""
    from . import original
    from .verdicts import fmt_p

    seeds = answers["seeds"]
    by_seed = scores.set_index("seed")
    cols = {f"种子 {s}": [] for s in seeds}
    rows, notebook = [], []

    def add(label, values, printed="—"):
        rows.append(label)
        notebook.append(printed)
        for c, v in zip(cols, values):
            cols[c].append(v)

    add("测试集准确率", [f"{by_seed.loc[s, 'accuracy']:.3f}" for s in seeds], original.number("lstm_notebook"))
    for text, key in sentences.items():
        add(f"P(正面)：「{text}」", [f"{p:.3f}" for p in answers["sentences"][text]], original.number(key))
    nb = answers["neighbours"]
    add("同向最近邻的比例", [f"{r['agreement']:.0%}" for r in nb])
    add("打乱标签时的期望", [f"{r['chance']:.0%}" for r in nb])
    add("置换检验 p", [fmt_p(r["p"]) for r in nb])
    add("训练秒数", [f"{by_seed.loc[s, 'seconds']:.0f}" for s in seeds])
    return pd.DataFrame({**cols, "原报告 notebook": notebook}, index=pd.Index(rows, name="问题"))
