"""Classify new reviews with the models the build trained (artifacts/).

    from book.predict import predict
    predict(["这家的环境不差，但是菜不怎么好吃。"])          # a DataFrame, one row per review × model

The command line (`python -m book predict ...`) is in book/__main__.py.
"""
from __future__ import annotations

import csv
import importlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from . import first_line
from .evaluate import LABEL_NAMES, artifacts_dir

# model key → (module, artifact that must exist). Modules are imported only when used,
# so asking one model does not pay for importing the others.
MODELS = {
    "tfidf": ("book.baselines", "tfidf.joblib"),
    "lstm": ("book.lstm", "lstm"),
    "bert": ("book.bert", "bert"),
}
BUILD_HINT = "run `make book` to train and save them"


class PredictError(ValueError):
    """Bad input to the predictor or no trained model: one sentence says which."""


def available_models(artifacts: Path | None = None) -> list[str]:
    root = Path(artifacts) if artifacts else artifacts_dir()
    return [k for k, (_, f) in MODELS.items() if (root / f).exists()]


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    if not texts:
        raise PredictError("no review given: pass at least one non-empty review")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise PredictError(f"review {i + 1} is {type(t).__name__}, not text")
        if not t.strip():
            raise PredictError(f"review {i + 1} is empty or whitespace only")
    return texts


def load_models(models=None, artifacts: Path | None = None) -> dict:
    """Load predictors by key; default: every model whose artifacts exist."""
    root = Path(artifacts) if artifacts else artifacts_dir()
    have = available_models(root)
    if models is None:
        if not have:
            raise PredictError(f"no trained models in {root}: {BUILD_HINT}")
        models = have
    out = {}
    for key in models:
        if key not in MODELS:
            raise PredictError(f"unknown model {key!r}: choose from {', '.join(MODELS)}")
        module, artifact = MODELS[key]
        if key not in have:
            raise PredictError(f"no trained {key} model in {root / artifact}: {BUILD_HINT}")
        try:
            out[key] = importlib.import_module(module).load_predictor(root / artifact)
        except Exception as e:  # a half-written or foreign artifact: say which, not a traceback
            raise PredictError(f"cannot load the trained {key} model from {root / artifact} ({first_line(e)}): "
                               f"{BUILD_HINT}") from None
    return out


def predict(texts, models=None, artifacts: Path | None = None, loaded: dict | None = None) -> pd.DataFrame:
    """P(positive) and label of each review from each model.

    Returns columns review (1-based), text, model, label (0/1), label_name, prob,
    truncated (the model saw only the beginning of a long review), no_words (the model found
    no word it reads, e.g. an emoji-only review for the LSTM: its answer says nothing of the content).
    """
    texts = _check_texts(texts)
    loaded = loaded or load_models(models, artifacts)
    rows = []
    for key, model in loaded.items():
        probs = np.asarray(model.predict_proba(texts), dtype=float)
        cut = model.truncated(texts) if hasattr(model, "truncated") else [False] * len(texts)
        empty = model.no_words(texts) if hasattr(model, "no_words") else [False] * len(texts)
        for i, (t, p, c, e) in enumerate(zip(texts, probs, cut, empty)):
            label = int(p >= 0.5)
            rows.append({"review": i + 1, "text": t, "model": key, "label": label,
                         "label_name": LABEL_NAMES[label], "prob": float(p), "truncated": bool(c),
                         "no_words": bool(e)})
    return pd.DataFrame(rows)


def read_reviews(path: str | Path) -> list[str]:
    """Reviews from a file: .csv → its `comment` column; anything else → one review a line.
    Blank lines are skipped; a file with no review is an error."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PredictError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PredictError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise PredictError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PredictError(f"{path}: not UTF-8 text (invalid byte at offset {e.start})") from None
    if path.suffix.lower() == ".csv":
        try:
            reader = csv.DictReader(io.StringIO(text))
            if reader.fieldnames is None or "comment" not in reader.fieldnames:
                raise PredictError(f"{path}: a CSV needs a 'comment' column (found: {reader.fieldnames or 'none'})")
            reviews = [row["comment"] or "" for row in reader]
        except csv.Error as e:
            raise PredictError(f"{path}: not a valid CSV file ({e})") from None
    else:
        reviews = text.splitlines()
    reviews = [r for r in reviews if r.strip()]
    if not reviews:
        raise PredictError(f"{path}: holds no review (only blank lines)")
    return reviews
