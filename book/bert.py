"""BERT transfer learning with fastai v2 and transformers: model resolution, length-bucketed
DataLoaders, a fastai ``Learner`` around ``AutoModelForSequenceClassification``, prediction,
token attributions, and the saved predictor.

    src = resolve_model()                       # argument > $BOOK_BERT_MODEL > bert-base-chinese
    dls = dataloaders(src.tokenizer, splits.train, splits.valid)
    learn = learner(src, dls, pooling="mean")
    learn.fit_one_cycle(4, 5e-5)

Which model runs is a parameter: a local folder (used as is) or a Hugging Face id (loaded by
transformers, which honours ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE``). When it cannot be had,
``BertModelError`` says which model was tried and which variables to set; there is no fallback
to random weights.

Device and precision follow the reader's hardware (book/device.py): the loaders, the model and
prediction run on ``device.device()`` ($BOOK_DEVICE), and the model's forward pass runs under
bfloat16 autocast when ``device.precision()`` ($BOOK_PRECISION; auto = bf16 where the hardware
computes it natively) is "bf16" — in training, validation, the learning-rate finder and
prediction alike (``SentimentClassifier.precision``). The weights themselves stay fp32 and are
saved in fp32. Integrated gradients run in fp32 (see :func:`integrated_gradients`).
"""
from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch import nn

from . import device as _device
from . import first_line, quiet
from .names import BUILD_HINT, DEFAULT_ENCODER, MODEL_ENV
from .record import artifacts_dir

if TYPE_CHECKING:
    from fastai.data.core import DataLoaders, TfmdDL
    from fastai.learner import Learner


def _fastai() -> None:
    """Imports fastai's training side on first use (the functions below then import names from
    it): it costs ~2 s, and the predictor (``BertPredictor``) never needs it."""
    with warnings.catch_warnings():  # fastai's imports trip torch/pandas deprecation notices
        warnings.simplefilter("ignore", DeprecationWarning)
        import fastai.callback.progress  # noqa: F401  (Learner.no_bar)
        import fastai.callback.schedule  # noqa: F401  (patches Learner.fit_one_cycle, lr_find)
        import fastai.text.data  # noqa: F401


DEFAULT_MODEL = DEFAULT_ENCODER      # the name bench/ and older callers use
MAX_LEN = 256          # tokens, special tokens included; longer reviews are truncated
BATCH_SIZE = 16
POOLINGS = ("mean", "cls")
# The chapter's training recipe, chosen on the validation split (never on test): against
# 1e-4 for 3 epochs and discriminative rates slice(1e-5, 1e-4) for 4, 5e-5 for 4 epochs gave the
# best validation accuracy (0.870 against 0.855 and 0.850, one seed each, measured in development).
# bench/bert_recipes.py compares further recipes on validation (label smoothing, layer-wise rates,
# seed ensembles, weight soups); none beat this one by more than one validation review.
POOLING = "mean"
LR = 5e-5              # peak learning rate of fit_one_cycle, the same for every layer
EPOCHS = 4
FROZEN = 8             # the embeddings and the lower 8 of 12 layers stay pretrained; computed once per review
META_FILE = "book_bert.json"
RUNS_DIR = "bert_runs"  # artifacts/bert_runs/bert_seed{n}/: every seed; artifacts/bert/: the predictor's


class BertModelError(RuntimeError):
    """The pretrained encoder or the trained model cannot be had: one sentence says why and what to set."""


@contextlib.contextmanager
def _quiet_transformers():
    """Inside: transformers logs errors only and shows no progress bars (the "newly initialized"
    notes and the "Loading weights" bar would land on stderr). Restored afterwards."""
    from huggingface_hub.utils import logging as hlog
    from transformers.utils import logging as tlog

    levels, bars = (tlog.get_verbosity(), hlog.get_verbosity()), tlog.is_progress_bar_enabled()
    tlog.set_verbosity_error()
    hlog.set_verbosity_error()  # the hub's "Retrying in 1s" notes while offline
    tlog.disable_progress_bar()
    try:
        yield
    finally:
        tlog.set_verbosity(levels[0])
        hlog.set_verbosity(levels[1])
        if bars:
            tlog.enable_progress_bar()


# ---------------------------------------------------------------- which model


@dataclass
class ModelSource:
    """The pretrained encoder that runs: what was asked, where its files are, its tokenizer."""

    name: str           # the HF id or the folder, as given
    origin: str         # "argument", "$BOOK_BERT_MODEL" or "default"
    local: bool         # a folder on disk (True) or an HF id (False)
    path: str           # the folder the files were read from (the HF cache snapshot for an id)
    tokenizer: object

    @property
    def provenance(self) -> str | None:
        """The folder's PROVENANCE.md, when it has one (the shared encoder does)."""
        p = Path(self.path) / "PROVENANCE.md"
        return p.read_text(encoding="utf-8") if p.is_file() else None

    def provenance_summary(self) -> str | None:
        """PROVENANCE.md without its title and its own measurements ("Measured here"), headings
        turned into bold lines so they do not become sections of the book."""
        if self.provenance is None:
            return None
        out, skip = [], False
        for line in self.provenance.splitlines():
            if line.startswith("# "):
                continue
            if line.startswith("## "):
                skip = line[3:].strip().lower().startswith("measured")
                if not skip:
                    out.append(f"**{line[3:].strip()}**")
                continue
            if not skip:
                out.append(line)
        return "\n".join(out).strip()


