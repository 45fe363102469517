"""book.export: the ONNX files give what the fp32 torch models give (to 1e-4), and the
torch-free predictor reads them with the same tokens, truncation and padding; the TF-IDF
model's plain-number form gives what the scikit-learn pipeline gives (to 1e-9)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import TEXTS_NEG, TEXTS_POS

from book import bert, export, lstm
from book import predict as P

# different lengths (batches padded to their own longest), a long one (cut), an emoji-only one
TEXTS = TEXTS_POS + TEXTS_NEG + ["环境不错，菜很好吃，服务很好，还会再来。" * 4, "👍👍", "菜", "這家很好吃"]


def spread(p: np.ndarray) -> float:
    """Range of the log-odds: the texts do get different answers (the comparison means something)."""
    return float(np.ptp(np.log(p) - np.log1p(-p)))


@pytest.fixture(scope="module")
def train():
    return pd.DataFrame({"comment": (TEXTS_POS + TEXTS_NEG) * 2, "sentiment": ([1] * 8 + [0] * 8) * 2})


@pytest.mark.parametrize("pooling", ["last", "max"])
def test_lstm_onnx_matches_torch(tmp_path, train, pooling):
    cfg = lstm.LSTMConfig(embedding_dim=8, hidden_dim=8, num_layers=2, batch_size=8, epochs=1, max_len=12,
                          pooling=pooling)
    pred = lstm.fit(train, train, cfg, seed=0, progress=False).predictor
    with torch.no_grad():  # barely trained on 32 reviews: a larger output layer spreads the answers
        pred.model.fc.weight.mul_(30.0)
    pred.save(tmp_path / "lstm")
    assert export.export_lstm(tmp_path / "lstm") == tmp_path / "lstm" / "model.onnx"
    onnx = P.LstmOnnxPredictor(tmp_path / "lstm")
    assert isinstance(onnx, P.Predictor)
    expected = pred.predict_proba(TEXTS)
    assert np.abs(onnx.predict_proba(TEXTS) - expected).max() < 1e-4
    assert spread(expected) > 0.1
    assert onnx.truncated(TEXTS) == pred.truncated(TEXTS) and any(onnx.truncated(TEXTS))
    assert onnx.no_words(TEXTS) == pred.no_words(TEXTS) and any(onnx.no_words(TEXTS))
    # one review at a time (batch 1, its own length) gives the same as the batch
    assert np.allclose([onnx.predict_proba([t])[0] for t in TEXTS[-4:]], expected[-4:], atol=1e-4)


def test_bidirectional_lstm_is_refused(tmp_path, train):
    cfg = lstm.LSTMConfig(embedding_dim=8, hidden_dim=8, num_layers=1, bidirectional=True, epochs=1)
    lstm.fit(train, train, cfg, seed=0, progress=False).predictor.save(tmp_path / "lstm")
    with pytest.raises(ValueError, match="one-direction"):
        export.export_lstm(tmp_path / "lstm")


def save_tiny_bert(tiny_folder, path, pooling, max_len):
    """Save the tiny (random) BERT classifier as bert.save does, without training it."""
    from transformers import AutoModelForSequenceClassification

    src = bert.resolve_model(str(tiny_folder))
    with bert._quiet_transformers():
        hf = AutoModelForSequenceClassification.from_pretrained(str(tiny_folder), num_labels=2)
    torch.manual_seed(1)
    with torch.no_grad():  # a head with weights large enough that the reviews get clearly different answers
        hf.classifier.weight.normal_(0.0, 2.0)
        hf.base_model.pooler.dense.weight.mul_(20.0)   # the [CLS] pooler of a random BERT hardly varies
    net = bert.SentimentClassifier(hf, src.tokenizer.pad_token_id, pooling).eval()
    bert.save(SimpleNamespace(model=net, source=src, seed=0), path, max_len=max_len)
    return net, src.tokenizer


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_bert_onnx_matches_torch(tmp_path, tiny_folder, pooling):
    path = tmp_path / "bert"
    net, tok = save_tiny_bert(tiny_folder, path, pooling, max_len=16)
    export.export_bert(path)
    onnx = P.BertOnnxPredictor(path)
    assert isinstance(onnx, P.Predictor)
    assert onnx.encode(TEXTS) == bert.encode(tok, TEXTS, 16)   # tokenizers == transformers, truncation included
    assert onnx.pad_id == tok.pad_token_id
    expected = bert.predict_proba(net, tok, TEXTS, max_len=16)
    got = onnx.predict_proba(TEXTS)
    assert np.abs(got - expected).max() < 1e-4 and spread(expected) > 0.05
    assert onnx.truncated(TEXTS) == [n > 16 for n in bert.n_tokens(tok, TEXTS)] and any(onnx.truncated(TEXTS))
    assert np.allclose(onnx.predict_proba([TEXTS[0]]), expected[:1], atol=1e-4)   # batch of one


def test_bert_export_needs_the_saved_model(tmp_path):
    with pytest.raises(FileNotFoundError):
        export.export_bert(tmp_path)


# ---------------------------------------------------------------- TF-IDF without scikit-learn

REVIEWS = TEXTS + ["环境  不错！！ abc 123 很好吃", "Good food, 很好吃。", "   ", "好吃好吃好吃好吃好吃", "很"]


@pytest.mark.parametrize("name, grid", [
    ("tfidf_char_linearsvc", {"clf__C": [1.0]}),
    ("tfidf_word_linearsvc", {"clf__C": [1.0]}),
    ("tfidf_wordchar_linearsvc", {"clf__C": [1.0]}),
    ("tfidf_word_svc", {"clf__kernel": ["linear"], "clf__C": [1.0]}),
])
def test_tfidf_json_matches_sklearn(tmp_path, train, name, grid):
    """Each linear TF-IDF pipeline the book can save: the JSON's numpy arithmetic gives the
    pipeline's own P(positive) to 1e-9, and the predictor picks the JSON."""
    from book import baselines

    b = baselines.tune_grid(name, train, grid=grid)
    path = baselines.save_predictor(b, tmp_path / "tfidf.joblib")
    assert path.with_suffix(".json").is_file()
    model = P._tfidf(path)
    assert isinstance(model, P.TfidfLinear) and not getattr(model, "sklearn_fallback", False)
    want = b.model.predict_proba(REVIEWS)[:, 1]
    got = model.predict_proba(REVIEWS)
    assert np.abs(got - want).max() < 1e-9 and spread(want) > 0.5


