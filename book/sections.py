"""What each section's prose quotes, computed from the section's results: one function per
section, in the book's order. A chapter calls it and glues the dict it returns
(``ch.glue(sections.review_lengths(...))``); where the section also keeps something in the run
record, the function writes it (:func:`book.record.write`) so the chapter has one call to make.

Most pages' sentences are written by hand with these values glued in; where a sentence's direction
depends on the run, the section's function (or a ``check_…`` beside it) guards it with
:func:`book.expect`, so a re-run that contradicts the page fails the build. The few sentences
whose direction is genuinely open come from :mod:`book.verdicts`. Each function is tested on small
made-up results (tests/test_sections.py), the guards with results that contradict them.
"""
from __future__ import annotations

import inspect
import math
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd

from . import display, metrics, record, text, verdicts

# ---------------------------------------------------------------- chapter 1


def dataset_counts(reviews: pd.DataFrame, splits) -> dict:
    """1.1: rows and classes of the whole set, the test split's size and balance, the bootstrap's draws."""
    test = splits.test["sentiment"]
    return {
        "rows": len(reviews),
        "n_pos": int((reviews["sentiment"] == 1).sum()),
        "n_neg": int((reviews["sentiment"] == 0).sum()),
        "n_test": len(splits.test),
        "n_boot": inspect.signature(metrics.bootstrap_ci).parameters["n_boot"].default,
        "balance": verdicts.balanced_test(int((test == 1).sum()), int((test == 0).sum())),
    }


def worked_example(y_true, y_pred) -> dict:
    """1.4: the confusion matrix and scores of the worked example."""
    s = metrics.scores(y_true, y_pred)
    tn, fp, fn, tp = (int(v) for v in metrics.confusion(y_true, y_pred).ravel())
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "n": s["n"],
            **{k: s[k] for k in ("accuracy", "precision_1", "recall_1", "f1_1",
                                 "precision_0", "recall_0", "f1_0", "f1_macro")}}


def resolution(n: int) -> dict:
    """1.5: what a test split of ``n`` reviews can resolve: the bootstrap interval of a hypothetical
    model right on 90% of them, and McNemar's test of two hypothetical models that disagree on 10
    reviews (B wrong on 6 of them, A on 4)."""
    truth = np.ones(n, dtype=int)
    pred_90 = np.r_[np.ones(int(0.9 * n)), np.zeros(n - int(0.9 * n))].astype(int)
    lo, hi = metrics.bootstrap_ci(truth, pred_90)
    pred_a = truth.copy()
    pred_a[:12] = 0                                   # A wrong on reviews 0-11
    pred_b = truth.copy()
    pred_b[:8] = 0
    pred_b[12:18] = 0                                 # B wrong on 0-7 and 12-17
    test_ab = metrics.mcnemar(truth, pred_a, pred_b)
    import book

    book.expect(test_ab["p_value"] >= verdicts.ALPHA, "远大于 0.05：这几条分歧不足以说明两个模型有差别",
                "算例里两个模型的 McNemar p 值不小于 0.05")
    return {
        "ci_acc": metrics.scores(truth, pred_90)["accuracy"], "ci_lo": lo, "ci_hi": hi,
        "mc_acc_a": metrics.scores(truth, pred_a)["accuracy"], "mc_acc_b": metrics.scores(truth, pred_b)["accuracy"],
        "mc_b": test_ab["a_only"], "mc_c": test_ab["b_only"], "mc_p": test_ab["p_value"], "ci_width_pp": 100 * (hi - lo),
    }


# ---------------------------------------------------------------- chapter 2


def dataset_facts(facts: dict) -> dict:
    """2.1: rows, classes and the file's checksum (from :func:`book.data.facts`)."""
    return {"rows": facts["rows"], "n_neg": facts["class_counts"]["0"],
            "n_pos": facts["class_counts"]["1"], "sha": facts["sha256"]}


def length_stats(lengths: pd.DataFrame) -> dict:
    """2.2: min, median, mean and max of the ``chars`` and ``words`` columns, for all reviews and
    for each class: ``{"all" | "negative" | "positive": {"chars" | "words": {stat: value}}}``."""
    stats = {}
    for name, part in (("all", lengths), ("negative", lengths[lengths["sentiment"] == 0]),
                       ("positive", lengths[lengths["sentiment"] == 1])):
        stats[name] = {col: {"min": int(part[col].min()), "median": float(part[col].median()),
                             "mean": round(float(part[col].mean()), 2), "max": int(part[col].max())}
                       for col in ("chars", "words")}
    return stats


def review_lengths(stats: dict, facts: dict) -> dict:
    """2.2: every length statistic (``chars_median_all`` ...) and the three sentences about them."""
    out = {f"{col}_{stat}_{name}": value for name in stats for col in ("chars", "words")
           for stat, value in stats[name][col].items()}
    return {**out,
            "balance": verdicts.class_balance(facts["class_counts"]["0"], facts["class_counts"]["1"]),
            "longer": verdicts.longer_class(stats["negative"]["chars"]["median"], stats["positive"]["chars"]["median"]),
            "skew": verdicts.skew(stats["all"]["chars"]["mean"], stats["all"]["chars"]["median"])}


def class_word_counts(part: pd.DataFrame, docs) -> tuple[Counter, Counter]:
    """2.3: word counts (stopwords left out) in the positive and the negative reviews of ``part``;
    ``docs`` holds the jieba words of every review, indexed like the reviews."""
    part_docs = [docs[i] for i in part.index]
    pos = text.word_counts([d for d, y in zip(part_docs, part["sentiment"]) if y == 1], text.STOPWORDS)
    neg = text.word_counts([d for d, y in zip(part_docs, part["sentiment"]) if y == 0], text.STOPWORDS)
    return pos, neg


def frequent_words(part: pd.DataFrame, pos_counts: Counter, neg_counts: Counter, top_k: int) -> dict:
    """2.3: how many of each class's ``top_k`` words are shared, and where 「不」 ranks in each."""
    shared = set(text.top_words(pos_counts, top_k)["word"]) & set(text.top_words(neg_counts, top_k)["word"])
    rank = {name: list(text.top_words(c, len(c))["word"]).index("不") + 1
            for name, c in (("pos", pos_counts), ("neg", neg_counts))}
    return {"n_nontest": len(part), "n_stop": len(text.STOPWORDS), "top_k": top_k,
            "n_shared_top": len(shared), "bu_rank_pos": rank["pos"], "bu_rank_neg": rank["neg"]}


def log_ratio_words(lr: pd.DataFrame, min_count: int, alpha: float, k: int) -> dict:
    """2.4: the log-ratio table's size and extremes; keeps the ``k`` strongest words of each side in
    the record (``results.log_ratio_top_words``, read by chapter 3.2's t-SNE)."""
    by_word = lr.set_index("word")["log_ratio"]
    record.write("log_ratio_top_words", {"min_count": min_count, "alpha": alpha,
                                         "positive": lr.head(k)["word"].tolist(),
                                         "negative": lr.tail(k)["word"][::-1].tolist()})
    return {"lr_min_count": min_count, "lr_alpha": alpha, "lr_n_words": len(lr), "lr_k": k,
            "lr_top_pos": "、".join(lr.head(5)["word"]), "lr_top_neg": "、".join(lr.tail(5)["word"][::-1]),
            "lr_nimen": by_word["你们"], "lr_nijia": by_word["你家"]}


def split_sizes(facts: dict, stats: dict) -> dict:
    """2.5: the three parts' sizes and the split's seed; keeps the dataset's facts and length
    statistics in the record's ``dataset`` section."""
    for key, value in {**facts, "lengths": stats}.items():
        record.write(key, value, section="dataset")
    return {"n_test": facts["splits"]["test"]["total"], "n_valid": facts["splits"]["valid"]["total"],
            "n_train": facts["splits"]["train"]["total"], "n_rest": facts["rows"] - facts["splits"]["test"]["total"],
            "seed": facts["split_seed"]}


def bag_of_words(bow: pd.DataFrame) -> dict:
    """2.6: the bag-of-words example's vocabulary and its two vectors."""
    return {"words": "、".join(bow.columns), "n": len(bow.columns),
            "v0": "[" + ", ".join(map(str, bow.iloc[0])) + "]", "v1": "[" + ", ".join(map(str, bow.iloc[1])) + "]",
            "cat": verdicts.cat_segmentation("猫猫" in bow.columns)}


def bigram_model(lm, valid_ppl: dict, best_k: float, valid_docs, sentence: str, words, shuffled) -> dict:
    """2.6: the bigram language model: perplexity by smoothing constant, one sentence (``words``)
    against its scrambled words (``shuffled``), and the share of validation reviews it scores above
    their scrambled copy; keeps them in the record (``results.bigram_lm``)."""
    k_grid = list(valid_ppl)
    comparison = text.scramble_comparison(lm, [d for d in valid_docs if len(set(d)) >= 3], seed=0)
    share = float((comparison["original"] > comparison["scrambled"]).mean())
    record.write("bigram_lm", {
        "k_grid": k_grid, "valid_perplexity": {str(k): v for k, v in valid_ppl.items()},
        "k": best_k, "vocab": len(lm.vocab), "sentence": sentence, "shuffled": "".join(shuffled),
        "logprob_sentence": lm.logprob(words), "logprob_shuffled": lm.logprob(shuffled),
        "valid_share_original_higher": share, "valid_reviews_compared": len(comparison),
    })
    return {
        **{f"k{i}": k for i, k in enumerate(k_grid)}, **{f"ppl{i}": valid_ppl[k] for i, k in enumerate(k_grid)},
        "best_k": best_k, "vocab": len(lm.vocab), "min_count": lm.min_count,
        "laplace": verdicts.laplace(valid_ppl),
        "sentence": sentence, "words": " / ".join(words), "shuffled": " / ".join(shuffled),
        "logp_orig": lm.logprob(words), "ppl_orig": lm.perplexity([words]),
        "logp_shuf": lm.logprob(shuffled), "ppl_shuf": lm.perplexity([shuffled]),
        "order": verdicts.order_matters(lm.logprob(words), lm.logprob(shuffled)),
        "n_valid": len(comparison), "share": 100 * share, "share_verdict": verdicts.share_original_higher(share),
        "mean_orig": float(comparison["original"].mean()), "mean_shuf": float(comparison["scrambled"].mean()),
    }


def segmentations(sentences) -> dict:
    """2.7: how jieba cuts each sentence, as one line of prose."""
    return {"words": "；".join(f"「{s}」被切成{'、'.join(f'「{w}」' for w in text.tokenize(s))}" for s in sentences)}


# ---------------------------------------------------------------- chapter 3


