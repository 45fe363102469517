"""The LSTM classifier, in pipeline order: vocabulary → encoding → length-bucketed batches →
model → training with validation → prediction → saving / the predictor → the embedding t-SNE
and the word-by-word (prefix) predictions the chapter discusses.

The model keeps the original study's shape (embedding 400, LSTM hidden 256, 2 layers, dropout,
one logit with a sigmoid / binary cross-entropy head, the last hidden state as the review's
summary). What changes is how it is fed: the original left-padded every review to a fixed
length and pushed the padding through the LSTM; here reviews of similar length are batched
together and padded on the right only up to the longest review of the batch, and no review's
summary ever depends on padding (packed with ``pack_padded_sequence`` when bidirectional;
read at each review's own last word when not — see :class:`LSTMClassifier`).

Device: the model and its batches live on ``book.device.device()`` ($BOOK_DEVICE: CUDA when
there is one, else the CPU). Precision: always fp32, whatever $BOOK_PRECISION says. bfloat16
autocast does run an LSTM on a CPU with AVX512-BF16 (measured on the development machine: a
training step 1.65x faster, 0.48 s against 0.80 s for 8 batches of 32 × 60 words, one thread),
but the chapter's seeds, grid and figures were chosen in fp32 and bf16's effect on their
accuracy has not been measured; BERT is where the time goes, so only BERT follows the precision.

The analysis of a trained model (t-SNE of the word vectors, neighbours, prefix predictions) is
in book/probe.py.
"""
from __future__ import annotations

import copy
import json
import math
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader, Dataset, Sampler

from . import device as _device
from . import quiet
from .names import BUILD_HINT
from .text import tokenize

PAD, UNK = 0, 1
PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"
# torch threads for the chapter (torch.set_num_threads(THREADS)). The book is built on 2 cores;
# an LSTM on batches of a few dozen reviews gains little from a second thread, and when the
# other core is busy (the notebook server, another process) OpenMP's waiting makes 2 threads
# many times slower than 1 (measured: 20-30x on the shared development machine).
THREADS = 1


# ---------------------------------------------------------------- vocabulary


class Vocab:
    """Word ↔ id. Id 0 is padding, id 1 the unknown word; the rest are the training
    reviews' words seen at least ``min_count`` times, most frequent first."""

    def __init__(self, itos: Sequence[str]):
        itos = list(itos)
        if itos[:2] != [PAD_TOKEN, UNK_TOKEN]:
            raise ValueError(f"a vocabulary must start with {PAD_TOKEN!r}, {UNK_TOKEN!r}; got {itos[:2]}")
        if len(set(itos)) != len(itos):
            raise ValueError("a vocabulary cannot list the same word twice")
        self.itos = itos
        self.stoi = {w: i for i, w in enumerate(itos)}

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]], min_count: int = 1) -> Vocab:
        """From tokenized documents (the training split only: a word first seen in
        validation or test must stay unknown, as it would be for a new review)."""
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counts = Counter(w for doc in docs for w in doc)
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls([PAD_TOKEN, UNK_TOKEN, *words])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: str) -> bool:
        return word in self.stoi and self.stoi[word] > UNK

    def encode(self, words: Sequence[str]) -> list[int]:
        return [self.stoi.get(w, UNK) for w in words]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocab:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


def encode_texts(texts: Iterable[str], vocab: Vocab, max_len: int) -> list[list[int]]:
    """Tokenize and encode reviews, keeping the first ``max_len`` words. A review with no
    Chinese word at all (emoji, Latin letters only) becomes one unknown word: the model
    then treats it as it treats any review whose words it has never seen."""
    out = []
    for t in texts:
        ids = vocab.encode(tokenize(t))[:max_len]
        out.append(ids or [UNK])
    return out


# ---------------------------------------------------------------- batches


