"""book.bert on a tiny randomly initialised BERT and a tiny tokenizer that the tests build.

The tiny model exists only here, as a fixture: the book always fine-tunes a pretrained encoder.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import CHARS, TEXTS_NEG, TEXTS_POS

from book import bert


@pytest.fixture(scope="module")
def source(tiny_folder):
    return bert.resolve_model(str(tiny_folder))


def frame(texts, labels):
    return pd.DataFrame({"comment": texts, "sentiment": labels})


# ---------------------------------------------------------------- model resolution


def test_missing_folder_is_one_clear_error(tmp_path, monkeypatch):
    missing = tmp_path / "no_such_model"
    monkeypatch.setenv("BOOK_BERT_MODEL", str(missing))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(bert.BertModelError) as e:
        bert.resolve_model()
    msg = str(e.value)
    assert str(missing) in msg and "no such folder" in msg
    assert "BOOK_BERT_MODEL" in msg and "HF_ENDPOINT" in msg and "HF_HUB_OFFLINE" in msg


def test_uncached_hub_id_offline_is_one_clear_error(tmp_path, monkeypatch):
    import huggingface_hub.constants as hc

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)  # read once at import: patch it too
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.delenv("BOOK_BERT_MODEL", raising=False)
    with pytest.raises(bert.BertModelError, match=r"'bert-base-chinese' \(from default\).*BOOK_BERT_MODEL"):
        bert.resolve_model()


def test_folder_without_config(tmp_path):
    with pytest.raises(bert.BertModelError, match="has no config.json"):
        bert.resolve_model(str(tmp_path))


def test_local_folder_resolves(source, tiny_folder):
    assert source.local and source.origin == "argument"
    assert source.path == str(tiny_folder.resolve())
    assert source.provenance is None


# ---------------------------------------------------------------- tokenizer → DataLoader


def test_input_table_shows_special_tokens(source):
    t = bert.input_table(source.tokenizer, "环境不错")
    assert list(t["token"]) == ["[CLS]", "环", "境", "不", "错", "[SEP]"]
    assert list(t["attention_mask"]) == [1] * 6 and list(t["token_type_ids"]) == [0] * 6


def test_sorted_loader_pads_dynamically(source):
    tok = source.tokenizer
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(CHARS, size=n)) for n in rng.integers(1, 30, size=40)]
    ids = bert.encode(tok, texts, max_len=20)
    assert max(len(x) for x in ids) == 20  # truncation at max_len, special tokens included
    lengths = {}
    for shuffle in (False, True):
        dl = bert.loader(ids, [0, 1] * 20, pad_id=tok.pad_token_id, bs=8, shuffle=shuffle)
        batches = list(dl)
        assert sum(len(b[1]) for b in batches) == 40
        lengths[shuffle] = []
        for x, _y in batches:
            real = (x != tok.pad_token_id).sum(1)
            assert x.shape[1] == int(real.max())          # padded to the batch's longest, no further
            assert (x[:, 0] == tok.cls_token_id).all()    # [CLS] first, [SEP] last real token
            assert (x[torch.arange(len(x)), real - 1] == tok.sep_token_id).all()
            lengths[shuffle].append(sorted(real.tolist()))
    flat = [n for b in lengths[False] for n in reversed(b)]
    assert flat == sorted(flat, reverse=True)               # unshuffled: longest first
    spans = [(b[0], b[-1]) for b in lengths[True]]          # shuffled: batches are length buckets
    for i, (lo1, hi1) in enumerate(spans):
        for lo2, hi2 in spans[i + 1:]:
            assert hi1 <= lo2 or hi2 <= lo1


def test_fixed_padding_loader(source):
    ids = bert.encode(source.tokenizer, ["好吃", "服务很好"], max_len=16)
    x, y = next(iter(bert.loader(ids, [1, 1], pad_id=0, bs=2, pad_to=16)))
    assert x.shape == (2, 16)


# ---------------------------------------------------------------- training, prediction, saving


@pytest.fixture(scope="module")
def trained(source):
    train = frame(TEXTS_POS + TEXTS_NEG, [1] * 8 + [0] * 8)
    dls = bert.dataloaders(source.tokenizer, train, train, bs=4)
    learn = bert.learner(source, dls, pooling="mean", seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOK_QUIET", "1")  # no progress bar
        hist = bert.train_model(learn, 8, 1e-2)
    return learn, hist


def test_training_lowers_the_loss(trained):
    learn, hist = trained
    assert list(hist.columns[:4]) == ["epoch", "train_loss", "valid_loss", "valid_accuracy"]
    assert len(hist) == 8 and "seconds" in hist
    assert hist["valid_loss"].iloc[-1] < 0.7 * hist["valid_loss"].iloc[0]
    assert hist["valid_accuracy"].iloc[-1] >= 0.9


def test_discriminative_groups(trained):
    groups = bert.param_groups(trained[0].model)
    assert len(groups) == 4
    n = sum(p.numel() for g in groups for p in g)
    assert n == sum(p.numel() for p in trained[0].model.parameters())


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_padding_does_not_change_predictions(source, tiny_folder, pooling):
    from transformers import AutoModelForSequenceClassification

    hf = AutoModelForSequenceClassification.from_pretrained(tiny_folder, num_labels=2)
    net = bert.SentimentClassifier(hf, source.tokenizer.pad_token_id, pooling)
    texts = ["好吃", "环境很差服务也很差菜也难吃再也不来了", "还会再来"]
    together = bert.predict_proba(net, source.tokenizer, texts)
    alone = np.array([bert.predict_proba(net, source.tokenizer, [t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)  # and in input order


def test_save_and_load_predictor(trained, tmp_path):
    learn, _ = trained
    path = bert.save(learn, tmp_path / "bert", max_len=8)
    pred = bert.load_predictor(path)
    texts = ["好吃", "难吃", "环境很差服务也很差菜也难吃再也不来了"]
    p = pred.predict_proba(texts)
    assert p.shape == (3,) and p[0] > 0.5 > p[1]
    assert np.allclose(p, bert.predict_proba(learn.model, learn.source.tokenizer, texts, max_len=8), atol=1e-5)
    assert pred.truncated(texts) == [False, False, True]
    assert pred.meta["pooling"] == "mean" and pred.meta["base_model"] == learn.source.name
    assert "bert" in pred.name


def test_missing_artifacts_name_make_book(tmp_path):
    with pytest.raises(bert.BertModelError, match="make book"):
        bert.load_predictor(tmp_path / "bert")


def test_integrated_gradients_add_up(trained):
    learn, _ = trained
    df = bert.integrated_gradients(learn.model, learn.source.tokenizer, "环境不错，菜难吃", steps=64)
    assert list(df["token"]) == ["[CLS]", "环", "境", "不", "错", "[UNK]", "菜", "难", "吃", "[SEP]"]
    assert abs(df.attrs["margin_delta"]) > 0.1
    assert df.attrs["completeness_gap"] < 0.05 * abs(df.attrs["margin_delta"])
    html = bert.attribution_html(df)
    assert html.count("<span") == 7 and "，" in html  # one span per known character; the unknown comma plain


# ---------------------------------------------------------------- device and precision


def hooked_dtypes(net):
    """Record the output dtype of the first layer's query projection, an intermediate of the
    transformer's forward pass."""
    seen = []
    layer = net.hf.base_model.encoder.layer[0].attention.self.query
    return seen, layer.register_forward_hook(lambda m, i, out: seen.append(out.dtype))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_precision_env_sets_the_forward_pass_dtype(source, tiny_folder, monkeypatch, precision):
    from book import device as D

    monkeypatch.setenv(D.DEVICE_ENV, "cpu")
    monkeypatch.setenv(D.PRECISION_ENV, precision)
    train = frame(TEXTS_POS + TEXTS_NEG, [1] * 8 + [0] * 8)
    dls = bert.dataloaders(source.tokenizer, train, train, bs=8)
    learn = bert.learner(source, dls, pooling="mean", seed=0)
    assert dls.device.type == "cpu" and learn.precision == learn.model.precision == precision
    assert {p.device.type for p in learn.model.parameters()} == {"cpu"}
    x, _ = dls.one_batch()
    assert x.device.type == "cpu"
    seen, hook = hooked_dtypes(learn.model)
    logits = learn.model(x)
    want = torch.bfloat16 if precision == "bf16" else torch.float32
    assert seen == [want] and logits.dtype == torch.float32   # logits (and so the loss) in fp32
    seen.clear()
    prob = bert.predict_proba(learn.model, source.tokenizer, TEXTS_POS[:3])
    assert seen == [want] and prob.shape == (3,)
    hook.remove()


