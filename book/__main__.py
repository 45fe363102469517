"""Command line: `python -m book predict "评论" [...] | --file F [--labels] [--summary] [--model M] [--json]`.

Kept light: it imports neither pandas nor torch, transformers or fastai (book.predict runs the
models with onnxruntime), so one review takes well under 2 s as a fresh process."""
from __future__ import annotations

import argparse
import json
import sys

EPILOG = """examples:
  python -m book predict "这家的环境不差，但是菜不怎么好吃。"
  python -m book predict --file reviews.txt --model bert --json
  python -m book predict --file waimai_10k.csv --labels --summary

files: a .txt holds one review a line; a .csv has a 'comment' (or else 'review') column and,
for --labels, a 'sentiment' (or else 'label') column of 0 (negative) / 1 (positive).
Empty reviews (blank lines, empty cells) are skipped and counted on stderr; a label other
than 0 or 1 is an error naming its line, and so is a CSV that does not parse cleanly (a quote
never closed, a row with more or fewer fields than the header, a header and no row); nothing is
predicted then. A long file shows a progress bar on stderr when it is a terminal.

--labels prints, after the predictions, each model's accuracy on the file's labels and n.
--summary prints no line per review: only each model's n and share judged positive (and,
with --labels, the accuracy table) — for large files.
"""


def _print_review(i: int, rows: list[dict], label: int | None) -> None:
    text = rows[0]["text"]
    shown = text if len(text) <= 60 else text[:60] + f"…（共 {len(text)} 字）"
    print(f"[{i}] {shown}" + ("" if label is None else f"  (标注: {'正面' if label else '负面'})"))
    for r in rows:
        note = ("  (过长，只看了开头部分)" if r["truncated"] else "") + \
               ("  (没有可读的中文词，这个概率不反映内容)" if r["no_words"] else "")
        print(f"    {r['model']:<6} {r['label_name']}  P(正面)={r['prob']:.3f}{note}")


def _progress_bar(total: int):
    """A progress bar on stderr (tqdm) when stderr is a terminal; None under BOOK_QUIET=1 or when
    stderr is a file or a pipe."""
    from . import quiet

    if quiet() or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="review", desc="predicting", file=sys.stderr, leave=False)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m book", description="The dianping sentiment book's tools.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="classify reviews with the trained models",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reviews", nargs="*", help="review texts")
    p.add_argument("--file", "-f", help="a .txt file (one review a line) or a .csv with a 'comment' or 'review' column")
    p.add_argument("--labels", action="store_true",
                   help="with a CSV --file: read its 'sentiment' or 'label' column (0/1) and print each model's accuracy")
    p.add_argument("--summary", "-s", action="store_true",
                   help="no line per review: per model n, share positive and (with --labels) accuracy")
    p.add_argument("--model", "-m", action="append", choices=["tfidf", "lstm", "bert"],
                   help="model to use (repeatable); default: every trained model")
    p.add_argument("--json", action="store_true", help="print JSON lines, one per review (and one summary line with --labels or --summary)")
    p.add_argument("--artifacts", help="folder of trained models (default: artifacts/ or $BOOK_ARTIFACTS)")
    p.add_argument("--precision", choices=["auto", "int8", "fp32"], default="auto",
                   help="the transformer's graph: int8 (model.int8.onnx, about 4x smaller) or fp32; "
                        "auto (default): int8 where its labels agreed with fp32 on >= 99%% of the test reviews")
    return ap


