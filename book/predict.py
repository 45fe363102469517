"""Classify new reviews with the models the build trained (artifacts/), without torch.

    from book.predict import predict
    predict(["这家的环境不差，但是菜不怎么好吃。"])          # a DataFrame, one row per review × model

The LSTM and BERT run from the ONNX files that book.export wrote next to the saved models
(``lstm/model.onnx``, ``bert/model.onnx``) with onnxruntime; BERT's tokenizer is the saved
``tokenizer.json`` read by the ``tokenizers`` library; the LSTM reads jieba words
(book.text.tokenize) through ``vocab.json``; TF-IDF runs from ``tfidf.json`` (book.export.export_tfidf:
vocabularies, idf, the linear SVM and its sigmoid) with numpy. Nothing here imports torch,
transformers, fastai or scikit-learn (tests/test_predict.py checks it), so one review takes
under 2 s as a fresh process. The torch predictors (``book.lstm.load_predictor``,
``book.bert.load_predictor``) and the pickled sklearn pipeline remain for the notebooks, and answer
for a model saved without its exported form (an older build, or a TF-IDF pipeline with a
non-linear SVM; the command line then says so on stderr).

The command line (`python -m book predict ...`) is in book/__main__.py.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from . import first_line, missing_package
from .names import ARTIFACTS_ENV, BUILD_HINT, INT8_FILE, LABEL_NAMES, ONNX_FILE, ROOT  # noqa: F401 (re-exported)
from .names import artifacts_dir as _artifacts_dir

PRECISIONS = ("auto", "int8", "fp32")       # the transformer's graph; auto: int8 where its agreement holds
INT8_MIN_AGREEMENT = 0.99                   # share of test labels int8 must give as fp32 to be the default
BATCH_SIZE = 64                             # reviews per onnxruntime call (sorted by length)
PROGRESS_STEP = 512                         # reviews per step when progress is reported (longer files get a bar)
# onnxruntime threads per model. The machine has 2 cores and the models run one after another;
# spinning threads are off, so an idle worker does not steal the other core (see book.lstm.THREADS).
THREADS = min(2, os.cpu_count() or 1)

# model key → artifact (file or folder) that must exist
MODELS = {"tfidf": "tfidf.joblib", "lstm": "lstm", "bert": "bert"}
TEXT_COLUMNS = ("comment", "review")        # a CSV's review column: the first of these it has
LABEL_COLUMNS = ("sentiment", "label")      # its label column (0 = negative, 1 = positive)


class PredictError(ValueError):
    """Bad input to the predictor or no trained model: one sentence says which."""


@runtime_checkable
class Predictor(Protocol):
    """What every model behind ``predict`` offers."""

    name: str

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """P(positive) per review, in input order."""

    def truncated(self, texts: list[str]) -> list[bool]:
        """Which reviews the model saw only the beginning of."""

    def no_words(self, texts: list[str]) -> list[bool]:
        """Which reviews hold nothing the model reads (its answer says nothing of the content)."""


def artifacts_dir(artifacts: Path | str | None = None) -> Path:
    """``artifacts``, else $BOOK_ARTIFACTS, else artifacts/ (not created: the predictor only reads)."""
    return _artifacts_dir(artifacts)


# ---------------------------------------------------------------- the three models


def _session(path: Path):
    """An onnxruntime CPU session: THREADS intra-op threads, no spinning, one inter-op thread."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3  # errors only: no notes on stderr
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class _OnnxModel:
    """Builds its onnxruntime session in a background thread (onnxruntime works outside the GIL),
    so that it overlaps with the Python-bound loading (sklearn's imports and unpickling, jieba's
    dictionary); ``session`` waits for it. :func:`load_models` waits for every session, so a
    broken model.onnx is reported there."""

    def _start_session(self, path: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import onnxruntime  # noqa: F401  (imported here, not inside the thread)

        pool = ThreadPoolExecutor(max_workers=1)
        self._future = pool.submit(_session, path)
        pool.shutdown(wait=False)

    def wait(self) -> None:
        """Until the session is built (raises what building it raised)."""
        self._future.result()

    @property
    def session(self):
        return self._future.result()


def _jieba() -> None:
    """Load jieba's dictionary now (~0.5 s from its cache file, tempdir/jieba.cache, which jieba
    writes on its first run) rather than at the first review, while the ONNX sessions build."""
    import jieba

    from . import text  # noqa: F401  (sets jieba's log level first: no notes on stderr)

    jieba.initialize()


def _need(path: Path, *files: str) -> None:
    for f in files:
        if not (path / f).is_file():
            hint = (" (write it with book.export.export_lstm / export_bert, or rebuild)" if f == ONNX_FILE else "")
            raise FileNotFoundError(f"{f} is missing{hint}")


def _batches(lengths: list[int], bs: int = BATCH_SIZE):
    """Indices in batches of similar length (sorted by length, longest first)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return (order[k:k + bs] for k in range(0, len(order), bs))


def _padded(seqs: list[list[int]], idx: list[int], pad: int) -> np.ndarray:
    """Rows ``idx`` of ``seqs`` right-padded with ``pad`` to the batch's own longest."""
    x = np.full((len(idx), max(len(seqs[i]) for i in idx)), pad, dtype=np.int64)
    for row, i in enumerate(idx):
        x[row, :len(seqs[i])] = seqs[i]
    return x


_WHITE_SPACES = re.compile(r"\s\s+")   # as sklearn's vectorizers normalize white space


def _char_wb_ngrams(doc: str, lo: int, hi: int) -> list[str]:
    """sklearn's ``char_wb`` analyzer: character n-grams inside each space-padded word."""
    out = []
    for w in _WHITE_SPACES.sub(" ", doc).split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[:n])
            while offset + n < len(w):
                offset += 1
                out.append(w[offset:offset + n])
            if offset == 0:  # a word shorter than n: counted once
                break
    return out


