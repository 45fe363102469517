"""The rendered book as a reader sees it: every chapter opened in headless Chromium.

Run after `make book` with `make test-html` (pytest -m browser). Saves a full-page
screenshot of each page under _build/screenshots/.
"""
from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def toc_pages() -> list[str]:
    """Every page of _toc.yml, in order, as its path without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            pages.append(e["file"])
            walk(e.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return pages


PROBLEMS_JS = """() => {
  const out = [];
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) out.push('broken image: ' + (img.getAttribute('src') || '').slice(0, 80));
  }
  for (const el of document.querySelectorAll('.output.traceback, .output.error, .output.stderr, .cell_output .stderr')) {
    out.push('error output: ' + el.innerText.slice(0, 120));
  }
  const text = document.body.innerText;
  const i = text.indexOf('Traceback (most recent call last)');
  if (i >= 0) out.push('visible traceback: ' + text.slice(i, i + 120));
  for (const el of document.querySelectorAll('.pasted-text, .pasted-inline')) {
    if (/^\\s*$/.test(el.innerText)) out.push('empty glued value');
  }
  return out;
}"""


def page_problems(page) -> list[str]:
    """What a reader would see broken on the loaded page."""
    page.wait_for_load_state("load")
    return page.evaluate(PROBLEMS_JS)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML / 'index.html'} does not exist: run `make book` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run `make setup` (tools/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_checker_sees_broken_pages(page, tmp_path, server):
    """The checks can fail: a page with a broken image and a traceback is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="missing.png"><div class="output traceback">'
                   "Traceback (most recent call last):\nValueError: boom</div></body></html>")
    page.goto(bad.as_uri())
    problems = page_problems(page)
    assert any(p.startswith("broken image") for p in problems)
    assert any(p.startswith("error output") for p in problems)
    assert any(p.startswith("visible traceback") for p in problems)


@pytest.mark.parametrize("name", toc_pages())
def test_page_renders(name, page, server):
    resp = page.goto(f"{server}/{name}.html")
    assert resp is not None and resp.ok, f"{name}.html did not load ({resp and resp.status})"
    problems = page_problems(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(name).name}.png"), full_page=True)
    assert not problems, f"{name}: " + "; ".join(problems)
    assert page.locator("h1").count() >= 1, f"{name}: no title"


def test_navigation_lists_every_chapter(page, server):
    page.goto(f"{server}/index.html")
    hrefs = page.eval_on_selector_all("nav.bd-docs-nav a, .bd-sidebar-primary nav a",
                                      "els => els.map(e => e.getAttribute('href'))")
    linked = {h.split("#")[0].removeprefix("./").removesuffix(".html") for h in hrefs if h}
    missing = [p for p in toc_pages()[1:] if p not in linked]
    assert not missing, f"chapters missing from the navigation: {missing}"
