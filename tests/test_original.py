"""book.original is the one place the original's numbers and words live: its quotations are the
report's own words, and no chapter types one of the original's numbers into its prose."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pages import TSNE_ACCUSATION

from book import original

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT.parent / "shared" / "reference" / "capstone_report.md"
PAGES = [ROOT / "index.md", *sorted((ROOT / "chapters").glob("*.md"))]

# ---------------------------------------------------------------- prose, as a reader sees it

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_INLINE = [re.compile(p) for p in (
    r"\{[\w:-]+\}`[^`]*`",    # a role: {glue:text}`o_svm:.2f`, {cite:p}`x`, {ref}`sec-y`
    r"``[^`]+``|`[^`]*`",     # inline code
    r"\$[^$]+\$",             # inline math
)]
# a decimal (0.56, 0.78–0.815) or a percentage (56%, 56–59%, 56%–59%)
NUMBER = re.compile(r"(?<![\w.])(?:\d+(?:\.\d+)?%?\s*[–~-]\s*)?\d+(?:\.\d+)?\s*%|(?<![\w.])\d*\.\d+(?:\s*[–~-]\s*\d*\.\d+)?")
# a sentence that speaks of the original (its report, figures or notebook)
ORIGINAL = re.compile(r"原报告|报告|notebook", re.IGNORECASE)
# the book's own statistical vocabulary, which may stand beside a mention of the original
# and section numbers (3.1 节, 第 3.2 节, "## 4.4 与原报告对照", "- 3.1 基准模型")
OWN = re.compile(r"95\s*%\s*(?:bootstrap\s*)?(?:置信)?区间|p\s*[<>=]\s*0\.\d+|[1-9]\.\d\s*节|第\s*[1-9]\.\d"
                 r"|^\s*(?:#+|-|\|)\s*[1-9]\.\d(?!\d)")


def prose_lines(text: str):
    """(line number, text) of the prose a reader sees: no front matter, no fenced block (code
    cells, directives), no $$ display math; roles, inline code and inline math removed."""
    lines = text.splitlines()
    i = 0
    if lines and lines[0].strip() == "---":
        i = lines.index("---", 1) + 1
    fence, math = None, False
    for n, line in enumerate(lines[i:], start=i + 1):
        stripped = line.strip()
        m = _FENCE.match(stripped)
        if fence:
            if m and stripped == m.group(1)[0] * len(m.group(1)) and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        if stripped.startswith("$$"):
            math = not math if stripped == "$$" or not stripped.endswith("$$") or len(stripped) == 2 else math
            continue
        if math:
            continue
        for pat in _INLINE:
            line = pat.sub(" ", line)
        yield n, line


def typed_numbers(text: str) -> list[tuple[int, str, str]]:
    """(line, number, sentence) for every decimal or percentage typed into a prose sentence that
    also speaks of the original report, its figures or its notebook."""
    found = []
    for n, line in prose_lines(text):
        for sentence in re.split(r"[。！？；\n]", line):
            if not ORIGINAL.search(sentence):
                continue
            cleaned = OWN.sub(" ", sentence)
            found += [(n, m.group(0), sentence.strip()) for m in NUMBER.finditer(cleaned)]
    return found


def test_typed_numbers_finds_what_a_reader_would_read_as_the_originals():
    typed = ("3.3 节：原报告中 `bert-base-chinese` 在它自己的划分上达到 0.88–0.91（原报告数字）。\n"   # today's 3.3
             "原报告的基准模型只有 56%–59% 的准确率，报告的 56% 和 0.5；瞎猜是 0.5。\n"
             "原报告的测试准确率在 0.78 到 0.815 之间。notebook 输出 0.780。\n")
    assert [t[1] for t in typed_numbers(typed)] == ["0.88–0.91", "56%–59%", "56%", "0.5", "0.78", "0.815", "0.780"]
    glued = ("原报告的图显示 {glue:text}`orig_lstm_figure:.2f`，本书 {glue:text}`r_acc:.3f`。\n"
             "本书的 0.885 与第二句无关。原报告没有这个数。\n"
             "原报告的 95% 置信区间 和 p < 0.05 是本书的用语。\n"
             "```{code-cell} ipython3\nREPORTED = 0.56  # 原报告\n```\n"
             "$$ \\text{原报告} = 0.5 $$\n")
    assert typed_numbers(glued) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_number_of_the_original_is_typed_into_prose(page):
    typed = typed_numbers(page.read_text(encoding="utf-8"))
    assert not typed, (f"{page.name}: numbers typed beside the original instead of glued from book.original: "
                       + "; ".join(f"line {n}: {num!r} in 「{s[:60]}」" for n, num, s in typed))


def test_every_glued_fact_of_the_original_exists():
    keys = set(original.values())
    for page in PAGES:
        for key in re.findall(r"\{glue:\w+\}`orig_(\w+?)(?::[^`]*)?`", page.read_text(encoding="utf-8")):
            assert key in keys, f"{page.name} glues orig_{key}, which book.original does not have"


@pytest.mark.skipif(not REPORT.exists(), reason="the original report's text is not in ../shared/reference")
def test_every_quotation_is_the_reports_own_words():
    report = REPORT.read_text(encoding="utf-8")
    texts = {k: f for k, f in original.FACTS.items() if f.kind == "text"}
    assert texts
    for key, f in texts.items():
        assert f.words in report, f"book.original[{key!r}] is not in the report's text: 「{f.words}」"
    for key, sentences in original.EXAMPLES.items():
        for s in sentences:
            assert s in report, f"book.original.EXAMPLES[{key!r}]: 「{s}」 is not in the report's text"


def test_say_names_the_source_kind():
    assert original.say("svm_text").startswith("原报告写道「") and original.say("svm_text").endswith("56%。」")
    assert original.say("lstm_figure").startswith("原报告的图（result_lstm.png）显示") and "0.79" in original.say("lstm_figure")
    assert original.say("lstm_notebook").startswith("原报告的 notebook 输出") and original.say("lstm_notebook").endswith("0.780")
    assert original.say("seq_length").startswith("从原报告 notebook 的代码看")
    assert original.source("bert_figure") == "报告的图（result_bert.png）" and original.source("nb_text") == "报告正文"
    assert original.number("svm_text") == "56%" and original.number("svm_notebook") == "0.565"
    with pytest.raises(ValueError, match="cannot be quoted"):
        original.quote("lstm_figure")
    with pytest.raises(KeyError, match="no fact 'knn'"):
        original.fact("knn")
    with pytest.raises(ValueError, match="exact words"):
        original.Fact("text", "x")
    v = original.values()
    assert v["lstm_figure"] == 0.79 and v["gain_q"] == original.quote("gain") and "knn_text_say" in v


def test_no_source_repeats_the_retracted_tsne_accusation():
    sources = [*PAGES, ROOT / "README.md", *sorted((ROOT / "book").glob("*.py"))]
    found = [f"{p.name}: {m.group(0)!r}" for p in sources for m in TSNE_ACCUSATION.finditer(p.read_text(encoding="utf-8"))]
    assert not found, "the original's t-SNE used the LSTM's own vocabulary; these still say otherwise: " + "; ".join(found)
    assert TSNE_ACCUSATION.search("它用 BERT 分词器的 token 编号去取 LSTM 嵌入矩阵的行") and TSNE_ACCUSATION.search("t-SNE 图用错了词表")


def test_shared_names_have_one_home():
    """The Chinese-character range and the label names are written in book/names.py only: no other
    file of book/ or _ext/ (the 试一试 page reads the range from its build's manifest) spells them."""
    import book.names as names

    han = re.compile(r"\\u4e00|\\u3400|u\{20000\}|\u4e00-\u9fff")
    labels = re.compile(r"\{0: \"负面\", 1: \"正面\"\}")
    files = [*sorted((ROOT / "book").glob("*.py")), *sorted((ROOT / "_ext").glob("*.py")), *sorted((ROOT / "_ext").glob("*.mjs"))]
    home = ROOT / "book" / "names.py"
    found = [f"{p.name}: {m.group(0)}" for p in files if p != home
             for m in (*han.finditer(p.read_text(encoding="utf-8")), *labels.finditer(p.read_text(encoding="utf-8")))]
    assert not found, "defined outside book/names.py: " + "; ".join(found)
    assert han.search(home.read_text(encoding="utf-8")) and labels.search(home.read_text(encoding="utf-8"))
    assert names.LABEL_NAMES == {0: "负面", 1: "正面"} and re.fullmatch(f"[{names.CJK_RANGES}]+", "点评𠀀")


def book_imports() -> dict[str, set[str]]:
    """book's modules and the book modules each imports (at module level or inside a function)."""
    import ast

    mods = {p.stem: p for p in (ROOT / "book").glob("*.py")}
    edges = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("book")):
                parts = (node.module or "").split(".")
                target = parts[0] if node.level == 1 else (parts[1] if len(parts) > 1 else "")
                edges[m] |= {target} if target else {a.name for a in node.names}
            elif isinstance(node, ast.Import) and any(a.name == "book" for a in node.names):
                edges[m].add("__init__")
    return {m: {e for e in es if e in mods and e != m} for m, es in edges.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None."""
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n, path + [n])):
                return found
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m, [m])):
            return found
    return None


def test_book_has_no_import_cycle():
    edges = book_imports()
    assert {"record", "device", "names"} <= edges["metrics"] | edges["record"]
    assert cycle(edges) is None, f"an import cycle in book/: {' → '.join(cycle(edges))}"
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]        # the check can fail