def _word_ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    """sklearn's ``word`` n-grams: the tokens (when ``lo`` is 1), then their 2-grams, 3-grams, ..."""
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
        out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return out


class TfidfLinear:
    """A TF-IDF model with a calibrated linear SVM, from the plain numbers that
    book.export.tfidf_spec wrote: per vectorizer block, the review's n-grams counted
    (1 + log count with ``sublinear_tf``), times idf, l2-normalized, dotted with the SVM's weights;
    the sum plus the intercept is the SVM's decision value f, and P(positive) = 1 / (1 + exp(a·f + b))
    (Platt's sigmoid). No scikit-learn: the same arithmetic, checked against it on export."""

    def __init__(self, spec: dict):
        self.name = spec["name"]
        self.intercept = float(spec["intercept"])
        self.a, self.b = (float(x) for x in spec["sigmoid"])
        self.blocks = [(b, {t: i for i, t in enumerate(b["vocabulary"])}, np.asarray(b["idf"], dtype=np.float64),
                        np.asarray(b["coef"], dtype=np.float64)) for b in spec["blocks"]]
        self._token = {b["token_pattern"]: re.compile(b["token_pattern"]) for b in spec["blocks"] if "token_pattern" in b}

    def _terms(self, block: dict, review: str) -> list[str]:
        lo, hi = block["ngram_range"]
        if block["analyzer"] == "char_wb":
            from .text import cjk_only
            return _char_wb_ngrams(cjk_only(review), lo, hi)
        from .text import segment
        doc = segment([review])[0]
        if block["lowercase"]:
            doc = doc.lower()
        return _word_ngrams(self._token[block["token_pattern"]].findall(doc), lo, hi)

    def decision(self, review: str) -> float:
        f = self.intercept
        for block, vocab, idf, coef in self.blocks:
            counts: dict[int, int] = {}
            for t in self._terms(block, review):
                i = vocab.get(t)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
            x = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if block["sublinear_tf"]:
                x = 1.0 + np.log(x)
            x *= idf[idx]
            if block["norm"] == "l2":
                x /= np.sqrt(np.dot(x, x))
            f += float(np.dot(x, coef[idx]))
        return f

    def predict_proba(self, texts) -> np.ndarray:
        f = np.array([self.decision(t) for t in texts], dtype=np.float64)
        return 1.0 / (1.0 + np.exp(self.a * f + self.b))

    def truncated(self, texts) -> list[bool]:
        return [False] * len(texts)

    def no_words(self, texts) -> list[bool]:
        return [False] * len(texts)

    def units(self, review: str) -> list[str]:
        """The terms this model reads in ``review`` and has a weight for (every block's analyzer)."""
        return [t for block, vocab, _, _ in self.blocks for t in self._terms(block, review) if t in vocab]

    def coverage(self, review: str) -> tuple[int, int]:
        """(terms of ``review`` in the model's vocabulary, all its terms), over every block."""
        terms = [(t in vocab) for block, vocab, _, _ in self.blocks for t in self._terms(block, review)]
        return sum(terms), len(terms)