def removed_runs(comments: pd.Series) -> Counter:
    """3 (预处理): every run of non-Han characters that keeping Han characters only removes, counted."""
    return Counter(r for c in comments for r in text.non_cjk_runs(c))


def removed_characters(comments: pd.Series, runs: Counter, top_runs: int) -> dict:
    """3 (预处理): the share of characters that keeping Han characters only removes (``runs``, from
    :func:`removed_runs`), the share of those that are punctuation, and the share of reviews with
    Latin letters or digits."""
    removed = Counter(ch for r, n in runs.items() for ch in r for _ in range(n))
    n_chars = int(comments.str.len().sum())
    n_cjk = sum(len(text.cjk_only(c, sep="")) for c in comments)
    n_punct = sum(n for ch, n in removed.items() if unicodedata.category(ch).startswith("P"))
    has_alnum = comments.str.contains("[A-Za-z0-9]", regex=True)
    return {"removed_pct": 100 * (1 - n_cjk / n_chars), "punct_pct": 100 * n_punct / (n_chars - n_cjk),
            "alnum_pct": 100 * float(has_alnum.mean()), "top_runs": top_runs}


def boundary_words(comments: pd.Series, example: str) -> tuple[dict, int]:
    """3 (预处理): the words jieba finds across removed punctuation, in ``example`` and in the data;
    returns the values and the number of reviews that have such a word."""
    crossing = {i: text.cross_boundary_words(c) for i, c in comments.items()}
    crossing = {i: w for i, w in crossing.items() if w}
    counts = Counter(w for ws in crossing.values() for w in ws)
    return {
        "example": example, "extra": "、".join(text.cross_boundary_words(example)),
        "joined": " / ".join(text.tokenize(text.cjk_only(example, sep=""))),
        "split": " / ".join(text.tokenize(example)),
        "n": len(crossing), "pct": 100 * len(crossing) / len(comments),
        "top": "、".join(w for w, _ in counts.most_common(8)),
    }, len(crossing)


def vocabulary(splits, n_crossing: int) -> dict:
    """3 (预处理): the training vocabulary, its words seen once, and the validation words it lacks;
    keeps them in the record (``results.vocabulary``)."""
    train_counts = text.word_counts(text.tokenize_many(splits.train["comment"]))
    valid_words = [w for d in text.tokenize_many(splits.valid["comment"]) for w in d]
    oov_rate = sum(w not in train_counts for w in valid_words) / len(valid_words)
    record.write("vocabulary", {
        "train_words": len(train_counts), "train_tokens": sum(train_counts.values()),
        "valid_oov_rate": oov_rate, "reviews_with_cross_boundary_words": n_crossing,
    })
    return {
        "n_train": len(splits.train), "vocab": len(train_counts), "tokens": sum(train_counts.values()),
        "hapax_pct": 100 * sum(c == 1 for c in train_counts.values()) / len(train_counts),
        "oov_pct": 100 * oov_rate, "oov2_pct": 100 * sum(train_counts[w] < 2 for w in valid_words) / len(valid_words),
    }


# ---------------------------------------------------------------- chapter 3.1


def baseline_setup(train: pd.DataFrame, test: pd.DataFrame, n_trials: int) -> dict:
    """3.1: the data and settings every baseline shares."""
    from . import baselines, data

    return {"n_train": len(train), "n_test": len(test), "folds": baselines.CV_FOLDS, "maxlen": baselines.MAXLEN,
            "n_trials": n_trials, "seed": data.SEED,
            "word_ngrams": "–".join(map(str, baselines.WORD_NGRAMS)),
            "char_ngrams": "–".join(map(str, baselines.CHAR_NGRAMS))}


def original_style(orig, orig_entry: dict, train_comments: pd.Series, example: pd.DataFrame,
                   example_review: str, reported: float) -> dict:
    """3.1: the original-style representation (padding, the example's columns) and its scores
    against the accuracy the original's text reports (``reported``)."""
    from . import baselines

    stats = baselines.padding_stats(orig.model, train_comments)
    words = example[example["编号"] > 0]
    hi, lo = words.loc[words["TF-IDF"].idxmax()], words.loc[words["TF-IDF"].idxmin()]
    return {
        "orig_vocab": stats["vocabulary"], "orig_median_words": stats["median_words"],
        "orig_share_shorter": 100 * stats["share_shorter"], "orig_zero_share": 100 * stats["zero_share"],
        "orig_cv": orig.cv_accuracy, "orig_acc": orig_entry["accuracy"],
        "orig_lo": orig_entry["ci95"][0], "orig_hi": orig_entry["ci95"][1],
        "orig_kernel": baselines.KERNEL_NAMES[orig.params["kernel"]], "orig_C": orig.params["C"],
        "orig_verdict": verdicts.chance_and_reported(*orig_entry["ci95"], reported, source="原报告正文"),
        "ex_review": example_review, "ex_n_cols": len(example),
        "ex_hi_word": hi["词"], "ex_hi_id": int(hi["编号"]), "ex_lo_word": lo["词"], "ex_lo_id": int(lo["编号"]),
        "ex_ratio": float(hi["TF-IDF"] / lo["TF-IDF"]),
        "ex_idf_min": float(example["IDF"].min()), "ex_idf_max": float(example["IDF"].max()),
    }


def correct_tfidf(correct, correct_entries, reported: float) -> dict:
    """3.1: the range of the correctly built TF-IDF models' CV and test accuracies."""
    return {
        "correct_min": min(e["accuracy"] for e in correct_entries),
        "correct_max": max(e["accuracy"] for e in correct_entries),
        "correct_cv_min": min(b.cv_accuracy for b in correct), "correct_cv_max": max(b.cv_accuracy for b in correct),
        "correct_verdict": verdicts.all_above({display.model_name(e["name"]): e["ci95"][0] for e in correct_entries},
                                              reported, "原报告正文中 SVM 的"),
    }


def hyperopt_models(pairs) -> dict:
    """3.1: for each (tuned baseline, its test record) — naive Bayes, KNN — its CV and test scores,
    parameters and the trial that found them, under the model's first name part (``nb_cv`` ...)."""
    from . import baselines

    out = {}
    for b, e in pairs:
        key = b.name.split("_")[0]
        out.update({f"{key}_{k}": v for k, v in {
            "cv": b.cv_accuracy, "acc": e["accuracy"], "diff": e["accuracy"] - b.cv_accuracy,
            "lo": e["ci95"][0], "hi": e["ci95"][1], "params": baselines.format_params(b.params),
            "first_best": int(b.trials["loss"].idxmin()) + 1}.items()})
    out["cv_in_ci"] = verdicts.cv_in_ci({display.model_name(b.name): (b.cv_accuracy, *e["ci95"]) for b, e in pairs})
    return out


def baseline_results(everyone, entries, best, orig, tuned, test: pd.DataFrame, reported: dict,
                     n_trials: int, predictor_name: str) -> tuple[dict, pd.DataFrame]:
    """3.1: the model chosen by CV against the original-style one and against the other correct
    baselines (exact McNemar), and the whole section's seconds; keeps the choice in the record
    (``results.baselines``). ``tuned``: the hyperopt models (naive Bayes, KNN). Returns the values
    and :func:`book.baselines.results_table` (the section's table)."""
    from . import baselines, data

    table = baselines.results_table(everyone, entries)
    entry = {b.name: e for b, e in zip(everyone, entries)}
    best_entry, orig_entry = entry[best.name], entry[orig.name]
    test_ab = metrics.mcnemar(test["sentiment"], best_entry["test"]["y_pred"], orig_entry["test"]["y_pred"])
    correct = [b for b in everyone if b is not orig]
    others = [b for b in correct if b is not best]
    p_others = [metrics.mcnemar(test["sentiment"], best_entry["test"]["y_pred"],
                                entry[b.name]["test"]["y_pred"])["p_value"] for b in others]
    record.write("baselines", {
        "seed": data.SEED, "cv_folds": baselines.CV_FOLDS, "n_trials": n_trials,
        "best_by_cv": best.name, "predictor": predictor_name,
        "mcnemar_best_vs_original_style": test_ab,
        "hyperopt_loss": {b.name: b.trials["loss"].round(6).tolist() for b in tuned},
    })
    return {
        "best": display.model_name(best.name), "best_cv": best.cv_accuracy, "best_acc": best_entry["accuracy"],
        "best_lo": best_entry["ci95"][0], "best_hi": best_entry["ci95"][1],
        "mc_a": test_ab["a_only"], "mc_b": test_ab["b_only"], "mc_p": test_ab["p_value"],
        "mc_verdict": verdicts.mcnemar_difference(test_ab["p_value"]),
        "total_seconds": float(table["seconds"].sum()),
        "above_reported": verdicts.all_above(
            {display.model_name(b.name): entry[b.name]["ci95"][0] for b in correct},
            max(reported.values()), "原报告正文的最高数字", who=f"除{display.model_name(orig.name)}外，每个模型"),
        "among_correct": verdicts.best_among(len(others), min(p_others), what="做对了表示的基准模型"),
        "top_test": top_test_note(best.name, {b.name: entry[b.name]["accuracy"] for b in correct},
                                  dict(zip((b.name for b in others), p_others))),
    }, table


def top_test_note(chosen: str, accuracies: dict, p_values: dict) -> str:
    """3.1: one sentence when a baseline other than the one chosen by CV scores highest on the test
    split (the reader sees it in the table and should know why it was not chosen), else nothing.
    ``p_values``: each other model's exact McNemar p against the chosen one."""
    top = max(accuracies, key=lambda n: (accuracies[n], n == chosen))
    if top == chosen:
        return ""
    tail = ("何况这点差别在测试集上本来就不显著" if p_values[top] >= verdicts.ALPHA
            else "哪怕这个差别在测试集上是显著的")
    return (f"测试集上准确率最高的其实是{display.model_name(top)}，{accuracies[top]:.3f}。选模型只看交叉验证分数，"
            f"测试集只用来评估一次，不能再拿它挑模型，{tail}。")


# ---------------------------------------------------------------- chapter 3.2


def lstm_setup(cfg, splits, n_seeds: int) -> dict:
    """3.2: the LSTM's settings (under ``cfg_*`` when glued with sub "cfg" separately) and the data it sees."""
    return {
        "vocab_words": display.seen_at_least(cfg.min_count),
        "n_train": len(splits.train), "n_valid": len(splits.valid), "n_test": len(splits.test),
        "n_seeds": n_seeds,
        "monitor_zh": {"valid_accuracy": "准确率（相同时取损失较低的一轮）", "valid_loss": "损失"}[cfg.monitor],
        "default_norm": float(np.sqrt(cfg.embedding_dim)),     # |N(0, I_d)| ≈ √d
        "one_review": 1 / len(splits.valid),
        "orig_size": f"{cfg.embedding_dim} × {cfg.hidden_dim}",
    }


