"""Command line: `python -m book predict "评论" [...] | --file F [--model M] [--json]`."""
from __future__ import annotations

import argparse
import json
import sys

EPILOG = """examples:
  python -m book predict "这家的环境不差，但是菜不怎么好吃。"
  python -m book predict --file reviews.txt --model bert --json
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m book", description="The dianping sentiment book's tools.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="classify reviews with the trained models",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reviews", nargs="*", help="review texts")
    p.add_argument("--file", "-f", help="a .txt file (one review a line) or a .csv with a 'comment' column")
    p.add_argument("--model", "-m", action="append", choices=["tfidf", "lstm", "bert"],
                   help="model to use (repeatable); default: every trained model")
    p.add_argument("--json", action="store_true", help="print JSON lines, one per review")
    p.add_argument("--artifacts", help="folder of trained models (default: artifacts/ or $BOOK_ARTIFACTS)")
    args = ap.parse_args(argv)

    from .predict import PredictError, predict, read_reviews

    try:
        if args.file and args.reviews:
            raise PredictError("give reviews as arguments or --file, not both")
        if not args.file and not args.reviews:
            raise PredictError("no review given: pass review texts or --file F")
        texts = read_reviews(args.file) if args.file else args.reviews
        df = predict(texts, models=args.model, artifacts=args.artifacts)
    except PredictError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    for i, g in df.groupby("review", sort=True):
        text = g["text"].iloc[0]
        if args.json:
            rec = {"review": int(i), "text": text, "models": {
                r.model: {"label": r.label, "label_name": r.label_name, "prob_positive": round(r.prob, 4),
                          "truncated": r.truncated, "no_words": r.no_words} for r in g.itertuples()}}
            print(json.dumps(rec, ensure_ascii=False))
            continue
        shown = text if len(text) <= 60 else text[:60] + f"…（共 {len(text)} 字）"
        print(f"[{i}] {shown}")
        for r in g.itertuples():
            note = ("  (过长，只看了开头部分)" if r.truncated else "") + \
                   ("  (没有可读的中文词，这个概率不反映内容)" if r.no_words else "")
            print(f"    {r.model:<6} {r.label_name}  P(正面)={r.prob:.3f}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