def test_bf16_training_keeps_and_saves_fp32_weights(source, tmp_path, monkeypatch):
    from safetensors import safe_open

    monkeypatch.setenv("BOOK_QUIET", "1")
    train = frame(TEXTS_POS + TEXTS_NEG, [1] * 8 + [0] * 8)
    learn = bert.learner(source, bert.dataloaders(source.tokenizer, train, train, bs=8, device="cpu"),
                         seed=0, precision="bf16")
    seen, hook = hooked_dtypes(learn.model)
    before = learn.model.hf.classifier.weight.detach().clone()
    hist = bert.train_model(learn, 2, 1e-2)
    hook.remove()
    assert len(hist) == 2 and set(seen) == {torch.bfloat16}          # training and validation ran in bf16
    assert not torch.equal(before, learn.model.hf.classifier.weight)  # and it did learn
    assert {p.dtype for p in learn.model.parameters()} == {torch.float32}
    path = bert.save(learn, tmp_path / "bert", max_len=16)
    with safe_open(str(path / "model.safetensors"), "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float32}
    meta = bert.load_predictor(path, precision="fp32").meta
    assert meta["trained_on"] == "cpu" and meta["trained_precision"] == "bf16"


def test_predictor_follows_the_precision_rule(trained, tmp_path, monkeypatch):
    from book import device as D

    learn, _ = trained
    path = bert.save(learn, tmp_path / "bert", max_len=16)
    monkeypatch.setenv(D.PRECISION_ENV, "fp32")
    fp32 = bert.load_predictor(path)
    monkeypatch.setenv(D.PRECISION_ENV, "bf16")
    bf16 = bert.load_predictor(path)
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert next(fp32.model.parameters()).device.type == "cpu"
    texts = TEXTS_POS + TEXTS_NEG
    a, b = fp32.predict_proba(texts), bf16.predict_proba(texts)
    assert not np.array_equal(a, b)              # bf16 really ran
    assert np.abs(a - b).max() < 0.05            # and stays close to fp32


def test_integrated_gradients_run_in_fp32_even_for_a_bf16_model(trained):
    learn, _ = trained
    model = learn.model
    before = model.precision
    model.precision = "bf16"
    try:
        seen, hook = hooked_dtypes(model)
        df = bert.integrated_gradients(model, learn.source.tokenizer, "环境不错，菜难吃", steps=64)
        hook.remove()
        assert set(seen) == {torch.float32} and model.precision == "bf16"   # restored afterwards
        assert df.attrs["completeness_gap"] < 0.05 * abs(df.attrs["margin_delta"])
    finally:
        model.precision = before


def test_evaluate_on_test_records_device_and_precision(trained, tmp_path, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    learn, _ = trained
    test = frame(TEXTS_POS + TEXTS_NEG, [1] * 8 + [0] * 8)
    rec = bert.evaluate_on_test(learn, SimpleNamespace(test=test), name="bert_tiny", max_len=16)
    assert rec["device"] == "cpu" and rec["precision"] == learn.model.precision
    import json
    saved = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["models"]["bert_tiny"]
    assert saved["precision"] == learn.model.precision


# ---------------------------------------------------------------- seeds, the kept epoch, adaptive IG


def test_training_keeps_the_best_validation_epoch(trained):
    learn, hist = trained
    best = int(hist["valid_accuracy"].to_numpy().argmax()) + 1      # the earliest best, 1-based
    assert learn.best_epoch == best
    # the weights in the model are that epoch's: its validation accuracy is the kept one
    valid = learn.dls.valid.dataset
    texts = [learn.source.tokenizer.decode(x[0][1:-1]).replace(" ", "") for x in valid]
    prob = bert.predict_proba(learn.model, learn.source.tokenizer, texts)
    labels = np.array([int(x[1]) for x in valid])
    assert np.isclose(((prob >= 0.5) == labels).mean(), hist["valid_accuracy"].iloc[best - 1])


def test_seeds_one_on_a_cpu_three_on_a_gpu_or_as_asked(monkeypatch):
    monkeypatch.delenv("BOOK_BERT_SEEDS", raising=False)
    assert bert.seeds("cpu") == (0,)
    assert bert.seeds(torch.device("cuda")) == (0, 1, 2)
    monkeypatch.setenv("BOOK_BERT_SEEDS", "2")
    assert bert.seeds("cpu") == (0, 1)
    monkeypatch.setenv("BOOK_BERT_SEEDS", "two")
    with pytest.raises(ValueError, match="BOOK_BERT_SEEDS"):
        bert.seeds("cpu")


def test_fit_run_scores_saves_and_publishes_and_its_cached_prediction_agrees(source, tmp_path, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setenv("BOOK_ARTIFACTS", str(tmp_path))
    monkeypatch.setenv("BOOK_QUIET", "1")
    monkeypatch.setattr(bert, "EPOCHS", 2)
    data = frame(TEXTS_POS + TEXTS_NEG, [1] * 8 + [0] * 8)
    cache = bert.StateCache(source, frozen=1, device="cpu")
    splits = SimpleNamespace(train=data, valid=data, test=data)
    run = bert.fit_run(source, cache, splits, seed=3)
    assert len(cache) == len(set(data["comment"]))          # the lower layers ran once per text
    assert run.seed == 3 and run.best_epoch in (1, 2) and len(run.history) == 2 and run.n_trained < run.n_params
    assert run.path == tmp_path / "bert_runs" / "bert_seed3" and (run.path / bert.META_FILE).is_file()
    assert run.record["seed"] == 3 and run.record["fold"] == 0 and run.record["frozen"] == 1
    assert run.record["test"]["review_id"] == list(data.index)
    import json
    models = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["models"]
    assert models["bert_seed3"]["valid_accuracy"] == run.valid_accuracy
    published = bert.publish(run)
    assert published == tmp_path / "bert"
    p = bert.load_predictor(published, device="cpu", precision="fp32").predict_proba(list(data["comment"]))
    assert np.allclose(p, run.record["test"]["prob"], atol=1e-5)
    cached = bert.FrozenPredictor(run.path, cache).predict_proba(list(reversed(data["comment"])))
    assert np.allclose(cached[::-1], p, atol=1e-5)
    other = bert.fit_run(source, cache, splits, seed=0, fold=2)
    assert other.name == "bert_fold2" and other.record["fold"] == 2 and len(cache) == len(set(data["comment"]))
    with pytest.raises(ValueError, match="seed 0 only"):
        bert.run_name(1, fold=2)
    with pytest.raises(ValueError, match="not trained with the lower 2 layers"):
        bert.FrozenPredictor(run.path, bert.StateCache(source, frozen=2, device="cpu"))


def test_train_precision_is_bf16_only_where_native_unless_set(monkeypatch):
    monkeypatch.delenv("BOOK_PRECISION", raising=False)
    monkeypatch.setattr(bert._device, "_native_bf16", lambda dev, cpuinfo=None: (False, "no"))
    assert bert.train_precision("cpu") == "fp32"
    monkeypatch.setattr(bert._device, "_native_bf16", lambda dev, cpuinfo=None: (True, "yes"))
    assert bert.train_precision("cpu") == "bf16"
    monkeypatch.setenv("BOOK_PRECISION", "fp32")
    assert bert.train_precision("cpu") == "fp32"


def test_integrated_gradients_within_doubles_steps_until_the_gap_is_small(trained):
    learn, _ = trained
    df = bert.integrated_gradients_within(learn.model, learn.source.tokenizer, "环境不错，菜难吃", tol=1e-3, steps=2)
    assert df.attrs["steps"] > 2 and df.attrs["steps"] & (df.attrs["steps"] - 1) == 0     # a doubling of 2
    assert df.attrs["completeness_gap"] <= 1e-3 * abs(df.attrs["margin_delta"]) or df.attrs["steps"] == 1024
    capped = bert.integrated_gradients_within(learn.model, learn.source.tokenizer, "环境不错", tol=0.0, steps=4,
                                              max_steps=16)
    assert capped.attrs["steps"] == 16


# ---------------------------------------------------------------- the frozen recipe (lower layers computed once)


def test_frozen_recipe_trains_the_upper_layers_only_and_predicts_as_the_full_model(source, monkeypatch):
    monkeypatch.setenv("BOOK_QUIET", "1")
    texts, labels = TEXTS_POS + TEXTS_NEG, [1] * 8 + [0] * 8
    ids = bert.encode(source.tokenizer, texts)
    probe = bert.learner(source, bert.dataloaders(source.tokenizer, frame(texts, labels), frame(texts, labels), bs=4),
                         pooling="mean", seed=0, precision="fp32").model
    states = bert.lower_states(probe, ids, frozen=1)
    assert [s.shape for s in states] == [(len(i), 32) for i in ids] and all((s.abs().sum(-1) > 0).all() for s in states)
    dls = bert.state_dataloaders(states, labels, states, labels, bs=4)
    learn = bert.frozen_learner(source, dls, frozen=1, seed=0, precision="fp32")
    lower = {k: v.clone() for k, v in learn.full.hf.base_model.embeddings.state_dict().items()}
    layer0 = {k: v.clone() for k, v in learn.full.hf.base_model.encoder.layer[0].state_dict().items()}
    upper = {k: v.clone() for k, v in learn.full.hf.base_model.encoder.layer[1].state_dict().items()}
    hist = bert.train_model(learn, 8, 1e-2)
    assert hist["valid_loss"].iloc[-1] < 0.7 * hist["valid_loss"].iloc[0] and hist["valid_accuracy"].max() >= 0.8
    base = learn.full.hf.base_model
    assert all(torch.equal(v, base.embeddings.state_dict()[k]) for k, v in lower.items()), "embeddings frozen"
    assert all(torch.equal(v, base.encoder.layer[0].state_dict()[k]) for k, v in layer0.items()), "layer 0 frozen"
    assert not all(torch.equal(v, base.encoder.layer[1].state_dict()[k]) for k, v in upper.items()), "layer 1 trained"
    # the whole classifier (what is saved and predicts) gives what training saw on the cached states
    full = bert.predict_proba(learn.full, source.tokenizer, texts)
    learn.model.eval()
    with torch.no_grad():
        cached = [torch.softmax(learn.model(s.unsqueeze(0)), -1)[0, 1].item() for s in states]
    assert np.allclose(full, cached, atol=1e-5)
    with pytest.raises(ValueError, match="freeze between 1 and 1 of 2 layers"):
        bert.UpperClassifier(learn.full, 2)
