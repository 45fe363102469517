"""Export the saved models for the predictor (book.predict), which imports neither torch nor
scikit-learn: the LSTM and BERT to ONNX (fp32), the TF-IDF model to plain numbers (JSON).

    from book import export
    export.export_lstm()      # artifacts/lstm/model.onnx, right after predictor.save()
    export.export_bert()      # artifacts/bert/model.onnx (+ model.int8.onnx), right after bert.save(learn, ...)
    export.export_tfidf()     # artifacts/tfidf.json; book.baselines.save_predictor calls it

Each function loads the model the build saved (with torch), traces it with the TorchScript
exporter (``torch.onnx.export(..., dynamo=False)``, which needs the ``onnx`` package) and writes
``model.onnx`` into the same folder, with dynamic batch and sequence axes. ``book.predict`` runs
these files with onnxruntime and never imports torch. The exporter's warnings are silenced
(a chapter's stderr fails the build).

Graphs (both take right-padded int64 token ids, as the torch predictors batch them):

- LSTM: ``ids`` [batch, seq], ``lengths`` [batch] → ``logit`` [batch] (the one-direction LSTM
  read at each review's own last word, or max-pooled over its own words);
- BERT: ``input_ids`` [batch, seq] (padding = the tokenizer's pad id; the attention mask is
  computed inside, as :class:`book.bert.SentimentClassifier` does) → ``logits`` [batch, 2];
  ``onnx.json`` beside it records the pad id (the predictor reads no transformers config).

TF-IDF (:func:`tfidf_spec`): a pipeline of TfidfVectorizers (``word`` over the jieba words of
book.text.segment, or ``char_wb`` over book.text.cjk_only), alone or side by side in a
FeatureUnion, then a *linear* SVM calibrated by Platt's sigmoid (CalibratedClassifierCV,
``ensemble=False``). The JSON holds each vectorizer's settings, vocabulary and idf, the SVM's
weights and intercept and the sigmoid's two numbers; ``book.predict.TfidfLinear`` recomputes
P(positive) from them with numpy, the same to 1e-9 (checked on export). Anything else (an rbf
SVM, the original-style pipeline) raises ValueError and the predictor keeps the pickled model.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

from .names import INT8_FILE, ONNX_FILE

OPSET = 17


def _export(module, args, path: Path, input_names, output_names, dynamic_axes) -> Path:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(module, args, str(tmp), dynamo=False, opset_version=OPSET,
                          input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, do_constant_folding=True)
    tmp.replace(path)  # never leave a half-written model.onnx behind
    return path


def export_lstm(path: Path | str | None = None) -> Path:
    """``model.onnx`` for the LSTM saved in ``path`` (default artifacts/lstm/). One-direction
    LSTMs only (the book's saved model); a bidirectional one raises ValueError."""
    import torch
    from torch import nn

    from .lstm import load_predictor
    from .record import artifacts_dir

    path = Path(path) if path is not None else artifacts_dir() / "lstm"
    pred = load_predictor(path, device="cpu")
    model = pred.model.eval()
    if model.cfg.bidirectional:
        raise ValueError("export_lstm handles one-direction LSTMs only (a bidirectional one needs packing)")

    class Graph(nn.Module):
        """ids, lengths → logit; zero initial states sized from the batch (so any batch size works)."""

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, ids, lengths):
            m = self.m
            h0 = torch.zeros(m.cfg.num_layers, ids.shape[0], m.cfg.hidden_dim, dtype=torch.float32)
            out, _ = m.lstm(m.embedding(ids), (h0, h0))
            if m.cfg.pooling == "max":
                pad = torch.arange(out.shape[1])[None, :] >= lengths[:, None]
                h = out.masked_fill(pad[:, :, None], float("-inf")).max(dim=1).values
            else:
                h = out.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])).squeeze(1)
            return m.fc(h).squeeze(-1)

    ids = torch.tensor([[2, 3, 4, 5], [6, 7, 0, 0], [8, 0, 0, 0]], dtype=torch.long) % len(pred.vocab)
    lengths = torch.tensor([4, 2, 1], dtype=torch.long)
    return _export(Graph(model).eval(), (ids, lengths), path / ONNX_FILE, ["ids", "lengths"], ["logit"],
                   {"ids": {0: "batch", 1: "seq"}, "lengths": {0: "batch"}, "logit": {0: "batch"}})


