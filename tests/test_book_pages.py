"""_ext/book_pages.py: spaces between Han characters and Latin letters or digits in the pages'
running text, across glued values, never inside code or formulas."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
from docutils import nodes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))
import book_pages  # noqa: E402


def para(*parts) -> nodes.paragraph:
    p = nodes.paragraph()
    for x in parts:
        p += nodes.Text(x) if isinstance(x, str) else x
    return p


def test_spaces_across_glued_values_and_inside_text():
    p = para("本次运行的是", nodes.inline(text="E5-small"), "，最佳基准", nodes.inline(text="字 n-gram SVM"), "达到 0.885，文件的SHA-256")
    book_pages.space_han_latin(p)
    assert p.astext() == "本次运行的是 E5-small，最佳基准字 n-gram SVM 达到 0.885，文件的 SHA-256"


def test_leaves_code_math_and_spaced_text_alone():
    p = para("用", nodes.literal(text="book.bert的x"), "的", nodes.math(text="p值"), "模型 LSTM 的 3 个种子")
    before = p.astext()
    book_pages.space_han_latin(p)
    assert p.astext() == before                       # nothing joined across code or math, nothing doubled
    q = para("第", nodes.inline(text="3"), "轮（", nodes.inline(text="LSTM"), "）")
    book_pages.space_han_latin(q)
    assert q.astext() == "第 3 轮（LSTM）"              # fullwidth brackets take no space


# ---------------------------------------------------------------- per-chapter numbering

def test_chapter_label_from_the_page_title():
    assert [book_pages.chapter_label(t) for t in ("第一章 问题的定义", "第五章 泛化：换一个领域", "第十二章 x",
                                                  "3.2 LSTM", "附录：运行记录", "大众点评评论情感分析")] == \
        ["1", "5", "12", "3", "A", None]


class FakeEnv:
    """What number_per_chapter reads from Sphinx's build environment."""

    def __init__(self, pages: dict, fignumbers: dict):
        self.titles = {d: nodes.title(text=t) for d, (t, _) in pages.items()}
        self.found_docs = set(pages)
        self.toctree_includes = {"index": [d for d in pages if d != "index"]}
        self.config = type("C", (), {"root_doc": "index"})()
        self.toc_fignumbers = fignumbers
        self._tables = {d: n for d, (_, n) in pages.items()}

    def get_doctree(self, doc):
        tree = nodes.document(None, None)
        for i in range(self._tables[doc]):
            tree += nodes.raw("", f'<table id="T_{i}"><caption>表 {i + 1}　说明</caption></table>', format="html")
        return tree


def test_figures_and_tables_numbered_per_chapter_across_its_pages():
    pages = {"index": ("大众点评评论情感分析", 1), "c3": ("第三章 方法", 1), "c3a": ("3.1 基准模型", 2),
             "c4": ("第四章 结果", 2), "app": ("附录：运行记录", 1)}
    figs = {"index": {"figure": {"f0": (1,)}}, "c3": {"figure": {"f1": (2,)}},
            "c3a": {"figure": {"f2": (3,), "f3": (4,)}}, "c4": {"figure": {"f4": (5,)}}}
    env = FakeEnv(pages, figs)
    changed = book_pages.number_per_chapter(None, env)
    assert env.toc_fignumbers == {"index": {"figure": {"f0": (1,)}}, "c3": {"figure": {"f1": ("3", 1)}},
                                  "c3a": {"figure": {"f2": ("3", 2), "f3": ("3", 3)}}, "c4": {"figure": {"f4": ("4", 1)}}}
    assert env.book_table_start == {"index": (None, 1), "c3": ("3", 1), "c3a": ("3", 2), "c4": ("4", 1), "app": ("A", 1)}
    assert sorted(changed) == sorted(pages)
    env.toc_fignumbers = {}
    assert book_pages.number_per_chapter(None, env) == []  # same table counts: nothing to rewrite

    app = type("App", (), {"env": env})()
    tree = env.get_doctree("c3a")
    book_pages.number_tables(app, tree, "c3a")
    assert [n.astext() for n in tree.findall(nodes.raw)] == [
        '<table id="T_0"><caption>表 3.2　说明</caption></table>', '<table id="T_1"><caption>表 3.3　说明</caption></table>']
    front = env.get_doctree("index")
    book_pages.number_tables(app, front, "index")
    assert "<caption>表 1　说明" in front.astext()


# ---------------------------------------------------------------- the downloaded notebook's note and guard

def small_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# 一章\n\n共 {glue:text}`n` 条评论。"),
                nbformat.v4.new_code_cell("from book import data\nprint(6 * 7)", execution_count=1,
                                          outputs=[nbformat.v4.new_output("stream", name="stdout", text="42\n")])]
    return nb


def without_ids(cells) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "id"} for c in cells]


