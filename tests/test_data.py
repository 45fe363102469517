"""book.data: fetching (cache → mirror → network), checksum, schema validation, splits.

Every file here is made by the test; nothing touches the network or the real dataset.
"""
from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request

import pandas as pd
import pytest

from book import data

REAL_URLOPEN = urllib.request.urlopen
GOOD_CSV = 'comment,sentiment\n好吃，还会再来,1\n"太慢了，\n不会再来",0\n'


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def write(path, content: str | bytes):
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """An empty cache dir and an empty mirror dir, wired through the environment variables;
    any attempt to use the network fails the test unless the test replaces urlopen itself."""
    cache, mirror = tmp_path / "cache", tmp_path / "mirror"
    cache.mkdir()
    mirror.mkdir()
    monkeypatch.setenv(data.CACHE_ENV, str(cache))
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    return cache, mirror


# ---------------------------------------------------------------- load_reviews: the schema


def test_good_file_loads_with_review_ids(tmp_path):
    df = data.load_reviews(write(tmp_path / "ok.csv", GOOD_CSV))
    assert list(df.columns) == ["comment", "sentiment"]
    assert df.index.name == "review_id" and list(df.index) == [0, 1]
    assert df["sentiment"].tolist() == [1, 0]
    assert df["comment"][1] == "太慢了，\n不会再来"  # a quoted newline stays inside the comment


def test_missing_column(tmp_path):
    path = write(tmp_path / "f.csv", "comment,label\n好吃,1\n")
    with pytest.raises(data.DataError, match=r"missing column 'sentiment' \(found: 'comment', 'label'\)"):
        data.load_reviews(path)


@pytest.mark.parametrize("label", ["2", "-1", "positive", "1.0", ""])
def test_label_other_than_0_or_1_names_the_row(tmp_path, label):
    path = write(tmp_path / "f.csv", f"comment,sentiment\n好吃,1\n一般,0\n难吃,{label}\n")
    with pytest.raises(data.DataError, match=rf"data row 3 \(review_id 2\): sentiment is '{label}', expected 0 or 1"):
        data.load_reviews(path)


@pytest.mark.parametrize("comment", ['""', '"   "'])
def test_empty_comment_names_the_row(tmp_path, comment):
    path = write(tmp_path / "f.csv", f"comment,sentiment\n好吃,1\n{comment},0\n")
    with pytest.raises(data.DataError, match=r"data row 2 \(review_id 1\): empty comment"):
        data.load_reviews(path)


def test_not_utf8(tmp_path):
    path = write(tmp_path / "gbk.csv", "comment,sentiment\n好吃,1\n".encode("gbk"))
    with pytest.raises(data.DataError, match=r"not UTF-8 text \(invalid byte at offset 18\)"):
        data.load_reviews(path)


def test_malformed_csv(tmp_path):
    path = write(tmp_path / "f.csv", "comment,sentiment\n好吃,1\n难吃,0,extra,fields\n")
    with pytest.raises(data.DataError, match=r"not a valid CSV file \(.*Expected 2 fields in line 3, saw 4"):
        data.load_reviews(path)


def test_empty_file(tmp_path):
    with pytest.raises(data.DataError, match=r"not a valid CSV file"):
        data.load_reviews(write(tmp_path / "empty.csv", ""))


def test_header_only(tmp_path):
    with pytest.raises(data.DataError, match=r"no data rows"):
        data.load_reviews(write(tmp_path / "f.csv", "comment,sentiment\n"))


def test_not_a_csv_at_all(tmp_path):
    """Say an HTML error page was saved instead of the data: it parses as one column."""
    path = write(tmp_path / "page.csv", "<html><body>404 Not Found</body></html>\n")
    with pytest.raises(data.DataError, match=r"missing column 'comment', 'sentiment'"):
        data.load_reviews(path)


def test_no_such_file(tmp_path):
    with pytest.raises(data.DataError, match=r"no such file"):
        data.load_reviews(tmp_path / "nope.csv")


# ---------------------------------------------------------------- fetch_dataset: where the file comes from


def test_mirror_is_used_before_the_network(dirs):
    cache, mirror = dirs
    content = GOOD_CSV.encode()
    write(mirror / "d.csv", content)
    path = data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(content), filename="d.csv")
    assert path == cache / "d.csv"
    assert path.read_bytes() == content
    assert not list(cache.glob("*.part"))


