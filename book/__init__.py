"""Helper package of the dianping sentiment book.

The modules follow the pipeline: data → text → baselines → lstm → bert → evaluate → plots.
Chapters import what they need, e.g. ``from book import data, text, evaluate, plots``.
"""
__version__ = "0.1.0"

import os as _os


def quiet() -> bool:
    """True inside `make book` (BOOK_QUIET=1): no progress bars, no logs in the rendered pages."""
    return _os.environ.get("BOOK_QUIET") == "1"
