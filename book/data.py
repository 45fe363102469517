"""The datasets: download (or take from a mirror), verify, validate, split.

dianping.csv holds 2000 restaurant reviews from dianping.com, columns
``comment,sentiment`` (1 positive, 0 negative, 1000 each): the study's data.

Two cross-domain sets (chapter 5) are used only to test models trained on dianping, never
to train, tune or select: waimai_10k.csv (food-delivery reviews, ``label,review``) and
online_shopping_10_cats.zip (product reviews in 10 categories, ``cat,label,review``).
All three come from the same mirror / cache / URL chain and are checked by sha256.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA_URL = "https://github.com/wshuyi/public_datasets/raw/master/dianping.csv"
SHA256 = "b4e7f1560b28e28321e079dab24ba78920cef3529dd01294e3e4184a82b7c386"
FILENAME = "dianping.csv"
MIRROR_ENV = "DIANPING_DATA_MIRROR"  # a directory holding dianping.csv
CACHE_ENV = "DIANPING_DATA_CACHE"  # where the verified copy is kept (default: <repo>/data)

ROOT = Path(__file__).resolve().parent.parent
SEED = 42
TEST_SIZE = 200
VALID_SIZE = 200


class DataError(ValueError):
    """The dataset is missing, cannot be fetched, or is not what the book expects."""


@dataclass(frozen=True)
class Source:
    """Where one dataset comes from: the file name (in the mirror and the cache), its public
    URL and sha256; for a zip, the CSV inside it (``member``) and that CSV's sha256."""

    filename: str
    url: str
    sha256: str
    member: str | None = None
    member_sha256: str | None = None


_CORPUS = "https://github.com/SophonPlus/ChineseNlpCorpus/raw/master/datasets"
DATASETS = {
    "dianping": Source(FILENAME, DATA_URL, SHA256),
    "waimai_10k": Source("waimai_10k.csv", f"{_CORPUS}/waimai_10k/waimai_10k.csv",
                         "b8b5c11c00b51578d35937fca56e03a126b45381f1ea4b22893237cb377a26fe"),
    "online_shopping_10_cats": Source(
        "online_shopping_10_cats.zip", f"{_CORPUS}/online_shopping_10_cats/online_shopping_10_cats.zip",
        "6816ded66fde9d0927ecbd370b5e12d0174d1abac35192ec014ac2a0a8d25858",
        member="online_shopping_10_cats.csv",
        member_sha256="f6c5b724122d8547b700ac4524898eb7e28abbee63f798e95a8faa408829afdb"),
}


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or ROOT / "data")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_sha(path: Path, expected: str, origin: str) -> None:
    got = sha256_of(path)
    if got != expected:
        raise DataError(
            f"checksum mismatch for {origin}: sha256 is {got}, expected {expected}; "
            "the file is corrupt or not the study's dataset"
        )


def _write_verified(dest: Path, expected: str, origin: str, fill) -> Path:
    """``fill(f)`` writes the file into a temporary file beside ``dest``; it becomes ``dest``
    only if its sha256 matches, so a partial or wrong copy is never left in the cache."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    tmp = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        _check_sha(tmp, expected, origin)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _copy_verified(src: Path, dest: Path, expected: str, origin: str) -> Path:
    def fill(f):
        with open(src, "rb") as s:
            shutil.copyfileobj(s, f)
    return _write_verified(dest, expected, origin, fill)


def _download(url: str, dest: Path, expected: str, timeout: float = 30) -> Path:
    def fill(f):
        with urllib.request.urlopen(url, timeout=timeout) as r:
            shutil.copyfileobj(r, f)
    return _write_verified(dest, expected, url, fill)


def fetch_dataset(url: str = DATA_URL, sha256: str = SHA256, filename: str = FILENAME) -> Path:
    """Return the path of a verified local copy of the dataset.

    Order: the cache (data/ in the repository, or $DIANPING_DATA_CACHE), then the
    mirror directory in $DIANPING_DATA_MIRROR, then the public URL. Every copy is
    checked against the sha256 before it is used or cached.
    """
    dest = cache_dir() / filename
    if dest.exists():
        _check_sha(dest, sha256, f"the cached copy {dest} (delete it to fetch again)")
        return dest
    mirror = os.environ.get(MIRROR_ENV)
    note = f"${MIRROR_ENV} is not set"
    if mirror:
        candidate = Path(mirror) / filename
        if candidate.is_file():
            return _copy_verified(candidate, dest, sha256, f"the mirror copy {candidate}")
        note = f"the mirror ${MIRROR_ENV}={mirror} has no {filename}"
    try:
        return _download(url, dest, sha256)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        raise DataError(
            f"cannot get {filename}: downloading {url} failed ({reason}) and {note}; "
            f"set {MIRROR_ENV} to a directory that holds {filename}"
        ) from None


def source(name: str) -> Source:
    """The registry entry of a dataset by name (dianping, waimai_10k, online_shopping_10_cats)."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}: choose from {', '.join(DATASETS)}")
    return DATASETS[name]


def fetch(name: str) -> Path:
    """A verified local copy of a registered dataset (see :func:`fetch_dataset`)."""
    src = source(name)
    return fetch_dataset(src.url, src.sha256, src.filename)


