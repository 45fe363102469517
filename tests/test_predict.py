"""The predictor's error cases and its command line, on artifacts the tests make."""
from __future__ import annotations

import json

import numpy as np
import pytest

from book import predict as P
from book.__main__ import main


class FakeModel:
    """Stands in for a trained model inside the predictor plumbing tests only."""

    name = "fake"

    def predict_proba(self, texts):
        return np.array([0.9 if "好" in t else 0.2 for t in texts])

    def truncated(self, texts):
        return [len(t) > 10 for t in texts]


def test_no_artifacts_names_the_command(tmp_path):
    with pytest.raises(P.PredictError, match=r"no trained models in .*make book"):
        P.predict(["好吃"], artifacts=tmp_path)


def test_missing_requested_model(tmp_path):
    (tmp_path / "lstm").mkdir()
    with pytest.raises(P.PredictError, match=r"no trained bert model .*make book"):
        P.load_models(["bert"], artifacts=tmp_path)


@pytest.mark.parametrize("key, make", [
    ("tfidf", lambda root: (root / "tfidf.joblib").write_bytes(b"not a pickle")),
    ("bert", lambda root: (root / "bert").mkdir()),
    ("lstm", lambda root: (root / "lstm").mkdir()),
])
def test_broken_artifact_is_one_clear_error(tmp_path, key, make):
    """A half-written or foreign artifact: a PredictError naming the model and the command, no traceback."""
    make(tmp_path)
    with pytest.raises(P.PredictError, match=rf"cannot load the trained {key} model from .*make book"):
        P.load_models([key], artifacts=tmp_path)


def test_unknown_model(tmp_path):
    with pytest.raises(P.PredictError, match="unknown model 'svm'"):
        P.load_models(["svm"], artifacts=tmp_path)


@pytest.mark.parametrize("texts, msg", [
    ([], "no review given"),
    ([""], "review 1 is empty"),
    (["好吃", "   \n\t"], "review 2 is empty or whitespace only"),
    ([None], "review 1 is NoneType"),
])
def test_empty_input(texts, msg):
    with pytest.raises(P.PredictError, match=msg):
        P.predict(texts, loaded={"fake": FakeModel()})


def test_predict_table():
    df = P.predict(["很好吃", "难吃死了，再也不来了！！"], loaded={"fake": FakeModel()})
    assert list(df["label"]) == [1, 0]
    assert list(df["label_name"]) == ["正面", "负面"]
    assert list(df["truncated"]) == [False, True]
    assert df["prob"].between(0, 1).all()


def test_read_reviews_txt_and_csv(tmp_path):
    txt = tmp_path / "r.txt"
    txt.write_text("好吃\n\n  \n难吃\n", encoding="utf-8")
    assert P.read_reviews(txt) == ["好吃", "难吃"]
    csvf = tmp_path / "r.csv"
    csvf.write_text('comment,x\n"好吃,真的",1\n难吃,0\n', encoding="utf-8")
    assert P.read_reviews(csvf) == ["好吃,真的", "难吃"]


@pytest.mark.parametrize("name, content, msg", [
    ("missing.txt", None, "no such file"),
    ("bad.txt", "好吃".encode("gbk"), "not UTF-8"),
    ("nocol.csv", "text\n好吃\n".encode(), "needs a 'comment' column"),
    ("blank.txt", b"\n  \n", "holds no review"),
])
def test_unreadable_files(tmp_path, name, content, msg):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(P.PredictError, match=msg):
        P.read_reviews(f)


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(P.PredictError, match="is a directory"):
        P.read_reviews(tmp_path)


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["predict", "--artifacts", str(tmp_path), "好吃"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no trained models") and "\n" not in err
    assert main(["predict", "   "]) == 2
    assert "empty or whitespace" in capsys.readouterr().err
    assert main(["predict"]) == 2
    assert "no review given" in capsys.readouterr().err
    assert main(["predict", "--file", str(tmp_path / "nope.txt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_json(monkeypatch, capsys):
    monkeypatch.setattr(P, "load_models", lambda models=None, artifacts=None: {"fake": FakeModel()})
    assert main(["predict", "--json", "很好吃", "难吃"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["models"]["fake"]["label"] for r in lines] == [1, 0]
    assert lines[0]["text"] == "很好吃"


# ---------------------------------------------------------------- odd reviews, real (tiny) models

ODD = {"emoji only": "👍👍😋🔥", "10,000 characters": "环境不错菜很好吃" * 1250,
       "traditional Chinese": "這家餐廳的環境很好，服務也很周到，菜很好吃。"}


@pytest.fixture(scope="module")
def tiny_artifacts(tmp_path_factory, tiny_folder):
    """Trains and saves one tiny model of each kind, as the build saves the real ones."""
    import pandas as pd

    from book import baselines, bert, lstm
    from conftest import TEXTS_NEG, TEXTS_POS

    root = tmp_path_factory.mktemp("artifacts")
    train = pd.DataFrame({"comment": (TEXTS_POS + TEXTS_NEG) * 2, "sentiment": ([1] * 8 + [0] * 8) * 2})
    baselines.save_predictor(baselines.tune_grid("tfidf_char_linearsvc", train, grid={"clf__C": [1.0]}),
                             root / "tfidf.joblib")
    cfg = lstm.LSTMConfig(embedding_dim=8, hidden_dim=8, num_layers=1, batch_size=8, epochs=2, max_len=50)
    lstm.fit(train, train, cfg, seed=0, progress=False).predictor.save(root / "lstm")
    learn = bert.learner(bert.resolve_model(str(tiny_folder)),
                         bert.dataloaders(bert.resolve_model(str(tiny_folder)).tokenizer, train, train, bs=8))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOK_QUIET", "1")
        bert.fit(learn, 1, 1e-3)
    bert.save(learn, root / "bert", max_len=32)
    return root


def test_odd_reviews_get_an_answer_from_every_model(tiny_artifacts):
    df = P.predict(list(ODD.values()), artifacts=tiny_artifacts)
    assert sorted(df["model"].unique()) == ["bert", "lstm", "tfidf"] and len(df) == 3 * len(ODD)
    assert df["prob"].between(0, 1).all() and df["label"].isin([0, 1]).all()
    cut = df.set_index(["review", "model"])["truncated"]
    assert cut[(2, "lstm")] and cut[(2, "bert")]          # the long review: cut, and said so
    assert not cut[(1, "bert")] and not cut[(3, "lstm")]
    no_words = df.set_index(["review", "model"])["no_words"]
    assert no_words[(1, "lstm")] and not no_words[(3, "lstm")]  # emoji only: no Chinese word to read


def test_cli_says_when_a_review_was_cut(tiny_artifacts, capsys):
    assert main(["predict", "--artifacts", str(tiny_artifacts), *ODD.values()]) == 0
    out = capsys.readouterr().out
    assert out.count("只看了开头部分") == 2 and "共 10000 字" in out
    assert "没有可读的中文词" in out
    assert main(["predict", "--artifacts", str(tiny_artifacts), "--json", "--model", "bert", ODD["emoji only"]]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert set(rec["models"]) == {"bert"} and 0 <= rec["models"]["bert"]["prob_positive"] <= 1