def test_mirror_checksum_mismatch(dirs):
    cache, mirror = dirs
    write(mirror / "d.csv", GOOD_CSV)
    wrong = sha(b"something else")
    with pytest.raises(data.DataError, match=rf"checksum mismatch for the mirror copy .*d\.csv: sha256 is "
                                             rf"{sha(GOOD_CSV.encode())}, expected {wrong}"):
        data.fetch_dataset(url="https://example.invalid/d.csv", sha256=wrong, filename="d.csv")
    assert list(cache.iterdir()) == []  # nothing unverified is kept


def test_cached_copy_is_used_without_mirror_or_network(dirs, monkeypatch):
    cache, _ = dirs
    monkeypatch.delenv(data.MIRROR_ENV)
    content = GOOD_CSV.encode()
    write(cache / "d.csv", content)
    assert data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(content), filename="d.csv") == cache / "d.csv"


def test_cached_copy_is_reverified(dirs):
    cache, mirror = dirs
    content = GOOD_CSV.encode()
    write(mirror / "d.csv", content)            # a good copy is available...
    write(cache / "d.csv", content + b"x,1\n")  # ...but the cached one was altered
    with pytest.raises(data.DataError, match=r"checksum mismatch for the cached copy .*d\.csv \(delete it to fetch again\)"):
        data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(content), filename="d.csv")


def _refuse(*args, **kwargs):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def test_no_network_and_no_mirror(dirs, monkeypatch):
    cache, _ = dirs
    monkeypatch.delenv(data.MIRROR_ENV)
    monkeypatch.setattr(urllib.request, "urlopen", _refuse)
    with pytest.raises(data.DataError) as e:
        data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(b""), filename="d.csv")
    msg = str(e.value)
    assert "cannot get d.csv: downloading https://example.invalid/d.csv failed" in msg
    assert "Temporary failure in name resolution" in msg
    assert f"${data.MIRROR_ENV} is not set" in msg
    assert f"set {data.MIRROR_ENV} to a directory that holds d.csv" in msg
    assert list(cache.iterdir()) == []


def test_no_network_and_mirror_without_the_file(dirs, monkeypatch):
    _, mirror = dirs
    monkeypatch.setattr(urllib.request, "urlopen", _refuse)
    with pytest.raises(data.DataError, match=rf"the mirror \${data.MIRROR_ENV}={mirror} has no d\.csv"):
        data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(b""), filename="d.csv")


def test_unsupported_url_scheme_is_reported(dirs, monkeypatch):
    """The real urlopen, with a scheme it refuses before any connection is attempted."""
    monkeypatch.delenv(data.MIRROR_ENV)
    monkeypatch.setattr(urllib.request, "urlopen", REAL_URLOPEN)
    with pytest.raises(data.DataError, match=r"downloading nosuchscheme://x/d\.csv failed \(unknown url type"):
        data.fetch_dataset(url="nosuchscheme://x/d.csv", sha256=sha(b""), filename="d.csv")


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_download_is_verified_and_cached(dirs, monkeypatch):
    cache, _ = dirs
    content = GOOD_CSV.encode()
    urls = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: urls.append(url) or _Response(content))
    path = data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(content), filename="d.csv")
    assert urls == ["https://example.invalid/d.csv"]  # the (empty) mirror had no copy
    assert path.read_bytes() == content
    # A second call is served from the cache.
    monkeypatch.setattr(urllib.request, "urlopen", _refuse)
    assert data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(content), filename="d.csv") == path


def test_download_checksum_mismatch(dirs, monkeypatch):
    cache, _ = dirs
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _Response(b"<html>rate limited</html>"))
    with pytest.raises(data.DataError, match=r"checksum mismatch for https://example\.invalid/d\.csv"):
        data.fetch_dataset(url="https://example.invalid/d.csv", sha256=sha(GOOD_CSV.encode()), filename="d.csv")
    assert list(cache.iterdir()) == []


# ---------------------------------------------------------------- splits


def made_up(n_pos: int = 150, n_neg: int = 90) -> pd.DataFrame:
    df = pd.DataFrame({"comment": [f"评论{i}" for i in range(n_pos + n_neg)],
                       "sentiment": [1] * n_pos + [0] * n_neg})
    df.index.name = "review_id"
    return df


def ids(s: data.Splits) -> tuple:
    return tuple(tuple(part.index) for part in (s.train, s.valid, s.test))


def test_split_sizes_disjoint_and_complete():
    df = made_up()
    s = data.make_splits(df, test_size=40, valid_size=40, seed=1)
    assert s.sizes() == {"train": 160, "valid": 40, "test": 40}
    train, valid, test = (set(p.index) for p in (s.train, s.valid, s.test))
    assert not (train & valid or train & test or valid & test)
    assert train | valid | test == set(df.index)
    assert list(s.train_full.index) == sorted(train | valid)