def _tfidf(path: Path):
    """The TF-IDF model at ``path`` (tfidf.joblib): from the JSON beside it (book.export.export_tfidf)
    while that was written from this very pickle, else (no JSON, a stale or a broken one) the
    pickle itself (scikit-learn: slower to load; ``sklearn_fallback`` on the result says so)."""
    import hashlib

    spec_path = path.with_suffix(".json")
    if spec_path.is_file():
        try:
            spec = json.loads(spec_path.read_text(encoding="utf-8"))
            if spec.get("joblib_sha256") == hashlib.sha256(path.read_bytes()).hexdigest():
                return TfidfLinear(spec)
        except (ValueError, KeyError, TypeError, AttributeError):  # a broken JSON: the pickle still answers
            pass
    model = TfidfPredictor(path)
    model.sklearn_fallback = True
    return model


class TfidfPredictor:
    """The pickled TF-IDF pipeline (book.baselines.save_predictor) run by scikit-learn; it reads
    every review whole. For a pipeline book.export could not turn into plain numbers."""

    def __init__(self, path: Path):
        import joblib

        saved = joblib.load(path)
        if not isinstance(saved, dict) or not {"name", "model"} <= set(saved):
            raise ValueError(f"{path.name} is not a TF-IDF model saved by book.baselines.save_predictor")
        self.name, self.model = saved["name"], saved["model"]

    def predict_proba(self, texts) -> np.ndarray:
        proba = self.model.predict_proba(list(texts))
        return proba[:, list(self.model.classes_).index(1)]

    def truncated(self, texts) -> list[bool]:
        return [False] * len(texts)

    def no_words(self, texts) -> list[bool]:
        return [False] * len(texts)


class LstmOnnxPredictor(_OnnxModel):
    """The saved LSTM (vocab.json, config.json) run from lstm/model.onnx: jieba words → ids,
    the first ``max_len`` kept, a review with no Chinese word read as one unknown word — as
    book.lstm.LSTMPredictor does."""

    PAD, UNK = 0, 1  # book.lstm.PAD, UNK

    def __init__(self, path: Path):
        _need(path, "config.json", "vocab.json", ONNX_FILE)
        self._start_session(path / ONNX_FILE)
        meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.max_len = int(meta["config"]["max_len"])
        self.name = meta.get("name", "lstm")
        self.stoi = {w: i for i, w in enumerate(json.loads((path / "vocab.json").read_text(encoding="utf-8")))}
        _jieba()

    @staticmethod
    def _words(texts) -> list[list[str]]:
        from .text import tokenize
        return [tokenize(t) for t in texts]

    def predict_proba(self, texts) -> np.ndarray:
        ids = [[self.stoi.get(w, self.UNK) for w in ws][:self.max_len] or [self.UNK] for ws in self._words(texts)]
        out = np.empty(len(ids))
        for idx in _batches([len(x) for x in ids]):
            lengths = np.array([len(ids[i]) for i in idx], dtype=np.int64)
            logit = self.session.run(None, {"ids": _padded(ids, idx, self.PAD), "lengths": lengths})[0]
            out[idx] = 1.0 / (1.0 + np.exp(-logit.astype(np.float64)))
        return out

    def truncated(self, texts) -> list[bool]:
        return [len(ws) > self.max_len for ws in self._words(texts)]

    def no_words(self, texts) -> list[bool]:
        return [not ws for ws in self._words(texts)]

    def units(self, review: str) -> list[str]:
        """The jieba words the LSTM reads in ``review`` (an unknown word is read as <unk>)."""
        return self._words([review])[0]

    def coverage(self, review: str) -> tuple[int, int]:
        """(jieba words of ``review`` in the LSTM's vocabulary, all its words)."""
        words = self._words([review])[0]
        return sum(w in self.stoi for w in words), len(words)