class ReviewDataset(Dataset):
    """Encoded reviews (lists of ids) and their labels."""

    def __init__(self, ids: Sequence[Sequence[int]], labels: Sequence[int] | None = None):
        if labels is not None and len(labels) != len(ids):
            raise ValueError(f"{len(ids)} reviews but {len(labels)} labels")
        if any(len(x) == 0 for x in ids):
            raise ValueError("every encoded review needs at least one id (encode_texts gives [UNK] to empty ones)")
        self.ids = [list(x) for x in ids]
        self.labels = None if labels is None else [int(y) for y in labels]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return self.ids[i], (self.labels[i] if self.labels is not None else -1)

    def lengths(self) -> list[int]:
        return [len(x) for x in self.ids]


class BucketBatchSampler(Sampler):
    """Batches of reviews of similar length, so little padding is needed.

    With ``shuffle``: the reviews are shuffled, cut into chunks of ``batch_size * chunk_batches``,
    each chunk is sorted by length and cut into batches, and the batches are shuffled — random
    enough to train on, sorted enough to waste almost nothing on padding. Seeded: the order of
    epoch e depends only on (seed, e). Without ``shuffle``: all reviews sorted by length (for
    prediction)."""

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = True,
                 seed: int = 0, chunk_batches: int = 50):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.seed, self.chunk = seed, batch_size * chunk_batches
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self):
        bs = self.batch_size
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            yield from (order[i:i + bs].tolist() for i in range(0, len(order), bs))
            return
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        perm = rng.permutation(len(self.lengths))
        batches = []
        for c in range(0, len(perm), self.chunk):
            chunk = perm[c:c + self.chunk]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(chunk[i:i + bs].tolist() for i in range(0, len(chunk), bs))
        for j in rng.permutation(len(batches)):
            yield batches[j]