def _looks_like_path(name: str) -> bool:
    """A Hugging Face id is "name" or "namespace/name"; anything else is meant as a folder."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def _unavailable(name: str, origin: str, why: str) -> BertModelError:
    return BertModelError(
        f"cannot load the BERT model {name!r} (from {origin}): {why}. "
        f"Set {MODEL_ENV} to a local folder holding a pretrained model (config.json, weights, tokenizer), "
        "or, for a Hugging Face id, set HF_ENDPOINT to a reachable mirror, or HF_HUB_OFFLINE=0 with network access "
        "(or pre-fill the Hugging Face cache)"
    )


def resolve_model(name: str | None = None) -> ModelSource:
    """The encoder to fine-tune: ``name``, else $BOOK_BERT_MODEL, else bert-base-chinese.

    A local folder is used as is; anything else is a Hugging Face id that transformers fetches
    (honouring HF_ENDPOINT and HF_HUB_OFFLINE) or finds in its cache. Raises BertModelError when
    neither works; never falls back to random weights.
    """
    origin = "argument" if name else (f"${MODEL_ENV}" if os.environ.get(MODEL_ENV) else "default")
    name = name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise _unavailable(name, origin, f"the folder {folder} has no config.json")
        local, path = True, str(folder.resolve())
    elif folder.exists():
        raise _unavailable(name, origin, f"{folder} is a file, not a model folder")
    elif _looks_like_path(name):
        raise _unavailable(name, origin, f"no such folder {folder}")
    else:
        local = False
    from transformers import AutoTokenizer
    from transformers.utils import cached_file

    try:
        with _quiet_transformers():
            if not local:
                path = str(Path(cached_file(name, "config.json")).parent)
            tokenizer = AutoTokenizer.from_pretrained(path if local else name)
    except (OSError, ValueError) as e:
        raise _unavailable(name, origin, first_line(e)) from None
    return ModelSource(name=name, origin=origin, local=local, path=path, tokenizer=tokenizer)


def load_pretrained(source: ModelSource, num_labels: int = 2):
    """``AutoModelForSequenceClassification`` from the pretrained encoder: the encoder's weights,
    a new (randomly initialised) pooler/classifier head. Loaded quietly."""
    from transformers import AutoModelForSequenceClassification

    try:
        with _quiet_transformers():
            return AutoModelForSequenceClassification.from_pretrained(
                source.path if source.local else source.name, num_labels=num_labels)
    except (OSError, ValueError) as e:
        raise _unavailable(source.name, source.origin, first_line(e)) from None


# ---------------------------------------------------------------- inputs


def encode(tokenizer, texts, max_len: int = MAX_LEN) -> list[list[int]]:
    """Token ids of each text with the model's own special tokens ([CLS]…[SEP] or <s>…</s>),
    truncated to ``max_len`` tokens in all."""
    return tokenizer(list(texts), truncation=True, max_length=max_len)["input_ids"]


def input_table(tokenizer, text: str, max_len: int = MAX_LEN) -> pd.DataFrame:
    """What the model is fed for one text: token, id, attention mask and segment id per position."""
    enc = tokenizer(text, truncation=True, max_length=max_len, return_token_type_ids=True)
    return pd.DataFrame({
        "token": tokenizer.convert_ids_to_tokens(enc["input_ids"]),
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "token_type_ids": enc["token_type_ids"],
    }).rename_axis("位置")


def n_tokens(tokenizer, texts) -> np.ndarray:
    """Untruncated token count of each text, special tokens included."""
    with _quiet_transformers():  # "longer than the maximum length" notes
        return np.array([len(ids) for ids in tokenizer(list(texts))["input_ids"]])


def _items(ids, labels) -> list[tuple]:
    return [(torch.tensor(x), int(y)) for x, y in zip(ids, labels)]


def loader(ids, labels, pad_id: int = 0, bs: int = BATCH_SIZE, shuffle: bool = False,
           pad_to: int | None = None) -> TfmdDL:
    """A fastai DataLoader over token-id lists.

    Default (``pad_to=None``): fastai's ``SortedDL`` — batches of similar length, padded (on the
    right, with the tokenizer's pad id) only to the longest text of each batch. Shuffled, it
    sorts random chunks of 50 batches by length and shuffles the batches; unshuffled, it goes
    longest first. With ``pad_to=n`` every text is padded to n tokens and batches are drawn at
    random: the usual fixed-length recipe, kept for the benchmark.
    """
    _fastai()
    from fastai.data.core import TfmdDL
    from fastai.text.data import SortedDL, pad_input

    if pad_to is not None:
        ids = [list(x) + [pad_id] * (pad_to - len(x)) for x in ids]
        return TfmdDL(_items(ids, labels), bs=bs, shuffle=shuffle, drop_last=False, num_workers=0)
    return SortedDL(_items(ids, labels), res=[len(x) for x in ids], bs=bs, shuffle=shuffle, num_workers=0,
                    before_batch=partial(pad_input, pad_idx=pad_id))


def padding_share(dl, pad_id: int) -> float:
    """Share of the positions in ``dl``'s batches that are padding (one pass over the loader)."""
    pads = total = 0
    for b in dl:
        pads += int((b[0] == pad_id).sum())
        total += b[0].numel()
    return pads / total if total else 0.0


