"""Chapters that read other chapters' results say what they need, and the built pages name the
same models that the run record says were chosen."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from book import display, record

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html" / "chapters"


@pytest.mark.parametrize("chapter, needs", [
    ("chapters/04_results.md", "chapters/03a_baselines.md"),
    ("chapters/05_generalization.md", "chapters/03a_baselines.md"),
    ("chapters/06_conclusion.md", "chapters/03a_baselines.md"),
])
def test_a_chapter_run_before_its_inputs_exits_with_one_line(tmp_path, chapter, needs):
    """Chapter 4 (or 6) alone, with an empty artifacts folder: one line naming the chapter to run."""
    env = {**os.environ, "BOOK_ARTIFACTS": str(tmp_path), "BOOK_QUIET": "1"}
    proc = subprocess.run([sys.executable, "tools/run_chapter.py", chapter], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, proc.stderr
    assert "RecordError" in errors[0] and f"run {needs} first" in errors[0], errors[0]
    assert "Traceback" not in proc.stdout + proc.stderr and "KeyError" not in proc.stderr


class _Text(HTMLParser):
    """The visible text of a page's article (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(name: str) -> str:
    p = _Text()
    p.feed((HTML / f"{name}.html").read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", "".join(p.parts))


@pytest.mark.browser
def test_pages_name_the_models_the_record_chose():
    """3.1, 4 and 6 name the baseline chosen by CV; 3.2 and 4 name the LSTM seed the predictor uses;
    no page calls another baseline the best one."""
    if not (HTML / "04_results.html").exists():
        pytest.fail("the book is not built: run `make book` first")
    rec = record.Record.load()
    best = display.model_name(rec.best_baseline())
    others = [display.model_name(n) for n in rec.models("baseline") if n != rec.best_baseline()]
    for page in ("03a_baselines", "04_results", "06_conclusion"):
        text = page_text(page)
        assert best in text, f"{page} does not name the best baseline {best}"
        for m in re.finditer(r"最佳基准[：:]?\s*(.{0,40})", text):
            named = [o for o in others if m.group(1).startswith(o)]
            assert not named, f"{page} calls {named[0]} the best baseline; the record says {best}"
    lstm = display.model_name(rec.saved_model("lstm"))
    for page in ("04_results",):
        assert lstm in page_text(page), f"{page} does not name the saved LSTM {lstm}"
    seed = str(rec.get("results.lstm_saved_seed"))
    assert re.search(rf"种子 ?{seed}", page_text("03b_lstm")), "3.2 does not name the saved seed"
