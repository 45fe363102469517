"""book.metrics and book.record: every metric against hand-computed values and scikit-learn, the bootstrap CI,
the exact McNemar test, and the metrics.json record."""
from __future__ import annotations

import hashlib
import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from book import data, device, metrics, record


@pytest.fixture(autouse=True)
def artifacts(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    return tmp_path


def sklearn_scores(t, p) -> dict:
    pr, rc, f1, _ = precision_recall_fscore_support(t, p, labels=[0, 1], zero_division=0)
    out = {"accuracy": accuracy_score(t, p)}
    for k in (0, 1):
        out[f"precision_{k}"], out[f"recall_{k}"], out[f"f1_{k}"] = pr[k], rc[k], f1[k]
    for name, v in (("precision", pr), ("recall", rc), ("f1", f1)):
        out[f"{name}_macro"] = v.mean()
    return out


def test_scores_by_hand():
    # 6 positives, 4 negatives; TP 5, FN 1, FP 2, TN 2
    t = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    p = [1, 1, 1, 1, 1, 0, 1, 1, 0, 0]
    s = metrics.scores(t, p)
    assert s["n"] == 10
    assert s["accuracy"] == pytest.approx(7 / 10)
    assert s["precision_1"] == pytest.approx(5 / 7)
    assert s["recall_1"] == pytest.approx(5 / 6)
    assert s["f1_1"] == pytest.approx(2 * 5 / (2 * 5 + 2 + 1))
    assert s["precision_0"] == pytest.approx(2 / 3)
    assert s["recall_0"] == pytest.approx(2 / 4)
    assert s["f1_0"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))
    assert s["f1_macro"] == pytest.approx((10 / 13 + 4 / 7) / 2)
    assert metrics.confusion(t, p).tolist() == [[2, 2], [1, 5]]


@pytest.mark.parametrize("t, p", [
    ([0, 1, 1, 0, 1], [0, 1, 0, 0, 1]),
    ([1, 1, 0, 0], [1, 1, 1, 1]),          # negative never predicted
    ([1, 0, 1, 0], [0, 0, 0, 0]),          # positive never predicted
    ([1, 1, 1], [1, 1, 1]),                # one class only, all right
    ([1, 1, 1], [0, 0, 0]),                # all wrong; class 0 never true
    ([0, 1], [1, 0]),
])
def test_scores_match_sklearn(t, p):
    ours = metrics.scores(t, p)
    for key, value in sklearn_scores(t, p).items():
        assert ours[key] == pytest.approx(value), key
    assert metrics.confusion(t, p).tolist() == confusion_matrix(t, p, labels=[0, 1]).tolist()


def test_scores_match_sklearn_random():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        t, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
        ours = metrics.scores(t, p)
        for key, value in sklearn_scores(t, p).items():
            assert ours[key] == pytest.approx(value), key


def test_degenerate_class_never_predicted():
    s = metrics.scores([0, 0, 1, 1], [1, 1, 1, 1])
    assert s["precision_0"] == 0 and s["recall_0"] == 0 and s["f1_0"] == 0
    assert s["precision_1"] == pytest.approx(0.5) and s["recall_1"] == 1
    assert s["f1_macro"] == pytest.approx((0 + 2 / 3) / 2)


def test_report_table():
    t = [1, 1, 1, 0, 0]
    p = [1, 0, 1, 0, 1]
    r = metrics.report_table(t, p)
    assert list(r.index) == ["负面", "正面", "宏平均"]
    assert r.loc["正面", "precision"] == pytest.approx(2 / 3)
    assert r.loc["负面", "recall"] == pytest.approx(1 / 2)
    assert r["support"].tolist() == [2, 3, 5]
    assert r.loc["宏平均", "f1"] == pytest.approx(metrics.scores(t, p)["f1_macro"])


@pytest.mark.parametrize("t, p, msg", [
    ([0, 1, 1], [0, 1], "y_true has 3 labels but y_pred has 2"),
    ([0, 2], [0, 1], r"y_true\[1\] is 2: labels must be 0"),
    ([0, 1], [0, -1], r"y_pred\[1\] is -1"),
    ([0, 1], [0.0, 0.6], r"y_pred\[1\] is 0.6"),
    ([], [], "y_true is empty"),
    ([[0, 1]], [[0, 1]], "must be a 1-D sequence"),
    (["0", "1"], [0, 1], r"y_true\[0\] is '0'"),
    ([0, None], [0, 1], r"y_true\[1\] is None"),
])
def test_bad_labels(t, p, msg):
    with pytest.raises(ValueError, match=msg):
        metrics.scores(t, p)