def bert_precision(path: Path, precision: str = "auto") -> str:
    """``int8`` or ``fp32``: ``auto`` is int8 where book.export wrote ``model.int8.onnx`` and its
    labels agreed with fp32 on at least INT8_MIN_AGREEMENT of the test reviews (``onnx.json``)."""
    if precision not in PRECISIONS:
        raise PredictError(f"unknown precision {precision!r}: choose from {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    try:
        agreement = json.loads((path / "onnx.json").read_text(encoding="utf-8"))["int8"]["label_agreement"]
    except (OSError, ValueError, KeyError, TypeError):
        return "fp32"
    return "int8" if (path / INT8_FILE).is_file() and agreement >= INT8_MIN_AGREEMENT else "fp32"


class BertOnnxPredictor(_OnnxModel):
    """The fine-tuned transformer run from bert/model.onnx (``precision="int8"``: model.int8.onnx);
    its tokenizer is the saved tokenizer.json (the same ids as the transformers tokenizer),
    truncated to the saved ``max_len`` tokens, batches padded with the tokenizer's pad id."""

    def __init__(self, path: Path, precision: str = "fp32"):
        from tokenizers import Tokenizer

        self.precision = bert_precision(path, precision)
        graph = INT8_FILE if self.precision == "int8" else ONNX_FILE
        _need(path, "book_bert.json", "tokenizer.json", "onnx.json", graph)
        self._start_session(path / graph)
        meta = json.loads((path / "book_bert.json").read_text(encoding="utf-8"))
        self.max_len = int(meta["max_len"])
        self.pad_id = int(json.loads((path / "onnx.json").read_text(encoding="utf-8"))["pad_id"])
        self.name = f"bert ({Path(meta['base_model']).name}, {meta['pooling']} pooling)"
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_len)

    def encode(self, texts) -> list[list[int]]:
        """Token ids with the special tokens, at most ``max_len`` in all."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def predict_proba(self, texts) -> np.ndarray:
        ids = self.encode(texts)
        out = np.empty(len(ids))
        # int8: one review per call. Dynamic quantization scales each activation tensor by its own
        # range, over the whole batch and its padding, so a batched review's P would depend on its
        # batch mates; alone, it is the same number the 试一试 page computes for it.
        bs = 1 if self.precision == "int8" else BATCH_SIZE
        for idx in _batches([len(x) for x in ids], bs):
            logits = self.session.run(None, {"input_ids": _padded(ids, idx, self.pad_id)})[0].astype(np.float64)
            out[idx] = 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1]))  # softmax(logits)[:, 1]
        return out

    def truncated(self, texts) -> list[bool]:
        return [bool(e.overflowing) for e in self.tokenizer.encode_batch(list(texts))]

    def units(self, review: str) -> list[str]:
        """The tokenizer's pieces of ``review``, special tokens included."""
        return self.tokenizer.encode(review).tokens

    def coverage(self, review: str) -> tuple[int, int]:
        """(pieces of ``review`` other than the unknown piece, all its pieces), specials left out."""
        e = self.tokenizer.encode(review)
        unk = self.tokenizer.token_to_id("<unk>")
        if unk is None:
            unk = self.tokenizer.token_to_id("[UNK]")
        pieces = [i for i, sp in zip(e.ids, e.special_tokens_mask) if not sp]
        return sum(i != unk for i in pieces), len(pieces)

    def no_words(self, texts) -> list[bool]:
        return [False] * len(texts)


LOADERS = {"tfidf": _tfidf, "lstm": LstmOnnxPredictor, "bert": BertOnnxPredictor}