def _read_csv(raw: bytes, origin) -> pd.DataFrame:
    """UTF-8 CSV bytes (a BOM allowed) as a DataFrame of strings; DataError naming ``origin``
    when the bytes are not UTF-8 or not a CSV."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{origin}: not UTF-8 text (invalid byte at offset {e.start})") from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as e:
        raise DataError(f"{origin}: not a valid CSV file ({str(e).strip()})") from None


def load_reviews(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate a reviews CSV (default: the verified study dataset).

    Returns a DataFrame with columns ``comment`` (str) and ``sentiment`` (0/1),
    indexed by ``review_id``, the 0-based data row of the file.
    Raises DataError naming the file and the row for anything malformed.
    """
    path = Path(path) if path is not None else fetch_dataset()
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    df = _read_csv(path.read_bytes(), path)
    missing = [c for c in ("comment", "sentiment") if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column {', '.join(repr(c) for c in missing)} "
            f"(found: {', '.join(repr(c) for c in df.columns)})"
        )
    if df.empty:
        raise DataError(f"{path}: no data rows")
    # "data row i" counts records after the header from 1 (a quoted comment may span lines);
    # review_id is i - 1.
    for i, (comment, label) in enumerate(zip(df["comment"], df["sentiment"]), start=1):
        if label.strip() not in ("0", "1"):
            raise DataError(f"{path}: data row {i} (review_id {i - 1}): sentiment is {label!r}, expected 0 or 1")
        if not comment.strip():
            raise DataError(f"{path}: data row {i} (review_id {i - 1}): empty comment")
    out = pd.DataFrame({"comment": df["comment"], "sentiment": df["sentiment"].str.strip().astype(int)})
    out.index.name = "review_id"
    return out


# ---------------------------------------------------------------- the cross-domain test sets


def _zip_member(path: Path, member: str, sha256: str | None = None) -> bytes:
    """The bytes of ``member`` inside the zip at ``path``, checked against ``sha256`` if given."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if member not in names:
                raise DataError(f"{path}: the zip holds no {member} (found: {', '.join(names) or 'nothing'})")
            raw = z.read(member)
    except zipfile.BadZipFile:
        raise DataError(f"{path}: not a zip archive") from None
    if sha256 is not None:
        got = hashlib.sha256(raw).hexdigest()
        if got != sha256:
            raise DataError(f"checksum mismatch for {member} inside {path}: sha256 is {got}, expected {sha256}; "
                            "the file is corrupt or not the study's dataset")
    return raw


def labelled_reviews(raw: bytes, origin: str, extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """Validate a ``label,review`` CSV (plus the ``extra`` columns, e.g. ``cat``) given as bytes.

    Returns (DataFrame with columns ``comment``, ``sentiment`` (0/1) and the extra columns,
    indexed by ``review_id`` = the 0-based data row of the file; number of reviews skipped).
    Stray U+FEFF characters are removed from the text; a review that is then empty or only
    whitespace is skipped and counted, not fatal. Anything else malformed raises DataError.
    """
    df = _read_csv(raw, origin)
    need = (*extra, "label", "review")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"{origin}: missing column {', '.join(repr(c) for c in missing)} "
                        f"(found: {', '.join(repr(c) for c in df.columns)})")
    if df.empty:
        raise DataError(f"{origin}: no data rows")
    labels = df["label"].str.strip()
    bad = ~labels.isin(["0", "1"])
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise DataError(f"{origin}: data row {i + 1} (review_id {i}): label is {df['label'].iloc[i]!r}, expected 0 or 1")
    for c in extra:
        empty = df[c].str.strip() == ""
        if empty.any():
            i = int(empty.to_numpy().argmax())
            raise DataError(f"{origin}: data row {i + 1} (review_id {i}): empty {c}")
    review = df["review"].str.replace("\ufeff", "", regex=False)
    keep = review.str.strip() != ""
    out = pd.DataFrame({"comment": review, "sentiment": labels.astype(int),
                        **{c: df[c].str.strip() for c in extra}})[keep.to_numpy()]
    out.index.name = "review_id"
    return out, int((~keep).sum())


def load_waimai(path: str | Path | None = None) -> tuple[pd.DataFrame, int]:
    """waimai_10k (default: the verified copy): food-delivery reviews as (comment, sentiment)
    rows indexed by review_id, and the number of empty reviews skipped."""
    path = Path(path) if path is not None else fetch("waimai_10k")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return labelled_reviews(path.read_bytes(), str(path))


def load_shopping(path: str | Path | None = None) -> tuple[pd.DataFrame, int]:
    """online_shopping_10_cats (default: the verified zip, whose CSV is verified too): product
    reviews as (comment, sentiment, cat) rows indexed by review_id, and the number of empty
    reviews skipped."""
    src = source("online_shopping_10_cats")
    expected = src.member_sha256 if path is None else None
    path = Path(path) if path is not None else fetch("online_shopping_10_cats")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    raw = _zip_member(path, src.member, expected)
    return labelled_reviews(raw, f"{path}:{src.member}", extra=("cat",))


@dataclass(frozen=True)
class Splits:
    """The book's splits. ``test`` (200 reviews) is the one split every model is
    scored on; ``valid`` is carved from the other 1800 for early stopping and tuning."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame

    @property
    def train_full(self) -> pd.DataFrame:
        """train + valid: the 1800 reviews a model without early stopping learns from."""
        return pd.concat([self.train, self.valid]).sort_index()

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}

    def class_counts(self) -> pd.DataFrame:
        """Reviews per split (rows train, valid, test, 合计) and class (columns 负面, 正面, 合计)."""
        t = pd.DataFrame({name: part["sentiment"].value_counts().reindex([0, 1], fill_value=0)
                          for name, part in (("train", self.train), ("valid", self.valid), ("test", self.test))}).T
        t.columns = ["负面", "正面"]
        t["合计"] = t.sum(axis=1)
        t.loc["合计"] = t.sum()
        return t


