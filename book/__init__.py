"""Helper package of the dianping sentiment book.

The modules follow the pipeline: data → text → baselines → lstm → bert → evaluate → plots.
Chapters import what they need, e.g. ``from book import data, text, evaluate, plots``.
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
