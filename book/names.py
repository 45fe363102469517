"""The names and paths every part of the book shares, defined once. A leaf module: it imports
neither pandas nor torch (nor any other module of ``book``), so the predictor, the training code,
the chapters and the Sphinx extensions can all read it.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# where the build writes metrics.json and the trained models
ARTIFACTS_ENV = "BOOK_ARTIFACTS"


def artifacts_dir(artifacts: Path | str | None = None, create: bool = False) -> Path:
    """``artifacts``, else $BOOK_ARTIFACTS, else artifacts/ at the repository root (created only
    when ``create``: the predictor only reads, the build writes)."""
    d = Path(artifacts or os.environ.get(ARTIFACTS_ENV) or ROOT / "artifacts")
    if create:
        d.mkdir(parents=True, exist_ok=True)
    return d


LABELS = (0, 1)
LABEL_NAMES = {0: "负面", 1: "正面"}

# the pretrained encoder: a Hugging Face id or a local folder, default the original's model
MODEL_ENV = "BOOK_BERT_MODEL"
DEFAULT_ENCODER = "bert-base-chinese"

# the trained models' files (book.export writes them, book.predict and the 试一试 page read them)
ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"     # the transformer, dynamically quantized
BASELINES_DIR = "baselines"       # artifacts/baselines/<name>.joblib: every baseline chapter 3.1 fitted

# The one hint the package gives when a trained model is missing or unreadable.
BUILD_HINT = "run `make book` to train and save the models"

# What counts as a Chinese character: the CJK Unified Ideographs, extension A, the compatibility
# ideographs and extensions B-F. Tokenizing keeps runs of them (book.text.cjk_only); typesetting
# puts a space where one meets a Latin letter or digit (book.display.spaced, _ext/book_pages.py);
# the 试一试 page reads this same string from its build (_ext/tryit.py writes it to manifest.json).
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
