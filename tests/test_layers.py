"""book.layers on the tiny BERT of conftest.py and on made-up arrays."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import TEXTS_NEG, TEXTS_POS

from book import bert, layers


@pytest.fixture(scope="module")
def encoder(tiny_folder):
    src = bert.resolve_model(str(tiny_folder))
    return bert.load_pretrained(src).base_model, src.tokenizer


def test_layer_features_are_masked_means_in_input_order(encoder):
    enc, tok = encoder
    texts = ["好吃", "环境很差服务也很差", "还会再来"]
    feats = layers.layer_features(enc, tok, texts, bs=2)
    assert feats.shape == (3, 3, 32)                         # embeddings + 2 layers, 3 texts, hidden 32
    alone = np.concatenate([layers.layer_features(enc, tok, [t]) for t in texts], axis=1)
    assert np.allclose(feats, alone, atol=1e-5)              # padding inside a batch changes nothing


def test_probe_learns_a_separable_layer_and_not_a_noise_layer():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 60)
    signal = y[:, None] * 3.0 + rng.normal(size=(120, 4))
    noise = rng.normal(size=(120, 4))
    x = np.stack([noise, signal])                            # layer 0 noise, layer 1 signal
    df = layers.probe(x[:, :80], y[:80], x[:, 80:], y[80:], folds=3)
    assert list(df["layer"]) == [0, 1]
    assert df.loc[1, "test_accuracy"] > 0.95 and df.loc[0, "test_accuracy"] < 0.8
    assert set(df["C"]) <= set(layers.PROBE_CS)


def test_linear_cka_is_one_under_rotation_and_low_for_unrelated():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(200, 5))
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert layers.linear_cka(a, 3 * a @ q) == pytest.approx(1.0)
    assert layers.linear_cka(a, rng.normal(size=(200, 5))) < 0.2
    assert layers.cka_by_layer(np.stack([a, a]), np.stack([a, a @ q])) == pytest.approx([1.0, 1.0])


def test_word_vectors_cover_the_word_and_differ_by_context(encoder):
    enc, tok = encoder
    df = layers.word_vectors(enc, tok, [TEXTS_POS[2], "服务很好环境不错", TEXTS_NEG[2]], "环境")
    assert [p for p in df["pieces"]] == [["环", "境"]] * 3
    cos = layers.cosine_matrix(df["vector"])
    assert np.allclose(np.diag(cos), 1) and cos[0, 1] < 1 - 1e-6     # another context, another vector


def test_sense_separation_means_and_its_error():
    cos = np.array([[1, .9, .1], [.9, 1, .3], [.1, .3, 1]])
    sep = layers.sense_separation(cos, ["a", "a", "b"])
    assert sep == {"same_sense": 0.9, "other_sense": pytest.approx(0.2), "n_same": 1, "n_other": 2}
    with pytest.raises(ValueError, match="two senses"):
        layers.sense_separation(cos, ["a", "a", "a"])
