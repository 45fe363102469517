"""Export the saved LSTM and BERT models to ONNX (fp32), for the torch-free predictor.

    from book import export
    export.export_lstm()      # artifacts/lstm/model.onnx, right after predictor.save()
    export.export_bert()      # artifacts/bert/model.onnx, right after bert.save(learn, ...)

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
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

ONNX_FILE = "model.onnx"
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

    from .evaluate import artifacts_dir
    from .lstm import load_predictor

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
    (default artifacts/bert/): its pooling ("mean" or "cls") and pad id, as the torch predictor."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .bert import META_FILE, SentimentClassifier, _quiet_transformers
    from .evaluate import artifacts_dir

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
    return out