def test_labels_from_pandas_and_bools():
    t = pd.Series([0, 1, 1], dtype=object)
    assert metrics.scores(t, np.array([False, True, False]))["accuracy"] == pytest.approx(2 / 3)


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_contains_accuracy_and_is_seeded():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, 200)
    p = np.where(rng.random(200) < 0.8, t, 1 - t)
    acc = metrics.scores(t, p)["accuracy"]
    lo, hi = metrics.bootstrap_ci(t, p, seed=5)
    assert lo < acc < hi
    assert metrics.bootstrap_ci(t, p, seed=5) == (lo, hi)
    assert metrics.bootstrap_ci(t, p, seed=6) != (lo, hi)
    # the 99% interval contains the 95% one
    lo99, hi99 = metrics.bootstrap_ci(t, p, seed=5, level=0.99)
    assert lo99 <= lo and hi99 >= hi


def test_bootstrap_narrows_with_n():
    def width(n):
        t = np.ones(n, dtype=int)
        p = t.copy()
        p[: n // 5] = 0  # 80% right at every n
        lo, hi = metrics.bootstrap_ci(t, p)
        return hi - lo
    w50, w500, w5000 = width(50), width(500), width(5000)
    assert w50 > w500 > w5000 > 0
    # roughly 1/sqrt(n): the normal approximation 2 * 1.96 * sqrt(.8 * .2 / n)
    assert w500 == pytest.approx(2 * 1.96 * np.sqrt(0.16 / 500), rel=0.15)


def test_bootstrap_perfect_model():
    assert metrics.bootstrap_ci([0, 1, 1, 0], [0, 1, 1, 0]) == (1.0, 1.0)


@pytest.mark.parametrize("kw, msg", [({"n_boot": 0}, "n_boot must be at least 1"),
                                     ({"level": 95}, "level must be between 0 and 1")])
def test_bootstrap_bad_arguments(kw, msg):
    with pytest.raises(ValueError, match=msg):
        metrics.bootstrap_ci([0, 1], [0, 1], **kw)


# ---------------------------------------------------------------- McNemar


def test_mcnemar_by_hand():
    # A right / B wrong on 1 review, B right / A wrong on 5, both right on 4.
    t = np.ones(10, dtype=int)
    a = np.array([1, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    b = np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    r = metrics.mcnemar(t, a, b)
    assert (r["a_only"], r["b_only"]) == (1, 5)
    # X ~ Bin(6, 1/2): P(X <= 1) = (1 + 6) / 64, two-sided p = 14 / 64
    assert r["p_value"] == pytest.approx(14 / 64)


def test_mcnemar_symmetric_and_edges():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 2, 80)
    a = np.where(rng.random(80) < 0.85, t, 1 - t)
    b = np.where(rng.random(80) < 0.7, t, 1 - t)
    ab, ba = metrics.mcnemar(t, a, b), metrics.mcnemar(t, b, a)
    assert ab["p_value"] == pytest.approx(ba["p_value"])
    assert (ab["a_only"], ab["b_only"]) == (ba["b_only"], ba["a_only"])
    assert metrics.mcnemar(t, a, a)["p_value"] == 1.0                  # no disagreement
    # A right on 10 reviews B gets wrong, never the reverse: p = 2 * 0.5**10
    t10 = np.ones(10, dtype=int)
    assert metrics.mcnemar(t10, t10, 1 - t10)["p_value"] == pytest.approx(2 / 1024)
    # b == c: p = min(1, 2 P(X <= 3)) with X ~ Bin(6, 1/2) is capped at 1
    t6 = np.ones(6, dtype=int)
    assert metrics.mcnemar(t6, [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1])["p_value"] == 1.0


def test_mcnemar_length_mismatch():
    with pytest.raises(ValueError, match="but prediction b has 2"):
        metrics.mcnemar([0, 1, 1], [0, 1, 1], [0, 1])


# ---------------------------------------------------------------- the record


def test_evaluate_writes_metrics_json(artifacts):
    t = np.array([0, 1, 1, 0, 1])
    p = np.array([0, 1, 0, 0, 1])
    prob = np.array([0.1, 0.9, 0.4, 0.2, 0.8])
    entry = metrics.evaluate("m1", t, p, prob=prob, review_ids=[10, 11, 12, 13, 14], seconds=1.5,
                       family="baseline", cv_score=np.float64(0.7), params={"C": np.int64(3), "ngram": (1, 2)})
    metrics.evaluate("m2", t, t, seconds=None)
    m = json.loads((artifacts / "metrics.json").read_text(encoding="utf-8"))
    assert set(m["models"]) == {"m1", "m2"}
    rec = m["models"]["m1"]
    assert rec["accuracy"] == pytest.approx(0.8) and rec == json.loads(json.dumps(entry, default=float))
    assert rec["params"] == {"C": 3, "ngram": [1, 2]} and rec["cv_score"] == 0.7
    assert rec["test"]["review_id"] == [10, 11, 12, 13, 14]
    assert rec["test"]["y_pred"] == p.tolist() and rec["test"]["prob"] == prob.tolist()
    assert rec["ci95"][0] <= 0.8 <= rec["ci95"][1]
    assert m["models"]["m2"]["test"]["review_id"] == [0, 1, 2, 3, 4]
    assert "python" in m["manifest"]
    assert record.load_metrics()["models"]["m1"]["seconds"] == 1.5


def test_evaluate_without_saving(artifacts):
    metrics.evaluate("m", [0, 1], [0, 1], save=False)
    assert not (artifacts / "metrics.json").exists()


@pytest.mark.parametrize("kw, msg", [
    ({"prob": [0.1, 0.2]}, "prob must hold one P"),
    ({"prob": [0.1, 1.2, 0.5]}, r"in \[0, 1\] \(found 1.2\)"),
    ({"review_ids": [1, 2]}, "review_ids has 2 entries for 3 predictions"),
    ({"accuracy": 1.0}, "accuracy would overwrite a computed score"),
])
def test_evaluate_bad_input(kw, msg):
    with pytest.raises(ValueError, match=msg):
        metrics.evaluate("m", [0, 1, 1], [0, 1, 0], save=False, **kw)


def test_record_timer_and_summary(artifacts, monkeypatch):
    record.write("k", {"a": 1})
    record.write("seconds", 12, "build")
    (artifacts / "xx.md").write_text("# x\n", encoding="utf-8")
    monkeypatch.chdir(artifacts)
    record.ChapterTimer("xx").stop()
    m = record.load_metrics()
    assert m["results"]["k"] == {"a": 1} and m["build"]["seconds"] == 12
    assert m["chapters"]["xx"]["seconds"] >= 0
    e1 = metrics.evaluate("a", [0, 1, 1, 0], [0, 1, 1, 1], cv_score=0.9)
    e2 = metrics.evaluate("b", [0, 1, 1, 0], [0, 1, 1, 0])
    table = metrics.summary_table([e1, e2], extra=("cv_score",))
    assert list(table.index) == ["a", "b"]
    assert table.loc["a", "accuracy"] == pytest.approx(0.75) and table.loc["b", "f1"] == 1.0
    assert table.loc["a", "cv_score"] == 0.9 and np.isnan(table.loc["b", "cv_score"])
    with pytest.raises(KeyError, match="no model record has 'cv_accuracy'"):   # the misspelling that once hid a bug
        metrics.summary_table([e1, e2], extra=("cv_accuracy",))
    assert metrics.summary_table(record.load_metrics()["models"]).equals(metrics.summary_table([e1, e2]))
    with pytest.raises(ValueError, match="at least one model record"):
        metrics.summary_table([])


def test_corrupt_metrics_json(artifacts):
    (artifacts / "metrics.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="metrics.json is not valid JSON"):
        record.load_metrics()


def _write_many(prefix: str, n: int) -> None:
    for i in range(n):
        record.write(f"{prefix}{i}", i)


def test_concurrent_writers_lose_nothing(artifacts):
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(p, 15)) for p in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert len(record.load_metrics()["results"]) == 45


def test_error_breakdown_counts_errors_per_group():
    import pandas as pd

    from book.text import review_traits

    texts = ["不好吃", "好吃，但是贵", "好吃" * 40, "服务一般"]
    traits = review_traits(texts).set_axis(pd.Index([10, 11, 12, 13], name="review_id"))
    entry = metrics.evaluate(name="m", y_true=[0, 1, 1, 0], y_pred=[1, 1, 0, 0], review_ids=[10, 11, 12, 13], save=False)
    t = metrics.error_breakdown({"m": entry}, traits)
    assert list(t.index) == list(metrics.TRAIT_GROUPS)
    assert t.loc["all", "n"] == 4 and t.loc["all", "m"] == 0.5
    assert t.loc["negation", "n"] == 1 and t.loc["negation", "m"] == 1.0   # 不好吃 wrong
    assert t.loc["contrast", "n"] == 1 and t.loc["contrast", "m"] == 0.0   # 好吃，但是贵 right
    assert t.loc["long", "n"] == 0
    assert t.loc["medium", "m"] == 1.0                                    # 80 characters, wrong


# ---------------------------------------------------------------- the record API


def test_holm_adjusts_step_down_in_input_order():
    adj = metrics.holm([0.01, 0.04, 0.03, 0.5])
    assert adj.tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert metrics.holm([0.2]).tolist() == [0.2]
    assert metrics.holm([0.6, 0.6]).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.holm([0.1, 1.5])


def test_bootstrap_cis_match_resampling_reviews():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    p = np.where(rng.random(400) < 0.8, y, 1 - y)
    cis = metrics.bootstrap_cis(y, p, n_boot=4000)
    lo, hi = metrics.bootstrap_ci(y, p, n_boot=4000)
    assert cis["accuracy"][0] == pytest.approx(lo, abs=0.01) and cis["accuracy"][1] == pytest.approx(hi, abs=0.01)
    s = metrics.scores(y, p)
    for k in ("accuracy", "f1_macro", "balanced_accuracy"):
        assert cis[k][0] < s[k] < cis[k][1]


def test_balanced_accuracy_is_the_mean_recall_on_imbalanced_labels():
    s = metrics.scores([0] * 90 + [1] * 10, [0] * 100)          # always "negative"
    assert s["accuracy"] == 0.9 and s["balanced_accuracy"] == 0.5


def _record_with(models: dict, results: dict) -> record.Record:
    data = {"models": {}, "results": results}
    for name, (fam, pred) in models.items():
        e = metrics.evaluate(name, [0, 1, 1, 0, 1, 0], pred, review_ids=range(6), save=False, family=fam)
        data["models"][name] = e
    return record.Record(data)


def test_record_reads_without_defaults_and_names_the_writer():
    rec = _record_with({"tfidf_char_linearsvc": ("baseline", [0, 1, 1, 0, 1, 1]),
                        "lstm_seed0": ("lstm", [0, 1, 0, 0, 1, 0]), "lstm_seed2": ("lstm", [0, 1, 1, 0, 1, 0])},
                       {"baselines": {"best_by_cv": "tfidf_char_linearsvc"}, "lstm_saved_seed": 2})
    assert rec.best_baseline() == "tfidf_char_linearsvc"
    assert rec.saved_model("lstm") == "lstm_seed2"            # the saved seed, not the first one
    assert rec.seed_names("lstm") == ["lstm_seed0", "lstm_seed2"]
    s = rec.seed_summary("lstm")
    assert s["n"] == 2 and s["mean"] == pytest.approx((5 / 6 + 1) / 2)
    with pytest.raises(record.RecordError, match=r"results\.bert.*run chapters/03c_bert\.md first"):
        rec.saved_model("bert")
    with pytest.raises(record.RecordError, match=r"tfidf_original_style.*chapters/03a_baselines\.md"):
        rec.representatives()
    with pytest.raises(record.RecordError, match=r"bilstm_seed\*.*chapters/03b_lstm\.md"):
        rec.seed_names("bilstm")
    empty = record.Record({})
    with pytest.raises(record.RecordError, match="run chapters/03a_baselines.md first"):
        empty.best_baseline()
    err = record.RecordError("x has no 'y': run z first")
    assert err._render_traceback_() == ["RecordError: x has no 'y': run z first"]


def test_record_saved_lstm_must_exist_among_the_models():
    rec = _record_with({"lstm_seed0": ("lstm", [0, 1, 1, 0, 1, 0])}, {"lstm_saved_seed": 1})
    with pytest.raises(record.RecordError, match="lstm_seed1"):
        rec.saved_model("lstm")


def test_paired_tests_apply_holm_across_the_pairs():
    rec = _record_with({"a": ("baseline", [0, 1, 1, 0, 1, 0]), "b": ("lstm", [1, 0, 0, 1, 0, 1]),
                        "c": ("lstm", [0, 1, 1, 0, 1, 1])}, {})
    t = metrics.paired_tests(rec, [("a", "b"), ("a", "c")])
    assert t.loc[0, "a_only"] == 6 and t.loc[0, "b_only"] == 0
    assert t.loc[0, "p_value"] == pytest.approx(2 * 0.5 ** 6)
    assert t["p_holm"].tolist() == pytest.approx(metrics.holm(t["p_value"]).tolist())
    # 6 against 0 is p = 0.031 alone, but not once corrected for the second test
    assert t["significant"].tolist() == [False, False]
    assert metrics.paired_tests(rec, [("a", "b")])["significant"].tolist() == [True]


# ---------------------------------------------------------------- provenance: who wrote the record


def test_chapter_timer_records_its_source_hash_and_its_run(artifacts, tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("chapters")
    source = folder / "p1.md"
    source.write_text("# 一章\n\n```{code-cell} ipython3\nx = 1\n```\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("BOOK_RUN_ID", "build-20260101T000000Z")
    timer = record.ChapterTimer("p1")
    entry = record.load_metrics()["chapters"]["p1"]
    assert entry["run_id"] == "build-20260101T000000Z" and entry["run_kind"] == "build"
    assert entry["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert "seconds" not in entry, "a started run has no seconds until it stops"
    with pytest.raises(record.RecordError, match=r"chapters\.p1\.seconds"):
        record.Record.load().get("chapters.p1.seconds")
    timer.stop()
    entry = record.load_metrics()["chapters"]["p1"]
    assert entry["seconds"] >= 0 and entry["run_id"] == "build-20260101T000000Z"

    monkeypatch.delenv("BOOK_RUN_ID")            # Jupyter, tools/run_chapter.py
    source.write_text("# 一章，改过\n", encoding="utf-8")
    record.ChapterTimer("p1")
    entry = record.load_metrics()["chapters"]["p1"]
    assert entry["run_kind"] == "interactive" and entry["run_id"].startswith("interactive-")
    assert entry["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert "seconds" not in entry, "the interactive run replaced the build's entry, seconds and all"

    with pytest.raises(ValueError, match=r"no chapters/p2\.md"):
        record.ChapterTimer("p2")


def test_a_missing_chapter_run_names_that_chapter():
    assert record.writer_of("chapters.03a_baselines.seconds") == "chapters/03a_baselines.md"
    rec = record.Record({"chapters": {"03a_baselines": {"run_id": "interactive-x"}}})
    with pytest.raises(record.RecordError, match=r"run chapters/03a_baselines\.md first"):
        rec.get("chapters.03a_baselines.seconds")


def test_manifest_says_what_to_reproduce_the_run_from(artifacts, tmp_path_factory, monkeypatch):
    model = tmp_path_factory.mktemp("encoder")
    (model / "config.json").write_text('{"hidden_size": 32}', encoding="utf-8")
    (model / "weights.bin").write_bytes(bytes(range(256)) * 4096)
    monkeypatch.setenv("BOOK_BERT_MODEL", str(model))
    m = record.manifest()
    files = m["encoder"]["files"]
    assert set(files) == {"config.json", "weights.bin"}
    assert files["weights.bin"] == {"bytes": 256 * 4096,
                                    "sha256": hashlib.sha256((model / "weights.bin").read_bytes()).hexdigest()}
    head = subprocess.run(["git", "-C", str(data.ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert m["source"]["commit"] == (head.stdout.strip() if head.returncode == 0 else None)
    assert m["datasets"]["waimai_10k"] == {"url": data.DATASETS["waimai_10k"].url,
                                           "sha256": data.DATASETS["waimai_10k"].sha256,
                                           "member": None, "member_sha256": None}
    assert m["packages"]["snownlp"] is not None and m["cpu"] == device.cpu_name()
    assert record.encoder_files("some/hub-id") == {"model": "some/hub-id", "files": None}
    record.write("seeds", {"split": 42}, "manifest")
    record.write("k", 1)
    assert record.load_metrics()["manifest"]["seeds"] == {"split": 42}, "a chapter's part of the manifest stays"


def test_cpu_name_reads_cpuinfo():
    assert device.cpu_name("processor\t: 0\nmodel name\t: Some CPU 9000\nflags\t: sse\n") == "Some CPU 9000"
    assert device.cpu_name("") != ""


# ---------------------------------------------------------------- the rotation


def rotation_record(right: dict, n: int = 20, folds: int = 5) -> dict:
    """A record with a best baseline, an LSTM and a transformer on ``folds`` folds of ``n`` reviews
    each; ``right[family][fold]``: how many of the fold's reviews the family's run gets right."""
    first = {"baseline": "tfidf_char_linearsvc", "lstm": "lstm_seed0", "bert": "bert_seed0"}
    models = {}
    for fam, name in first.items():
        for f in range(folds):
            ids = list(range(f * n, (f + 1) * n))
            y = [i % 2 for i in ids]
            pred = [t if k < right[fam][f] else 1 - t for k, t in enumerate(y)]
            key = name if f == 0 else f"{name.removesuffix('_seed0')}_fold{f}"
            models[key] = {"family": fam, "fold": f, "accuracy": right[fam][f] / n,
                           "test": {"review_id": ids, "y_true": y, "y_pred": pred, "prob": None}}
    models["tfidf_original_style"] = {**models["tfidf_char_linearsvc"], "fold": 0}
    return {"models": models, "results": {"baselines": {"best_by_cv": "tfidf_char_linearsvc"}}}


def test_pooled_predictions_table_and_tests_use_every_fold():
    rec = record.Record(rotation_record({"baseline": [18] * 5, "lstm": [14] * 5, "bert": [19, 19, 18, 19, 19]}))
    assert rec.fold_runs("lstm") == {0: "lstm_seed0", 1: "lstm_fold1", 2: "lstm_fold2", 3: "lstm_fold3", 4: "lstm_fold4"}
    assert set(rec.models()) == {"tfidf_char_linearsvc", "lstm_seed0", "bert_seed0", "tfidf_original_style"}
    assert len(rec.models(every_fold=True)) == 16
    p = metrics.pooled_predictions(rec, "bert")
    assert list(p.index) == list(range(100)) and p.loc[45, "run"] == "bert_fold2" and p["correct"].sum() == 94
    table = metrics.pooled_table(rec, {"best": "baseline", "lstm": "lstm", "tr": "bert"})
    assert table.loc["tr", "accuracy"] == pytest.approx(0.94) and table.loc["tr", "fold_min"] == pytest.approx(0.9)
    assert (table["n"] == 100).all() and (table["runs"] == 5).all()
    assert (table["ci_low"] <= table["accuracy"]).all() and (table["accuracy"] <= table["ci_high"]).all()
    tests = metrics.pooled_tests(rec, [("tr", "lstm"), ("tr", "best")], {"best": "baseline", "lstm": "lstm", "tr": "bert"})
    tr_lstm = tests.iloc[0]
    assert tr_lstm["difference"] == pytest.approx(0.24) and tr_lstm["a_only"] == 24 and tr_lstm["b_only"] == 0
    assert tr_lstm["ci_low"] > 0 and tr_lstm["significant"]
    assert tests.iloc[1]["p_holm"] >= tests.iloc[1]["p_value"]


def test_two_stage_ci_is_wider_when_the_runs_differ():
    same = np.r_[np.ones(16), np.zeros(4)]
    values_same = np.tile(same, 5)
    values_diff = np.r_[np.ones(20), np.ones(20), np.r_[np.ones(12), np.zeros(8)], np.ones(20), np.r_[np.ones(8), np.zeros(12)]]
    folds = np.repeat(np.arange(5), 20)
    lo_s, hi_s = metrics.two_stage_ci(values_same, folds)
    lo_d, hi_d = metrics.two_stage_ci(values_diff, folds)
    assert values_same.mean() == values_diff.mean() == 0.8
    assert hi_d - lo_d > hi_s - lo_s
    assert metrics.two_stage_ci(values_same, folds) == (lo_s, hi_s)           # seeded


def test_pooled_runs_must_not_overlap_and_must_exist():
    data = rotation_record({"baseline": [18] * 5, "lstm": [14] * 5, "bert": [19] * 5})
    data["models"]["bert_fold2"]["test"]["review_id"] = list(range(20))      # fold 0's reviews again
    with pytest.raises(ValueError, match="overlap"):
        metrics.pooled_predictions(record.Record(data), "bert")
    data = rotation_record({"baseline": [18], "lstm": [14], "bert": [19]}, folds=1)
    with pytest.raises(record.RecordError, match="no bert_fold. models: run chapters/03c_bert.md"):
        record.Record(data).fold_runs("bert")