def lstm_inputs(splits, cfg) -> dict:
    """3.2: the vocabulary built from the training reviews, their lengths, the test words it lacks,
    and the time steps that left padding and bucketing cost."""
    from . import lstm

    train_tokens = [text.tokenize(t) for t in splits.train["comment"]]
    vocab = lstm.Vocab.build(train_tokens, min_count=cfg.min_count)
    lengths = np.array([len(t) for t in train_tokens])
    test_words = [w for t in splits.test["comment"] for w in text.tokenize(t)]
    steps = lstm.batch_steps(lengths, cfg.batch_size, cfg.max_len)
    return {
        "vocab": len(vocab), "len_median": float(np.median(lengths)), "len_max": int(lengths.max()),
        "share_cut": 100 * float(np.mean(lengths > cfg.max_len)),
        "test_oov": 100 * float(np.mean([w not in vocab for w in test_words])),
        "steps_words": steps["words"], "steps_left": steps["left_padded"], "steps_bucket": steps["bucket_padded"],
        "pad_share_left": 100 * (1 - steps["words"] / steps["left_padded"]),
        "pad_share_bucket": 100 * (1 - steps["words"] / steps["bucket_padded"]),
        "steps_ratio": steps["left_padded"] / steps["words"],
    }


def lstm_seeds(fits, seeds_table: pd.DataFrame) -> dict:
    """3.2: the seeds' test accuracy (mean, sd, range), training time and loss curves; keeps the mean
    and sd in the record (``results.lstm_accuracy_mean`` / ``_sd``)."""
    acc = seeds_table["accuracy"]
    record.write("lstm_accuracy_mean", float(acc.mean()))
    record.write("lstm_accuracy_sd", float(acc.std(ddof=1)))
    return {
        "acc_mean": float(acc.mean()), "acc_sd": float(acc.std(ddof=1)),
        "acc_min": float(acc.min()), "acc_max": float(acc.max()),
        "f1_mean": float(seeds_table["f1_macro"].mean()), "valid_mean": float(seeds_table["valid_accuracy"].mean()),
        "seconds_mean": float(seeds_table["seconds"].mean()),
        "epoch_seconds": float(pd.concat([f.history for f in fits])["seconds"].mean()),
        "best_epochs": "、".join(str(e) for e in seeds_table["best_epoch"]),
        "n_params_wan": sum(p.numel() for p in fits[0].predictor.model.parameters()) / 1e4,  # 万 (10^4)
        "curves_text": verdicts.lstm_curves([f.history["train_loss"] for f in fits],
                                            [f.history["valid_loss"] for f in fits]),
    }


def bilstm(fits, seeds_table: pd.DataFrame, bi_fits, bi_table: pd.DataFrame, bi_hidden: int, n_test: int) -> dict:
    """3.2: the bidirectional LSTM against the LSTM, seed for seed; keeps its mean and sd in the record."""
    acc, bacc = seeds_table["accuracy"], bi_table["accuracy"]
    record.write("bilstm_accuracy_mean", float(bacc.mean()))
    record.write("bilstm_accuracy_sd", float(bacc.std(ddof=1)))

    def n_lstm_params(f):
        return sum(p.numel() for p in f.predictor.model.lstm.parameters()) / 1e4   # 万

    return {
        "bi_mean": float(bacc.mean()), "bi_sd": float(bacc.std(ddof=1)),
        "bi_minus_uni": float(bacc.mean() - acc.mean()),
        "bi_vs_uni": verdicts.than("", "单向", float(bacc.mean() - acc.mean())),
        "bi_time_ratio": float(bi_table["seconds"].mean() / seeds_table["seconds"].mean()),
        "bi_hidden": bi_hidden,
        "uni_lstm_params": n_lstm_params(fits[0]), "bi_lstm_params": n_lstm_params(bi_fits[0]),
        "bi_verdict": verdicts.bilstm_vs_lstm(float(bacc.mean() - acc.mean()),
                                              float(max(acc.std(ddof=1), bacc.std(ddof=1))),
                                              len(fits), n_test),
    }


def lstm_grid(cells: pd.DataFrame, grid: pd.DataFrame, cfg, grid_emb, grid_hid, valid_sd: float) -> dict:
    """3.2: the size grid on the validation split: the best cell, the spread against the seeds'
    validation sd, and what the smallest cell costs; keeps the grid in the record."""
    record.write("lstm_grid_valid", cells.to_dict("records"))
    best_e, best_h = grid.stack().idxmax()
    cell_seconds = cells.set_index(["embedding_dim", "hidden_dim"])["seconds"]
    small = (min(grid_emb), min(grid_hid))
    spread = float(grid.max().max() - grid.min().min())
    return {
        "grid_best": f"{best_e} × {best_h}", "grid_best_acc": float(grid.loc[best_e, best_h]),
        "grid_orig_acc": float(grid.loc[cfg.embedding_dim, cfg.hidden_dim]),
        "grid_spread": spread, "valid_sd": valid_sd,
        "grid_emb": " 与 ".join(map(str, grid_emb)), "grid_hid": " 与 ".join(map(str, grid_hid)),
        "grid_verdict": verdicts.grid_size(
            spread, valid_sd, f"{small[0]} × {small[1]}", float(grid.loc[small]),
            float(cell_seconds[(cfg.embedding_dim, cfg.hidden_dim)] / cell_seconds[small])),
    }


