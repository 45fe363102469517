"""The predictor's error cases, its files and labels, and its command line (which never imports
torch), on artifacts the tests make."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

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
    ("nocol.csv", "text\n好吃\n".encode(), "needs a 'comment' or 'review' column"),
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
    monkeypatch.setattr(P, "load_models", lambda models=None, artifacts=None, precision="auto": {"fake": FakeModel()})
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
    from conftest import TEXTS_NEG, TEXTS_POS

    from book import baselines, bert, export, lstm

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
        bert.train_model(learn, 1, 1e-3)
    bert.save(learn, root / "bert", max_len=32)
    export.export_lstm(root / "lstm")
    export.export_bert(root / "bert")
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


def test_without_onnx_file_the_torch_model_answers(tiny_artifacts, tmp_path, capsys):
    """Models saved before book.export existed: the torch predictor answers the same, and the
    command line says so in one line."""
    import shutil

    shutil.copytree(tiny_artifacts / "lstm", tmp_path / "lstm")
    (tmp_path / "lstm" / "model.onnx").unlink()
    old = P.load_models(["lstm"], artifacts=tmp_path)["lstm"]
    new = P.load_models(["lstm"], artifacts=tiny_artifacts)["lstm"]
    assert getattr(old, "torch_fallback", False) and not getattr(new, "torch_fallback", False)
    assert np.allclose(old.predict_proba(list(ODD.values())), new.predict_proba(list(ODD.values())), atol=1e-4)
    assert main(["predict", "--artifacts", str(tmp_path), "好吃"]) == 0
    err = capsys.readouterr().err.strip()
    assert "used the slower torch model" in err and "export_lstm" in err and "\n" not in err
    (tmp_path / "lstm" / "model.onnx").write_bytes(b"not an onnx file")   # broken: reported when loading
    with pytest.raises(P.PredictError, match=r"cannot load the trained lstm model from .*make book"):
        P.load_models(["lstm"], artifacts=tmp_path)


# ---------------------------------------------------------------- the command line never imports torch

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "fastai", "hyperopt", "sklearn", "scipy", "pandas", "joblib",
         "book.baselines", "book.lstm", "book.bert")
PROBE = f"""
import json, sys
from book.__main__ import main
rc = main(sys.argv[1:])
print(json.dumps(sorted(m for m in sys.modules if m in {HEAVY!r})))
sys.exit(rc)
"""


def test_cli_process_never_imports_torch(tiny_artifacts):
    """A fresh `python -m book predict` process with all three models: it answers, and torch,
    transformers, fastai, scikit-learn, pandas (and book.baselines' hyperopt) are not in
    sys.modules at the end."""
    r = subprocess.run([sys.executable, "-c", PROBE, "predict", "--artifacts", str(tiny_artifacts), "好吃", "难吃"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert sum(line.strip().startswith(("tfidf", "lstm", "bert")) for line in out) == 6
    assert json.loads(out[-1]) == []
    assert r.stderr == ""


# ---------------------------------------------------------------- files with labels


def fake_models(monkeypatch):
    monkeypatch.setattr(P, "load_models", lambda models=None, artifacts=None, precision="auto": {"fake": FakeModel()})


def test_read_file_columns_and_labels(tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("label,review\n1,很好吃\n0,难吃\n1,\n0,  \n1,好\n", encoding="utf-8")
    assert P.read_file(f, labels=True) == (["很好吃", "难吃", "好"], [1, 0, 1], [4, 5])
    assert P.read_file(f) == (["很好吃", "难吃", "好"], None, [4, 5])
    g = tmp_path / "d.csv"   # both columns: comment and sentiment win
    g.write_text("sentiment,comment,review,label\n0,难吃,x,1\n", encoding="utf-8")
    assert P.read_file(g, labels=True)[:2] == (["难吃"], [0])


@pytest.mark.parametrize("name, content, msg", [
    ("badlabel.csv", "review,label\n好吃,1\n难吃,neg\n", r"line 3: label is 'neg', not 0 or 1"),
    ("nolabel.csv", "review\n好吃\n", "--labels needs a 'sentiment' or 'label' column"),
    ("r.txt", "好吃\n", "--labels needs a CSV file"),
])
def test_bad_label_files(tmp_path, name, content, msg):
    f = tmp_path / name
    f.write_text(content, encoding="utf-8")
    with pytest.raises(P.PredictError, match=msg):
        P.read_file(f, labels=True)


def test_cli_labels_prints_accuracy(tmp_path, monkeypatch, capsys):
    fake_models(monkeypatch)
    f = tmp_path / "w.csv"
    f.write_text("label,review\n1,很好吃\n0,难吃\n0,好贵\n1,\n", encoding="utf-8")
    assert main(["predict", "--file", str(f), "--labels"]) == 0
    out, err = capsys.readouterr()
    assert "(标注: 正面)" in out and out.count("    fake ") == 3
    table = out.splitlines()[-1].split()      # fake says 好贵 is positive: 2 of 3 right
    assert table[0] == "fake" and table[1] == "3" and float(table[-1]) == pytest.approx(2 / 3, abs=1e-3)
    assert "skipped 1 empty review(s)" in err and "line 5" in err and "\n" not in err.strip()
    # --summary: the table only; --json: one line per review, then the summary
    assert main(["predict", "--file", str(f), "--labels", "--summary"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].split()[:2] == ["fake", "3"]
    assert main(["predict", "--file", str(f), "--labels", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["true_label"] for r in lines[:3]] == [1, 0, 0]
    assert lines[3]["summary"]["fake"] == {"n": 3, "share_positive": pytest.approx(2 / 3, abs=1e-3),
                                           "accuracy": pytest.approx(2 / 3, abs=1e-3)}


def test_cli_bad_files_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("review,label\n好吃,2\n", encoding="utf-8")
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("text\n好吃\n", encoding="utf-8")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("好吃".encode("gbk"))
    for args, msg in [(["--file", str(bad), "--labels"], "label is '2', not 0 or 1"),
                      (["--file", str(nocol)], "needs a 'comment' or 'review' column"),
                      (["--file", str(gbk)], "not UTF-8"),
                      (["--labels", "好吃"], "--labels needs --file"),
                      (["--file", str(tmp_path / "none.csv")], "no such file")]:
        assert main(["predict", "--artifacts", str(tmp_path), *args]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and msg in err and "\n" not in err


# ---------------------------------------------------------------- CSVs that do not parse cleanly


class CountingModel(FakeModel):
    calls = 0

    def predict_proba(self, texts):
        CountingModel.calls += 1
        return super().predict_proba(texts)


@pytest.mark.parametrize("content, msg", [
    ('review,label\n好吃,1\n"难吃,0\n不错,1\n', "line 3: not valid CSV (a double quote opened in it is never closed)"),
    ('review,label\n好吃,1\n"难"吃,0\n', "line 3: not valid CSV (',' expected after '\"')"),
    ('review,label\n好吃,1\n难吃,不好,0\n', "line 3: 3 fields where the header (line 1) has 2 "
                                             "(a review holding a comma must be in double quotes)"),
    ('review,label\n好吃,1\n难吃\n', "line 3: 1 field where the header (line 1) has 2"),
    ('review,label\n', "only a header (line 1), no review below it"),
    ('review,label\n\n\n', "only a header (line 1), no review below it"),
])
def test_a_malformed_csv_is_one_error_naming_the_line(tmp_path, monkeypatch, capsys, content, msg):
    """With or without --labels: exit 2, one line naming the file and the line, nothing predicted."""
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    monkeypatch.setattr(P, "load_models", lambda *a, **k: {"fake": CountingModel()})
    CountingModel.calls = 0
    for extra in ([], ["--labels"], ["--labels", "--summary"]):
        assert main(["predict", "--file", str(f), *extra]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err == f"error: {f}: {msg}\n"
    assert CountingModel.calls == 0
    with pytest.raises(P.PredictError, match="line|header"):
        P.read_file(f)


def test_a_quoted_review_may_span_lines_and_hold_commas(tmp_path):
    """The control for the errors above: a well-formed CSV with a quoted multi-line review and
    CRLF line ends reads cleanly; the skipped empty review is named by the line it starts on."""
    f = tmp_path / "ok.csv"
    f.write_bytes('review,label\r\n"好吃,\r\n真的",1\r\n"",0\r\n难吃,0\r\n'.encode())
    assert P.read_file(f, labels=True) == (["好吃,\r\n真的", "难吃"], [1, 0], [4])


# ---------------------------------------------------------------- a progress bar for long files on a terminal


class Terminal:
    """stderr as a terminal: what is written is kept."""

    def __init__(self):
        self.parts = []

    def write(self, s):
        self.parts.append(s)

    def flush(self):
        pass

    def isatty(self):
        return True


@pytest.mark.parametrize("n, quiet, tty, bar", [(1200, "0", True, True), (1200, "1", True, False),
                                                (1200, "0", False, False), (100, "0", True, False)])
def test_progress_bar_only_for_long_files_on_a_terminal(tmp_path, monkeypatch, capsys, n, quiet, tty, bar):
    class SlowModel(FakeModel):
        def predict_proba(self, texts):
            time.sleep(0.15)  # longer than tqdm's refresh interval (0.1 s): every step is drawn
            return super().predict_proba(texts)

    f = tmp_path / "long.txt"
    f.write_text("好吃\n难吃\n" * (n // 2), encoding="utf-8")
    monkeypatch.setattr(P, "load_models", lambda *a, **k: {"fake": SlowModel()})
    monkeypatch.setenv("BOOK_QUIET", quiet)
    term = Terminal()
    if tty:
        monkeypatch.setattr(sys, "stderr", term)
    assert main(["predict", "--file", str(f), "--summary"]) == 0
    out, err = capsys.readouterr()
    shown = "".join(term.parts) + err
    assert ("predicting" in shown and f"{P.PROGRESS_STEP}/{n}" in shown) == bar, shown
    assert out.splitlines()[1].split() == ["fake", str(n), "0.500"], "the bar changes no result"


# ---------------------------------------------------------------- a runtime package this Python lacks

BLOCKED = """
import sys
sys.modules[sys.argv[1]] = None   # as in a Python without that package
from book.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("package, model", [("onnxruntime", "lstm"), ("tokenizers", "bert"), ("jieba", "lstm"),
                                            ("numpy", "lstm")])
def test_a_missing_package_is_named_with_the_venv_to_use(tmp_path, package, model):
    """Not «no trained model, run make book»: the package, and `.venv/bin/python -m book predict`."""
    for folder, files in {"lstm": ("config.json", "vocab.json", "model.onnx"),
                          "bert": ("book_bert.json", "tokenizer.json", "onnx.json", "model.onnx")}.items():
        (tmp_path / folder).mkdir()
        for name in files:
            (tmp_path / folder / name).write_text('{"config": {"max_len": 5}}', encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", BLOCKED, package, "predict", "--artifacts", str(tmp_path),
                        "--model", model, "好吃"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("error: ") and f"needs the Python package '{package}'" in line, line
    assert "`.venv/bin/python -m book predict ...`" in line and "make book" not in line


def test_units_and_coverage_are_each_models_own(tiny_artifacts):
    models = P.load_models(artifacts=tiny_artifacts)
    review = "环境不错，菜很好吃，火锅"                      # 火锅: no character of it in the tiny vocabularies
    words = models["lstm"].units(review)
    assert "环境" in words and "火锅" in words                 # jieba's words, known or not
    known, total = models["lstm"].coverage(review)
    assert total == len(words) and known == sum(w in models["lstm"].stoi for w in words) and known < total
    pieces = models["bert"].units(review)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and "[UNK]" in pieces
    k, n = models["bert"].coverage(review)
    assert n == len(pieces) - 2 and k == n - pieces.count("[UNK]")
    grams = models["tfidf"].units(review)
    assert grams and all(len(g) <= 5 for g in grams)
    k, n = models["tfidf"].coverage(review)
    assert 0 < k < n and k == len(grams)