def collate(batch):
    """Pad on the right (with PAD = 0) to the batch's longest review.
    Returns (ids [B, T], lengths [B], labels [B] as float)."""
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    x = torch.full((len(seqs), int(lengths.max())), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        x[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return x, lengths, torch.tensor(labels, dtype=torch.float32)


def collate_left(batch, max_len: int):
    """The original's ``pad_features``: each review's first ``max_len`` ids, zeros on the left to
    exactly ``max_len``. Returns (ids [B, max_len], labels [B] as float)."""
    seqs, labels = zip(*batch)
    x = torch.full((len(seqs), max_len), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = list(s)[:max_len]
        x[i, max_len - len(s):] = torch.tensor(s, dtype=torch.long)
    return x, torch.tensor(labels, dtype=torch.float32)


class ShuffledBatchSampler(Sampler):
    """Plain shuffled batches (the original's ``DataLoader(shuffle=True)``), seeded: the order of
    epoch e depends only on (seed, e)."""

    def __init__(self, n: int, batch_size: int, seed: int = 0):
        self.n, self.batch_size, self.seed, self.epoch = n, batch_size, seed, 0

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        perm = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        self.epoch += 1
        yield from (perm[i:i + self.batch_size].tolist() for i in range(0, self.n, self.batch_size))


def make_loader(ds: ReviewDataset, batch_size: int, shuffle: bool, seed: int = 0,
                left_pad_to: int | None = None) -> DataLoader:
    """Length buckets padded on the right (the book's way), or, with ``left_pad_to``, shuffled
    batches left-padded to that many ids (the original's way; yields (ids, None, labels))."""
    if left_pad_to is not None:
        def collate_fn(batch):
            x, y = collate_left(batch, left_pad_to)
            return x, None, y
        return DataLoader(ds, batch_sampler=ShuffledBatchSampler(len(ds), batch_size, seed), collate_fn=collate_fn)
    return DataLoader(ds, batch_sampler=BucketBatchSampler(ds.lengths(), batch_size, shuffle, seed),
                      collate_fn=collate)


# ---------------------------------------------------------------- model


@dataclass
class LSTMConfig:
    """Everything that defines a run. The first five are the original's architecture."""

    embedding_dim: int = 400
    hidden_dim: int = 256
    num_layers: int = 2
    dropout: float = 0.5          # between the LSTM layers and before the output layer
    bidirectional: bool = False
    pooling: str = "last"         # "last": final hidden state (the original); "max": max over all steps
    embed_dropout: float = 0.3    # on the word vectors (not in the original)
    embed_init_std: float = 0.1   # word vectors start as N(0, std²); PyTorch's default is 1.0
    min_count: int = 1            # words seen fewer times in training become <unk>
    max_len: int = 200            # words kept per review (the rest is cut off)
    batch_size: int = 32
    epochs: int = 4
    patience: int = 1             # stop after this many epochs without a better validation score
    monitor: str = "valid_accuracy"  # which epoch is kept: best accuracy (ties: lower loss) or "valid_loss"
    lr: float = 1e-3
    weight_decay: float = 0.0
    clip: float = 5.0             # gradient norm clipping
    # the original's way of feeding and keeping the model (ORIGINAL_CONFIG); the defaults are the book's
    padding: str = "bucket"       # "bucket": right-padded length buckets; "left": every review left-padded to max_len
    fc_dropout: float | None = None   # dropout before the output layer (None: same as ``dropout``)
    pad_embedding: bool = False   # the padding id has a trained word vector, as in a plain nn.Embedding
    keep: str = "best"            # "best": the best validation epoch; "last": the last epoch trained

    def __post_init__(self):
        if self.padding not in ("bucket", "left"):
            raise ValueError(f"padding must be 'bucket' or 'left', got {self.padding!r}")
        if self.keep not in ("best", "last"):
            raise ValueError(f"keep must be 'best' or 'last', got {self.keep!r}")
        if self.padding == "left" and self.bidirectional:
            raise ValueError("a left-padded batch is read at its last step: one direction only")
        if self.pooling not in ("last", "max"):
            raise ValueError(f"pooling must be 'last' or 'max', got {self.pooling!r}")
        if self.monitor not in ("valid_accuracy", "valid_loss"):
            raise ValueError(f"monitor must be 'valid_accuracy' or 'valid_loss', got {self.monitor!r}")
        for f in ("embedding_dim", "hidden_dim", "num_layers", "max_len", "batch_size", "epochs"):
            if getattr(self, f) < 1:
                raise ValueError(f"{f} must be at least 1, got {getattr(self, f)}")

    @classmethod
    def from_dict(cls, d: dict) -> LSTMConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# The original notebook's recipe (../shared/reference/original.md): 100 word ids per review padded
# with zeros on the left (the first 100 kept), Embedding(V, 400) at PyTorch's default N(0, 1)
# initialisation with a trained padding vector, LSTM(400, 256, 2, dropout=0.5), dropout 0.3, one
# logit read at the last step, batch 50, Adam 1e-3, 4 epochs, clip 5, the last epoch kept.
ORIGINAL_CONFIG = dict(embedding_dim=400, hidden_dim=256, num_layers=2, dropout=0.5, fc_dropout=0.3,
                       embed_dropout=0.0, embed_init_std=1.0, pad_embedding=True, min_count=1, max_len=100,
                       padding="left", batch_size=50, epochs=4, patience=4, keep="last", lr=1e-3, clip=5.0)

CONFIG_NOTES = {
    "embedding_dim": "词向量维数（原报告）",
    "hidden_dim": "LSTM 隐藏状态维数（原报告）",
    "num_layers": "LSTM 层数（原报告）",
    "dropout": "LSTM 层间与输出层前的 dropout",
    "bidirectional": "是否双向（原报告：否）",
    "pooling": "评论的表示：last 为最后一个词处的隐藏状态（原报告），max 为各时间步取最大",
    "embed_dropout": "词向量上的 dropout",
    "embed_init_std": "词向量初始值的标准差（PyTorch 默认 1）",
    "min_count": "进入词表所需的最少出现次数（训练集）",
    "max_len": "每条评论保留的词数",
    "batch_size": "每批评论数",
    "epochs": "最多训练轮数",
    "patience": "验证集连续多少轮没有改进就停止",
    "monitor": "按验证集的哪个指标保留最好的一轮",
    "lr": "Adam 的学习率",
    "weight_decay": "Adam 的权重衰减",
    "clip": "梯度范数的上限（梯度裁剪）",
    "padding": "补位方式：bucket 为按长度分桶、右侧补到批内最长，left 为左侧补 0 到 max_len（原报告）",
    "fc_dropout": "输出层前的 dropout（None：同 dropout）",
    "pad_embedding": "补位符是否有一个参与训练的词向量（原报告：是）",
    "keep": "保留哪一轮：best 为验证集最好的一轮，last 为最后一轮（原报告）",
}


def config_table(cfg: LSTMConfig) -> pd.DataFrame:
    """The settings of a run as a table: parameter, value, meaning."""
    return pd.DataFrame([(k, str(v), CONFIG_NOTES.get(k, "")) for k, v in asdict(cfg).items()],
                        columns=["参数", "取值", "含义"]).set_index("参数")


class LSTMClassifier(nn.Module):
    """Embedding → LSTM (2 layers) → last hidden state → dropout → one logit.

    ``forward(x, lengths)`` takes a right-padded batch and never lets the padding reach a
    review's summary:

    - bidirectional: the batch is packed (``pack_padded_sequence``), so the backward direction
      starts at each review's own last word;
    - one direction: the output at step t depends only on steps 1..t, so the padding after a
      review's last word cannot change anything before it. The LSTM runs over the padded
      tensor and each review's summary is read at its own last word — exactly what packing
      gives (tests/test_lstm.py checks it), and 2-3 times faster to train on the CPU, where
      PyTorch's kernel for a packed batch of unequal lengths is slow in the backward pass.

    ``forward(x)`` without lengths runs every step of ``x`` and reads the last one: the
    original's way, correct only for left-padded input (see bench/lstm_speed.py).
    Bidirectional: the two directions' final states are concatenated."""

    def __init__(self, vocab_size: int, cfg: LSTMConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(vocab_size, cfg.embedding_dim,
                                      padding_idx=None if cfg.pad_embedding else PAD)
        with torch.no_grad():
            self.embedding.weight.normal_(0.0, cfg.embed_init_std)
            if not cfg.pad_embedding:
                self.embedding.weight[PAD].zero_()
        self.embed_dropout = nn.Dropout(cfg.embed_dropout)
        self.lstm = nn.LSTM(cfg.embedding_dim, cfg.hidden_dim, num_layers=cfg.num_layers,
                            batch_first=True, bidirectional=cfg.bidirectional,
                            dropout=cfg.dropout if cfg.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(cfg.dropout if cfg.fc_dropout is None else cfg.fc_dropout)
        self.fc = nn.Linear(cfg.hidden_dim * (2 if cfg.bidirectional else 1), 1)

    def forward(self, x: torch.Tensor,
                lengths: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.embed_dropout(self.embedding(x))
        if lengths is None:
            h = self.summary_left_padded(self.lstm(emb)[0])
        elif self.cfg.bidirectional:
            h = self.summary_packed(emb, lengths)
        else:
            h = self.summary_right_padded(self.lstm(emb)[0], lengths)
        return self.fc(self.dropout(h)).squeeze(-1)

    def summary_packed(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed)
        if self.cfg.pooling == "max":
            out, _ = pad_packed_sequence(out, batch_first=True, padding_value=float("-inf"))
            return out.max(dim=1).values
        return torch.cat([h_n[-2], h_n[-1]], dim=1) if self.cfg.bidirectional else h_n[-1]

    def summary_right_padded(self, out: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One direction only: each review's output at its own last word (or the max over its
        own words)."""
        if self.cfg.bidirectional:
            raise ValueError("a bidirectional LSTM reads padding on its way back: pack the batch")
        if self.cfg.pooling == "max":
            pad = torch.arange(out.shape[1], device=out.device)[None, :] >= lengths[:, None]
            return out.masked_fill(pad[:, :, None], float("-inf")).max(dim=1).values
        return out[torch.arange(out.shape[0], device=out.device), lengths - 1]

    def summary_left_padded(self, out: torch.Tensor) -> torch.Tensor:
        """Every step counts (the original's way): the output at the last step (for the
        backward direction, at the first), or the max over all steps."""
        if self.cfg.pooling == "max":
            return out.max(dim=1).values
        if self.cfg.bidirectional:
            h = self.cfg.hidden_dim
            return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)
        return out[:, -1]


# ---------------------------------------------------------------- training


def seed_everything(seed: int) -> None:
    """Python, NumPy and torch generators. On the CPU the LSTM's kernels are deterministic
    for a fixed number of threads, so the same seed gives the same weights."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _progress(it, show: bool):
    if not show:
        return it
    from fastprogress.fastprogress import progress_bar
    return progress_bar(it)


@torch.no_grad()
def predict_logits(model: LSTMClassifier, ds: ReviewDataset, batch_size: int = 256) -> np.ndarray:
    """Logits in the dataset's order (batches sorted by length, then put back in place), computed
    on the model's device."""
    model.eval()
    dev = model_device(model)
    out = np.empty(len(ds), dtype=np.float32)
    left = model.cfg.padding == "left"
    sampler = BucketBatchSampler(ds.lengths(), batch_size, shuffle=False)
    for idx in sampler:
        batch = [ds[i] for i in idx]
        if left:
            x, _ = collate_left(batch, model.cfg.max_len)
            out[idx] = model(x.to(dev)).float().cpu().numpy()
        else:
            x, lengths, _ = collate(batch)
            out[idx] = model(x.to(dev), lengths.to(dev)).float().cpu().numpy()
    return out


def model_device(model: nn.Module) -> torch.device:
    """The device a model's weights are on."""
    return next(model.parameters()).device


def _bce(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy from logits (numerically stable)."""
    return float(np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))))


def train_epoch(model: LSTMClassifier, batches, opt: torch.optim.Optimizer,
                clip: float,
                left_padded: bool = False) -> tuple[float, float]:
    """One pass over ``batches`` of (ids, lengths, labels): binary
    cross-entropy on the logit, gradient norm clipped to ``clip``.
    ``left_padded=True`` ignores the lengths and runs every step of each
    (left-padded) row, as the original did. Returns (mean loss, accuracy),
    both measured in training mode (dropout on) as the epoch goes. Batches
    go to the model's device."""
    model.train()
    dev = model_device(model)
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    total, correct, n = 0.0, 0, 0
    for x, lengths, y in batches:
        x, y = x.to(dev), y.to(dev)
        lengths = None if left_padded or lengths is None else lengths.to(dev)
        opt.zero_grad()
        logits = model(x, lengths)
        loss = loss_fn(logits, y)
        (loss / len(y)).backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        total += float(loss.detach())
        correct += int(((logits.detach() > 0).float() == y).sum())
        n += len(y)
    return total / n, correct / n


def train_model(model: LSTMClassifier, train_ds: ReviewDataset, valid_ds: ReviewDataset,
                cfg: LSTMConfig, seed: int = 0, progress: bool | None = None) -> pd.DataFrame:
    """Adam with gradient clipping; validation after every epoch; the best epoch's weights are
    put back into ``model`` at the end; stops early after ``cfg.patience`` epochs without
    improvement. Best = highest validation accuracy, ties going to the lower validation loss
    (``cfg.monitor == "valid_accuracy"``), or lowest validation loss (``"valid_loss"``).
    Returns one row per epoch; column ``best`` marks the epoch kept."""
    show = (not quiet()) if progress is None else progress
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loader = make_loader(train_ds, cfg.batch_size, shuffle=True, seed=seed,
                         left_pad_to=cfg.max_len if cfg.padding == "left" else None)
    y_valid = np.asarray(valid_ds.labels, dtype=np.float32)
    rows, best, best_epoch, best_state, since_best = [], None, 0, None, 0
    for epoch in _progress(range(1, cfg.epochs + 1), show):
        t0 = time.perf_counter()
        train_loss, train_acc = train_epoch(model, loader, opt, cfg.clip)
        v_logits = predict_logits(model, valid_ds)
        row = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_acc,
               "valid_loss": _bce(v_logits, y_valid),
               "valid_accuracy": float(np.mean((v_logits > 0) == y_valid)),
               "seconds": time.perf_counter() - t0}
        rows.append(row)
        score = ((row["valid_accuracy"], -row["valid_loss"]) if cfg.monitor == "valid_accuracy"
                 else (-row["valid_loss"],))
        if best is None or score > best or cfg.keep == "last":
            best, best_epoch, since_best = score, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
            if since_best >= cfg.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    hist = pd.DataFrame(rows)
    hist["best"] = hist["epoch"] == best_epoch
    return hist


@dataclass
class FitResult:
    predictor: LSTMPredictor
    history: pd.DataFrame
    seconds: float
    seed: int

    @property
    def best_epoch(self) -> int:
        return int(self.history.loc[self.history["best"], "epoch"].iloc[0])

    @property
    def valid_accuracy(self) -> float:
        return float(self.history.loc[self.history["best"], "valid_accuracy"].iloc[0])


def fit(train: pd.DataFrame, valid: pd.DataFrame, cfg: LSTMConfig | None = None, seed: int = 0,
        progress: bool | None = None, name: str = "lstm", device=None) -> FitResult:
    """Build the vocabulary from ``train`` (columns comment, sentiment), train with early
    stopping on ``valid`` on ``device`` (default ``book.device.device()``), return the predictor,
    the per-epoch history and the seconds taken. The weights start the same for a seed on any
    device (they are drawn on the CPU, then moved)."""
    cfg = cfg or LSTMConfig()
    t0 = time.perf_counter()
    seed_everything(seed)
    train_tokens = [tokenize(t) for t in train["comment"]]
    vocab = Vocab.build(train_tokens, min_count=cfg.min_count)
    train_ids = [(vocab.encode(ws)[:cfg.max_len] or [UNK]) for ws in train_tokens]
    train_ds = ReviewDataset(train_ids, train["sentiment"].tolist())
    valid_ds = ReviewDataset(encode_texts(valid["comment"], vocab, cfg.max_len), valid["sentiment"].tolist())
    dev = torch.device(device) if device is not None else _device.device()
    model = LSTMClassifier(len(vocab), cfg).to(dev)
    history = train_model(model, train_ds, valid_ds, cfg, seed=seed, progress=progress)
    pred = LSTMPredictor(model, vocab, cfg, name=name, info={"seed": seed, "device": dev.type, "precision": "fp32"})
    return FitResult(pred, history, time.perf_counter() - t0, seed)


def _fit_job(job: dict) -> bytes:
    """One :func:`fit` in a worker process of :func:`fit_many`, pickled by value for the parent."""
    import pickle

    torch.set_num_threads(THREADS)
    return pickle.dumps(fit(**job, progress=False))


def fit_workers(n_jobs: int) -> int:
    """How many processes :func:`fit_many` trains in: one per ``THREADS`` cores this process may
    use, at most 4 and at most ``n_jobs``; 1 (the calling process) when the device is not the CPU."""
    import os

    if _device.device().type != "cpu":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(n_jobs, cores // THREADS, 4))


def timing_note(workers: int, threads: int = THREADS) -> str:
    """How :func:`fit_many`'s seconds were measured, for the page: ``workers`` processes of
    ``threads`` torch threads each."""
    if workers <= 1:
        return f"{threads} 个 CPU 线程，一次训练一个模型"
    return (f"每个模型 {threads} 个 CPU 线程，{workers} 个模型同时在各自的进程里训练，"
            "所以这些秒数是旁边另有训练时测得的，可能比单独训练时长")


def fit_many(jobs: Sequence[dict], workers: int | None = None) -> list[FitResult]:
    """:func:`fit` (``THREADS`` torch threads) for each dict of its arguments in ``jobs``, results in
    the order of ``jobs``. On the CPU the fits run side by side in ``workers`` processes (default
    :func:`fit_workers`): an LSTM on one thread leaves the other cores idle, and a seed gives the
    same model in a worker as in the calling process (tested), so only the time changes: each fit's
    ``seconds`` is then measured while the others run beside it."""
    jobs = [dict(j) for j in jobs]
    workers = fit_workers(len(jobs)) if workers is None else workers
    if workers <= 1 or len(jobs) <= 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(THREADS)
        try:
            return [fit(**{"progress": False, **j}) for j in jobs]
        finally:
            torch.set_num_threads(threads)
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [pickle.loads(b) for b in pool.map(_fit_job, jobs)]


# ---------------------------------------------------------------- prediction, saving


class LSTMPredictor:
    """A trained model with its vocabulary: ``predict_proba(texts)`` gives P(positive).

    Long reviews are cut to their first ``max_len`` words (``truncated(texts)`` tells which);
    a review with no Chinese word becomes a single unknown word (``no_words(texts)`` tells
    which) and gets whatever the model says about an unknown word — not a judgement of its
    content."""

    def __init__(self, model: LSTMClassifier, vocab: Vocab, cfg: LSTMConfig, name: str = "lstm",
                 info: dict | None = None):
        self.model, self.vocab, self.cfg, self.name = model.eval(), vocab, cfg, name
        self.info = dict(info or {})

    def predict_tokens(self, docs: Sequence[Sequence[str]], batch_size: int = 256) -> np.ndarray:
        ids = [(self.vocab.encode(ws)[:self.cfg.max_len] or [UNK]) for ws in docs]
        if not ids:
            return np.empty(0)
        logits = predict_logits(self.model, ReviewDataset(ids), batch_size)
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of reviews, not one string")
        return self.predict_tokens([tokenize(t) for t in texts])

    def truncated(self, texts: Sequence[str]) -> list[bool]:
        return [len(tokenize(t)) > self.cfg.max_len for t in texts]

    def no_words(self, texts: Sequence[str]) -> list[bool]:
        return [not tokenize(t) for t in texts]

    def save(self, path: Path | None = None) -> Path:
        """state_dict (model.pt, fp32 tensors on the CPU, whatever device trained it),
        config.json and vocab.json under ``path`` (default artifacts/lstm/)."""
        from .record import artifacts_dir
        path = Path(path) if path is not None else artifacts_dir() / "lstm"
        path.mkdir(parents=True, exist_ok=True)
        state = {k: (v.detach().float() if v.is_floating_point() else v.detach()).cpu()
                 for k, v in self.model.state_dict().items()}
        torch.save(state, path / "model.pt")
        self.vocab.save(path / "vocab.json")
        meta = {"name": self.name, "config": asdict(self.cfg), "vocab_size": len(self.vocab), **self.info}
        (path / "config.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return path


def load_predictor(path: Path | str | None = None, device=None) -> LSTMPredictor:
    """The LSTM the build saved (artifacts/lstm/ unless ``path`` says otherwise), on ``device``
    (default ``book.device.device()``)."""
    from .record import artifacts_dir
    path = Path(path) if path is not None else artifacts_dir() / "lstm"
    for f in ("config.json", "vocab.json", "model.pt"):
        if not (path / f).is_file():
            raise FileNotFoundError(f"no trained LSTM in {path} ({f} is missing): {BUILD_HINT}")
    meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
    cfg = LSTMConfig.from_dict(meta["config"])
    vocab = Vocab.load(path / "vocab.json")
    model = LSTMClassifier(len(vocab), cfg)
    model.load_state_dict(torch.load(path / "model.pt", map_location="cpu", weights_only=True))
    model.to(torch.device(device) if device is not None else _device.device())
    info = {k: v for k, v in meta.items() if k not in ("name", "config", "vocab_size")}
    return LSTMPredictor(model, vocab, cfg, name=meta.get("name", "lstm"), info=info)


def _score(jobs: Sequence[tuple[str, int, int, object]], cfg: LSTMConfig,
           family: str) -> tuple[list[FitResult], pd.DataFrame]:
    """Train one model per (name, seed, fold, splits) job side by side (:func:`fit_many`) and score
    each once on its splits' test split with book.metrics.evaluate (recorded as ``name``)."""
    from . import metrics

    results = fit_many([{"train": sp.train, "valid": sp.valid, "cfg": cfg, "seed": seed,
                         "name": name.rsplit("_", 1)[0]} for name, seed, _, sp in jobs])
    fits, rows = [], []
    for (name, seed, fold, sp), r in zip(jobs, results):
        prob = r.predictor.predict_proba(sp.test["comment"].tolist())
        e = metrics.evaluate(name, sp.test["sentiment"].to_numpy(), (prob >= 0.5).astype(int), prob=prob,
                              review_ids=sp.test.index, seconds=r.seconds, family=family, seed=seed, fold=fold,
                              best_epoch=r.best_epoch, epochs_run=len(r.history),
                              valid_accuracy=r.valid_accuracy, device=r.predictor.info.get("device"),
                              precision="fp32", **asdict(cfg))
        fits.append(r)
        rows.append({"model": e["name"], "seed": seed, "fold": fold, "best_epoch": r.best_epoch,
                     "epochs_run": len(r.history), "valid_accuracy": r.valid_accuracy,
                     "accuracy": e["accuracy"], "f1_macro": e["f1_macro"], "seconds": r.seconds})
    return fits, pd.DataFrame(rows)


def score_seeds(splits, cfg: LSTMConfig, seeds: Sequence[int],
                name: str = "lstm", family: str = "lstm") -> tuple[list[FitResult], pd.DataFrame]:
    """Train one model per seed on splits.train (early stopping on splits.valid; side by side,
    :func:`fit_many`) and score each once on splits.test with book.metrics.evaluate (recorded as
    ``{name}_seed{seed}`` in metrics.json). Returns the fits and one row per seed."""
    fits, table = _score([(f"{name}_seed{seed}", seed, 0, splits) for seed in seeds], cfg, family)
    return fits, table.drop(columns="fold")


def score_folds(folds: dict, cfg: LSTMConfig, seed: int = 0, name: str = "lstm",
                family: str = "lstm") -> tuple[list[FitResult], pd.DataFrame]:
    """The same recipe and ``seed`` on each further fold of the rotation (book.data.fold_splits; fold 0
    is :func:`score_seeds`' split), recorded as ``{name}_fold{f}``. Returns the fits and one row per fold."""
    return _score([(f"{name}_fold{f}", seed, f, sp) for f, sp in folds.items() if f != 0], cfg, family)


def grid_search(splits, cfg: LSTMConfig, embedding_dims: Sequence[int], hidden_dims: Sequence[int],
                seed: int = 0, known: dict | None = None) -> pd.DataFrame:
    """Best validation accuracy and training seconds for each (embedding_dim, hidden_dim),
    everything else as ``cfg``; the test split is not touched. ``known`` maps
    (embedding_dim, hidden_dim) to a FitResult already trained with the same settings and
    seed (it is not trained again); the others are trained side by side (:func:`fit_many`).
    One row per cell."""
    known = dict(known or {})
    cells = [(e, h) for e in embedding_dims for h in hidden_dims]
    todo = [c for c in cells if c not in known]
    fitted = fit_many([{"train": splits.train, "valid": splits.valid, "seed": seed,
                        "cfg": LSTMConfig.from_dict({**asdict(cfg), "embedding_dim": e, "hidden_dim": h})}
                       for e, h in todo])
    known.update(zip(todo, fitted))
    rows = [{"embedding_dim": e, "hidden_dim": h, "valid_accuracy": known[(e, h)].valid_accuracy,
             "seconds": known[(e, h)].seconds} for e, h in cells]
    return pd.DataFrame(rows)


def batch_steps(lengths: Sequence[int], batch_size: int, max_len: int, seed: int = 0) -> dict:
    """LSTM steps one epoch costs: the words themselves, the original's left-padded matrix
    (every review padded to ``max_len``), and this module's length buckets (each batch padded
    to its longest review; packing then skips even those)."""
    cut = np.minimum(np.asarray(lengths), max_len)
    sampler = BucketBatchSampler(cut, batch_size, shuffle=True, seed=seed)
    bucket_padded = sum(int(cut[b].max()) * len(b) for b in sampler)
    return {"words": int(cut.sum()), "left_padded": int(len(cut) * max_len),
            "bucket_padded": bucket_padded}