def test_tfidf_analyzers_are_sklearns(train):
    """The predictor's n-grams are exactly sklearn's (char_wb over cjk_only; word n-grams over jieba words)."""
    from book import baselines, text

    char = baselines.char_tfidf().build_analyzer()
    word = baselines.word_tfidf(ngram_range=(1, 3)).build_analyzer()
    for r in REVIEWS:
        assert P._char_wb_ngrams(text.cjk_only(r), *baselines.CHAR_NGRAMS) == char(r)
        assert P._word_ngrams(text.segment([r])[0].split(), 1, 3) == word(text.segment([r])[0])


def test_tfidf_without_json_or_with_a_stale_one_uses_the_pickle(tmp_path, train):
    """A non-linear SVM leaves no JSON (and removes an old one); a JSON written from another
    pickle is not used: the predictor falls back to scikit-learn and says so."""
    from book import baselines

    path = baselines.save_predictor(baselines.tune_grid("tfidf_char_linearsvc", train, grid={"clf__C": [1.0]}),
                                    tmp_path / "tfidf.joblib")
    rbf = baselines.tune_grid("tfidf_word_svc", train, grid={"clf__kernel": ["rbf"], "clf__C": [1.0]})
    with pytest.raises(ValueError, match="non-linear"):
        export.tfidf_spec(rbf.name, rbf.model)
    baselines.save_predictor(rbf, path)
    assert not path.with_suffix(".json").exists()
    model = P._tfidf(path)
    assert model.sklearn_fallback and np.allclose(model.predict_proba(REVIEWS), rbf.model.predict_proba(REVIEWS)[:, 1])
    linear = baselines.tune_grid("tfidf_char_linearsvc", train, grid={"clf__C": [0.1]})
    export_json = baselines.save_predictor(linear, tmp_path / "other" / "tfidf.joblib").with_suffix(".json")
    assert not baselines.save_predictor(linear, tmp_path / "nb.joblib").with_suffix(".json").exists()  # not the predictor's
    export_json.replace(path.with_suffix(".json"))                # a JSON from another pickle
    assert getattr(P._tfidf(path), "sklearn_fallback", False)
    path.with_suffix(".json").write_text("{not json", encoding="utf-8")  # a broken JSON
    assert getattr(P._tfidf(path), "sklearn_fallback", False)


def test_bert_int8_graph_and_its_agreement(tmp_path, tiny_folder):
    """export_bert also writes the dynamically quantized graph; int8_agreement compares it with
    fp32 and the predictor's ``auto`` precision takes int8 only while that agreement holds."""
    path = tmp_path / "bert"
    save_tiny_bert(tiny_folder, path, "mean", max_len=16)
    export.export_bert(path)
    assert (path / export.INT8_FILE).is_file()
    assert P.bert_precision(path, "auto") == "fp32"       # no agreement measured yet
    got = export.int8_agreement(path, TEXTS)
    assert got["n"] == len(TEXTS) and 0.0 <= got["label_agreement"] <= 1.0
    assert got["int8_mb"] < got["fp32_mb"]
    p32 = P.BertOnnxPredictor(path, "fp32").predict_proba(TEXTS)
    p8 = P.BertOnnxPredictor(path, "int8").predict_proba(TEXTS)
    assert np.isclose(np.abs(p8 - p32).mean(), got["mean_abs_diff"]) and got["max_abs_diff"] > 0
    assert P.bert_precision(path, "auto") == ("int8" if got["label_agreement"] >= P.INT8_MIN_AGREEMENT else "fp32")
    meta = json.loads((path / "onnx.json").read_text(encoding="utf-8"))
    meta["int8"]["label_agreement"] = 0.5                 # int8 disagreeing: fp32 is the default
    (path / "onnx.json").write_text(json.dumps(meta), encoding="utf-8")
    assert P.bert_precision(path, "auto") == "fp32"
    meta["int8"]["label_agreement"] = 1.0
    (path / "onnx.json").write_text(json.dumps(meta), encoding="utf-8")
    assert P.bert_precision(path, "auto") == "int8" and P.load_models(["bert"], tmp_path)["bert"].precision == "int8"
    assert P.load_models(["bert"], tmp_path, "fp32")["bert"].precision == "fp32"
    # int8's activation scales come from each call's whole tensor: a review's P is its own,
    # whoever shares the call with it (the 试一试 page runs one review at a time)
    int8 = P.BertOnnxPredictor(path, "int8")
    alone = np.array([int8.predict_proba([t])[0] for t in TEXTS])
    np.testing.assert_array_equal(int8.predict_proba(TEXTS), alone)
    np.testing.assert_array_equal(int8.predict_proba(TEXTS[::-1])[::-1], alone)
    with pytest.raises(P.PredictError, match="precision"):
        P.load_models(["bert"], tmp_path, "int4")