def dataloaders(tokenizer, train: pd.DataFrame, valid: pd.DataFrame, bs: int = BATCH_SIZE,
                max_len: int = MAX_LEN, pad_to: int | None = None, device=None) -> DataLoaders:
    """fastai DataLoaders (train shuffled, valid in length order) from review frames with columns
    ``comment`` and ``sentiment``, delivering batches on ``device`` (default
    ``book.device.device()``)."""
    _fastai()
    from fastai.data.core import DataLoaders

    pad = tokenizer.pad_token_id
    tr = loader(encode(tokenizer, train["comment"], max_len), train["sentiment"], pad, bs, True, pad_to)
    va = loader(encode(tokenizer, valid["comment"], max_len), valid["sentiment"], pad, 2 * bs, False, pad_to)
    return DataLoaders(tr, va, device=torch.device(device) if device is not None else _device.device())


# ---------------------------------------------------------------- the model


class SentimentClassifier(nn.Module):
    """``AutoModelForSequenceClassification`` behind a fastai-friendly forward: token ids in
    (padding marked by the pad id), the two class logits out (the HF output's ``.logits``).

    pooling="cls": the HF model as it is — [CLS] (or <s>) → pooler → dropout → classifier.
    pooling="mean": the masked mean of the encoder's last hidden states → the same dropout and
    classifier (E5 was pretrained to use mean-pooled sentence vectors). Both keep every weight
    inside the HF model, so ``save_pretrained`` stores the whole classifier.

    precision="bf16": the forward pass runs under ``torch.autocast(..., dtype=torch.bfloat16)``
    on the inputs' device (the weights stay fp32; autocast casts them per operation); "fp32":
    no autocast. The logits come out as fp32 either way, so the loss is computed in fp32.
    """

    def __init__(self, hf_model, pad_id: int, pooling: str = "mean", precision: str = "fp32"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling is {pooling!r}; choose from {', '.join(POOLINGS)}")
        if pooling == "mean" and not (isinstance(getattr(hf_model, "classifier", None), nn.Linear)
                                      and hasattr(hf_model, "dropout")):
            raise ValueError(f"mean pooling needs a BERT-style classifier (a Linear `classifier` and a `dropout`); "
                             f"{type(hf_model).__name__} has none: use pooling='cls'")
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision is {precision!r}; choose from fp32, bf16")
        self.hf, self.pad_id, self.pooling, self.precision = hf_model, int(pad_id), pooling, precision

    def forward(self, input_ids=None, inputs_embeds=None,
                attention_mask=None):
        if attention_mask is None:
            attention_mask = (input_ids != self.pad_id).long()
        x = input_ids if input_ids is not None else inputs_embeds
        with _device.autocast(x.device, self.precision):
            logits = self._logits(input_ids, inputs_embeds, attention_mask)
            return logits.float()

    def _logits(self, input_ids, inputs_embeds, attention_mask):
        kw = dict(input_ids=input_ids, inputs_embeds=inputs_embeds,
                  attention_mask=attention_mask)
        if self.pooling == "cls":
            return self.hf(**kw).logits
        h = self.hf.base_model(**kw).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1)
        return self.hf.classifier(self.hf.dropout(pooled))

    def word_embeddings(self) -> nn.Embedding:
        return self.hf.get_input_embeddings()


def param_groups(model: SentimentClassifier) -> list[list[nn.Parameter]]:
    """fastai splitter: [embeddings, lower half of the layers, upper half, head (pooler + classifier)],
    so that ``lr=slice(lo, hi)`` gives the embeddings the lowest rate and the head the highest."""
    base = model.hf.base_model
    layers = list(base.encoder.layer)
    half = len(layers) // 2
    groups = [list(base.embeddings.parameters()),
              [p for l in layers[:half] for p in l.parameters()],
              [p for l in layers[half:] for p in l.parameters()]]
    seen = {id(p) for g in groups for p in g}
    groups.append([p for p in model.parameters() if id(p) not in seen])
    return groups


def _epoch_timer():
    """A fastai callback that keeps the wall seconds of each epoch: ``learn.epoch_seconds``
    (training + validation) and ``learn.train_seconds`` (the training pass alone)."""
    _fastai()
    from fastai.callback.core import Callback

    class EpochTimer(Callback):
        order = 0

        def before_fit(self):
            self.learn.epoch_seconds, self.learn.train_seconds = [], []

        def before_epoch(self):
            self.t0 = time.perf_counter()

        def after_train(self):
            self.learn.train_seconds.append(time.perf_counter() - self.t0)

        def after_epoch(self):
            self.learn.epoch_seconds.append(time.perf_counter() - self.t0)

    return EpochTimer()


def learner(source: ModelSource, dls: DataLoaders, pooling: str = "mean",
            seed: int = 0, wd: float = 0.01, model=None,
            precision: str | None = None) -> Learner:
    """A fastai Learner: the pretrained encoder with a new head,
    cross-entropy loss, accuracy on the validation set, fastai's Adam
    (decoupled weight decay ``wd``, none on biases and LayerNorms), four
    parameter groups for discriminative learning rates. ``model``: an
    ``AutoModelForSequenceClassification`` to use instead of loading
    ``source`` (tests). The model is put on ``dls.device``; ``precision``
    ("fp32" or "bf16", default ``book.device.precision(dls.device)``) is
    the precision its forward pass trains and predicts in
    (``learn.precision``)."""
    _fastai()
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat
    from fastai.metrics import accuracy
    from fastai.torch_core import set_seed

    set_seed(seed)
    hf = model if model is not None else load_pretrained(source)
    precision = precision or _device.precision(dls.device)
    pad = source.tokenizer.pad_token_id
    net = SentimentClassifier(hf, pad, pooling, precision).to(dls.device)
    learn = Learner(dls, net, loss_func=CrossEntropyLossFlat(),
                    metrics=accuracy, splitter=param_groups, wd=wd,
                    path=Path(tempfile.gettempdir()),
                    model_dir="book_bert_lr_find", cbs=_epoch_timer())
    learn.source, learn.pooling = source, pooling
    learn.seed, learn.precision = seed, precision
    return learn


