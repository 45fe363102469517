"""What every chapter does first and last, in one place: ``ch = book.chapter("03b_lstm")``.

The call starts the chapter's timer in the run record, sets the figures' style, glues the
original's facts (keys ``orig_*``, shared by every page) and, in Jupyter, shows once how to read
a chapter there. The object it returns glues the chapter's own values under keys that start with
the chapter's file name (``ch.glue({"vocab": 5000})`` → ``03b_lstm_vocab``), writes its results
into ``artifacts/metrics.json`` (``ch.write``), reads the record (``ch.rec``) and the splits
(``ch.splits``), and stops the timer (``ch.stop()``, the chapter's last cell).
"""
from __future__ import annotations

import os
from functools import cached_property

from . import record

JUPYTER_NOTE = (
    "**在 Jupyter 里读本章**：正文中由代码算出的数字和句子（网页上显示为数字的地方），在 Jupyter 里只显示为一个名字"
    "（例如 `02_analysis_rows`）；运行代码之后，它们记在 `artifacts/metrics.json` 里，构建出的网页（`make book`）上"
    "才显示在正文中。在 Jupyter 里运行本章会改写它在 `artifacts/metrics.json` 中的记录和它训练的模型（记录里标为交互运行，"
    "附录会注明），下一次 `make book` 会重新执行它。这一段只在 Jupyter 里显示，网页上没有。"
)


def in_build() -> bool:
    """True inside `make book` (it sets the run id for the whole build)."""
    return bool(os.environ.get(record.RUN_ENV))


class Chapter:
    """One chapter's run: its glue keys, its record entries and its timer (see the module)."""

    def __init__(self, name: str, original_facts: bool = True, style: bool = True):
        self.name = name
        self.timer = record.ChapterTimer(name)       # checks that chapters/<name>.md exists
        if style:
            from . import plots

            plots.setup()
        if original_facts:
            from . import display, original

            display.glue_values("orig", original.values())
        if not in_build() and record.in_kernel():
            from IPython.display import Markdown
            from IPython.display import display as show

            show(Markdown(JUPYTER_NOTE))

    def key(self, sub: str = "") -> str:
        """The glue prefix: the chapter's file name, then ``sub`` if given."""
        return f"{self.name}_{sub}" if sub else self.name

    def glue(self, values: dict, sub: str = "") -> dict:
        """Glue every value under ``<chapter>_<sub>_<key>`` (numbers, sentences, figures, HTML);
        returns ``values`` so a cell can keep using them."""
        from . import display

        display.glue_values(self.key(sub), values)
        return values

    def write(self, key: str, value, section: str = "results") -> None:
        """Keep a result in the run record (:func:`book.record.write`)."""
        record.write(key, value, section)

    @cached_property
    def splits(self):
        """The train / valid / test split every chapter shares (:func:`book.data.load_splits`)."""
        from . import data

        return data.load_splits()

    @property
    def rec(self) -> record.Record:
        """The run record as it is now (read afresh: earlier cells of this chapter may have written)."""
        return record.Record.load()

    def stop(self) -> float:
        """The chapter's last cell: its seconds into the record."""
        return self.timer.stop()