def test_split_is_deterministic_for_a_seed():
    df = made_up()
    assert ids(data.make_splits(df, 40, 40, seed=7)) == ids(data.make_splits(df, 40, 40, seed=7))
    assert ids(data.make_splits(df, 40, 40, seed=7)) != ids(data.make_splits(df, 40, 40, seed=8))


def test_split_is_stratified():
    df = made_up(n_pos=150, n_neg=90)  # 62.5% positive
    for seed in range(5):
        s = data.make_splits(df, test_size=40, valid_size=40, seed=seed)
        for part in (s.test, s.valid, s.train):
            assert part["sentiment"].mean() == pytest.approx(0.625), seed
        counts = s.class_counts()
        assert counts.loc["test", "正面"] == 25 and counts.loc["test", "负面"] == 15
        assert counts.loc["合计", "合计"] == len(df)


def test_stratified_subset_keeps_class_shares():
    df = made_up(n_pos=150, n_neg=90)  # 62.5% positive
    sub = data.stratified_subset(df, 80, seed=3)
    assert len(sub) == 80 and sub["sentiment"].mean() == pytest.approx(0.625)
    assert set(sub.index) <= set(df.index) and sub.index.is_unique
    assert sub.index.equals(data.stratified_subset(df, 80, seed=3).index)
    assert data.stratified_subset(df, None) is df and data.stratified_subset(df, len(df)) is df


def test_source_record_in_data_folder_matches_the_code():
    """data/README.md is the dataset's source record; it must name the URL and hash the code checks."""
    record = (data.ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert data.DATA_URL in record and data.SHA256 in record


# ---------------------------------------------------------------- the cross-domain sets

import zipfile  # noqa: E402


def make_zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as z:
        for name, content in members.items():
            z.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return path


WAIMAI = "label,review\n1,很快，好吃\n0,\ufeff送错了\ufeff\n1,\"  \"\n0,\ufeff\n1,味道不错\n"


def test_waimai_loads_strips_bom_and_counts_empty_reviews(tmp_path):
    df, skipped = data.load_waimai(write(tmp_path / "w.csv", WAIMAI))
    assert skipped == 2  # one whitespace-only review, one that is only a U+FEFF
    assert list(df.columns) == ["comment", "sentiment"] and df.index.name == "review_id"
    assert list(df.index) == [0, 1, 4]  # review_id keeps the file's data row
    assert df["comment"].tolist() == ["很快，好吃", "送错了", "味道不错"]
    assert df["sentiment"].tolist() == [1, 0, 1]


def test_waimai_missing_column(tmp_path):
    with pytest.raises(data.DataError, match=r"missing column 'review' \(found: 'label', 'comment'\)"):
        data.load_waimai(write(tmp_path / "w.csv", "label,comment\n1,好吃\n"))


@pytest.mark.parametrize("label", ["2", "positive", ""])
def test_waimai_bad_label_names_the_row(tmp_path, label):
    path = write(tmp_path / "w.csv", f"label,review\n1,好吃\n{label},难吃\n")
    with pytest.raises(data.DataError, match=rf"data row 2 \(review_id 1\): label is '{label}', expected 0 or 1"):
        data.load_waimai(path)


def test_waimai_not_utf8(tmp_path):
    path = write(tmp_path / "w.csv", "label,review\n1,好吃\n".encode("gbk"))
    with pytest.raises(data.DataError, match=r"w\.csv: not UTF-8 text \(invalid byte at offset 15\)"):
        data.load_waimai(path)


SHOP = "cat,label,review\n书籍,1,好书\n水果,0,\"\"\n水果,0,\ufeff烂了\n"


def test_shopping_loads_from_the_zip(tmp_path):
    path = make_zip(tmp_path / "s.zip", {"online_shopping_10_cats.csv": SHOP})
    df, skipped = data.load_shopping(path)
    assert skipped == 1
    assert list(df.columns) == ["comment", "sentiment", "cat"]
    assert df["comment"].tolist() == ["好书", "烂了"] and df["cat"].tolist() == ["书籍", "水果"]
    assert list(df.index) == [0, 2]


def test_shopping_zip_without_the_csv(tmp_path):
    path = make_zip(tmp_path / "s.zip", {"other.csv": SHOP})
    with pytest.raises(data.DataError, match=r"the zip holds no online_shopping_10_cats\.csv \(found: other\.csv\)"):
        data.load_shopping(path)


def test_shopping_not_a_zip(tmp_path):
    with pytest.raises(data.DataError, match=r"s\.zip: not a zip archive"):
        data.load_shopping(write(tmp_path / "s.zip", SHOP))


def test_shopping_missing_cat_column_and_empty_cat(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"online_shopping_10_cats.csv": "label,review\n1,好\n"})
    with pytest.raises(data.DataError, match=r"missing column 'cat'"):
        data.load_shopping(path)
    path = make_zip(tmp_path / "b.zip", {"online_shopping_10_cats.csv": "cat,label,review\n书籍,1,好\n ,0,差\n"})
    with pytest.raises(data.DataError, match=r"data row 2 \(review_id 1\): empty cat"):
        data.load_shopping(path)