@contextlib.contextmanager
def _silent(learn: Learner):
    """Under BOOK_QUIET=1: no progress bar and no epoch log (the table is shown afterwards)."""
    if quiet():
        with learn.no_bar(), learn.no_logging():
            yield
    else:
        yield


SEEDS_ENV = "BOOK_BERT_SEEDS"


def seeds(dev=None) -> tuple[int, ...]:
    """The seeds chapter 3.3 trains the recipe with on fold 0: ``$BOOK_BERT_SEEDS`` of them (0, 1, ...)
    when set, else three on a GPU and one on a CPU (where the four further folds, one run each,
    already take most of the chapter's time: about 2.5 minutes a run on 2 cores)."""
    n = os.environ.get(SEEDS_ENV, "").strip()
    if n:
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"{SEEDS_ENV}={n!r}: give a whole number of seeds, at least 1")
        return tuple(range(int(n)))
    dev = torch.device(dev) if dev is not None else _device.device()
    return (0, 1, 2) if dev.type == "cuda" else (0,)


def _keep_best():
    """A fastai callback that keeps the weights of the epoch with the highest validation accuracy
    (the earliest on a tie) and loads them back after the last epoch (``learn.best_epoch``, 1-based)."""
    _fastai()
    from fastai.callback.core import Callback

    class KeepBest(Callback):
        order = 60  # after the Recorder (50) has this epoch's metrics

        def before_fit(self):
            self.best, self.state, self.learn.best_epoch = -1.0, None, None

        def after_epoch(self):
            names = [n for n in self.recorder.metric_names if n not in ("epoch", "time")]
            acc = float(self.recorder.values[-1][names.index("accuracy")])
            if acc > self.best:
                self.best, self.learn.best_epoch = acc, self.epoch + 1
                self.state = {k: v.detach().clone() for k, v in self.learn.model.state_dict().items()}

        def after_fit(self):
            if self.state is not None:
                self.learn.model.load_state_dict(self.state)

    return KeepBest()


def train_model(learn: Learner, epochs: int, lr) -> pd.DataFrame:
    """``fit_one_cycle`` quietly, keeping the epoch with the best validation
    accuracy (``learn.best_epoch``), then the recorder's table (one row per
    epoch). The same verb and return as ``book.lstm.train_model`` (train a
    built model, get its history); ``book.lstm.fit`` goes from data to a
    predictor."""
    with _silent(learn):
        learn.fit_one_cycle(epochs, lr, cbs=_keep_best())
    return history(learn)


@dataclass
class SeedRun:
    """One run of chapter 3.3's recipe (a seed on a fold of the rotation): its history, the epoch
    kept, its test record and where it was saved."""
    seed: int
    history: pd.DataFrame
    batch_losses: list
    seconds: float
    best_epoch: int
    valid_accuracy: float
    record: dict
    path: Path
    n_params: int
    n_trained: int = 0
    fold: int = 0

    @property
    def name(self) -> str:
        return self.record["name"]


def run_name(seed: int, fold: int = 0) -> str:
    """``bert_seed{seed}`` on fold 0 (the reproduction's split), ``bert_fold{fold}`` on a further fold
    (seed 0 there), as book.record.Record.fold_runs expects."""
    if fold and seed:
        raise ValueError("a further fold is trained with seed 0 only")
    return f"bert_fold{fold}" if fold else f"bert_seed{seed}"


def train_precision(dev=None) -> str:
    """The frozen recipe's training precision: $BOOK_PRECISION when set, else bf16 where the device
    computes it natively (chosen on validation over three seeds by bench/bert_cheaper.py), else fp32.
    Prediction stays fp32 whatever the training precision."""
    dev = torch.device(dev) if dev is not None else _device.device()
    if os.environ.get(_device.PRECISION_ENV, "auto") not in ("", "auto"):
        return _device.precision(dev)
    return "bf16" if _device._native_bf16(dev)[0] else "fp32"


class StateCache:
    """The pretrained encoder's lower ``frozen`` layers (:func:`lower_states`), computed once per
    distinct text and kept: every run of the frozen recipe and every saved run's prediction
    (:class:`FrozenPredictor`) reads them instead of computing them again."""

    def __init__(self, source: ModelSource, frozen: int = FROZEN, device=None, max_len: int = MAX_LEN):
        self.source, self.frozen, self.max_len = source, frozen, max_len
        self.device = torch.device(device) if device is not None else _device.device()
        self._model, self._states, self.seconds = None, {}, 0.0

    def __len__(self) -> int:
        return len(self._states)

    def states(self, texts) -> list[torch.Tensor]:
        """One ``[length, hidden]`` tensor per text, in input order (computed for the texts not seen yet)."""
        texts = [str(t) for t in texts]
        new = list(dict.fromkeys(t for t in texts if t not in self._states))
        if new:
            t0 = time.perf_counter()
            if self._model is None:
                self._model = SentimentClassifier(load_pretrained(self.source), self.source.tokenizer.pad_token_id,
                                                  "mean", "fp32").to(self.device)
            out = lower_states(self._model, encode(self.source.tokenizer, new, self.max_len), self.frozen)
            self._states.update(zip(new, out))
            self.seconds += time.perf_counter() - t0
        return [self._states[t] for t in texts]


