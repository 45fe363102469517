"""The 试一试 page (chapters/07_tryit.md) in headless Chromium: the book's models answer in the browser.

Run after `make book` with `make test-html` (pytest -m browser). The page is served over http on
127.0.0.1 by tools/serve.py (the server `make serve` runs) and every request elsewhere is blocked
and fails the test. Checked, with the numbers printed:

- a review typed and submitted gets every model's P(正面); the time to the first answer after the
  page's load (target FIRST_ANSWER_S) and for a 50-character review (target ANSWER_S), printed;
- the page's own JavaScript pipeline on the 200 test reviews against book.predict in Python:
  jieba's words (jieba-wasm against jieba), then TF-IDF and the LSTM within 1e-4 wherever the words
  agree (the reviews where they do not: at most 1 %), the transformer's token ids, and the int8
  transformer's labels against the fp32 one (>= 99 %, mean |ΔP| printed);
- each bad input with its message (empty, whitespace, no Chinese word, longer than the transformer
  reads), a page built without model files, and the page opened from a file.

BOOK_HTML (default _build/html) and BOOK_ARTIFACTS (default artifacts/) name the build to check.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_html import browser, new_page  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html")
PAGE = "chapters/07_tryit.html"
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "_ext")]
import tryit  # noqa: E402  (_ext/tryit.py: the files the page loads)
from serve import serve  # noqa: E402

# Speed targets, printed with what was measured (a performance claim is a measurement, not a timed
# test: a busy CI machine must not fail the build); only a hang fails, past HANG_S.
FIRST_ANSWER_S = 3.0       # target: after the page's load event
ANSWER_S = 0.5             # target: a 50-character review, all models
HANG_S = 60.0
ATOL = 1e-4                # TF-IDF and LSTM, browser against Python
MAX_WORD_MISMATCH = 0.01   # reviews where jieba-wasm and jieba cut differently
MIN_INT8_AGREEMENT = 0.99  # int8 transformer labels against fp32
SAME_INT8_GRAPH = 0.5      # page's int8 against Python's, as a share of Python's int8 against fp32 (see below)
REVIEW_50 = "这家店的环境真的很不错，服务员态度也很热情，菜上得很快，味道偏咸了一点，价格还算公道，下次还会再来。"
ANSWER_JS = """async (text) => {
  const results = document.getElementById('tryit-results');
  results.innerHTML = '';
  document.getElementById('tryit-text').value = text;
  const t0 = performance.now();
  document.getElementById('tryit-go').click();
  while (!results.querySelector('.tryit-time')) await new Promise(r => setTimeout(r, 2));
  const ms = performance.now() - t0;
  const rows = {};
  for (const r of results.querySelectorAll('.tryit-row'))
    rows[r.dataset.model] = {prob: r.dataset.prob === undefined ? null : +r.dataset.prob, text: r.innerText};
  return {ms, rows};
}"""


@pytest.fixture(scope="module")
def server():
    if not (HTML / PAGE).is_file():
        pytest.fail(f"{HTML / PAGE} does not exist: run `make book` first")
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="module")
def models():
    from book import predict as P

    if not P.available_models():
        pytest.fail(f"no trained models in {P.artifacts_dir()}: run `make book` first")
    return P


def watch_errors(pg) -> None:
    """``pg.errors``: the uncaught errors of the page's own scripts (not the theme's)."""
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)) if "tryit" in (e.stack or "") else None)


def open_page(browser, url):  # noqa: F811
    pg = new_page(browser)
    watch_errors(pg)
    pg.goto(url)
    pg.wait_for_load_state("load")
    return pg


def answer(pg, text: str) -> dict:
    return pg.evaluate(ANSWER_JS, text)


@pytest.fixture(scope="module")
def page(browser, server):  # noqa: F811
    """The page, loaded once; the first answer timed from the load event."""
    pg = new_page(browser)
    watch_errors(pg)
    pg.goto(f"{server}/{PAGE}")
    pg.wait_for_load_state("load")
    t0 = time.perf_counter()
    pg.first = answer(pg, "这家的环境不差，但是菜不怎么好吃。")
    pg.first_s = time.perf_counter() - t0
    yield pg
    assert not pg.blocked_requests, f"requests left 127.0.0.1: {pg.blocked_requests[:5]}"
    pg.context.close()


def test_a_typed_review_gets_every_model(page, models):
    keys = models.available_models()
    first = {k: r for k, r in page.first["rows"].items() if r["prob"] is not None}   # a missing model: a row that says so
    assert sorted(first) == sorted(keys), page.first["rows"]
    assert all(0.0 <= r["prob"] <= 1.0 for r in first.values()), first
    status = page.inner_text("#tryit-status")
    assert "已载入" in status, status
    got = answer(page, REVIEW_50)
    ms = min(got["ms"], answer(page, REVIEW_50)["ms"])   # the second: the same review, warm
    print(f"\ntry-it page: first answer {page.first_s:.2f} s after the load event (ms since navigation: "
          f"{page.evaluate('() => window.tryit.timings')}); a {len(REVIEW_50)}-character "
          f"review answered by {len(keys)} models in {got['ms']:.0f} ms (best of two {ms:.0f} ms)")
    want = {r["model"]: r["prob"] for r in models.predict_rows([REVIEW_50], loaded=models.load_models(precision="int8"))}
    for key in keys:
        r = got["rows"][key]
        assert abs(r["prob"] - want[key]) < (ATOL if key != "bert" else 0.02), (key, r["prob"], want[key])
        assert ("正面" if r["prob"] >= 0.5 else "负面") in r["text"]
    saw = {"tfidf": "推向正面的特征", "lstm": "jieba 分出的词", "bert": "分词器切出的片段"}
    assert all(saw[k] in got["rows"][k]["text"] for k in keys), got["rows"]
    print(f"targets: first answer <= {FIRST_ANSWER_S} s: {'met' if page.first_s <= FIRST_ANSWER_S else 'NOT met'}; "
          f"50 characters <= {ANSWER_S} s: {'met' if ms / 1000 <= ANSWER_S else 'NOT met'}")
    assert page.first_s <= HANG_S and got["ms"] / 1000 <= HANG_S, (page.first_s, got["ms"])
    assert not page.errors, page.errors


def test_page_pipeline_matches_python_on_the_test_reviews(page, models):
    from book import data, text

    texts = data.load_splits().test["comment"].tolist()
    t0 = time.perf_counter()
    js = page.evaluate("async (texts) => await window.tryit.batch(texts)", texts)
    browser_s = time.perf_counter() - t0
    fp32 = models.load_models(precision="fp32")
    py = {k: m.predict_proba(texts) for k, m in fp32.items()}
    same_words = np.array([r["words"] == text.tokenize(t) for r, t in zip(js, texts)])
    mismatch = int((~same_words).sum())
    lines = [f"\n{len(texts)} test reviews in the page's pipeline ({browser_s:.1f} s): jieba-wasm and jieba cut "
             f"{mismatch} of them differently"]
    for key in ("tfidf", "lstm"):
        if key in py:
            diff = np.abs(np.array([r[key] for r in js]) - py[key])[same_words]
            lines.append(f"  {key}: largest |ΔP| against Python {diff.max():.2g} on the {same_words.sum()} reviews cut alike")
            assert diff.max() < ATOL, f"{key}: the page differs from book.predict by up to {diff.max():.2g}"
    if "bert" in py:
        ids = fp32["bert"].encode(texts)
        same_ids = sum(r["bert_ids"] == i for r, i in zip(js, ids))
        p8 = np.array([r["bert"] for r in js])
        agree = float(np.mean((p8 >= 0.5) == (py["bert"] >= 0.5)))
        d = np.abs(p8 - py["bert"])
        lines.append(f"  transformer: token ids identical on {same_ids}/{len(texts)} ({sum(r['bert_truncated'] for r in js)} "
                     f"truncated); int8 in the page against fp32 in Python: labels agree on {agree:.1%}, mean |ΔP| "
                     f"{d.mean():.4f}, largest {d.max():.3f}")
        # the page must run Python's int8 graph on the same ids. The two runtimes' int8 kernels round
        # differently (WebAssembly against x86 onnxruntime), and one activation rounded the other way
        # moves every later one, so P is not equal to 1e-4 as for the LSTM (stop 21's CI: up to 0.096
        # on one review). Run on the same graph, the page's P lies far closer to Python's int8 than
        # int8 lies to fp32: on a trained model the mean gap was 0.17 of the int8-to-fp32 gap, against
        # 0.83 for a page that ran the graph quantized another way (uint8 weights) and 1.0 for fp32.
        # How far int8 lands from fp32 depends on the trained model: reported against its target (it
        # decides the CLI's default in book.predict), not asserted here.
        p8_py = models.load_models(precision="int8")["bert"].predict_proba(texts)
        gap, int8_gap = np.abs(p8 - p8_py), np.abs(p8_py - py["bert"])
        lines.append(f"  int8 against fp32: target >= {MIN_INT8_AGREEMENT:.0%} of labels: "
                     f"{'met' if agree >= MIN_INT8_AGREEMENT else 'NOT met'}; the page's int8 against Python's int8: "
                     f"mean |ΔP| {gap.mean():.4f} ({gap.mean() / int8_gap.mean():.2f} of Python's int8 against fp32), "
                     f"largest {gap.max():.2g}, labels agree on {np.mean((p8 >= 0.5) == (p8_py >= 0.5)):.1%}")
        assert same_ids == len(texts)
        assert gap.mean() < SAME_INT8_GRAPH * int8_gap.mean(), "the page's int8 transformer is not book.predict's graph"
    print("\n".join(lines))
    assert mismatch <= MAX_WORD_MISMATCH * len(texts), f"{mismatch} reviews cut differently by jieba-wasm"


def test_bad_input_each_has_its_message(page, models):
    for blank in ("", "   \n\t "):
        page.fill("#tryit-text", blank)
        page.click("#tryit-go")
        msg = page.inner_text("#tryit-message")
        assert "请先输入一条评论" in msg and "没有运行任何模型" in msg, msg
        assert page.locator("#tryit-results .tryit-row").count() == 0
    rows = answer(page, "Good food!! 👍 10/10")["rows"]
    assert "没有读到一个认识的词" in rows["lstm"]["text"], rows["lstm"]["text"]
    assert page.inner_text("#tryit-message") == ""
    if "bert" in models.available_models():
        long = "环境不错，菜很好吃，服务也很周到，下次还会再来。" * 40
        bert = models.load_models(["bert"], precision="fp32")["bert"]
        assert bert.truncated([long]) == [True]
        for review in (long, REVIEW_50):   # the page says "截断" exactly where the Python side cuts
            assert ("截断" in answer(page, review)["rows"]["bert"]["text"]) == bert.truncated([review])[0]


def built_without(tmp_path, keep: list[str]) -> Path:
    """A copy of the built page whose _static/tryit/ the extension filled from an artifacts folder
    holding only ``keep`` (the rest of _static linked, not copied)."""
    from book import predict as P

    site, art = tmp_path / "site", tmp_path / "artifacts"
    (site / "chapters").mkdir(parents=True)
    art.mkdir()
    shutil.copy(HTML / PAGE, site / PAGE)
    (site / "_static").mkdir()
    for entry in (HTML / "_static").iterdir():
        if entry.name != tryit.DEST:
            (site / "_static" / entry.name).symlink_to(entry)
    for name in keep:
        (art / name).symlink_to(P.artifacts_dir() / name)
    old = os.environ.get("BOOK_ARTIFACTS")
    os.environ["BOOK_ARTIFACTS"] = str(art)
    try:
        tryit.copy_files(site)
    finally:
        os.environ.pop("BOOK_ARTIFACTS") if old is None else os.environ.__setitem__("BOOK_ARTIFACTS", old)
    return site


def test_a_page_built_without_models_says_so(browser, tmp_path, models):  # noqa: F811
    with serve(built_without(tmp_path / "none", [])) as url:
        pg = open_page(browser, f"{url}/{PAGE}")
        pg.wait_for_selector("#tryit-status[data-state]")
        status = pg.inner_text("#tryit-status")
        assert "没有任何模型文件" in status and "make book" in status, status
        assert pg.locator("h2").count() >= 3 and pg.locator("#tryit-go").is_disabled()
        assert not pg.blocked_requests and not pg.errors, (pg.blocked_requests, pg.errors)
        pg.context.close()
    keep = [f for f in ("tfidf.json", "tfidf.joblib", "lstm") if (models.artifacts_dir() / f).exists()]
    with serve(built_without(tmp_path / "some", keep)) as url:
        pg = open_page(browser, f"{url}/{PAGE}")
        rows = pg.evaluate(ANSWER_JS, "好吃")["rows"]
        assert "本次构建没有这个模型的文件" in rows["bert"]["text"] and rows["bert"]["prob"] is None
        assert rows["lstm"]["prob"] is not None
        pg.context.close()


def test_opened_from_a_file_says_to_run_make_serve(browser):  # noqa: F811
    pg = open_page(browser, (HTML / PAGE).resolve().as_uri())
    status = pg.inner_text("#tryit-status")
    assert "make serve" in status and "本地文件" in status, status
    pg.context.close()


def test_the_download_size_is_stated(page):
    stated = page.inner_text("#tryit-size")
    total = sum(f.stat().st_size for f in (HTML / "_static" / tryit.DEST).rglob("*") if f.name != "manifest.json")
    print(f"\ntry-it page downloads {stated} (libraries and models; {total} bytes)")
    assert stated == tryit.size_text(total)


def test_server_mime_types(server):
    import urllib.request

    for path, want in (("_static/tryit/tryit.mjs", "text/javascript"), ("_static/tryit/ort-wasm-simd-threaded.wasm", "application/wasm")):
        with urllib.request.urlopen(f"{server}/{path}") as r:
            assert r.headers["Content-Type"].split(";")[0] == want, (path, r.headers["Content-Type"])