def test_the_downloaded_notebook_opens_with_a_note_and_a_guard(tmp_path):
    """add_notebook_download writes the executed notebook with two cells in front: a visible
    Chinese note (one paragraph: this build's output, where the numbers are, the commands) and
    the guard; the page's own cells follow unchanged, outputs included."""
    out = tmp_path / "html"
    (tmp_path / "exec" / "chapters").mkdir(parents=True)
    executed = small_notebook()
    nbformat.write(executed, tmp_path / "exec" / "chapters" / "02_x.ipynb")
    cfg = SimpleNamespace(output_folder=str(tmp_path / "exec"), execution_mode="off")
    app = SimpleNamespace(builder=SimpleNamespace(format="html"), outdir=str(out),
                          env=SimpleNamespace(mystnb_config=cfg, doc2path=lambda d, base=True: f"{d}.md"))
    context = {}
    book_pages.add_notebook_download(app, "chapters/02_x", "page.html", context, doctree=nodes.document(None, None))
    assert context["ipynb_source"] == "chapters/02_x.ipynb"
    nb = nbformat.read(out / "_sources" / "chapters" / "02_x.ipynb", as_version=4)
    nbformat.validate(nb)
    note, guard, *rest = nb.cells
    assert note.cell_type == "markdown" and "\n" not in note.source.strip(), "one paragraph"
    assert not note.metadata.get("tags"), "visible"
    for words in ("这次构建", "`chapters/02_x.md`", "本书网页", "重新运行", "`make setup`", "`make book`", "`make lab`"):
        assert words in note.source, words
    assert guard.cell_type == "code" and "import book" in guard.source and not guard.outputs
    assert without_ids(rest) == without_ids(executed.cells)
    assert len(book_pages.for_download(executed, "x.md").cells) == 4 and len(executed.cells) == 2, "a copy"


def run_guard_in_a_kernel(block_book: bool) -> nbformat.NotebookNode:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = book_pages.for_download(small_notebook(), "chapters/02_x.md")
    for c in nb.cells:  # what has outputs afterwards ran here
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    if block_book:  # as in a Jupyter whose Python has no book package
        nb.cells.insert(0, nbformat.v4.new_code_cell("import sys\nsys.modules['book'] = None"))
    client = NotebookClient(nb, timeout=120, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"])
    try:
        client.execute()
    except CellExecutionError:
        pass
    return nb


def test_outside_the_environment_the_guard_stops_run_all_with_one_sentence():
    nb = run_guard_in_a_kernel(block_book=True)
    _, guard, chapter_cell = (c for c in nb.cells if c.cell_type == "code")
    (err,) = guard.outputs
    assert err.output_type == "error" and err.traceback == [book_pages.GUARD_MESSAGE], err
    assert "ModuleNotFoundError" not in str(err)
    assert "make setup" in err.traceback[0] and "make lab" in err.traceback[0]
    assert not chapter_cell.outputs and chapter_cell.execution_count is None, "Run All stopped at the guard"
    # the control: with the book's environment the guard passes silently and the chapter runs
    nb = run_guard_in_a_kernel(block_book=False)
    guard, chapter_cell = (c for c in nb.cells if c.cell_type == "code")
    assert guard.outputs == [] and chapter_cell.outputs[0]["text"] == "42\n"


def test_the_guard_in_a_plain_python_without_book(tmp_path):
    """The interpreter the venv was made from (no book package), isolated, in an empty folder:
    the guard ends with the one sentence and no ModuleNotFoundError."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    guard = book_pages.for_download(small_notebook(), "x.md").cells[1].source
    probe = subprocess.run([str(base), "-I", "-c", "import book"], cwd=tmp_path, capture_output=True, text=True)
    assert probe.returncode == 1 and "No module named 'book'" in probe.stderr
    proc = subprocess.run([str(base), "-I", "-c", guard], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == f"NeedsTheBookEnvironment: {book_pages.GUARD_MESSAGE}"
    assert "ModuleNotFoundError" not in proc.stderr
    ok = subprocess.run([sys.executable, "-c", guard], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stderr == ""


def test_spaces_around_inline_code_and_typesets_numbers():
    p = para("写下的", nodes.literal(text="artifacts/metrics.json"), "，运行", nodes.literal(text="make book FRESH=1"), "。")
    book_pages.space_around_code(p)
    assert p.astext() == "写下的 artifacts/metrics.json，运行 make book FRESH=1。"
    q = para("两者相差 -0.015，p = 0.012，p 值为 6.81e-12，学习率 5e-05；2026-01-01、BiLSTM-2、0.5-1、1e+3")
    book_pages.typeset_block(q)
    assert q.astext() == "两者相差 −0.015，p = 0.012，p 值为 6.81 × 10⁻¹²，学习率 5 × 10⁻⁵；2026-01-01、BiLSTM-2、0.5-1、1 × 10³"
    assert len(list(q.findall(nodes.emphasis))) == 2                    # both p's in italics
    r = para("见 ", nodes.literal(text="-1 p = 2e-3"), " 与 top 值")
    book_pages.typeset_block(r)
    assert r.astext() == "见 -1 p = 2e-3 与 top 值" and not list(r.findall(nodes.emphasis))  # code untouched; 'top' is no p