def _predict(args, P) -> tuple[list[dict], dict, list | None, list | None]:
    """Read the reviews (arguments or --file), load the models, predict: rows, loaded models,
    labels (with --labels) and the lines skipped as empty. Raises PredictError on bad input."""
    labels = skipped = None
    if args.file and args.reviews:
        raise P.PredictError("give reviews as arguments or --file, not both")
    if not args.file and not args.reviews:
        raise P.PredictError("no review given: pass review texts or --file F")
    if args.labels and not args.file:
        raise P.PredictError("--labels needs --file (a CSV with a sentiment or label column)")
    if args.file:
        texts, labels, skipped = P.read_file(args.file, labels=args.labels)
    else:
        texts = args.reviews
    texts = P._check_texts(texts)     # a bad review is reported before any model is loaded
    loaded = P.load_models(args.model, args.artifacts, args.precision)
    bar = _progress_bar(len(texts) * len(loaded)) if len(texts) > P.PROGRESS_STEP else None
    rows = P.predict_rows(texts, loaded=loaded, progress=bar.update if bar else None)
    if bar:
        bar.close()
    return rows, loaded, labels, skipped


def _notes(loaded: dict, skipped, file) -> None:
    """On stderr: the slower fallbacks used, and the empty lines skipped."""
    for key, m in loaded.items():
        if getattr(m, "torch_fallback", False):
            print(f"note: no {key}/model.onnx in the artifacts: used the slower torch model "
                  f"(write it with book.export.export_{key}())", file=sys.stderr)
        if getattr(m, "sklearn_fallback", False):
            print("note: no tfidf.json written from this tfidf.joblib: used the slower scikit-learn pipeline "
                  "(book.export.export_tfidf() writes it where the SVM is linear)", file=sys.stderr)
    if skipped:
        lines = ", ".join(map(str, skipped[:10])) + (", …" if len(skipped) > 10 else "")
        print(f"note: skipped {len(skipped)} empty review(s) in {file} (line {lines})", file=sys.stderr)


def _print_reviews(rows: list[dict], labels, as_json: bool) -> None:
    by_review: dict[int, list[dict]] = {}
    for r in rows:
        by_review.setdefault(r["review"], []).append(r)
    for i, g in by_review.items():
        y = None if labels is None else labels[i - 1]
        if as_json:
            rec = {"review": i, "text": g[0]["text"], "models": {
                r["model"]: {"label": r["label"], "label_name": r["label_name"], "prob_positive": round(r["prob"], 4),
                             "truncated": r["truncated"], "no_words": r["no_words"]} for r in g}}
            if y is not None:
                rec["true_label"] = y
            print(json.dumps(rec, ensure_ascii=False))
        else:
            _print_review(i, g, y)


def _print_summary(rows: list[dict], labels, as_json: bool, accuracy) -> None:
    models = list(dict.fromkeys(r["model"] for r in rows))
    acc = accuracy(rows, labels) if labels is not None else {}
    table = {}
    for m in models:
        mine = [r["label"] for r in rows if r["model"] == m]
        table[m] = {"n": len(mine), "share_positive": round(sum(mine) / len(mine), 4)}
        if m in acc:
            table[m]["accuracy"] = round(acc[m]["accuracy"], 4)
    if as_json:
        print(json.dumps({"summary": table}, ensure_ascii=False))
        return
    print(f"{'model':<6} {'n':>6} {'正面占比':>8}" + (f" {'accuracy':>9}" if acc else ""))
    for m, t in table.items():
        print(f"{m:<6} {t['n']:>6} {t['share_positive']:>12.3f}" + (f" {t['accuracy']:>9.3f}" if acc else ""))


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from . import missing_package
    try:
        from . import predict as P
    except ModuleNotFoundError as e:  # numpy missing: this is not the repository's venv
        print(f"error: {missing_package(e, 'the predictor')}", file=sys.stderr)
        return 2
    try:
        rows, loaded, labels, skipped = _predict(args, P)
    except P.PredictError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:  # e.g. jieba, imported when the first review is segmented
        print(f"error: {missing_package(e, 'the predictor')}", file=sys.stderr)
        return 2
    _notes(loaded, skipped, args.file)
    if not args.summary:
        _print_reviews(rows, labels, args.json)
    if args.summary or labels is not None:
        _print_summary(rows, labels, args.json, P.accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