def _load(key: str, path: Path, precision: str = "auto") -> Predictor:
    """The ONNX predictor (the transformer's graph by ``precision``, see :func:`bert_precision`);
    for a model saved before book.export existed (no model.onnx), the torch one (book.lstm /
    book.bert ``load_predictor``: slower, and it imports torch). ``torch_fallback`` on the result tells which."""
    if key in ("lstm", "bert") and path.is_dir() and not (path / ONNX_FILE).is_file():
        import importlib

        model = importlib.import_module(f"book.{key}").load_predictor(path)
        model.torch_fallback = True
        return model
    return LOADERS[key](path, precision) if key == "bert" else LOADERS[key](path)


# ---------------------------------------------------------------- loading and predicting


def available_models(artifacts: Path | None = None) -> list[str]:
    root = artifacts_dir(artifacts)
    return [k for k, f in MODELS.items() if (root / f).exists()]


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


def load_models(models=None, artifacts: Path | None = None, precision: str = "auto") -> dict[str, Predictor]:
    """Load predictors by key; default: every model whose artifacts exist. ``precision``: the
    transformer's graph (auto, int8 or fp32; see :func:`bert_precision`)."""
    if precision not in PRECISIONS:
        raise PredictError(f"unknown precision {precision!r}: choose from {', '.join(PRECISIONS)}")
    root = artifacts_dir(artifacts)
    have = available_models(root)
    if models is None:
        if not have:
            raise PredictError(f"no trained models in {root}: {BUILD_HINT}")
        models = have
    for key in models:
        if key not in MODELS:
            raise PredictError(f"unknown model {key!r}: choose from {', '.join(MODELS)}")
        if key not in have:
            raise PredictError(f"no trained {key} model in {root / MODELS[key]}: {BUILD_HINT}")
    # BERT and the LSTM first: their onnxruntime sessions build in the background while TF-IDF loads
    order = sorted(models, key=lambda k: k == "tfidf")
    out = {}
    for key in order + order:  # first pass: load; second: wait for the sessions
        try:
            if key not in out:
                out[key] = _load(key, root / MODELS[key], precision)
            elif isinstance(out[key], _OnnxModel):
                out[key].wait()
        except ModuleNotFoundError as e:  # this Python lacks a runtime package: the model is not at fault
            raise PredictError(missing_package(e, f"the {key} model")) from None
        except Exception as e:  # a half-written or foreign artifact: say which, not a traceback
            raise PredictError(f"cannot load the trained {key} model from {root / MODELS[key]} ({first_line(e)}): "
                               f"{BUILD_HINT}") from None
    return {key: out[key] for key in models}


def predict_rows(texts, models=None, artifacts: Path | None = None, loaded: dict | None = None,
                 progress=None) -> list[dict]:
    """The rows of :func:`predict` as dicts (no pandas: the command line uses this). ``progress``:
    called with the number of reviews done, after every PROGRESS_STEP reviews of each model."""
    texts = _check_texts(texts)
    loaded = loaded or load_models(models, artifacts)
    rows = []
    step = PROGRESS_STEP if progress else len(texts)
    for key, model in loaded.items():
        for lo in range(0, len(texts), step):
            part = texts[lo:lo + step]
            probs = np.asarray(model.predict_proba(part), dtype=float)
            cut = model.truncated(part) if hasattr(model, "truncated") else [False] * len(part)
            empty = model.no_words(part) if hasattr(model, "no_words") else [False] * len(part)
            for i, (t, p, c, e) in enumerate(zip(part, probs, cut, empty), lo):
                label = int(p >= 0.5)
                rows.append({"review": i + 1, "text": t, "model": key, "label": label,
                             "label_name": LABEL_NAMES[label], "prob": float(p), "truncated": bool(c),
                             "no_words": bool(e)})
            if progress:
                progress(len(part))
    return rows


def predict(texts, models=None, artifacts: Path | None = None, loaded: dict | None = None):
    """P(positive) and label of each review from each model, as a pandas DataFrame.

    Columns review (1-based), text, model, label (0/1), label_name, prob,
    truncated (the model saw only the beginning of a long review), no_words (the model found
    no word it reads, e.g. an emoji-only review for the LSTM: its answer says nothing of the content).
    """
    import pandas as pd

    return pd.DataFrame(predict_rows(texts, models, artifacts, loaded))