def fit_frozen(source: ModelSource, cache: StateCache, train: pd.DataFrame, valid: pd.DataFrame,
               seed: int = 0) -> tuple[Learner, pd.DataFrame, float]:
    """The frozen recipe's training alone: ``fit_one_cycle(EPOCHS, LR)`` of the layers above
    ``cache.frozen`` on ``train`` in :func:`train_precision`, keeping the best epoch on ``valid``.
    Returns the learner (``learn.full`` predicts), its history and the seconds of training."""
    dls = state_dataloaders(cache.states(train["comment"]), train["sentiment"], cache.states(valid["comment"]),
                            valid["sentiment"], device=cache.device)
    learn = frozen_learner(source, dls, cache.frozen, seed=seed, precision=train_precision(dls.device))
    t0 = time.perf_counter()
    hist = train_model(learn, EPOCHS, LR)
    return learn, hist, time.perf_counter() - t0


def fit_run(source: ModelSource, cache: StateCache, splits, seed: int = 0, fold: int = 0,
            runs_dir: Path | None = None, **params) -> SeedRun:
    """Chapter 3.3's recipe for one ``seed`` on one ``fold``'s splits: the lower ``cache.frozen`` layers
    pretrained and read from ``cache``, the layers above and a new head fine-tuned with
    ``fit_one_cycle(EPOCHS, LR)`` in :func:`train_precision`, the best validation epoch kept; the
    whole classifier scored once (fp32) on the fold's test split as :func:`run_name` (``params`` go
    into its record) and saved to artifacts/bert_runs/<name>/. The learner is freed."""
    learn, hist, seconds = fit_frozen(source, cache, splits.train, splits.valid, seed)
    valid = float(hist["valid_accuracy"].iloc[learn.best_epoch - 1])
    name = run_name(seed, fold)
    info = dict(epochs=EPOCHS, lr=LR, best_epoch=learn.best_epoch, valid_accuracy=valid, frozen=cache.frozen,
                trained_precision=learn.precision)
    rec = evaluate_on_test(learn, splits, name=name, seconds=seconds, fold=fold, **info, **params)
    path = save(learn, (Path(runs_dir) if runs_dir else artifacts_dir() / RUNS_DIR) / name, **info)
    trained = sum(p.numel() for p in learn.model.parameters())
    return SeedRun(seed, hist, [float(x) for x in learn.recorder.losses], seconds, learn.best_epoch, valid, rec,
                   path, sum(p.numel() for p in learn.full.parameters()), trained, fold)


def publish(run: SeedRun, path: Path | None = None) -> Path:
    """Copy a seed's saved model to artifacts/bert/, the folder the predictors load."""
    import shutil

    path = Path(path) if path else artifacts_dir() / "bert"
    if path.exists():
        shutil.rmtree(path)
    shutil.copytree(run.path, path)
    return path



def history(learn: Learner) -> pd.DataFrame:
    """The fastai recorder's per-epoch table (recorder.values) plus each epoch's seconds."""
    names = [n for n in learn.recorder.metric_names if n not in ("epoch", "time")]
    df = pd.DataFrame([[float(v) for v in row] for row in learn.recorder.values], columns=names)
    df.insert(0, "epoch", range(1, len(df) + 1))
    if "accuracy" in df:
        df = df.rename(columns={"accuracy": "valid_accuracy"})
    secs = getattr(learn, "epoch_seconds", [])
    if len(secs) == len(df):
        df["seconds"] = secs
    return df


