"""book.lstm on small made-up reviews: vocabulary, batching, packing, learning, the device,
saving; book.probe (what the model learned) on the same tiny model."""
from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch

from book import device as D
from book import lstm as L
from book import probe
from book.text import tokenize

TINY = dict(embedding_dim=16, hidden_dim=16, num_layers=1, dropout=0.0, embed_dropout=0.0,
            batch_size=8, epochs=12, patience=12, lr=1e-2)

POS_PARTS = ["很好吃", "服务热情", "推荐", "味道不错", "环境优雅"]
NEG_PARTS = ["难吃死了", "服务很差", "再也不来", "太贵", "上菜极慢"]
FILLER = ["今天", "中午", "和朋友", "去了", "一家", "餐厅", "点了", "三个菜"]


def made_up(n: int, seed: int) -> pd.DataFrame:
    """Reviews whose label is given by which list their key phrases come from."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        y = i % 2
        parts = list(rng.choice(FILLER, size=rng.integers(1, 4)))
        parts += list(rng.choice(POS_PARTS if y else NEG_PARTS, size=rng.integers(1, 3)))
        rng.shuffle(parts)
        rows.append(("，".join(parts) + "。", y))
    return pd.DataFrame(rows, columns=["comment", "sentiment"])


@pytest.fixture(scope="module", autouse=True)
def threads():
    """As the chapter does (see book.lstm.THREADS); put back afterwards for other test files."""
    before = torch.get_num_threads()
    torch.set_num_threads(L.THREADS)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def trained():
    train, valid = made_up(80, 1), made_up(40, 2)
    return L.fit(train, valid, L.LSTMConfig(**TINY), seed=0, progress=False), valid


def test_vocab_encode_decode_round_trip():
    docs = [["好吃", "推荐", "好吃"], ["难吃", "好吃"], ["一次"]]
    v = L.Vocab.build(docs)
    assert v.itos[:3] == [L.PAD_TOKEN, L.UNK_TOKEN, "好吃"]  # most frequent word first
    assert L.PAD == 0 and L.UNK == 1
    words = ["推荐", "难吃", "好吃", "一次"]
    assert v.decode(v.encode(words)) == words
    assert v.encode(["从没见过"]) == [L.UNK]
    assert v.decode(v.encode(["好吃", "从没见过"])) == ["好吃", L.UNK_TOKEN]
    assert "从没见过" not in v and L.PAD_TOKEN not in v
    v2 = L.Vocab.build(docs, min_count=2)
    assert v2.itos == [L.PAD_TOKEN, L.UNK_TOKEN, "好吃"]
    with pytest.raises(ValueError, match="min_count must be at least 1"):
        L.Vocab.build(docs, min_count=0)


def test_vocab_save_load(tmp_path):
    v = L.Vocab.build([["好吃", "推荐"]])
    v.save(tmp_path / "v.json")
    assert L.Vocab.load(tmp_path / "v.json").itos == v.itos


def test_no_test_word_in_the_vocabulary():
    train = pd.DataFrame({"comment": ["味道很好吃，推荐", "难吃死了，服务很差"] * 4, "sentiment": [1, 0] * 4})
    valid = pd.DataFrame({"comment": ["环境优雅，价格公道", "上菜极慢"], "sentiment": [1, 0]})
    test_texts = ["烤鸭酥脆，甜品精致", "停车不便，排队太久"]
    cfg = L.LSTMConfig(**{**TINY, "epochs": 1})
    vocab = L.fit(train, valid, cfg, progress=False).predictor.vocab
    train_words = {w for t in train["comment"] for w in tokenize(t)}
    unseen = {w for t in [*test_texts, *valid["comment"]] for w in tokenize(t)} - train_words
    assert unseen, "the made-up test reviews must have words of their own"
    assert not unseen & set(vocab.itos)
    assert set(vocab.itos) == train_words | {L.PAD_TOKEN, L.UNK_TOKEN}


def test_bucket_sampler_covers_everything_sorted_and_seeded():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 200, size=500)
    s = L.BucketBatchSampler(lengths, batch_size=20, seed=3, chunk_batches=5)
    epoch1, epoch2 = list(s), list(s)
    for batches in (epoch1, epoch2):
        flat = sorted(i for b in batches for i in b)
        assert flat == list(range(500))
        assert len(batches) == len(s) == 25
    assert epoch1 != epoch2  # a new order each epoch
    again = L.BucketBatchSampler(lengths, batch_size=20, seed=3, chunk_batches=5)
    assert list(again) == epoch1  # same seed, same order
    # within a batch the lengths are close: far less padding than random batches
    pad = lambda bs: sum(lengths[b].max() * len(b) - lengths[b].sum() for b in bs)
    random_batches = [list(range(i, i + 20)) for i in range(0, 500, 20)]
    assert pad(epoch1) < 0.3 * pad(random_batches)
    ordered = list(L.BucketBatchSampler(lengths, batch_size=20, shuffle=False))
    flat = [i for b in ordered for i in b]
    assert list(lengths[flat]) == sorted(lengths)


def test_collate_pads_on_the_right():
    x, lengths, y = L.collate([([5, 6, 7], 1), ([8], 0)])
    assert x.tolist() == [[5, 6, 7], [8, L.PAD, L.PAD]]
    assert lengths.tolist() == [3, 1] and y.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "max"])
def test_padded_batch_equals_packed_and_each_review_alone(bidirectional, pooling):
    """Every review of a right-padded batch gets exactly the logit it gets when it is run
    alone without any padding, and the same summary as with pack_padded_sequence: the
    padding never reaches a review's summary."""
    torch.manual_seed(0)
    cfg = L.LSTMConfig(embedding_dim=12, hidden_dim=10, num_layers=2, bidirectional=bidirectional,
                       pooling=pooling)
    model = L.LSTMClassifier(50, cfg).eval()
    seqs = [[3, 4, 5, 6, 7, 8, 9], [10, 11], [12, 13, 14, 15], [16]]
    x, lengths, _ = L.collate([(s, 0) for s in seqs])
    with torch.no_grad():
        batch = model(x, lengths)
        alone = torch.cat([model(torch.tensor([s])) for s in seqs])
        packed = model.fc(model.summary_packed(model.embedding(x), lengths)).squeeze(-1)
        padding_read = model(x)  # the original's reading of a right-padded batch
    torch.testing.assert_close(batch, alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(batch, packed, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(padding_read[1:], alone[1:], atol=1e-4)  # short reviews read the padding
    assert torch.allclose(padding_read[0], alone[0], atol=1e-5)  # the longest review has none


def test_right_padded_summary_refuses_bidirectional():
    model = L.LSTMClassifier(20, L.LSTMConfig(embedding_dim=4, hidden_dim=4, bidirectional=True))
    with pytest.raises(ValueError, match="pack the batch"):
        model.summary_right_padded(torch.zeros(1, 3, 8), torch.tensor([2]))


def test_tiny_model_learns_a_separable_set(trained):
    result, valid = trained
    assert result.valid_accuracy >= 0.95
    probs = result.predictor.predict_proba(valid["comment"].tolist())
    assert np.mean((probs >= 0.5) == valid["sentiment"].to_numpy()) >= 0.95
    h = result.history
    assert list(h.columns[:5]) == ["epoch", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy"]
    assert h["train_loss"].iloc[-1] < h["train_loss"].iloc[0]
    assert h["best"].sum() == 1 and result.best_epoch in set(h["epoch"])


def test_best_epoch_weights_are_kept():
    train, valid = made_up(40, 5), made_up(20, 6)
    r = L.fit(train, valid, L.LSTMConfig(**{**TINY, "epochs": 4, "patience": 4}), seed=1, progress=False)
    probs = r.predictor.predict_proba(valid["comment"].tolist())
    acc = np.mean((probs >= 0.5) == valid["sentiment"].to_numpy())
    assert acc == pytest.approx(r.valid_accuracy)
    assert r.valid_accuracy == r.history["valid_accuracy"].max()


def test_same_seed_same_model_other_seed_other_model():
    train, valid = made_up(40, 3), made_up(20, 4)
    cfg = L.LSTMConfig(**{**TINY, "epochs": 2, "dropout": 0.3, "embed_dropout": 0.2})
    a, b = (L.fit(train, valid, cfg, seed=7, progress=False) for _ in range(2))
    c = L.fit(train, valid, cfg, seed=8, progress=False)
    texts = valid["comment"].tolist()
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"))
    np.testing.assert_array_equal(a.predictor.predict_proba(texts), b.predictor.predict_proba(texts))
    assert not np.allclose(a.predictor.predict_proba(texts), c.predictor.predict_proba(texts))


def test_save_and_load_predictor(trained, tmp_path):
    result, valid = trained
    texts = valid["comment"].tolist() + ["👍👍 good", "好吃" * 300]
    path = result.predictor.save(tmp_path / "lstm")
    loaded = L.load_predictor(path)
    assert loaded.name == "lstm" and loaded.info["seed"] == 0
    np.testing.assert_allclose(loaded.predict_proba(texts), result.predictor.predict_proba(texts), rtol=1e-6)
    assert loaded.vocab.itos == result.predictor.vocab.itos
    assert loaded.truncated(texts)[-1] and not any(loaded.truncated(texts)[:-1])
    assert loaded.no_words(texts)[-2] and not loaded.no_words(texts)[0]


def test_missing_artifacts_name_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no trained LSTM in .*make book"):
        L.load_predictor(tmp_path / "nothing")


def test_predictions_are_probabilities_in_input_order(trained):
    result, _ = trained
    p = result.predictor
    texts = ["很好吃，推荐", "难吃死了，再也不来", "😀", "服务热情，环境优雅，味道不错，今天和朋友去了一家餐厅"]
    probs = p.predict_proba(texts)
    assert probs.shape == (4,) and np.all((probs > 0) & (probs < 1))
    one_by_one = np.concatenate([p.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(probs, one_by_one, rtol=1e-5)
    assert probs[0] > 0.5 > probs[1]
    with pytest.raises(TypeError, match="list of reviews"):
        p.predict_proba("很好吃")


def test_prefix_probabilities_end_with_the_whole_review(trained):
    p = trained[0].predictor
    text = "服务很差，但是很好吃"
    df = probe.prefix_probabilities(p, text)
    assert list(df["word"]) == tokenize(text)
    assert df["prob"].iloc[-1] == pytest.approx(float(p.predict_proba([text])[0]), rel=1e-6)
    with pytest.raises(ValueError, match="no Chinese word"):
        probe.prefix_probabilities(p, "ok!")


def test_embedding_tsne_lists_missing_words(trained):
    p = trained[0].predictor
    words = [w for w in p.vocab.itos[2:14]] + ["从没见过的词"]
    df, missing = probe.embedding_tsne(p, words, perplexity=3)
    assert missing == ["从没见过的词"]
    assert list(df["word"]) == words[:-1] and np.isfinite(df[["x", "y"]].to_numpy()).all()
    pol = [1 if i % 2 else -1 for i in range(len(words) - 1)]
    assert 0.0 <= probe.neighbour_agreement(p, words[:-1], pol) <= 1.0
    with pytest.raises(ValueError, match="not in the vocabulary: 从没见过的词"):
        probe.neighbour_agreement(p, words, pol + [1])
    with pytest.raises(ValueError, match="12 words but 3 polarity labels"):
        probe.neighbour_agreement(p, words[:-1], pol[:3])


def test_neighbours_are_found_in_the_embedding(trained):
    p = copy.deepcopy(trained[0].predictor)  # its vectors are edited below
    e = p.model.embedding.weight
    words = p.vocab.itos[2:8]
    with torch.no_grad():  # make words[1] a copy of words[0]'s vector, and words[2] its opposite
        e[p.vocab.stoi[words[1]]] = e[p.vocab.stoi[words[0]]] * 2
        e[p.vocab.stoi[words[2]]] = -e[p.vocab.stoi[words[0]]]
    near = probe.nearest_words(p, words[0], words, k=5)
    assert near[0] == words[1] and near[-1] == words[2] and words[0] not in near
    assert probe.neighbour_agreement(p, words[:2], [1, 1]) == 1.0


# ---------------------------------------------------------------- chance level of the agreement


def test_clustered_vectors_agree_far_above_chance():
    rng = np.random.default_rng(0)
    pol = np.array([1] * 15 + [-1] * 15)
    centres = {1: rng.normal(size=16), -1: rng.normal(size=16)}
    vectors = np.stack([centres[p] + 0.05 * rng.normal(size=16) for p in pol])
    r = probe.shuffled_agreement(vectors, pol, n_shuffles=500, seed=0)
    assert r["observed"] == 1.0
    assert r["chance_exact"] == pytest.approx((15 * 14 * 2) / (30 * 29))
    assert abs(r["chance"] - r["chance_exact"]) < 0.02
    assert r["p_value"] == pytest.approx(1 / 501)   # no shuffle reaches 1.0; the observed one counts
    again = probe.shuffled_agreement(vectors, pol, n_shuffles=500, seed=0)
    assert again == r                                # seeded


def test_random_vectors_agree_at_chance():
    rng = np.random.default_rng(1)
    pol = np.array([1] * 60 + [-1] * 140)            # unbalanced: chance is not one half
    r = probe.shuffled_agreement(rng.normal(size=(200, 16)), pol, n_shuffles=500, seed=0)
    assert r["chance_exact"] == pytest.approx((60 * 59 + 140 * 139) / (200 * 199))
    assert abs(r["chance"] - r["chance_exact"]) < 0.01
    assert abs(r["observed"] - r["chance_exact"]) < 0.1
    assert r["p_value"] > 0.05


def test_neighbour_chance_reads_the_models_vectors(trained):
    p = copy.deepcopy(trained[0].predictor)
    words = p.vocab.itos[2:12]
    pol = [1] * 5 + [-1] * 5
    e = p.model.embedding.weight
    with torch.no_grad():                            # two tight clusters, one per polarity
        for w, s in zip(words, pol):
            e[p.vocab.stoi[w]] = s * torch.ones(e.shape[1]) + 0.01 * torch.randn(e.shape[1])
    r = probe.neighbour_chance(p, words, pol, n_shuffles=200)
    assert r["observed"] == probe.neighbour_agreement(p, words, pol) == 1.0
    assert r["p_value"] < 0.05
    with pytest.raises(ValueError, match="n_shuffles must be at least 1"):
        probe.shuffled_agreement(np.eye(3), [1, 1, -1], n_shuffles=0)


# ---------------------------------------------------------------- device


def test_model_and_predictions_on_the_chosen_device(monkeypatch):
    monkeypatch.setenv(D.DEVICE_ENV, "cpu")
    train, valid = made_up(20, 7), made_up(10, 8)
    r = L.fit(train, valid, L.LSTMConfig(**{**TINY, "epochs": 1}), seed=0, progress=False)
    assert {q.device.type for q in r.predictor.model.parameters()} == {"cpu"}
    assert r.predictor.info["device"] == "cpu" and r.predictor.info["precision"] == "fp32"
    assert {q.dtype for q in r.predictor.model.parameters()} == {torch.float32}
    seen = []
    r.predictor.model.register_forward_pre_hook(lambda m, args: seen.append(args[0].device.type))
    r.predictor.predict_proba(["很好吃"])
    assert seen == ["cpu"]


def test_cuda_asked_without_cuda_stops_training(monkeypatch):
    monkeypatch.setattr(D, "_cuda_available", lambda: False)
    monkeypatch.setenv(D.DEVICE_ENV, "cuda")
    with pytest.raises(D.DeviceError, match="no CUDA GPU"):
        L.fit(made_up(10, 1), made_up(4, 2), L.LSTMConfig(**{**TINY, "epochs": 1}), progress=False)


def test_saved_weights_are_fp32_on_the_cpu(trained, tmp_path):
    pred = copy.deepcopy(trained[0].predictor)
    pred.model.to(torch.bfloat16)                    # whatever the model ran in
    path = pred.save(tmp_path / "lstm")
    state = torch.load(path / "model.pt", weights_only=True)
    assert {v.dtype for v in state.values()} == {torch.float32}
    assert {v.device.type for v in state.values()} == {"cpu"}


# ---------------------------------------------------------------- word2vec and nearest words


def test_word2vec_repeats_across_processes_and_finds_usage_neighbours():
    import subprocess
    import sys

    docs = [["菜", "很", "好吃"], ["菜", "很", "难吃"], ["服务", "很", "好"], ["服务", "很", "差"]] * 50
    kv = probe.word2vec(docs, dim=8, min_count=1, epochs=5)
    assert set(kv.index_to_key) == {"菜", "很", "好吃", "难吃", "服务", "好", "差"}
    code = ("from book import probe; docs = [['菜','很','好吃'],['菜','很','难吃'],['服务','很','好'],['服务','很','差']]*50;"
            "print(list(probe.word2vec(docs, dim=8, min_count=1, epochs=5)['菜'][:3]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert np.allclose(eval(out), kv["菜"][:3], atol=1e-6)        # another process (another str hash salt)


def test_nearest_in_ranks_by_cosine_and_skips_the_query():
    v = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    assert probe.nearest_in(v, ["a", "b", "c", "d"], "a", k=2) == ["b", "c"]


def test_fits_side_by_side_equal_fits_one_after_another():
    """fit_many in worker processes gives, seed for seed, the model and history fit gives in this
    process, in the order of the jobs; a job that differs gives a different model."""
    train, valid = made_up(60, 3), made_up(30, 4)
    cfg = L.LSTMConfig(**{**TINY, "epochs": 3})
    jobs = [{"train": train, "valid": valid, "cfg": cfg, "seed": s} for s in (2, 0, 1)]
    side = L.fit_many(jobs, workers=2)
    alone = [L.fit(**j, progress=False) for j in jobs]
    assert [r.seed for r in side] == [2, 0, 1]
    for a, b in zip(side, alone):
        sa, sb = a.predictor.model.state_dict(), b.predictor.model.state_dict()
        assert all(torch.equal(sa[k], sb[k]) for k in sa)
        cols = ["train_loss", "valid_loss", "valid_accuracy"]
        pd.testing.assert_frame_equal(a.history[cols], b.history[cols])
        assert a.predictor.vocab.itos == b.predictor.vocab.itos
    s0, s2 = side[1].predictor.model.state_dict(), side[0].predictor.model.state_dict()
    assert not all(torch.equal(s0[k], s2[k]) for k in s0)
    texts = valid["comment"].tolist()
    np.testing.assert_array_equal(side[0].predictor.predict_proba(texts), alone[0].predictor.predict_proba(texts))


def test_fit_workers_and_the_timing_note(monkeypatch):
    import os

    monkeypatch.setenv(D.DEVICE_ENV, "cpu")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(8)), raising=False)
    assert (L.fit_workers(3), L.fit_workers(1), L.fit_workers(20)) == (3, 1, 4)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert L.fit_workers(3) == 1
    assert "一次训练一个模型" in L.timing_note(1) and "1 个 CPU 线程" in L.timing_note(1)
    two = L.timing_note(2)
    assert "2 个模型同时" in two and "旁边另有训练" in two


# ---------------------------------------------------------------- the original's recipe

def test_collate_left_keeps_the_first_words_and_pads_on_the_left():
    x, y = L.collate_left([([5, 6, 7], 1), ([8, 9, 10, 11, 12], 0)], max_len=4)
    assert x.tolist() == [[0, 5, 6, 7], [8, 9, 10, 11]] and y.tolist() == [1.0, 0.0]


def test_original_recipe_reads_left_padded_reviews_and_keeps_the_last_epoch():
    cfg = L.LSTMConfig(**{**L.ORIGINAL_CONFIG, **TINY, "fc_dropout": 0.0, "epochs": 3, "patience": 3,
                          "max_len": 6, "keep": "last", "padding": "left", "pad_embedding": True})
    r = L.fit(made_up(40, 1), made_up(20, 2), cfg, seed=0, progress=False)
    assert r.best_epoch == 3 and len(r.history) == 3               # no early stop, the last epoch kept
    model, vocab = r.predictor.model, r.predictor.vocab
    assert model.embedding.padding_idx is None and float(model.embedding.weight[L.PAD].detach().abs().sum()) > 0
    # a prediction is the model run over the review left-padded to max_len, alone or in any batch
    texts = made_up(12, 3)["comment"].tolist()
    ids = [vocab.encode(tokenize(t))[:cfg.max_len] or [L.UNK] for t in texts]
    with torch.no_grad():
        alone = [float(torch.sigmoid(model(L.collate_left([(i, 0)], cfg.max_len)[0]))) for i in ids]
    assert np.allclose(r.predictor.predict_proba(texts), alone, atol=1e-6)
    with pytest.raises(ValueError, match="one direction"):
        L.LSTMConfig(padding="left", bidirectional=True)
    with pytest.raises(ValueError, match="keep"):
        L.LSTMConfig(keep="first")


def test_original_config_is_the_notebooks_recipe():
    cfg = L.LSTMConfig(**L.ORIGINAL_CONFIG)
    m = L.LSTMClassifier(50, cfg)
    assert (cfg.max_len, cfg.batch_size, cfg.epochs, cfg.lr, cfg.clip) == (100, 50, 4, 1e-3, 5.0)
    assert m.embedding.embedding_dim == 400 and m.lstm.hidden_size == 256 and m.lstm.num_layers == 2
    assert m.lstm.dropout == 0.5 and m.dropout.p == 0.3 and m.embed_dropout.p == 0.0
    assert 0.8 < float(m.embedding.weight.detach().std()) < 1.2              # PyTorch's default N(0, 1)


def test_original_recipe_answers_asks_every_run(trained):
    fit_result, _ = trained
    words = ["很好吃", "推荐", "难吃死了", "太贵", "从没见过的词"]
    polarity = [1, 1, -1, -1, 1]
    texts = ["很好吃，推荐。", "难吃死了。"]
    out = probe.original_recipe_answers([fit_result, fit_result], words, polarity, texts)
    assert out["seeds"] == [0, 0] and list(out["sentences"]) == texts
    assert np.allclose(out["sentences"][texts[0]], [fit_result.predictor.predict_proba(texts)[0]] * 2)
    n = out["neighbours"][0]
    in_vocab = [w for w in words if w in fit_result.predictor.vocab]
    assert n["n"] == len(in_vocab) < len(words)                  # the unknown word is left out
    assert n["agreement"] == probe.neighbour_agreement(fit_result.predictor, in_vocab,
                                                      [s for w, s in zip(words, polarity) if w in in_vocab])
    assert 0 < n["p"] <= 1 and 0 <= n["untrained_agreement"] <= 1

    scores = pd.DataFrame({"seed": [0, 1], "accuracy": [0.8, 0.825], "seconds": [61.2, 70.0]})
    out["seeds"] = [0, 1]
    sentences = dict(zip(texts, ["mixed_lstm_notebook", "lstm_neg_notebook"]))
    table = probe.original_recipe_table(scores, out, sentences)
    assert list(table.columns) == ["种子 0", "种子 1", "原报告 notebook"]
    assert table.loc["测试集准确率"].tolist() == ["0.800", "0.825", "0.780"]
    assert table.loc[f"P(正面)：「{texts[1]}」", "原报告 notebook"] == "0.121"
    assert table.loc["训练秒数"].tolist() == ["61", "70", "—"]


def test_score_folds_trains_each_further_fold_and_records_it(tmp_path, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    a, b = made_up(60, 5), made_up(30, 6)
    folds = {0: None, 1: SimpleNamespace(train=a, valid=b, test=b), 2: SimpleNamespace(train=a, valid=b, test=a)}
    fits, table = L.score_folds(folds, L.LSTMConfig(**{**TINY, "epochs": 2}), seed=0, name="lstm")
    assert list(table["model"]) == ["lstm_fold1", "lstm_fold2"] and list(table["fold"]) == [1, 2]
    saved = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["models"]
    assert saved["lstm_fold1"]["fold"] == 1 and saved["lstm_fold1"]["seed"] == 0 and saved["lstm_fold1"]["family"] == "lstm"
    assert saved["lstm_fold2"]["test"]["review_id"] == [int(i) for i in a.index]
    state1, state2 = (f.predictor.model.state_dict() for f in fits)
    assert all(torch.equal(state1[k], state2[k]) for k in state1)             # same data and seed: same model
