"""Helper package of the dianping sentiment book. A chapter starts with
``ch = book.chapter("03b_lstm")`` (:mod:`book.page`) and imports what it needs, e.g.
``from book import lstm, sections``.

Where things live, in the order the book uses them:

- names (paths, labels, the encoder's default, the Han range: a leaf module);
- page (a chapter's first call), sections (what each section's prose quotes, one function each);
- data (download, verify, split) → text (jieba, CJK, log-ratio) → baselines (TF-IDF, hyperopt);
- lstm (the LSTM, the original's recipe as ``lstm.ORIGINAL_CONFIG``) and probe (what it learned);
- bert (fine-tuning with fastai + transformers), layers (layer probes, CKA, 「方便」), device (CPU/GPU);
- metrics (scores, bootstrap, McNemar, Holm) and record (the run record ``metrics.json``);
- generalization (other domains, learning curves, contrast clauses);
- original (the report's words and numbers), ledger (its claims tested), findings (the main findings);
- display (Chinese names and tables), plots (figures), verdicts (sentences computed from numbers);
- predict and export (the ONNX predictor behind ``python -m book predict``), ``__main__`` (its CLI).

:func:`expect` guards a hand-written sentence whose direction depends on the run.
"""
__version__ = "0.1.0"

import os as _os
import warnings as _warnings

# Without ipywidgets, tqdm.auto (imported by transformers and huggingface_hub) warns on stderr
# that it falls back to text progress bars; the fallback is fine, the warning is noise.
_warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")


def quiet() -> bool:
    """True inside `make book` (BOOK_QUIET=1): no progress bars, no logs in the rendered pages."""
    return _os.environ.get("BOOK_QUIET") == "1"


def missing_package(e: ModuleNotFoundError, what: str) -> str:
    """One sentence for a package this Python lacks (onnxruntime, tokenizers, jieba, numpy, ...):
    it names the package and the venv that has it, rather than blaming the trained models."""
    import sys

    name = (e.name or str(e)).split(".")[0]
    return (f"{what} needs the Python package {name!r}, which this Python ({sys.executable}) does not have: "
            f"run it with the repository's venv, `.venv/bin/python -m book predict ...` (`make setup` creates it)")


def first_line(e: Exception) -> str:
    """The first line of an exception's message (its type name when it has none), for one-line errors."""
    text = str(e).strip()
    return text.splitlines()[0].rstrip(".") if text else type(e).__name__


class ClaimNoLongerHolds(AssertionError):
    """A sentence of the book is no longer true of this run (raised by :func:`expect`)."""


def expect(condition, sentence: str, why: str = "") -> None:
    """Guard a hand-written sentence whose direction depends on the run: when ``condition`` is
    false, the build fails naming the sentence (its first words) and why it should have held, so a
    re-run that no longer supports it cannot publish it.

        book.expect(best_acc > lstm_acc, "主要发现：字 n-gram TF-IDF 好于 LSTM", "最佳基准的准确率高于 LSTM 各种子的平均")
    """
    if not bool(condition):
        head = sentence if len(sentence) <= 40 else sentence[:40] + "…"
        raise ClaimNoLongerHolds(f"this run no longer supports the sentence 「{head}」"
                                 + (f": it needs {why}" if why else "") + "; rewrite the sentence or find out why")


def chapter(name: str, **kw):
    """A chapter's first call: ``ch = book.chapter("03b_lstm")`` (see :mod:`book.page`)."""
    from .page import Chapter

    return Chapter(name, **kw)