def export_bert(path: Path | str | None = None) -> Path:
    """``model.onnx`` for the fine-tuned model saved by :func:`book.bert.save` in ``path``
    (default artifacts/bert/): its pooling ("mean" or "cls") and pad id, as the torch predictor;
    then ``model.int8.onnx`` (:func:`quantize_bert`). For the build's own model (no ``path``) the
    int8 graph's agreement with the fp32 one on the test reviews is recorded as ``bert_int8``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .bert import META_FILE, SentimentClassifier, _quiet_transformers
    from .record import artifacts_dir

    default = path is None
    path = Path(path) if path is not None else artifacts_dir() / "bert"
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    with _quiet_transformers():
        tok = AutoTokenizer.from_pretrained(path)
        # eager attention: plain matmul/softmax ops, traced the same for every sequence length
        hf = AutoModelForSequenceClassification.from_pretrained(path, attn_implementation="eager")
    model = SentimentClassifier(hf, tok.pad_token_id, meta["pooling"]).eval()
    pad = tok.pad_token_id
    n = len(tok)
    ids = torch.tensor([[5, 6, 7, 8, 9], [5, 6, 7, pad, pad]], dtype=torch.long) % n
    ids[1, 3:] = pad
    out = _export(model, (ids,), path / ONNX_FILE, ["input_ids"], ["logits"],
                  {"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch"}})
    # what the torch-free predictor needs besides tokenizer.json and book_bert.json
    (path / "onnx.json").write_text(json.dumps({"pad_id": int(pad), "pooling": meta["pooling"],
                                                "max_len": int(meta["max_len"]), "opset": OPSET}), encoding="utf-8")
    quantize_bert(path)
    if default:  # the build's own model: how far int8 is from fp32 on the test reviews, into the record
        from .data import load_splits
        from .record import write

        write("bert_int8", int8_agreement(path, load_splits().test["comment"].tolist()))
    return out


def quantize_bert(path: Path | str) -> Path:
    """``model.int8.onnx`` beside ``path``'s fp32 ``model.onnx``: onnxruntime's dynamic quantization
    (int8 weights of the matrix products, activations quantized per call), about a quarter of the size.
    The in-browser page (chapters/07_tryit.md) runs this graph; the predictor when its agreement holds."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = Path(path)
    out = path / INT8_FILE
    tmp = out.with_name(out.name + ".tmp")
    root = logging.getLogger()
    level = root.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)  # "consider pre-processing before quantization": a note on stderr
        try:
            quantize_dynamic(path / ONNX_FILE, tmp, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
    tmp.replace(out)
    return out


def int8_agreement(path: Path | str, texts) -> dict:
    """The int8 graph against the fp32 one on ``texts``: the share of equal labels, mean and largest
    |ΔP(positive)|, both files' sizes (MB) and the tokens read (``max_len``); also written into
    ``onnx.json`` as ``int8``, where ``book.predict`` reads it to choose its default precision."""
    import numpy as np

    from .predict import BertOnnxPredictor

    path = Path(path)
    texts = list(texts)
    p32 = BertOnnxPredictor(path, precision="fp32").predict_proba(texts)
    p8 = BertOnnxPredictor(path, precision="int8").predict_proba(texts)
    d = np.abs(p8 - p32)
    out = {"n": len(texts), "label_agreement": float(np.mean((p8 >= 0.5) == (p32 >= 0.5))),
           "mean_abs_diff": float(d.mean()), "max_abs_diff": float(d.max()),
           "fp32_mb": (path / ONNX_FILE).stat().st_size / 1e6, "int8_mb": (path / INT8_FILE).stat().st_size / 1e6}
    meta_path = path / "onnx.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    out["max_len"] = meta["max_len"]
    meta["int8"] = out
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return out


def _vectorizers(steps, segmented: bool = False) -> list[dict]:
    """The TF-IDF blocks of a pipeline's feature steps, in column order."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from . import text

    blocks = []
    for _, step in steps:
        if isinstance(step, FunctionTransformer) and step.func is text.segment and not step.kw_args:
            segmented = True
        elif isinstance(step, Pipeline):
            blocks += _vectorizers(step.steps, segmented)
        elif isinstance(step, FeatureUnion) and not step.transformer_weights:
            for _, part in step.transformer_list:
                blocks += _vectorizers(part.steps if isinstance(part, Pipeline) else [("", part)], segmented)
        elif isinstance(step, TfidfVectorizer):
            blocks.append(_vectorizer(step, segmented))
        else:
            raise ValueError(f"cannot export a {type(step).__name__} step")
    return blocks


def _vectorizer(vec, segmented: bool) -> dict:
    from . import text

    if vec.analyzer == "char_wb" and vec.preprocessor is text.cjk_only and not segmented:
        spec = {"analyzer": "char_wb", "input": "cjk_only"}
    elif vec.analyzer == "word" and vec.preprocessor is None and vec.tokenizer is None and segmented:
        spec = {"analyzer": "word", "input": "segment", "token_pattern": vec.token_pattern, "lowercase": bool(vec.lowercase)}
    else:
        raise ValueError(f"cannot export a TfidfVectorizer with analyzer={vec.analyzer!r} on this input")
    if vec.stop_words is not None or vec.binary or vec.strip_accents is not None or vec.norm not in ("l2", None) \
            or vec.input != "content" or not vec.use_idf:
        raise ValueError("cannot export a TfidfVectorizer with stop words, binary counts, accent stripping, "
                         "no idf or a norm other than l2")
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    return {**spec, "ngram_range": list(vec.ngram_range), "sublinear_tf": bool(vec.sublinear_tf), "norm": vec.norm,
            "vocabulary": terms, "idf": vec.idf_.tolist()}


def tfidf_spec(name: str, model, check_texts=()) -> dict:
    """The plain-number form of a fitted TF-IDF pipeline (see the module's docstring), after
    checking that book.predict.TfidfLinear gives the pipeline's own P(positive) on ``check_texts``
    and on texts made of its vocabulary. ValueError for a pipeline it cannot express."""
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC, LinearSVC

    from .predict import TfidfLinear

    if not hasattr(model, "steps"):
        raise ValueError(f"cannot export a {type(model).__name__}: not a scikit-learn Pipeline")
    clf = model.steps[-1][1]
    if not (isinstance(clf, CalibratedClassifierCV) and clf.method == "sigmoid" and not clf.ensemble
            and len(clf.calibrated_classifiers_) == 1 and list(clf.classes_) == [0, 1]):
        raise ValueError("cannot export: the classifier is not a sigmoid-calibrated SVM (ensemble=False) on labels 0/1")
    cal = clf.calibrated_classifiers_[0]
    svm = cal.estimator
    if not (isinstance(svm, LinearSVC) or (isinstance(svm, SVC) and svm.kernel == "linear")):
        raise ValueError(f"cannot export a {type(svm).__name__} with a non-linear kernel")
    blocks = _vectorizers(model.steps[:-1])
    coef = svm.coef_.toarray() if hasattr(svm.coef_, "toarray") else np.asarray(svm.coef_)
    coef = coef.ravel()
    if coef.size != sum(len(b["vocabulary"]) for b in blocks):
        raise ValueError("cannot export: the SVM's weights do not match the vocabularies")
    start = 0
    for b in blocks:
        b["coef"] = coef[start:start + len(b["vocabulary"])].tolist()
        start += len(b["vocabulary"])
    sig = cal.calibrators[0]
    spec = {"name": name, "blocks": blocks, "intercept": float(np.ravel(svm.intercept_)[0]),
            "sigmoid": [float(sig.a_), float(sig.b_)]}
    # texts that hit the vocabulary: runs of its own terms, as well as the caller's reviews
    terms = [t.strip() for b in blocks for t in b["vocabulary"][:: max(1, len(b["vocabulary"]) // 400)]]
    texts = list(check_texts) + ["，".join(terms[i:i + 20]) for i in range(0, len(terms), 20)] + ["好吃", "ok!", "😀"]
    want = model.predict_proba(texts)[:, 1]
    got = TfidfLinear(spec).predict_proba(texts)
    if not np.allclose(got, want, rtol=0, atol=1e-9):
        raise ValueError(f"cannot export: the plain-number model differs from the pipeline by up to "
                         f"{np.abs(got - want).max():.2g}")
    return spec


def export_tfidf(path: Path | str | None = None, check_texts=()) -> Path:
    """``<name>.json`` beside the pickled model ``path`` (default artifacts/tfidf.joblib → tfidf.json), holding
    :func:`tfidf_spec` and the pickle's sha256 (the predictor uses the JSON only while they match)."""
    import joblib

    from .record import artifacts_dir

    path = Path(path) if path is not None else artifacts_dir() / "tfidf.joblib"
    saved = joblib.load(path)
    spec = tfidf_spec(saved["name"], saved["model"], check_texts)
    spec["joblib_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    out = path.with_suffix(".json")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return out