def test_zip_member_checksum_mismatch(tmp_path):
    path = make_zip(tmp_path / "s.zip", {"online_shopping_10_cats.csv": SHOP})
    with pytest.raises(data.DataError, match=r"checksum mismatch for online_shopping_10_cats\.csv inside .*s\.zip"):
        data._zip_member(path, "online_shopping_10_cats.csv", sha(b"other"))
    assert data._zip_member(path, "online_shopping_10_cats.csv", sha(SHOP.encode())) == SHOP.encode()


def test_fetch_by_name_uses_the_registry_and_verifies(dirs, monkeypatch):
    cache, mirror = dirs
    content = WAIMAI.encode()
    monkeypatch.setitem(data.DATASETS, "waimai_10k",
                        data.Source("waimai_10k.csv", "https://example.invalid/w.csv", sha(content)))
    write(mirror / "waimai_10k.csv", content)
    assert data.fetch("waimai_10k") == cache / "waimai_10k.csv"
    monkeypatch.setitem(data.DATASETS, "waimai_10k",
                        data.Source("waimai_10k.csv", "https://example.invalid/w.csv", sha(b"x")))
    with pytest.raises(data.DataError, match=r"checksum mismatch for the cached copy .*waimai_10k\.csv"):
        data.fetch("waimai_10k")
    with pytest.raises(data.DataError, match=r"unknown dataset 'nope': choose from dianping, waimai_10k"):
        data.fetch("nope")


def test_registry_keeps_dianping_and_the_public_sources():
    assert data.DATASETS["dianping"] == data.Source(data.FILENAME, data.DATA_URL, data.SHA256)
    shop = data.DATASETS["online_shopping_10_cats"]
    assert shop.member == "online_shopping_10_cats.csv" and len(shop.member_sha256) == 64
    assert data.DATASETS["waimai_10k"].url.endswith("/waimai_10k/waimai_10k.csv")


# ---------------------------------------------------------------- the rotation's folds


def _reviews(n_per_label: int = 1000) -> pd.DataFrame:
    df = pd.DataFrame({"sentiment": [1] * n_per_label + [0] * n_per_label,
                       "comment": [f"评论{i}" for i in range(2 * n_per_label)]})
    df.index.name = "review_id"
    return df


def test_fold_0_is_the_books_split_and_the_folds_test_splits_are_disjoint():
    df = _reviews()
    base = data.make_splits(df)
    folds = {f: data.fold_splits(df, f) for f in range(data.FOLDS)}
    assert all(folds[0].__dict__[k].equals(base.__dict__[k]) for k in ("train", "valid", "test"))
    tests = [set(s.test.index) for s in folds.values()]
    assert len(set().union(*tests)) == data.FOLDS * data.TEST_SIZE            # 1000 distinct reviews
    valids = [set(s.valid.index) for s in folds.values()]
    assert not set().union(*valids) & set().union(*tests)                    # no block both validates and tests
    for s in folds.values():
        parts = [set(s.train.index), set(s.valid.index), set(s.test.index)]
        assert sum(map(len, parts)) == len(df) and len(set().union(*parts)) == len(df)
        assert s.sizes() == {"train": 1600, "valid": 200, "test": 200}
        assert s.test["sentiment"].sum() == 100 and s.valid["sentiment"].sum() == 100
    assert data.fold_splits(df, 3).test.index.equals(folds[3].test.index)   # seeded: the same every time
    assert not data.fold_splits(df, 3, seed=7).test.index.equals(folds[3].test.index)


def test_a_fold_outside_the_rotation_or_uneven_labels_are_refused():
    with pytest.raises(ValueError, match="fold must be between 0 and 4"):
        data.fold_splits(_reviews(), 5)
    with pytest.raises(ValueError, match="8 equal blocks"):
        data.fold_splits(_reviews(1010), 1)
