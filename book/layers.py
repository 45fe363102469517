"""What the transformer's layers know (chapter 3.3).

    feats = layer_features(encoder, tokenizer, texts)      # (layers + 1, texts, hidden)
    probe(feats_train, y_train, feats_test, y_test)         # a linear probe per layer
    cka_by_layer(feats_a, feats_b)                          # how far fine-tuning moved each layer
    word_vectors(encoder, tokenizer, sentences, "方便")      # one word's vector in each sentence

``encoder`` is a transformers base model (``BertModel``: the pretrained encoder before fine-tuning,
or ``predictor.model.hf.base_model`` after it). Layer 0 is the embedding output, layer k the
output of the k-th Transformer block; a sentence's feature at a layer is the attention-masked
mean of its token vectors there, the pooling chapter 3.3's classifier uses at the last layer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .bert import MAX_LEN, encode

PROBE_CS = (0.01, 0.1, 1.0)        # inverse regularisation strengths the probe's CV chooses from
PROBE_FOLDS = 3                     # cross-validation folds on the training features


def _batch(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    batch = torch.full((len(ids), max(len(x) for x in ids)), pad_id, dtype=torch.long)
    mask = torch.zeros_like(batch)
    for row, x in enumerate(ids):
        batch[row, :len(x)] = torch.tensor(x)
        mask[row, :len(x)] = 1
    return batch, mask


@torch.inference_mode()
def layer_features(encoder, tokenizer, texts, max_len: int = MAX_LEN, bs: int = 32) -> np.ndarray:
    """Mean-pooled hidden states of every layer, shape (layers + 1, len(texts), hidden), in input
    order. Batches of similar length, each padded only to its longest text."""
    ids = encode(tokenizer, texts, max_len)
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    dev = next(encoder.parameters()).device
    was_training = encoder.training
    encoder.eval()
    out = None
    try:
        for k in range(0, len(order), bs):
            idx = order[k:k + bs]
            batch, mask = _batch([ids[i] for i in idx], tokenizer.pad_token_id)
            hidden = encoder(input_ids=batch.to(dev), attention_mask=mask.to(dev), output_hidden_states=True).hidden_states
            m = mask.to(dev).unsqueeze(-1).float()
            pooled = torch.stack([(h.float() * m).sum(1) / m.sum(1) for h in hidden])
            if out is None:
                out = np.empty((len(hidden), len(ids), pooled.shape[-1]), dtype=np.float32)
            out[:, idx] = pooled.cpu().numpy()
    finally:
        encoder.train(was_training)
    return out


def probe(train_x: np.ndarray, train_y, test_x: np.ndarray, test_y, cs=PROBE_CS, folds: int = PROBE_FOLDS,
          seed: int = 0) -> pd.DataFrame:
    """A linear probe per layer: standardised features → logistic regression, its C chosen by
    ``folds``-fold cross-validation on the training features only, then scored once on test.
    ``*_x``: (layers, texts, hidden) from :func:`layer_features`. One row per layer."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    rows = []
    for layer in range(train_x.shape[0]):
        search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
                              {"logisticregression__C": list(cs)}, cv=cv, scoring="accuracy")
        search.fit(train_x[layer], train_y)
        rows.append({"layer": layer, "C": search.best_params_["logisticregression__C"],
                     "cv_accuracy": float(search.best_score_),
                     "test_accuracy": float(search.score(test_x[layer], test_y))})
    return pd.DataFrame(rows)


def linear_cka(a: np.ndarray, b: np.ndarray) -> float:
    """Linear centred kernel alignment of two representations of the same texts (rows): 1 when
    one is a rotation and scaling of the other, near 0 when they share no linear structure."""
    a = a - a.mean(0)
    b = b - b.mean(0)
    return float(np.linalg.norm(a.T @ b) ** 2 / (np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b)))


def cka_by_layer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`linear_cka` of each layer of two (layers, texts, hidden) feature arrays."""
    return np.array([linear_cka(a[k], b[k]) for k in range(a.shape[0])])


@torch.inference_mode()
def word_vectors(encoder, tokenizer, sentences, word: str, layer: int = -1) -> pd.DataFrame:
    """The vector ``word`` gets in each sentence at ``layer``: the mean of the token vectors of
    the pieces that overlap its first occurrence (by character offsets). Columns: sentence,
    pieces (the pieces averaged), vector."""
    dev = next(encoder.parameters()).device
    encoder.eval()
    rows = []
    for s in sentences:
        start = s.index(word)
        end = start + len(word)
        enc = tokenizer(s, return_offsets_mapping=True)
        keep = [i for i, (a, b) in enumerate(enc["offset_mapping"]) if b > a and a < end and b > start]
        hidden = encoder(input_ids=torch.tensor([enc["input_ids"]], device=dev),
                         output_hidden_states=True).hidden_states[layer][0]
        pieces = tokenizer.convert_ids_to_tokens([enc["input_ids"][i] for i in keep])
        rows.append({"sentence": s, "pieces": pieces, "vector": hidden[keep].float().mean(0).cpu().numpy()})
    return pd.DataFrame(rows)


def cosine_matrix(vectors) -> np.ndarray:
    v = np.stack(list(vectors)).astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v @ v.T


def sense_separation(cos: np.ndarray, senses) -> dict:
    """Mean cosine between sentences of the same sense and of different senses (pairs i < j)."""
    senses = list(senses)
    same, diff = [], []
    for i in range(len(senses)):
        for j in range(i + 1, len(senses)):
            (same if senses[i] == senses[j] else diff).append(float(cos[i, j]))
    if not same or not diff:
        raise ValueError("sense_separation needs at least two sentences of one sense and two senses")
    return {"same_sense": float(np.mean(same)), "other_sense": float(np.mean(diff)),
            "n_same": len(same), "n_other": len(diff)}