def lstm_tsne(predictor, seed: int, words: pd.DataFrame, polar: pd.DataFrame, points: pd.DataFrame, missing,
              agree: float, agree0: float, chance: dict, perplexity: float) -> dict:
    """3.2: the t-SNE figure's words and the nearest-neighbour test of the saved LSTM's vectors
    (trained, untrained, shuffled labels); keeps them in the record (``results.lstm_tsne``)."""
    from . import probe

    record.write("lstm_tsne", {"seed": seed, "words": polar["word"].tolist(), "n": len(polar),
                               "agreement": agree, "untrained_agreement": agree0, "chance": chance["chance"],
                               "p": chance["p_value"], "permutations": chance["n_shuffles"],
                               "plotted": points["word"].tolist(), "missing": missing})
    neg_words = set(polar.loc[polar["log_ratio"] < 0, "word"])
    cai_near = probe.nearest_words(predictor, "菜", polar["word"], k=3) if "菜" in predictor.vocab else []
    return {
        "tsne_perplexity": perplexity, "tsne_n": len(points), "tsne_seed": seed,
        "tsne_missing": verdicts.tsne_missing(missing),
        "tsne_k": int((words["group"] != "原报告的词").sum() // 2),
        "nn_n": len(polar), "nn_agree": 100 * agree, "nn_agree0": 100 * agree0,
        "nn_chance": 100 * chance["chance"], "nn_p": verdicts.fmt_p(chance["p_value"]),
        "nn_permutations": chance["n_shuffles"],
        "nn_verdict": verdicts.neighbour_agreement(agree, chance["chance"], chance["p_value"]) + (verdicts.tsne_reading(
            [w for w in ("你们", "你家", "厨师", "服务员") if w in neg_words], "菜",
            float(words.set_index("word").loc["菜", "log_ratio"]), cai_near, [w in neg_words for w in cai_near])
            if agree > chance["chance"] and chance["p_value"] < verdicts.ALPHA else ""),
    }


def significant_neighbours(rows) -> list:
    """The runs whose nearest-neighbour agreement is significantly above shuffled labels (3.2, 6.3)."""
    return [r for r in rows if r["p"] < verdicts.ALPHA and r["agreement"] > r["chance"]]


def original_lstm(config: dict, answers: dict, orig_table: pd.DataFrame, mixed: str) -> tuple[dict, list]:
    """3.2: the original's LSTM retrained with its own recipe: accuracy range, the seeds whose
    nearest-neighbour test is significant, the seeds that read the mixed review as positive; keeps
    the answers in the record (``results.original_lstm``) and guards the page's reading
    (:func:`book.expect`): every seed leans to the first half, none passes the neighbour test.
    Returns the values and the significant seeds."""
    import book

    record.write("original_lstm", {"config": config, **answers})
    near = significant_neighbours(answers["neighbours"])
    book.expect(all(p > 0.5 for p in answers["sentences"][mixed]) and not near,
                "每个种子给出的“正面”概率都高于 0.5……最近邻检验没有一个种子显著",
                "原报告式 LSTM 的每个种子都把混合句判为正面，且没有一个种子的最近邻检验显著")
    return {**config, "n": len(orig_table),
            "acc_lo": orig_table["accuracy"].min(), "acc_hi": orig_table["accuracy"].max(),
            "n_near": len(near), "n_mixed_pos": sum(p > 0.5 for p in answers["sentences"][mixed]),
            "seconds": orig_table["seconds"].mean()}, near


def word2vec_check(kv, settings: dict, train_docs, shared, neighbours: pd.DataFrame, polar: pd.DataFrame,
                   lstm_agree: float) -> dict:
    """3.2: word2vec, which never saw a label, on the same nearest-neighbour test; keeps it in the
    record (``results.word2vec``). Fails the build (:func:`book.expect`) when word2vec's agreement
    is no longer significantly above chance, which the section's prose says it is."""
    import book

    from . import probe

    w2v_polar = [w for w in polar["word"] if w in kv.key_to_index]
    w2v_sign = np.sign(polar.set_index("word").loc[w2v_polar, "log_ratio"]).astype(int).tolist()
    w2v_agree = probe.shuffled_agreement(kv[w2v_polar], w2v_sign)
    book.expect(w2v_agree["p_value"] < verdicts.ALPHA and w2v_agree["observed"] > w2v_agree["chance"],
                "word2vec 从没见过情感标签，在这个检验上也远高于随机", "word2vec 的同向最近邻比例显著高于打乱标签的期望")
    record.write("word2vec", {"settings": settings, "n_docs": len(train_docs), "vocab": len(kv.index_to_key),
                              "candidates": len(shared), "neighbours": neighbours.to_dict(orient="index"),
                              "polar_words": w2v_polar, "agreement": w2v_agree["observed"],
                              "chance": w2v_agree["chance"], "p": w2v_agree["p_value"],
                              "lstm_agreement": lstm_agree, "lstm_init_compared": False})
    return {
        "w2v_docs": len(train_docs), "w2v_dim": settings["dim"], "w2v_window": settings["window"],
        "w2v_min_count": settings["min_count"], "w2v_epochs": settings["epochs"], "w2v_n": len(w2v_polar),
        "w2v_agree": 100 * w2v_agree["observed"], "w2v_chance": 100 * w2v_agree["chance"],
        "w2v_p": verdicts.p_is(w2v_agree["p_value"]),
        "w2v_lstm": 100 * lstm_agree,
    }


def lstm_mixed(mixed: str, seed: int, p_best, prefix: pd.DataFrame, per_seed: pd.DataFrame) -> dict:
    """3.2: the saved LSTM on the mixed review, its halves and its prefixes (where P(正面) jumps), and
    how many seeds call the whole review negative; keeps the case in the record (``results.lstm_mixed_case``)."""
    first, second = mixed.split("，")
    record.write("lstm_mixed_case", {"text": mixed, "seed": seed, "whole": float(p_best[0]),
                                     "first_half": float(p_best[1]), "second_half": float(p_best[2]),
                                     "prefix": prefix[["word", "prob"]].to_dict("list")})
    jump = prefix["prob"].diff().abs().fillna(0.0)
    after_first = float(prefix["prob"].iloc[len(text.tokenize(first)) - 1])
    return {
        "mixed": mixed, "first": first, "second": second,
        "p_whole": float(p_best[0]), "p_first": float(p_best[1]), "p_second": float(p_best[2]),
        "prefix_words": " / ".join(prefix["word"]),
        "prefix_jump_word": prefix["word"].iloc[int(jump.idxmax())], "prefix_jump": float(jump.max()),
        "prefix_verdict": verdicts.prefix_reading(float(prefix["prob"].iloc[0]), after_first,
                                                  float(prefix["prob"].iloc[-1]),
                                                  int((per_seed.loc["整句"] < 0.5).sum()), per_seed.shape[1]),
    }


# ---------------------------------------------------------------- chapter 3.3


def encoder(source, config: dict, name: str, short: str) -> dict:
    """3.3: the encoder that ran, named and introduced from its config and PROVENANCE.md, and where
    the choice came from (argument, default, environment variable)."""
    return {
        "encoder": name, "encoder_short": short,
        "intro": display.encoder_intro(source.name, config, source.provenance is not None, source.provenance),
        "model_origin": {"argument": "由函数参数指定", "default": "是默认值"}.get(
            source.origin, f"由环境变量 {source.origin} 指定"),
    }


def bert_tokens(tok, train_comments: pd.Series, sample: str) -> dict:
    """3.3: the tokenizer's special tokens and the training reviews' lengths in tokens against MAX_LEN."""
    from . import bert

    n_tok = bert.n_tokens(tok, train_comments)
    return {
        "sample": sample, "cls_token": tok.cls_token, "sep_token": tok.sep_token, "pad_id": tok.pad_token_id,
        "tok_median": float(np.median(n_tok)), "tok_p90": float(np.percentile(n_tok, 90)), "tok_max": int(n_tok.max()),
        "max_len": bert.MAX_LEN, "trunc_share": float((n_tok > bert.MAX_LEN).mean()),
    }


def bert_recipe(n_layers: int) -> dict:
    """3.3: the recipe's pooling, learning rate, epochs and frozen layers (:mod:`book.bert`) for an
    encoder of ``n_layers`` layers."""
    from . import bert

    return {"pooling": {"mean": "均值池化", "cls": "[CLS] 池化"}[bert.POOLING], "lr": bert.LR, "epochs": bert.EPOCHS,
            "batch_size": bert.BATCH_SIZE, "frozen": bert.FROZEN, "n_trained_layers": n_layers - bert.FROZEN}


def bert_runs(runs: list, hist: pd.DataFrame, run: dict, precision: str, cache) -> dict:
    """3.3: how many runs trained (seeds on fold 0, then the further folds), their minutes, the
    parameters trained, the cached lower layers, the epochs kept, and on what device and precision."""
    first = runs[0]
    train_seconds = sum(r.seconds for r in runs)
    return {
        "n_seeds": sum(r.fold == 0 for r in runs), "n_runs": len(runs), "train_minutes": train_seconds / 60,
        "epoch_seconds": float(hist["seconds"].mean()), "n_params_wan": first.n_params / 1e4,
        "n_trained_wan": first.n_trained / 1e4, "n_cached": len(cache), "cache_seconds": cache.seconds,
        "best_epochs": "、".join(f"第 {r.fold} 折（种子 {r.seed}）第 {r.best_epoch} 个" for r in runs),
        "device": run["device"], "device_name": run["device_name"], "precision": precision,
        "precision_text": verdicts.training_precision(run["device"], run["device_name"], precision),
    }


def bert_scores(runs: dict, best_seed: int, per_seed: pd.DataFrame, n_test: int) -> dict:
    """3.3: the saved seed's test scores and the spread of every seed's test accuracy."""
    rec = runs[best_seed].record
    seed_acc = per_seed["accuracy"]
    return {
        "best_seed": best_seed, "best_valid": runs[best_seed].valid_accuracy,
        "acc": rec["accuracy"], "f1": rec["f1_macro"], "ci_low": rec["ci95"][0], "ci_high": rec["ci95"][1],
        "ci_width": rec["ci95"][1] - rec["ci95"][0], "n_test": n_test,
        "seed_mean": float(seed_acc.mean()), "seed_min": float(seed_acc.min()), "seed_max": float(seed_acc.max()),
        "seed_spread": verdicts.seed_spread_sentence(seed_acc),
    }


def attributions(attr: pd.DataFrame) -> dict:
    """3.3: the two most negative and most positive tokens of an integrated-gradients table, and how
    close its attributions come to the logit difference (completeness)."""
    words = attr.loc[~attr["special"]].sort_values("attribution")
    neg, pos = words[words["attribution"] < 0].head(2), words[words["attribution"] > 0].tail(2)[::-1]
    return {
        "ig_neg": "、".join(f"「{t}」（{a:+.2f}）" for t, a in zip(neg["token"], neg["attribution"])) or "没有",
        "ig_pos": "、".join(f"「{t}」（{a:+.2f}）" for t, a in zip(pos["token"], pos["attribution"])) or "没有",
        "ig_gap": attr.attrs["completeness_gap"], "ig_delta": attr.attrs["margin_delta"], "ig_steps": attr.attrs["steps"],
        "ig_verdict": verdicts.ig_accuracy(attr.attrs["completeness_gap"], attr.attrs["margin_delta"],
                                           attr.attrs["steps"]),
    }


def layer_probe(pre: pd.DataFrame, cka: np.ndarray, seed_mean: float, best_seed: int, n_train: int,
                n_test: int, frozen: int) -> tuple[dict, dict]:
    """3.3: linear probes on each pretrained layer (the layer chosen on training CV) and the CKA
    between pretrained and fine-tuned layers; the layers up to ``frozen`` were not trained (their CKA
    is 1 by construction), so the CKA summarised is that of the layers above. Keeps them in the
    record (``results.layer_probe``). Returns the values and the record entry."""
    from . import layers

    if not 0 < frozen < len(cka) - 1:
        raise ValueError(f"frozen={frozen}: the encoder has {len(cka) - 1} layers")
    best_layer = int(pre.loc[pre["cv_accuracy"].idxmax(), "layer"])          # chosen on training CV
    entry = {
        "cs": list(layers.PROBE_CS), "folds": layers.PROBE_FOLDS, "n_train": n_train, "n_test": n_test,
        "pretrained": pre.to_dict(orient="records"),
        "cka": cka.tolist(), "best_layer_by_cv": best_layer,
        "best_layer_test_accuracy": float(pre.loc[pre["layer"] == best_layer, "test_accuracy"].iloc[0]),
        "fine_tuned_seed_mean": seed_mean, "saved_seed": best_seed,
        "frozen": frozen, "cka_trained_mean": float(cka[frozen + 1:].mean()),
    }
    record.write("layer_probe", entry)
    return {
        "probe_cs": "、".join(f"{c:g}" for c in layers.PROBE_CS), "probe_folds": layers.PROBE_FOLDS,
        "probe_best_layer": best_layer,
        "probe_best_acc": entry["best_layer_test_accuracy"], "probe_layer0": float(pre["test_accuracy"].iloc[0]),
        "probe_last": float(pre["test_accuracy"].iloc[-1]), "n_layers": len(cka) - 1,
        "cka_trained": entry["cka_trained_mean"], "cka_first_trained": frozen + 1, "cka_last": float(cka[-1]),
        "v_probe": verdicts.probe_reading(entry["best_layer_test_accuracy"], seed_mean, n_test),
    }, entry


def fangbian(senses: dict, jieba_words, pieces, cos: np.ndarray, static_vocab, model: str) -> dict:
    """3.3: 「方便」 in seven sentences: whether the fine-tuned encoder's vectors group by sense (the
    most similar pair across senses against the least similar within one, a permutation test), and
    what the LSTM's one static vector can do; keeps it in the record (``results.fangbian``). Fails the
    build when the vectors do group by sense, which the section's prose says they do not."""
    import book

    from . import layers, ledger

    sentences, labels = list(senses), list(senses.values())
    sep = layers.sense_separation(cos, labels)
    has_word = [s for s, w in zip(sentences, jieba_words) if "方便" in w]
    entry = {"sentences": senses, "jieba": {s: w for s, w in zip(sentences, jieba_words)},
             "pieces": dict(zip(sentences, pieces)), "cosine": cos.tolist(),
             "contextual": sep, "static_same_vector": has_word,
             "static_in_vocab": "方便" in static_vocab, "noodle_in_vocab": "方便面" in static_vocab,
             "layer": "last", "model": model}
    record.write("fangbian", entry)
    pairs = [(cos[i, j], sentences[i], sentences[j], labels[i] == labels[j])
             for i in range(len(labels)) for j in range(i + 1, len(labels))]
    top = max(p[:3] for p in pairs if not p[3])
    low = min(p[:3] for p in pairs if p[3])
    book.expect(top[0] > low[0], "这些向量并没有按词义分成三组",
                "不同用法之间最相似的一对，比同一用法之间最不相似的一对更相似")
    return {
        "fb_p": verdicts.p_is(ledger.sense_permutation_p(cos, labels)),
        "fb_top": float(top[0]), "fb_low": float(low[0]), "fb_low_a": low[1], "fb_low_b": low[2],
        "fb_top_a": top[1], "fb_top_b": top[2],
        "fb_same": sep["same_sense"], "fb_other": sep["other_sense"], "fb_n_static": len(has_word),
        "fb_n": len(sentences),
        "fb_noodle": verdicts.noodle_in_vocab(entry["noodle_in_vocab"]),
    }


# ---------------------------------------------------------------- chapter 4


def results_setup(models: dict, reps: dict, splits, encoder: str) -> dict:
    """4.1: how many models were scored, on how many reviews, and the representatives' names."""
    return {
        "n_models": len(models), "n_test": len(splits.test), "encoder": encoder,
        "best_baseline": display.model_name(reps["best_baseline"], encoder),
        "lstm_main": display.model_name(reps["lstm"], encoder),
        "n_train_full": len(splits.train_full), "n_train": len(splits.train),
    }


def results_overview(rec, reps: dict, models: dict) -> dict:
    """4.1: the representatives' accuracies, the seeded families' means and spreads, and the median
    width of the accuracy intervals."""
    acc = {role: rec.model(m)["accuracy"] for role, m in reps.items()}
    tr = rec.model(reps["transformer"])
    lstm_seeds, bilstm_seeds, tr_seeds = rec.seed_summary("lstm"), rec.seed_summary("bilstm"), rec.seed_summary("bert")
    return {
        "orig_acc": acc["original_style"], "best_baseline_acc": acc["best_baseline"],
        "best_baseline_cv": rec.model(reps["best_baseline"])["cv_score"],
        "lstm_mean": lstm_seeds["mean"], "lstm_sd": lstm_seeds["sd"], "lstm_main_acc": acc["lstm"],
        "bilstm_mean": bilstm_seeds["mean"], "bilstm_sd": bilstm_seeds["sd"],
        "tr_acc": tr["accuracy"], "tr_lo": tr["ci95"][0], "tr_hi": tr["ci95"][1],
        "tr_mean": tr_seeds["mean"], "tr_min": tr_seeds["min"], "tr_max": tr_seeds["max"], "tr_n_seeds": tr_seeds["n"],
        "tr_spread": display.seed_spread(tr_seeds["accuracies"], saved=tr["accuracy"]),
        "lstm_n_seeds": lstm_seeds["n"],
        "ci_width": float(np.median([m["ci95"][1] - m["ci95"][0] for m in models.values()])),
    }


def paired_values(rows, reps: dict, lstm_names, tr_names) -> dict:
    """4.2 and 6.1: what the hand-written sentences on chapter 4's McNemar tests quote (``rows``:
    one dict per pair with a, b, accuracy_a, accuracy_b, p_holm, significant): the best baseline
    against the original-style one, and the differences of every transformer seed against the best
    baseline, naive Bayes and every LSTM seed, and of every LSTM seed against the best baseline
    (one signed number, or the range over the seeds), with the smallest adjusted p among those."""
    rows = list(rows)
    row = {(r["a"], r["b"]): r for r in rows}
    best, orig = reps["best_baseline"], reps["original_style"]

    def diffs(pairs):
        return display.signed_range([row[p]["accuracy_a"] - row[p]["accuracy_b"] for p in pairs])

    others = [r for r in rows if (r["a"], r["b"]) != (best, orig)]
    r = row[(best, orig)]
    return {
        "pp_baseline": 100 * (r["accuracy_a"] - r["accuracy_b"]), "p_baseline": verdicts.p_is(r["p_holm"]),
        "d_tr_baseline": diffs([(t, best) for t in tr_names]), "d_tr_nb": diffs([(t, "nb_hyperopt") for t in tr_names]),
        "d_tr_lstm": diffs([(t, s) for t in tr_names for s in lstm_names]),
        "d_lstm_baseline": diffs([(s, best) for s in lstm_names]),
        "p_others_min": verdicts.p_is(min(r["p_holm"] for r in others)) if others else "—",
        "n_tests": len(rows), "n_significant": int(sum(bool(r["significant"]) for r in rows)),
    }


def contrast_errors(breakdown: pd.DataFrame) -> dict:
    """4.5: the representatives' error rates on reviews with and without a contrast word; keeps the
    gaps in the record (``results.contrast_error_gap``). The page's sentence calls the gaps clues
    only: :func:`check_contrast_sentence` guards that no gap exceeds :data:`CONTRAST_BAND`."""
    trio = ("best_baseline", "lstm", "transformer")
    gaps = {r: float(breakdown.loc["contrast", r] - breakdown.loc["no_contrast", r]) for r in trio}
    record.write("contrast_error_gap", gaps)
    check_contrast_sentence(gaps)
    n = int(breakdown.loc["contrast", "n"])
    return {"n_contrast": n, "pp_per_review": 100 / n,
            **{f"err_contrast_{r}": 100 * breakdown.loc["contrast", r] for r in trio},
            **{f"err_plain_{r}": 100 * breakdown.loc["no_contrast", r] for r in trio}}


CONTRAST_BAND = 0.10   # 4.5 calls the gaps "几个百分点", clues only: the band stated before looking


def check_contrast_sentence(gaps: dict) -> None:
    """4.5: the sentence reads every representative's gap (contrast − no contrast) as a few points
    at most; fails the build (:func:`book.expect`) when one reaches :data:`CONTRAST_BAND`."""
    import book

    book.expect(all(abs(g) < CONTRAST_BAND for g in gaps.values()),
                "这些差别都只有几个百分点", f"每个代表模型的错误率之差都小于 {100 * CONTRAST_BAND:.0f} 个百分点")


def error_overlap(correct: pd.DataFrame, traits: pd.DataFrame, test: pd.DataFrame) -> tuple[dict, dict]:
    """4.4: the reviews the transformer gets wrong (contrast words, short, positive) and how the three
    representatives' errors overlap (``correct``: one boolean column per role); keeps the overlap in
    the record (``results.error_overlap``). Returns the values and the overlap."""
    wrong = correct.index[~correct["transformer"]]
    overlap = {"all_right": int(correct.all(axis=1).sum()), "all_wrong": int((~correct).all(axis=1).sum()),
               "some_right": int((correct.any(axis=1) & ~correct.all(axis=1)).sum()),
               "majority_right": int((correct.sum(axis=1) >= 2).sum())}
    record.write("error_overlap", overlap)
    return {
        "n_tr_wrong": len(wrong), "n_wrong_contrast": int(traits.loc[wrong, "contrast"].sum()),
        "n_wrong_short": int((traits.loc[wrong, "chars"] < 30).sum()),
        "n_wrong_pos": int((test.loc[wrong, "sentiment"] == 1).sum()),
        **{f"overlap_{k}": v for k, v in overlap.items()}, "majority_acc": overlap["majority_right"] / len(test),
    }, overlap


def mixed_review(saved_models: dict, halves, mixed: pd.DataFrame) -> dict:
    """4.6: the three saved models' P(positive) on the mixed review and its halves (``mixed``: rows
    whole, first, second; columns tfidf, lstm, bert); keeps the units each model read in the first
    half in the record (``results.mixed_units``) and guards the hand-written reading
    (:func:`check_mixed_sentences`)."""
    seen = {k: list(m.units(halves[0])) for k, m in saved_models.items() if hasattr(m, "units")}
    record.write("mixed_units", seen)
    check_mixed_sentences(mixed.to_dict(orient="index"), seen)
    return {**mixed_values(mixed.to_dict(orient="index")), "first_half": halves[0], "second_half": halves[1]}


def mixed_values(mixed: dict) -> dict:
    """4.6 and 6.1: ``mixed[part][model]`` (part: whole, first, second; model: tfidf, lstm, bert) as
    glue values ``p_<part>_<model>``."""
    return {f"p_{part}_{m}": float(p) for part, ps in mixed.items() for m, p in ps.items()}


def check_mixed_sentences(mixed: dict, units: dict) -> None:
    """4.6 and 6.1: the hand-written reading of the mixed review, guarded (:func:`book.expect`):
    every saved model reads the whole and the second half as negative and gives the mildly
    positive first half less than 0.5, the LSTM within :data:`book.verdicts.NEAR_HALF` of 0.5; the
    baseline's units hold 「不差」 whole, the transformer's hold 「差」 without it."""
    import book

    models = ("tfidf", "lstm", "bert")
    book.expect(all(mixed[part][m] < 0.5 for part in ("whole", "second") for m in models),
                "三个模型都把整句判为负面，后半句……也都判为负面", "三个保存的模型给整句和后半句的 P(正面) 都小于 0.5")
    book.expect(all(mixed["first"][m] < 0.5 for m in models) and abs(mixed["first"]["lstm"] - 0.5) < verdicts.NEAR_HALF
                and 0.5 - mixed["first"]["tfidf"] > verdicts.NEAR_HALF and 0.5 - mixed["first"]["bert"] > verdicts.NEAR_HALF,
                "三个模型给它的 P(正面) 却都不到 0.5……LSTM……几乎没有倾向",
                f"前半句的 P(正面) 都小于 0.5，LSTM 离 0.5 不到 {verdicts.NEAR_HALF}，另两个离 0.5 更远")
    book.expect("不差" in units.get("tfidf", ()) and "不差" not in units.get("bert", ()) and "差" in units.get("bert", ()),
                "最佳基准读入的字 n-gram 里有「不差」……预训练 Transformer 读到的是分开的「不」和「差」",
                "最佳基准的单位里有「不差」，Transformer 的单位里只有单独的「差」")


# ---------------------------------------------------------------- chapter 6


def conclusion_review(rec, encoder: str) -> dict:
    """6.1: what 200 test reviews can tell, from chapters 3–4's record: the families' accuracies,
    how many of chapter 4's paired tests hold, interval widths, the LSTM seeds against the
    original's figure, the mixed review (guarded as in chapter 4), the rotation's comparisons and
    the minutes the chapters before took."""
    import book

    from . import original

    reps = rec.representatives()
    models = {n: m for n, m in rec.models().items() if m["family"] in ("baseline", "lstm", "bert")}
    rows = rec.get("results.mcnemar")
    n_test = len(rec.get("dataset.test_review_ids"))
    sizes = rec.get("dataset.splits")
    lstm, trs = rec.seed_summary("lstm"), rec.seed_summary("bert")    # a family is never one seed
    best = rec.model(reps["best_baseline"])
    widths = [m["ci95"][1] - m["ci95"][0] for m in models.values()]
    mixed = rec.get("results.mixed_sentiment")
    check_mixed_sentences(mixed, rec.get("results.mixed_units"))
    figure = original.FACTS["lstm_figure"].value
    above = sum(rec.model(s)["ci95"][0] > figure for s in lstm["names"])
    book.expect(lstm["mean"] > figure and 0 < above < lstm["n"],
                "LSTM 三个种子平均……高于原报告的图……但……只有",
                "LSTM 各种子的平均高于原报告的图，而不是每个种子的区间下限都高于它")
    orig_style = rec.model("tfidf_original_style")["accuracy"]
    name = display.model_name(reps["best_baseline"], encoder)
    return {
        "orig": orig_style, "baseline": best["accuracy"], "baseline_name": name, "encoder": encoder,
        "tr": trs["mean"], "tr_n": trs["n"], "tr_min": trs["min"], "tr_max": trs["max"],
        "lstm": lstm["mean"], "lstm_n": lstm["n"], "lstm_above_figure": int(above), "lstm_figure": figure,
        "gain_baseline": best["accuracy"] - orig_style,
        "n_test": n_test, "n_train_full": sizes["train"]["total"] + sizes["valid"]["total"],
        "n_train": sizes["train"]["total"],
        "n_tests": len(rows), "n_significant": int(sum(bool(r["significant"]) for r in rows)),
        "ci_lo": 100 * min(widths), "ci_hi": 100 * max(widths),
        **mixed_values(mixed),
        **rotation_verdicts(rec),
        "build_minutes": sum(rec.get(f"chapters.{c}.seconds") for c in record.READS["06_conclusion"]) / 60,
        "overlap_some": rec.get("results.error_overlap.some_right"),
    }


def transfer(rec, encoder: str) -> dict:
    """6.2: what the hand-written answers quote from chapter 5 (more accurate on the new domain?
    loses less from dianping to it?): every transformer run against the best baseline, the pooled
    loss test, chapter 5's tests against the LSTM seeds (their direction guarded,
    :func:`expect_families`) and SnowNLP's accuracies as the untrained reference."""
    from . import generalization as gen

    g = rec.get("results.generalization")
    acc_rows = pd.DataFrame(g["family_tests"])
    acc_rows = acc_rows[(acc_rows["family_a"] == encoder) | (acc_rows["family_b"] == encoder)]
    acc_rows = acc_rows[~acc_rows[["family_a", "family_b"]].isin(["SnowNLP"]).any(axis=1)]
    drops = pd.DataFrame(g["drop_summary"])
    domains = ("waimai_10k", "online_shopping_10_cats")
    acc_lstm = {d: gen.family_state(acc_rows, d, encoder, "LSTM") for d in domains}
    drop_lstm = {d: gen.family_state(drops, d, encoder, "LSTM") for d in domains}
    expect_families({(d, encoder, "LSTM"): "a" for d in domains}, acc_rows,
                    "和 LSTM 比也是：两个领域上，它的每一次训练都比第 0 折的每个 LSTM 种子显著更准")
    expect_families({("waimai_10k", encoder, "LSTM"): "none", ("online_shopping_10_cats", encoder, "LSTM"): "some_a"},
                    drops, "外卖评论上没有一对分得出高下；购物评论上……显著更少损失，其余分不出")
    runs = pd.DataFrame(rec.get("results.generalization_runs"))
    pooled = {r["domain"]: r for r in rec.get("results.generalization_pooled_drops")}
    best = rec.best_baseline()
    short = {"waimai_10k": "w", "online_shopping_10_cats": "s"}
    return {
        **{f"{short[d]}_acc_lstm_pairs": acc_lstm[d][1] for d in domains},
        **{f"{short[d]}_drop_lstm_pairs": drop_lstm[d][1] for d in domains},
        **{f"{short[d]}_drop_lstm_less": drop_lstm[d][2] for d in domains},
        "tr_runs": len(runs),
        **{f"{short[d]}_min": float(runs[d].min()) for d in short}, **{f"{short[d]}_max": float(runs[d].max()) for d in short},
        **{f"{short[d]}_base": g[d]["models"][best]["all"]["accuracy"] for d in short},
        **{f"{short[d]}_less": pooled[d]["difference"] for d in short},
        **{f"{short[d]}_less_lo": pooled[d]["ci_low"] for d in short},
        **{f"{short[d]}_less_hi": pooled[d]["ci_high"] for d in short},
        "snow_waimai": g["waimai_10k"]["models"]["snownlp"]["all"]["accuracy"],
        "snow_shopping": g["online_shopping_10_cats"]["models"]["snownlp"]["all"]["accuracy"],
        "n_waimai": g["waimai_10k"]["n"], "n_shopping": g["online_shopping_10_cats"]["n"],
    }


def lstm_vectors(rec) -> dict:
    """6.3: the original-recipe LSTM's seeds against the book's LSTM on the nearest-neighbour test.
    Fails the build (:func:`book.expect`) unless no original-recipe seed is significant while the
    book's LSTM is, which the section's last sentence says."""
    import book

    reps = rec.representatives()
    tsne = rec.get("results.lstm_tsne")
    orig_nb = rec.get("results.original_lstm.neighbours")
    n_near = len(significant_neighbours(orig_nb))
    book.expect(n_near == 0 and tsne["p"] < verdicts.ALPHA and tsne["agreement"] > tsne["chance"],
                "两者合起来说明，原报告看到的“没有关联”，在它的设置下确实如此",
                "原报告式 LSTM 没有一个种子的最近邻检验显著，而本书的 LSTM 显著")
    return {
        "orig_n": len(orig_nb), "orig_n_near": n_near, "lstm_init": rec.model(reps["lstm"])["embed_init_std"],
        "tsne_sentence": verdicts.full_space_neighbours(tsne["n"], tsne["agreement"], tsne["chance"], tsne["p"]),
    }


# ---------------------------------------------------------------- chapter 5


def domain_samples(waimai_all, waimai_skipped, waimai, shopping_all, shopping_skipped, shopping,
                   halfwidth: float, p_typical: float, p_worst: float, minutes: int, n_rnn: int) -> dict:
    """5.1: the two domains' sizes, the samples drawn from them, the cells of the shopping sample
    that are short of reviews, and the interval half-widths the sample sizes give."""
    from . import generalization as gen

    short = [(c, display.LABEL_NAMES[y], n) for (c, y), n in shopping.groupby(["cat", "sentiment"]).size().items()
             if n < gen.PER_CELL]
    per_cat = int(shopping.groupby("cat").size().min())
    return {
        "waimai_n": len(waimai_all), "waimai_pos": int(waimai_all["sentiment"].sum()),
        "waimai_neg": int((waimai_all["sentiment"] == 0).sum()), "waimai_skipped": waimai_skipped,
        "waimai_pos_share": 100 * waimai_all["sentiment"].mean(), "waimai_sample_n": len(waimai),
        "waimai_per_label": len(waimai) // 2,
        "shop_n": len(shopping_all), "shop_skipped": shopping_skipped, "shop_cats": shopping_all["cat"].nunique(),
        "per_cell": gen.PER_CELL, "sample_n": len(shopping), "per_cat": per_cat,
        "short_cells": verdicts.short_cells(short),
        "n_p85": gen.sample_size(p_typical, halfwidth), "n_p50": gen.sample_size(p_worst, halfwidth),
        "hw_sample": 100 * gen.halfwidth(p_worst, len(shopping)), "hw_cat": 100 * gen.halfwidth(p_typical, per_cat),
        "hw_waimai": 100 * gen.halfwidth(p_worst, len(waimai)), "hw_target": 100 * halfwidth,
        "p_typical": p_typical, "p_worst": p_worst, "cost_cap": minutes, "n_rnn": n_rnn,
    }


def learning_curve(curves: pd.DataFrame, sizes, curve_seeds, bert_sizes, bert_seeds, lstm_cfg, bert_epochs: int,
                   encoder: str, n_test: int, seconds: dict) -> dict:
    """5.7: the learning curves' sizes and seeds and the sentences on them; keeps the curves in the
    record (``results.learning_curve``), after checking that every family has the same seeds at
    every size (:func:`book.generalization.seeds_at_every_size` raises otherwise)."""
    from . import generalization as gen

    means = {role: part.groupby("size")["accuracy"].mean() for role, part in curves.groupby("role")}
    same_seeds = gen.seeds_at_every_size(curves)
    rows = curves.drop(columns="model").astype(object)
    record.write("learning_curve", {"sizes": list(sizes), "seconds": seconds, "seeds": same_seeds,
                                    "update_rule": "the same recipe at every size (LSTM: at most LSTMConfig.epochs "
                                                   "with its early stopping; transformer: bert.EPOCHS): fewer "
                                                   "updates on smaller sets",
                                    "rows": rows.where(rows.notna(), None).to_dict(orient="records")})
    return {
        "curve_sizes": "、".join(str(n) for n in sizes), "curve_seeds": len(curve_seeds),
        "bert_sizes": "、".join(str(n) for n in bert_sizes), "bert_curve_seeds": len(bert_seeds),
        "lstm_epochs": lstm_cfg.epochs, "lstm_patience": lstm_cfg.patience, "bert_epochs": bert_epochs,
        **last_doubling(means, n_test),
        "curve_base_first": means["best_baseline"].iloc[0], "curve_bert_first": means["transformer"].iloc[0],
        "curve_lstm_first": means["lstm"].iloc[0], "curve_first_n": int(min(sizes)),
    }


def last_doubling(means: dict, n_test: int) -> dict:
    """5.5: each family's change over the last doubling of the training reviews (``means``: role →
    mean accuracy per size, in size order), in points, with the noise of two accuracies on the same
    ``n_test`` reviews (±1.96·sqrt(2p(1−p)/n)). Guards the page's reading (:func:`book.expect`):
    with 100 reviews the best baseline is well above the LSTM and the transformer, both near
    chance, and every last change lies within its noise."""
    import book

    out, noise = {}, []
    for role, acc in means.items():
        gain, p = acc.iloc[-1] - acc.iloc[-2], (acc.iloc[-1] + acc.iloc[-2]) / 2
        band = 1.96 * math.sqrt(2 * p * (1 - p) / n_test)
        noise.append(band)
        out[f"gain_{role}"], out[f"gain_{role}_within"] = 100 * gain, abs(gain) <= band
        out[f"last_from_{role}"], out[f"last_to_{role}"] = int(acc.index[-2]), int(acc.index[-1])
    book.expect(all(out[f"gain_{r}_within"] for r in means), "都在两次测量的误差范围之内",
                "每个模型族最后一次加倍的变化都在误差范围之内")
    first = {r: acc.iloc[0] for r, acc in means.items()}
    book.expect(max(first["lstm"], first["transformer"]) < 0.6 and first["best_baseline"] > 0.8,
                "只有 100 条训练评论时，最佳基准已有……LSTM 和预训练 Transformer 都还接近瞎猜",
                "最小的子集上最佳基准高于 0.8，LSTM 与 Transformer 都低于 0.6")
    return {**out, "noise_lo": 100 * min(noise), "noise_hi": 100 * max(noise)}


def contrast_clauses(contrast: dict, sources: dict, follow: dict, families: dict, encoder: str) -> dict:
    """5.8: how many reviews split at a contrast word, and whether each family's whole-review
    judgement follows the first or the last clause; keeps it in the record (``results.contrast``)."""
    from . import generalization as gen

    by_word = pd.concat(contrast.values())["word"].value_counts()
    record.write("contrast", {
        "words": list(text.CONTRAST_SPLIT_WORDS), "n_reviews": {src: len(df) for src, df in sources.items()},
        "n_contrast": {src: len(c) for src, c in contrast.items()}, "by_word": by_word.to_dict(),
        "models": follow, "families": families,
    })
    return {
        "contrast_words": "、".join(text.CONTRAST_SPLIT_WORDS),
        "contrast_n": sum(len(c) for c in contrast.values()),
        "contrast_counts": "、".join(f"{gen.DOMAIN_NAMES[src]} {len(c)} 条（共 {len(sources[src])} 条）"
                                     for src, c in contrast.items()),
        **clause_values(follow, families),
    }


def clause_values(follow: dict, families: dict) -> dict:
    """5.6: each LSTM and transformer run's count of reviews whose halves disagree and its share of
    whole-review answers that follow the first half, and how many models do better on the last
    half alone. Guards the page's reading (:func:`book.expect`): every LSTM run leans to the last
    half beyond chance, no transformer run leans either way, every model is more accurate on the
    last half than on the first."""
    import book

    def runs(fam):
        rows = [follow[n] for n in families[fam]]
        return {f"{fam}_runs": len(rows), f"{fam}_disagree": "、".join(str(r["n_disagree"]) for r in rows),
                f"{fam}_first": "、".join(f"{r['follows_first']:.0%}" for r in rows)}

    lstm = [follow[n] for n in families["lstm"]]
    tr = [follow[n] for n in families["transformer"]]
    book.expect(all(r["p_first"] < verdicts.ALPHA and r["follows_first"] < 0.5 for r in lstm),
                "LSTM 的……次运行……每一次都显著偏向后半句", "每个 LSTM 种子跟前半句的比例都显著低于一半")
    book.expect(all(r["p_first"] >= verdicts.ALPHA for r in tr), "预训练 Transformer……与一半分不开",
                "Transformer 的每次运行跟前半句的比例都与一半分不开")
    valid = [r for r in follow.values() if r["n_disagree"]]
    book.expect(all(r["last_accuracy"] > r["first_accuracy"] for r in valid), "每个模型只看后半句都比只看前半句准",
                "每个模型只看后半句的准确率都高于只看前半句")
    return {**runs("lstm"), **runs("transformer"), "n_clause_models": len(valid)}


def expect_families(expected: dict, summary, sentence: str) -> None:
    """Guard a hand-written sentence on family comparisons (:func:`book.expect`): ``expected`` maps
    (domain, family A, family B) to the state the sentence describes, as
    :func:`book.generalization.family_state` names them ('a', 'b', 'none', 'some_a', 'some_b',
    'split'); the build fails, naming the sentence and every comparison that moved, otherwise."""
    import book

    from . import generalization as gen

    found = {key: gen.family_state(summary, *key)[0] for key in expected}
    moved = [f"{d} {a}/{b}: {found[(d, a, b)]}≠{want}" for (d, a, b), want in expected.items() if found[(d, a, b)] != want]
    book.expect(not moved, sentence, "；".join(moved))


def accuracy_families(summary, names: dict) -> dict:
    """5.3: the counts the hand-written reading of the family table quotes, with the reading
    guarded (:func:`expect_families`): on both domains every transformer run beats the best
    baseline and every LSTM seed, and beats SnowNLP every time on takeaway reviews, some of the
    time on shopping reviews; SnowNLP beats the best baseline and the LSTM on shopping reviews and
    neither on takeaway reviews; the best baseline beats some LSTM seeds and loses to none.
    ``names``: family role → the display name the summary uses."""
    from . import generalization as gen

    tr, base, lstm, snow = (names[k] for k in ("transformer", "best_baseline", "lstm", "snownlp"))
    w, s = "waimai_10k", "online_shopping_10_cats"
    expect_families({**{(d, tr, o): "a" for d in (w, s) for o in (base, lstm)},
                     (w, tr, snow): "a", (s, tr, snow): "some_a", (s, snow, base): "a", (s, snow, lstm): "a",
                     (w, snow, base): "none", (w, snow, lstm): "none", (w, base, lstm): "some_a", (s, base, lstm): "some_a"},
                    summary, "结论最清楚的是预训练 Transformer……最佳基准与 LSTM 之间取决于种子")
    out = {}
    for key, (d, a, b) in {"tr_snow_s": (s, tr, snow), "base_lstm_w": (w, base, lstm), "base_lstm_s": (s, base, lstm)}.items():
        _, out[f"fam_{key}_n"], out[f"fam_{key}_k"] = gen.family_state(summary, d, a, b)
    return out


def check_domain_sentences(changes: dict, drop_tests: pd.DataFrame, pooled_drops: pd.DataFrame, names,
                           lstm_names) -> None:
    """5: the two sentences of the chapter whose direction depends on the run, guarded
    (:func:`book.expect`): every model of chapter 3 is less accurate on both domains than on
    dianping; over every fold (``pooled_drops``, book.generalization.pooled_drops) the transformer
    loses significantly less than the best baseline on both domains, but not than every LSTM seed
    of fold 0 (``drop_tests``)."""
    import book

    domains = list(changes)
    book.expect(all((changes[d].loc[list(names), "change"] < 0).all() for d in domains),
                "第三章的每个模型在两个领域上的准确率都比在点评测试集上低", "每个模型在两个领域上的变化都为负")
    vs_lstm = drop_tests[drop_tests["b"].isin(list(lstm_names))]
    book.expect(set(pooled_drops["domain"]) == set(domains)
                and ((pooled_drops["ci_low"] > 0) & (pooled_drops["p_holm"] < verdicts.ALPHA)).all()
                and not ((vs_lstm["difference"] > 0) & (vs_lstm["p_holm"] < verdicts.ALPHA)).all(),
                "把五折的训练都算上……在两个领域上都比最佳基准少损失……和第 0 折的各个 LSTM 种子相比，则不是每一对都显著",
                "五折合起来，预训练模型对最佳基准的损失之差在两个领域上的区间都在 0 以上且显著；"
                "对第 0 折的 LSTM 种子则并非每一对都显著")


def generalization_record(*, names, reps, families, seed: int, waimai_all, waimai_skipped, waimai,
                          shopping_all, shopping_skipped, shopping, scores, seconds, tests, family_tests,
                          changes, drop_tests, drop_summary, oov, shifts, control, coverage) -> dict:
    """5: everything chapter 5 measured, kept in the record (``results.generalization``) for
    chapter 6, the ledger and the findings; returns the entry."""
    from . import generalization as gen

    domains = ["dianping", "waimai_10k", "online_shopping_10_cats"]
    entry = {
        "models": list(names) + ["snownlp"], "representatives": reps,
        "waimai_10k": {"n_all": len(waimai_all), "skipped_empty": waimai_skipped, "n": len(waimai),
                       "per_label": len(waimai) // 2, "sample_seed": seed, "models": scores["waimai_10k"],
                       "predict_seconds": seconds["waimai_10k"]},
        "online_shopping_10_cats": {"n_all": len(shopping_all), "skipped_empty": shopping_skipped, "n": len(shopping),
                                    "per_cell": gen.PER_CELL, "sample_seed": seed,
                                    "models": scores["online_shopping_10_cats"],
                                    "predict_seconds": seconds["online_shopping_10_cats"]},
        "paired_tests": tests.to_dict(orient="records"), "family_tests": family_tests.to_dict(orient="records"),
        "changes": {d: c.to_dict(orient="index") for d, c in changes.items()},
        "drop_tests": drop_tests.to_dict(orient="records"), "drop_summary": drop_summary.to_dict(orient="records"),
        "families": families,
        "oov": oov.rename(index={gen.DOMAIN_NAMES[k]: k for k in domains}).to_dict(orient="index"),
        "polarity_shift": {d: s.reset_index().to_dict(orient="records") for d, s in shifts.items()},
        "polarity_shift_control": control.reset_index().to_dict(orient="records"),
        "coverage": coverage.to_dict(orient="records"),
    }
    record.write("generalization", entry)
    return entry


def generalization_setup(splits, encoder: str, best_name: str, n_models: int, lstm_name: str) -> dict:
    """5: the training and test sizes and the models the chapter scores."""
    return {"n_train": len(splits.train), "n_test": len(splits.test), "encoder": encoder,
            "best": best_name, "n_models": n_models, "lstm_rep": lstm_name}


def domain_changes(changes: dict, drop_tests: pd.DataFrame, drop_summary: pd.DataFrame, snow: dict, scores: dict,
                   snow_seconds_waimai: float, n_waimai: int, name, transformer: str, families: dict) -> dict:
    """5.2: how much each model's accuracy changes from dianping to each domain (how many lose beyond
    the noise of both samples, which others cannot be told from no change), the fold-0 tests of
    which family loses less, and SnowNLP's scores and speed as the untrained reference. Guards the
    hand-written sentences (:func:`check_change_sentences`, :func:`expect_families`): ``transformer``
    is the fold-0 transformer run, ``families`` the display names of the transformer, best baseline
    and LSTM families as the summary spells them."""
    check_change_sentences(changes, transformer)
    tr, base, lstm = families["transformer"], families["best_baseline"], families["lstm"]
    expect_families({("waimai_10k", tr, base): "none", ("waimai_10k", tr, lstm): "none",
                     ("online_shopping_10_cats", tr, base): "a", ("online_shopping_10_cats", tr, lstm): "some_a"},
                    drop_summary, "购物评论上，预训练 Transformer 比最佳基准损失得显著更少……外卖评论上，它与最佳基准、与每个 LSTM 种子的差别都不显著")
    from . import generalization as gen

    shop_lstm = gen.family_state(drop_summary, "online_shopping_10_cats", tr, lstm)
    out = {"n_changed": len(changes["waimai_10k"]), "n_drop_tests": len(drop_tests),
           "drop_shop_lstm_pairs": shop_lstm[1], "drop_shop_lstm_less": shop_lstm[2],
           "snow_test_acc": snow["accuracy"], "snow_test_lo": snow["ci95"][0], "snow_test_hi": snow["ci95"][1],
           "snow_ms": 1000 * snow_seconds_waimai / n_waimai,
           "snow_shop_acc": scores["online_shopping_10_cats"]["snownlp"]["all"]["accuracy"],
           "snow_waimai_acc": scores["waimai_10k"]["snownlp"]["all"]["accuracy"]}
    for d, key in (("waimai_10k", "waimai"), ("online_shopping_10_cats", "shop")):
        c = changes[d]
        unclear = [m for m in c.index[c["ci_high"] >= 0] if m not in (transformer, "snownlp")]
        out.update({f"n_lost_{key}": int((c["ci_high"] < 0).sum()),
                    f"others_{key}": "、".join(name(m) for m in unclear) if unclear else "没有别的模型",
                    f"tr_change_{key}": float(c.loc[transformer, "change"]),
                    f"snow_change_{key}": float(c.loc["snownlp", "change"])})
    return out


def check_change_sentences(changes: dict, transformer: str) -> None:
    """5.2: the hand-written reading of the change table, guarded (:func:`book.expect`): on both
    domains neither the fold-0 transformer's nor SnowNLP's change can be told from 0 by a drop
    (their intervals reach 0 or above), SnowNLP's point estimate rises on both, beyond the noise on
    shopping reviews."""
    import book

    w, s = changes["waimai_10k"], changes["online_shopping_10_cats"]
    book.expect(all(c.loc[m, "ci_high"] >= 0 for c in (w, s) for m in (transformer, "snownlp")),
                "下降在误差之内的，两个领域上都有第 0 折的预训练 Transformer 和 SnowNLP",
                "两个领域上 Transformer 与 SnowNLP 的变化区间都够到 0")
    book.expect(all(c.loc["snownlp", "change"] > 0 for c in (w, s)) and s.loc["snownlp", "ci_low"] > 0,
                "SnowNLP 在两个领域上反而比在点评上更准，购物评论上超出了误差",
                "SnowNLP 的变化在两个领域上都为正，购物评论上区间在 0 以上")


def vocabulary_shift(lstm_vocab, splits, domains: dict, tokens: dict, k: int) -> tuple[dict, pd.DataFrame, dict, pd.DataFrame]:
    """5.5: words the LSTM and the training reviews never saw, per domain, and whether dianping's
    most polar words keep their polarity in each domain (with held-out dianping reviews as the
    control). Returns the values, the OOV table, the shifts per domain and the control."""
    from . import generalization as gen

    def domain(d):
        return gen.DOMAIN_NAMES[d]

    train_tokens = text.tokenize_many(splits.train_full["comment"])
    train_words = set(w for ws in train_tokens for w in ws)   # = the word TF-IDF's unigrams
    test_tokens = text.tokenize_many(splits.test["comment"])
    oov = pd.DataFrame({
        "lstm_vocab": [gen.oov_share(test_tokens, lstm_vocab)] + [gen.oov_share(tokens[d], lstm_vocab) for d in domains],
        "train_words": [gen.oov_share(test_tokens, train_words)] + [gen.oov_share(tokens[d], train_words) for d in domains],
    }, index=[domain("dianping")] + [domain(d) for d in domains])
    lr_source = gen.domain_log_ratio(train_tokens, splits.train_full["sentiment"])
    shifts = {d: gen.polarity_shift(lr_source, gen.domain_log_ratio(tokens[d], df["sentiment"]), k=k)
              for d, df in domains.items()}
    # the control: the same words on held-out dianping reviews (same domain, not seen in training)
    control = gen.polarity_shift(lr_source, gen.domain_log_ratio(test_tokens, splits.test["sentiment"]), k=k)
    import book

    control_counts = control["status"].value_counts()
    ratios = {d: oov.loc[domain(d), "lstm_vocab"] / oov.loc[domain("dianping"), "lstm_vocab"] for d in domains}
    book.expect(all(r > 1 for r in ratios.values()), "外卖评论的未登录词比例是点评测试集的……倍",
                "两个新领域的未登录词比例都高于点评测试集")
    book.expect(all(shifts[d]["status"].isin(["weaker", "absent"]).sum() * 2 >= k for d in domains),
                "点评里最有倾向的词在别处常常变弱或干脆不出现", "两个领域里，至少一半的词明显变弱或几乎不出现")
    book.expect(int(control_counts.get("weaker", 0)) == 0, "在训练时没见过的点评测试集上，这些词没有一个明显变弱",
                "对照（点评测试集）上明显变弱的词为 0")
    values = {
        "oov_ratio_waimai": ratios.get("waimai_10k"), "oov_ratio_shop": ratios.get("online_shopping_10_cats"),
        "shift_control_absent": int(control_counts.get("absent", 0)),
        "shift_k": k, "min_count": gen.MIN_COUNT, "lstm_vocab_n": len(lstm_vocab),
        "train_words_n": len(train_words), "n_train_full": len(splits.train_full),
        **{f"shift_{key}_{s}": int((shifts[d]["status"] == s).sum())
           for key, d in (("waimai", "waimai_10k"), ("shop", "online_shopping_10_cats")) for s in gen.STATUS_NAMES},
    }
    return values, oov, shifts, control


# ---------------------------------------------------------------- chapter 4: the rotation

ROTATION_FAMILIES = {"best_baseline": "baseline", "lstm": "lstm", "transformer": "bert"}
ROTATION_PAIRS = (("transformer", "best_baseline"), ("transformer", "lstm"), ("best_baseline", "lstm"))


def rotation_verdicts(rec) -> dict:
    """6.1: chapter 4's comparisons on the rotation's pooled test reviews (``results.rotation``):
    each family's accuracy, each pair's difference in points with its interval, and the reviews'
    count (the sentences are hand-written and guarded by :func:`check_conclusion_sentences`)."""
    kept = rec.get("results.rotation")
    out = {"rot_n": int(next(iter(kept["families"].values()))["n"]),
           **{f"rot_{role}": float(f["accuracy"]) for role, f in kept["families"].items()}}
    for r in kept["tests"]:
        out[f"rot_pp_{r['a']}_{r['b']}"] = 100 * r["difference"]
        out[f"rot_lo_{r['a']}_{r['b']}"], out[f"rot_hi_{r['a']}_{r['b']}"] = r["ci_low"], r["ci_high"]
    return out


def rotation(rec) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """4.2: the best baseline, the LSTM and the transformer on every review of the rotation's test
    blocks (each family's five runs together, book.metrics.pooled_table / pooled_tests); keeps them
    in the record (``results.rotation``). Returns the families' table, the tests and the values the
    page quotes: accuracies with intervals, and per pair the signed difference, its interval and
    the adjusted p."""
    table = metrics.pooled_table(rec, ROTATION_FAMILIES)
    tests = metrics.pooled_tests(rec, ROTATION_PAIRS, ROTATION_FAMILIES)
    record.write("rotation", {"families": table.to_dict(orient="index"), "tests": tests.to_dict(orient="records"),
                              "runs": {role: rec.fold_runs(f) for role, f in ROTATION_FAMILIES.items()}})
    values = {"rot_n": int(table["n"].iloc[0]), "rot_runs": int(table["runs"].min()),
              **{f"rot_{role}": float(table.loc[role, "accuracy"]) for role in ROTATION_FAMILIES},
              **{f"rot_{role}_lo": float(table.loc[role, "ci_low"]) for role in ROTATION_FAMILIES},
              **{f"rot_{role}_hi": float(table.loc[role, "ci_high"]) for role in ROTATION_FAMILIES}}
    for r in tests.itertuples():
        values.update({f"rot_pp_{r.a}_{r.b}": 100 * r.difference, f"rot_d_{r.a}_{r.b}": r.difference,
                       f"rot_dlo_{r.a}_{r.b}": r.ci_low, f"rot_dhi_{r.a}_{r.b}": r.ci_high,
                       f"rot_p_{r.a}_{r.b}": verdicts.p_is(r.p_holm)})
    return table, tests, values


def transformer_runs(runs: pd.DataFrame, scores: dict, best: str) -> dict:
    """5.2: every transformer run (book.generalization.run_accuracy) on the two domains beside the
    best baseline's accuracy there: the range and how many runs lie above it. Keeps the table in the
    record (``results.generalization_runs``)."""
    record.write("generalization_runs", runs.to_dict(orient="records"))
    values = {"n_tr_runs": len(runs)}
    for d, key in (("waimai_10k", "waimai"), ("online_shopping_10_cats", "shop")):
        base = scores[d][best]["all"]["accuracy"]
        values.update({f"runs_{key}_min": float(runs[d].min()), f"runs_{key}_max": float(runs[d].max()),
                       f"runs_{key}_above": int((runs[d] > base).sum()), f"runs_{key}_base": base})
    return values


def pooled_drop_values(pooled: pd.DataFrame) -> dict:
    """5.2: the rotation's test of which family loses less (book.generalization.pooled_drops): per
    domain the gap on the domain, on dianping, their difference with its interval and the adjusted
    p; keeps the rows in the record (``results.generalization_pooled_drops``)."""
    record.write("generalization_pooled_drops", pooled.to_dict(orient="records"))
    short = {"waimai_10k": "w", "online_shopping_10_cats": "s"}
    out = {"pooled_runs": int(pooled["runs"].iloc[0]), "pooled_n_dianping": int(pooled["n_dianping"].iloc[0])}
    for r in pooled.to_dict(orient="records"):
        k = short[r["domain"]]
        out.update({f"pd_{k}_gap": r["domain_gap"], f"pd_{k}_dp": r["dianping_gap"], f"pd_{k}_diff": r["difference"],
                    f"pd_{k}_lo": r["ci_low"], f"pd_{k}_hi": r["ci_high"], f"pd_{k}_p": verdicts.p_is(r["p_holm"])})
    return out


def check_conclusion_sentences(rec) -> None:
    """6.1–6.2: the hand-written sentences whose direction depends on the run, guarded
    (:func:`book.expect`): on the rotation's pooled reviews the best baseline and the transformer
    both beat the LSTM and tie with each other; on both domains every transformer run is more
    accurate than the best baseline and, over every fold, loses significantly less."""
    import book

    rot = {(r["a"], r["b"]): r for r in rec.get("results.rotation.tests")}
    tie = rot[("transformer", "best_baseline")]
    book.expect(all(rot[p]["p_holm"] < verdicts.ALPHA and rot[p]["ci_low"] > 0
                    for p in [("transformer", "lstm"), ("best_baseline", "lstm")])
                and tie["p_holm"] >= verdicts.ALPHA and tie["ci_low"] < 0 < tie["ci_high"],
                "前两者都比 LSTM 高出……是平手；第一章的预期……它只是比 LSTM 好",
                "五折合起来，两者减 LSTM 的区间在 0 以上且显著；两者之差的区间包含 0 且不显著")
    g, best = rec.get("results.generalization"), rec.best_baseline()
    runs = rec.get("results.generalization_runs")
    pooled = rec.get("results.generalization_pooled_drops")
    domains = ("waimai_10k", "online_shopping_10_cats")
    book.expect(all(min(r[d] for r in runs) > g[d]["models"][best]["all"]["accuracy"] for d in domains),
                "更准吗：对最佳基准，是……每一次都高于最佳基准", "两个领域上预训练模型的每次训练都比最佳基准准确")
    book.expect({r["domain"] for r in pooled} == set(domains)
                and all(r["ci_low"] > 0 and r["p_holm"] < verdicts.ALPHA for r in pooled),
                "损失更小吗：对最佳基准，也是", "五折合起来，两个领域上损失之差的区间都在 0 以上且检验显著")