def make_splits(
    df: pd.DataFrame, test_size: int = TEST_SIZE, valid_size: int = VALID_SIZE, seed: int = SEED
) -> Splits:
    """Stratified, seeded splits: test first, then valid from what remains."""
    from sklearn.model_selection import train_test_split  # here, so `import book.data` stays light

    rest, test = train_test_split(df, test_size=test_size, stratify=df["sentiment"], random_state=seed)
    train, valid = train_test_split(rest, test_size=valid_size, stratify=rest["sentiment"], random_state=seed)
    return Splits(train.sort_index(), valid.sort_index(), test.sort_index())


FOLDS = 5            # folds of the 10-block rotation that chapters 3–4 train and test on
BLOCKS = 10          # blocks of 200 reviews (100 per label): fold f tests on block 2f, validates on 2f + 1


def fold_splits(df: pd.DataFrame, fold: int, seed: int = SEED) -> Splits:
    """Fold ``fold`` (0 … FOLDS − 1) of the book's rotation, 1600 / 200 / 200 like the original's split.

    Fold 0 *is* :func:`make_splits` (seed 42): its test and validation splits are blocks 0 and 1.
    The 1600 training reviews of fold 0 are cut, stratified and seeded, into blocks 2 … 9 of 200
    (100 per label). Fold f tests on block 2f and validates on block 2f + 1, and trains on the
    other eight blocks; so the five folds' test splits are disjoint and together hold 1000
    reviews, each predicted by a model that never saw it."""
    if not 0 <= fold < FOLDS:
        raise ValueError(f"fold must be between 0 and {FOLDS - 1}, got {fold}")
    base = make_splits(df, seed=seed)
    if fold == 0:
        return base
    n_blocks = BLOCKS - 2
    block = pd.Series(-1, index=base.train.index)
    for _, part in base.train.groupby("sentiment"):
        order = part.sample(frac=1.0, random_state=seed).index
        if len(order) % n_blocks:
            raise ValueError(f"fold_splits needs each label's training reviews to split into {n_blocks} equal blocks "
                             f"(found {len(order)} of one label)")
        block.loc[order] = np.arange(len(order)) * n_blocks // len(order) + 2
    test_ids = block.index[block == 2 * fold]
    valid_ids = block.index[block == 2 * fold + 1]
    rest = pd.concat([base.train.drop(test_ids.union(valid_ids)), base.valid, base.test])
    return Splits(rest.sort_index(), df.loc[valid_ids].sort_index(), df.loc[test_ids].sort_index())


def load_folds(seed: int = SEED) -> dict[int, Splits]:
    """Every fold of the rotation (:func:`fold_splits`), fold 0 first."""
    df = load_reviews()
    return {f: fold_splits(df, f, seed=seed) for f in range(FOLDS)}


def load_splits(seed: int = SEED) -> Splits:
    """The study dataset, verified, split the way every chapter splits it."""
    return make_splits(load_reviews(), seed=seed)


def stratified_subset(df: pd.DataFrame, n: int | None, seed: int = 0) -> pd.DataFrame:
    """About ``n`` rows of ``df`` with the class shares kept (for quick runs on a subset);
    ``df`` itself when ``n`` is None or not smaller than it."""
    if not n or n >= len(df):
        return df
    return df.groupby("sentiment", group_keys=False).sample(frac=n / len(df), random_state=seed)


def facts(df: pd.DataFrame, splits: Splits, path: Path | None = None) -> dict:
    """The dataset facts recorded in metrics.json: rows, class counts, sha256 of the file,
    split sizes per class, the split seed, and the test split's review ids."""
    path = path or fetch_dataset()
    counts = splits.class_counts()
    return {
        "source": DATA_URL,
        "sha256": sha256_of(path),
        "rows": int(len(df)),
        "class_counts": {str(k): int(v) for k, v in df["sentiment"].value_counts().sort_index().items()},
        "split_seed": SEED,
        "splits": {name: {"negative": int(counts.loc[name, "负面"]), "positive": int(counts.loc[name, "正面"]),
                          "total": int(counts.loc[name, "合计"])} for name in ("train", "valid", "test")},
        "test_review_ids": [int(i) for i in splits.test.index],
    }