def _by_length(lengths, bs: int):
    """Positions in chunks of ``bs``, longest first: batches of items of similar length."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for k in range(0, len(order), bs):
        yield order[k:k + bs]


def _length_batches(ids: list[list[int]], pad_id: int, bs: int):
    """(positions, batch) pairs over token-id lists, longest first: each batch holds ``bs`` lists
    of similar length, right-padded with ``pad_id`` only to its own longest."""
    for idx in _by_length([len(i) for i in ids], bs):
        batch = torch.full((len(idx), len(ids[idx[0]])), pad_id, dtype=torch.long)
        for row, i in enumerate(idx):
            batch[row, :len(ids[i])] = torch.tensor(ids[i])
        yield idx, batch


# ---------------------------------------------------------------- a cheaper recipe: lower layers frozen, computed once


@torch.inference_mode()
def lower_states(model: SentimentClassifier, ids: list[list[int]], frozen: int, bs: int = 64) -> list[torch.Tensor]:
    """The embeddings and the lower ``frozen`` encoder layers of ``model``, run once per review in
    eval mode (no dropout) and fp32: one ``[length, hidden]`` tensor per review (no padding), in
    input order, on the CPU. Computed once, they serve every seed of the frozen recipe."""
    from transformers.masking_utils import create_bidirectional_mask

    base = model.hf.base_model
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: list[torch.Tensor | None] = [None] * len(ids)
    try:
        for idx, batch in _length_batches(ids, model.pad_id, bs):
            batch = batch.to(dev)
            mask = (batch != model.pad_id).long()
            h = base.embeddings(input_ids=batch)
            att = create_bidirectional_mask(config=base.config, inputs_embeds=h, attention_mask=mask)
            for layer in base.encoder.layer[:frozen]:
                h = layer(h, att)
            for row, i in enumerate(idx):
                out[i] = h[row, :len(ids[i])].float().cpu().clone()
    finally:
        model.train(was_training)
    return out


class UpperClassifier(nn.Module):
    """The upper layers of a :class:`SentimentClassifier` on top of cached lower-layer states: the
    same layer, dropout and classifier modules (shared, not copied), so training this trains the
    classifier the predictor saves. Input: states ``[batch, length, hidden]`` right-padded with
    zeros (a real position's hidden state is never the zero vector), output: the two logits.
    Mean pooling only (the recipe's)."""

    def __init__(self, model: SentimentClassifier, frozen: int, precision: str | None = None):
        super().__init__()
        if model.pooling != "mean":
            raise ValueError("the frozen recipe pools by the mean (pooling='mean')")
        base = model.hf.base_model
        if not 0 < frozen < len(base.encoder.layer):
            raise ValueError(f"frozen={frozen}: freeze between 1 and {len(base.encoder.layer) - 1} of "
                             f"{len(base.encoder.layer)} layers")
        self.config, self.frozen = base.config, frozen
        self.precision = precision or model.precision
        self.layers = nn.ModuleList(base.encoder.layer[frozen:])
        self.dropout, self.classifier = model.hf.dropout, model.hf.classifier
        for p in model.parameters():
            p.requires_grad_(False)
        for p in self.parameters():
            p.requires_grad_(True)

    def forward(self, states):
        from transformers.masking_utils import create_bidirectional_mask

        mask = (states.abs().sum(-1) != 0).long()
        with _device.autocast(states.device, self.precision):
            att = create_bidirectional_mask(config=self.config, inputs_embeds=states, attention_mask=mask)
            h = states
            for layer in self.layers:
                h = layer(h, att)
            m = mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1)
            return self.classifier(self.dropout(pooled)).float()


def _pad_states(samples):
    """fastai before_batch: right-pad each review's ``[length, hidden]`` states with zeros."""
    n = max(x.shape[0] for x, _ in samples)
    return [(torch.cat([x, x.new_zeros(n - x.shape[0], x.shape[1])]), y) for x, y in samples]


def state_dataloaders(train_states, train_labels, valid_states, valid_labels, bs: int = BATCH_SIZE,
                      device=None) -> DataLoaders:
    """fastai DataLoaders over cached states, batched by length as :func:`dataloaders` batches ids."""
    _fastai()
    from fastai.data.core import DataLoaders
    from fastai.text.data import SortedDL

    def dl(states, labels, bs, shuffle):
        items = [(x, int(y)) for x, y in zip(states, labels)]
        return SortedDL(items, res=[x.shape[0] for x in states], bs=bs, shuffle=shuffle, num_workers=0,
                        before_batch=_pad_states)

    return DataLoaders(dl(train_states, train_labels, bs, True), dl(valid_states, valid_labels, 2 * bs, False),
                       device=torch.device(device) if device is not None else _device.device())


def frozen_learner(source: ModelSource, states_dls: DataLoaders, frozen: int, seed: int = 0, wd: float = 0.01,
                   precision: str | None = None, model=None) -> Learner:
    """A fastai Learner that trains only the layers above ``frozen`` (and the new head) on cached
    lower-layer states (:func:`lower_states`), with the loss, metric, optimiser and weight decay of
    :func:`learner`; the upper layers train in ``precision``. ``learn.full`` is the whole
    :class:`SentimentClassifier` (the lower layers pretrained and unchanged, fp32): predict with it, save it."""
    _fastai()
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat
    from fastai.metrics import accuracy
    from fastai.torch_core import set_seed

    set_seed(seed)
    hf = model if model is not None else load_pretrained(source)
    precision = precision or _device.precision(states_dls.device)
    full = SentimentClassifier(hf, source.tokenizer.pad_token_id, "mean", "fp32").to(states_dls.device)
    learn = Learner(states_dls, UpperClassifier(full, frozen, precision), loss_func=CrossEntropyLossFlat(), metrics=accuracy,
                    wd=wd, path=Path(tempfile.gettempdir()), model_dir="book_bert_lr_find", cbs=_epoch_timer())
    learn.source, learn.pooling, learn.seed, learn.precision, learn.full = source, "mean", seed, precision, full
    return learn


# ---------------------------------------------------------------- prediction


@torch.inference_mode()
def predict_proba(model: SentimentClassifier, tokenizer, texts, max_len: int = MAX_LEN, bs: int = 64) -> np.ndarray:
    """P(positive) per text, in input order: batches of similar length (longest first), each
    right-padded with the pad id only to its own longest text; truncation at ``max_len``.
    Runs on the model's device in the model's precision (``model.precision``).
    Plain torch, so that prediction does not import fastai."""
    ids = encode(tokenizer, texts, max_len)
    out = np.empty(len(ids))
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for idx, batch in _length_batches(ids, tokenizer.pad_token_id, bs):
            out[idx] = torch.softmax(model(batch.to(dev)).float(), dim=-1)[:, 1].cpu().numpy()
    finally:
        model.train(was_training)
    return out


def evaluate_on_test(learn: Learner, splits, name: str = "bert", seconds: float | None = None,
                     max_len: int = MAX_LEN, **params) -> dict:
    """Score the fine-tuned model once on the common test split via ``book.metrics.evaluate``
    (recorded in metrics.json with the model that actually ran, and the device and precision it
    ran in)."""
    from .metrics import evaluate

    test = splits.test
    net = whole(learn)
    prob = predict_proba(net, learn.source.tokenizer, test["comment"], max_len)
    return evaluate(name, test["sentiment"].to_numpy(), (prob >= 0.5).astype(int), prob=prob,
                    review_ids=test.index, seconds=seconds, family="bert", model_id=learn.source.name,
                    model_path=learn.source.path, model_origin=learn.source.origin, pooling=net.pooling,
                    max_len=max_len, batch_size=learn.dls.train.bs, seed=learn.seed,
                    device=next(net.parameters()).device.type, precision=net.precision, **params)


def whole(learn: Learner) -> SentimentClassifier:
    """The whole classifier of a learner: ``learn.full`` for the frozen recipe, else ``learn.model``."""
    full = getattr(learn, "full", None)
    return full if full is not None else learn.model


def save(learn: Learner, path: Path | None = None, max_len: int = MAX_LEN, **info) -> Path:
    """The fine-tuned model and tokenizer (``save_pretrained``, fp32 weights whatever the
    training precision) plus book_bert.json (pooling, max_len, the pretrained model that was
    fine-tuned, the device and precision it was trained in, anything in ``info``)."""
    path = Path(path) if path else artifacts_dir() / "bert"
    path.mkdir(parents=True, exist_ok=True)
    net = whole(learn)
    hf = net.hf
    if any(p.is_floating_point() and p.dtype != torch.float32 for p in hf.state_dict().values()):
        import copy
        hf = copy.deepcopy(hf).float()   # autocast keeps fp32 weights; this is only a safeguard
    with _quiet_transformers():  # no "Writing model shards" bar
        hf.save_pretrained(path)
        learn.source.tokenizer.save_pretrained(path)
    meta = {"pooling": net.pooling, "max_len": int(max_len), "base_model": learn.source.name,
            "base_model_path": learn.source.path, "seed": learn.seed,
            "trained_on": next(net.parameters()).device.type, "trained_precision": net.precision, **info}
    (path / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


class BertPredictor:
    """The saved fine-tuned model: ``predict_proba(texts)`` → P(positive); texts longer than
    ``max_len`` tokens are truncated (``truncated(texts)`` says which). It runs on ``device``
    in ``precision`` (defaults: ``book.device.device()`` and ``book.device.precision``)."""

    def __init__(self, path: Path, device=None, precision: str | None = None):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.path = Path(path)
        self.meta = json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
        with _quiet_transformers():
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            hf = AutoModelForSequenceClassification.from_pretrained(self.path)
        dev = torch.device(device) if device is not None else _device.device()
        self.precision = precision or _device.precision(dev)
        self.model = SentimentClassifier(hf, self.tokenizer.pad_token_id, self.meta["pooling"],
                                         self.precision).to(dev).eval()
        self.max_len = int(self.meta["max_len"])
        self.name = f"bert ({Path(self.meta['base_model']).name}, {self.meta['pooling']} pooling)"

    def predict_proba(self, texts) -> np.ndarray:
        return predict_proba(self.model, self.tokenizer, texts, self.max_len)

    def truncated(self, texts) -> list[bool]:
        return [bool(n > self.max_len) for n in n_tokens(self.tokenizer, texts)]


class FrozenPredictor:
    """A saved run of the frozen recipe predicting from a :class:`StateCache`: only its upper layers
    and head run per text (fp32), the pretrained lower layers come from the cache, which every saved
    run of the recipe shares. Gives :class:`BertPredictor`'s probabilities (tested) at a fraction of the cost."""

    def __init__(self, path: Path | str, cache: StateCache):
        from transformers import AutoModelForSequenceClassification

        self.path, self.cache = Path(path), cache
        self.meta = json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
        if self.meta.get("frozen") != cache.frozen or self.meta["base_model"] != cache.source.name:
            raise ValueError(f"{self.path} was not trained with the lower {cache.frozen} layers of "
                             f"{cache.source.name} frozen (its {META_FILE}: frozen={self.meta.get('frozen')}, "
                             f"base_model={self.meta['base_model']})")
        with _quiet_transformers():
            hf = AutoModelForSequenceClassification.from_pretrained(self.path)
        full = SentimentClassifier(hf, cache.source.tokenizer.pad_token_id, "mean", "fp32").to(cache.device)
        self.model = UpperClassifier(full, cache.frozen, "fp32").eval()
        self.name = f"bert ({Path(self.meta['base_model']).name}, lower {cache.frozen} layers cached)"

    @torch.inference_mode()
    def predict_proba(self, texts, bs: int = 64) -> np.ndarray:
        states = self.cache.states(texts)
        out = np.empty(len(states))
        for idx in _by_length([s.shape[0] for s in states], bs):
            batch = torch.stack([x for x, _ in _pad_states([(states[i], 0) for i in idx])]).to(self.cache.device)
            out[idx] = torch.softmax(self.model(batch), dim=-1)[:, 1].cpu().numpy()
        return out


def load_predictor(path: Path | str | None = None, device=None, precision: str | None = None) -> BertPredictor:
    """The predictor saved by the BERT chapter (default: artifacts/bert/), on ``device`` in
    ``precision`` (defaults: $BOOK_DEVICE, $BOOK_PRECISION; see book/device.py)."""
    path = Path(path) if path else artifacts_dir() / "bert"
    if not (path / META_FILE).is_file():
        raise BertModelError(f"no trained BERT model in {path} (no {META_FILE}): {BUILD_HINT}")
    return BertPredictor(path, device=device, precision=precision)


# ---------------------------------------------------------------- attributions


def integrated_gradients(model: SentimentClassifier, tokenizer, text: str,
                         steps: int = 32, max_len: int = MAX_LEN,
                         precision: str = "fp32") -> pd.DataFrame:
    """Integrated gradients of the positive-vs-negative logit margin over the
    word embeddings.

    Baseline: the same sequence with every non-special token replaced by the
    pad embedding. attribution_i = (x_i - x'_i) · mean over the path of
    ∂margin/∂x_i (midpoint rule, ``steps`` points, one batch). The
    attributions add up to margin(x) - margin(baseline) up to the integration
    error (returned in ``df.attrs``). >0 pushes towards positive.

    Runs on the model's device in ``precision``, fp32 by default whatever
    the model predicts in: one batch of ``steps`` costs little, and in bf16
    (8 bits of mantissa) the rounding of each forward pass, not the
    integration, would dominate the completeness gap the chapter reports.
    """
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision is {precision!r}; "
                         "choose from fp32, bf16")
    enc = tokenizer(text, truncation=True, max_length=max_len,
                    return_offsets_mapping=True)
    dev = next(model.parameters()).device
    ids = torch.tensor([enc["input_ids"]], device=dev)
    special = tokenizer.get_special_tokens_mask(
        enc["input_ids"], already_has_special_tokens=True)
    special = torch.tensor(special, dtype=torch.bool, device=dev)
    emb = model.word_embeddings()
    was_training, model_precision = model.training, model.precision
    model.eval()
    model.precision = precision
    try:
        with torch.no_grad():
            x = emb(ids)[0]                                   # (L, d)
            pad = emb.weight[tokenizer.pad_token_id].expand_as(x)
            base = torch.where(special[:, None], x, pad)
        k = torch.arange(steps, dtype=x.dtype, device=dev)
        alphas = (k + 0.5) / steps
        path = base + alphas[:, None, None] * (x - base)      # (steps, L, d)
        path = path.requires_grad_(True)
        mask = torch.ones(steps, x.shape[0], dtype=torch.long, device=dev)
        logits = model(inputs_embeds=path, attention_mask=mask)
        margin = logits[:, 1] - logits[:, 0]
        (grad,) = torch.autograd.grad(margin.sum(), path)
        attr = ((x - base) * grad.mean(0)).sum(-1).detach()
        with torch.no_grad():
            ends = model(inputs_embeds=torch.stack([base, x]),
                         attention_mask=mask[:2])
        delta = float((ends[1, 1] - ends[1, 0]) - (ends[0, 1] - ends[0, 0]))
    finally:
        model.train(was_training)
        model.precision = model_precision
    df = pd.DataFrame({
        "token": tokenizer.convert_ids_to_tokens(enc["input_ids"]),
        "start": [a for a, _ in enc["offset_mapping"]],
        "end": [b for _, b in enc["offset_mapping"]],
        "special": special.cpu().numpy(),
        "attribution": attr.float().cpu().numpy(),
    })
    gap = abs(delta - float(attr.sum()))
    df.attrs.update(margin_delta=delta, completeness_gap=gap, text=text)
    return df


def integrated_gradients_within(model: SentimentClassifier, tokenizer, text: str, tol: float = 0.05,
                                steps: int = 32, max_steps: int = 1024, **kw) -> pd.DataFrame:
    """:func:`integrated_gradients` with the step count doubled from ``steps`` until the
    completeness gap is at most ``tol`` of the logit difference (or ``max_steps`` is reached);
    ``df.attrs["steps"]`` says how many it took."""
    while True:
        df = integrated_gradients(model, tokenizer, text, steps=steps, **kw)
        if df.attrs["completeness_gap"] <= tol * abs(df.attrs["margin_delta"]) or steps >= max_steps:
            df.attrs["steps"] = steps
            return df
        steps *= 2


def attribution_html(df: pd.DataFrame, text: str | None = None) -> str:
    """The text with each character coloured by the attribution of the token that covers it:
    blue pushes towards positive, red towards negative, stronger colour = larger |attribution|."""
    from .plots import NEG, POS

    text = text if text is not None else df.attrs["text"]
    rows = df[~df["special"] & (df["end"] > df["start"])]
    rows = rows[[bool(t.strip("▁ ")) for t in rows["token"]]]    # skip bare word-start pieces
    scale = float(rows["attribution"].abs().max() or 1.0)
    owner = [None] * len(text)
    for i, r in rows.iterrows():
        for c in range(int(r["start"]), min(int(r["end"]), len(text))):
            owner[c] = i
    spans, c = [], 0
    while c < len(text):
        i, e = owner[c], c
        while e < len(text) and owner[e] == i:
            e += 1
        chunk = html.escape(text[c:e])
        if i is None:
            spans.append(chunk)
        else:
            a = float(df.loc[i, "attribution"])
            rgb = tuple(int((POS if a > 0 else NEG)[k:k + 2], 16) for k in (1, 3, 5))
            alpha = 0.1 + 0.8 * abs(a) / scale
            spans.append(f'<span title="{a:+.3f}" style="background-color: rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.2f});'
                         f' padding: 1px 0; border-radius: 2px">{chunk}</span>')
        c = e
    return ('<div style="font-size: 1.4em; line-height: 2em; margin: 0.5em 0">' + "".join(spans) + "</div>")