# ---------------------------------------------------------------- files


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PredictError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PredictError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise PredictError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PredictError(f"{path}: not UTF-8 text (invalid byte at offset {e.start})") from None


def _csv_records(path: Path, text: str):
    """(the line it starts on, its fields) for each record of a CSV text, the header first; blank
    lines are skipped. A record that does not parse cleanly (csv's strict mode: a quote never
    closed, a character after a closing quote) is an error naming the line it starts on, before
    anything is predicted."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            why = "a double quote opened in it is never closed" if "end of data" in str(e) else e
            raise PredictError(f"{path}: line {start}: not valid CSV ({why})") from None
        if fields:
            yield start, fields
        start = reader.line_num + 1


def read_file(path: str | Path, labels: bool = False) -> tuple[list[str], list[int] | None, list[int]]:
    """Reviews (and, with ``labels``, their 0/1 labels) from a file.

    .csv: the ``comment`` or else the ``review`` column; labels from ``sentiment`` or else
    ``label`` (each 0 or 1; anything else is an error naming the line); a CSV that does not parse
    cleanly (an unclosed quote, a row with more or fewer fields than the header, only a header)
    is an error naming the line. Anything else: one
    review a line (no labels possible). Empty or whitespace-only reviews are skipped: returns
    (reviews, labels or None, the skipped line numbers). A file with no review is an error."""
    path = Path(path)
    text = _read_text(path)
    is_csv = path.suffix.lower() == ".csv"
    if labels and not is_csv:
        raise PredictError(f"{path}: --labels needs a CSV file with a {' or '.join(LABEL_COLUMNS)} column")
    ys: list[int] | None = [] if labels else None
    reviews, skipped = [], []
    if is_csv:
        records = _csv_records(path, text)
        header_line, cols = next(records, (1, []))
        col = next((c for c in TEXT_COLUMNS if c in cols), None)
        if col is None:
            raise PredictError(f"{path}: a CSV needs a {' or '.join(repr(c) for c in TEXT_COLUMNS)} column "
                               f"(found: {', '.join(cols) or 'none'})")
        ycol = next((c for c in LABEL_COLUMNS if c in cols), None)
        if labels and ycol is None:
            raise PredictError(f"{path}: --labels needs a {' or '.join(repr(c) for c in LABEL_COLUMNS)} column "
                               f"(found: {', '.join(cols)})")
        rows = 0
        for line, fields in records:
            rows += 1
            if len(fields) != len(cols):
                hint = " (a review holding a comma must be in double quotes)" if len(fields) > len(cols) else ""
                raise PredictError(f"{path}: line {line}: {len(fields)} field{'s' * (len(fields) != 1)} where the "
                                   f"header (line {header_line}) has {len(cols)}{hint}")
            row = dict(zip(cols, fields))
            review = row[col]
            if not review.strip():
                skipped.append(line)
                continue
            if labels:
                y = row[ycol].strip()
                if y not in ("0", "1"):
                    raise PredictError(f"{path}: line {line}: {ycol} is {y!r}, not 0 or 1")
                ys.append(int(y))
            reviews.append(review)
        if not rows:
            raise PredictError(f"{path}: only a header (line {header_line}), no review below it")
    else:
        for line, review in enumerate(text.splitlines(), 1):
            (reviews.append(review) if review.strip() else skipped.append(line))
    if not reviews:
        raise PredictError(f"{path}: holds no review (only blank lines)")
    return reviews, ys, skipped


def read_reviews(path: str | Path) -> list[str]:
    """The reviews of a file (see :func:`read_file`), blank ones skipped."""
    return read_file(path)[0]


def accuracy(rows: list[dict], labels: list[int]) -> dict[str, dict]:
    """Per model: accuracy of its labels against ``labels`` (review i ↔ labels[i - 1]) and n."""
    out: dict[str, list[int]] = {}
    for r in rows:
        out.setdefault(r["model"], []).append(int(r["label"] == labels[r["review"] - 1]))
    return {m: {"accuracy": sum(v) / len(v), "n": len(v)} for m, v in out.items()}
