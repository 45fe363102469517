"""Sphinx extension: the files of the 试一试 page (chapters/07_tryit.md), registered in _config.yml.

When that page is written, ``_static/tryit/`` in the HTML output is filled with exactly what the
page's script (``_ext/tryit.mjs``, and ``_ext/tryit_jieba.mjs``: jieba in a worker) loads, and nothing else:

- from ``node_modules/`` (``npm ci --ignore-scripts`` in tools/setup.sh, versions pinned by
  package-lock.json): onnxruntime-web's single-threaded wasm build (``ort.wasm.bundle.min.mjs`` and
  the ``.wasm`` it finds next to itself), jieba-wasm's ``web`` build and @huggingface/tokenizers;
- from this run's artifacts (``$BOOK_ARTIFACTS`` or ``artifacts/``): ``tfidf.json`` (only while it
  was written from this very tfidf.joblib, as book.predict checks), the LSTM's ONNX graph, vocabulary
  and config, and the transformer's *int8* graph (book.export.quantize_bert) with its tokenizer.

``manifest.json`` beside them lists each model's files and display name (book.display) and says
which models are missing; the total size of everything copied replaces the text of the page's
``<span id="tryit-size">``. The page is re-written on every build (so the copy is always this run's).
A missing library or model is no error: the page says so in one sentence.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from book.names import CJK_RANGES

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
PAGE = "chapters/07_tryit"
DEST = "tryit"                 # under _static/
SCRIPT = Path(__file__).with_name("tryit.mjs")
SIZE_SPAN = '<span id="tryit-size">'
LIBS = {  # name under _static/tryit/ → path under node_modules/
    "ort.wasm.bundle.min.mjs": "onnxruntime-web/dist/ort.wasm.bundle.min.mjs",
    "ort-wasm-simd-threaded.wasm": "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm",
    "jieba_rs_wasm.js": "jieba-wasm/pkg/web/jieba_rs_wasm.js",
    "jieba_rs_wasm_bg.wasm": "jieba-wasm/pkg/web/jieba_rs_wasm_bg.wasm",
    "tokenizers.min.mjs": "@huggingface/tokenizers/dist/tokenizers.min.mjs",
}
MODEL_FILES = {  # model key (as book.predict.MODELS) → its files, relative to the artifacts folder
    "tfidf": ["tfidf.json"],
    "lstm": ["lstm/model.onnx", "lstm/vocab.json", "lstm/config.json"],
    "bert": ["bert/model.int8.onnx", "bert/tokenizer.json", "bert/tokenizer_config.json", "bert/onnx.json",
             "bert/book_bert.json"],
}


def artifacts() -> Path:
    return Path(os.environ.get("BOOK_ARTIFACTS") or ROOT / "artifacts")


def _tfidf_current(root: Path) -> bool:
    """tfidf.json was written from the tfidf.joblib beside it (else the predictor ignores it too)."""
    try:
        spec = json.loads((root / "tfidf.json").read_text(encoding="utf-8"))
        return spec.get("joblib_sha256") == hashlib.sha256((root / "tfidf.joblib").read_bytes()).hexdigest()
    except (OSError, ValueError, AttributeError):
        return False


def model_names() -> dict[str, str]:
    """key → the Chinese display name of the model the predictor uses (from the run record)."""
    from book import display
    from book.record import Record, RecordError, metrics_path

    names = {"tfidf": display.FAMILY_NAMES["baseline"], "lstm": "LSTM", "bert": display.FAMILY_NAMES["bert"]}
    if not metrics_path().is_file():
        return names
    rec = Record.load()
    for key in names:
        try:
            names[key] = (rec.encoder() if key == "bert" else display.model_name(rec.saved_model(key)))
        except RecordError:  # a model this build did not train: the page says it is missing
            pass
    return names


def plan(root: Path | None = None, node_modules: Path | None = None) -> tuple[dict[str, Path], dict, list[str]]:
    """(name under _static/tryit → source file, the manifest, what is missing as sentences)."""
    root = root or artifacts()
    node_modules = node_modules or ROOT / "node_modules"
    files, missing = {"tryit.mjs": SCRIPT, "tryit_jieba.mjs": SCRIPT.with_name("tryit_jieba.mjs")}, []
    for name, rel in LIBS.items():
        if (node_modules / rel).is_file():
            files[name] = node_modules / rel
        else:
            missing.append(f"node_modules/{rel}")
    names = model_names()
    manifest = {"models": {}, "missing_models": {}, "cjk_ranges": CJK_RANGES}   # the page's one copy of it
    for key, rels in MODEL_FILES.items():
        absent = [r for r in rels if not (root / r).is_file()]
        if key == "tfidf" and not absent and not _tfidf_current(root):
            absent = ["tfidf.json (not written from this tfidf.joblib)"]
        if absent:
            manifest["missing_models"][key] = {"name": names[key], "files": absent}
            continue
        manifest["models"][key] = {"name": names[key], "files": rels}
        files.update({r: root / r for r in rels})
    return files, manifest, missing


def copy_files(outdir: Path) -> int:
    """Fill ``outdir/_static/tryit`` (emptied first); returns the bytes the page downloads (every
    file copied; the small manifest.json aside)."""
    dest = outdir / "_static" / DEST
    shutil.rmtree(dest, ignore_errors=True)
    files, manifest, missing = plan()
    for name, src in files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / name)
    manifest["libraries_missing"] = missing
    manifest["files"] = {n: (dest / n).stat().st_size for n in files}
    manifest["total_bytes"] = total = sum(manifest["files"].values())
    (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for m in missing:
        logger.info(f"tryit: {m} is missing (run `npm ci --ignore-scripts`); the page says so")
    for key, m in manifest["missing_models"].items():
        logger.info(f"tryit: no {key} model for the page ({', '.join(m['files'])})")
    return total


def size_text(total: int) -> str:
    return f"{total / 1e6:.1f} MB"


def fill_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.format != "html" or pagename != PAGE or "body" not in context:
        return
    total = copy_files(Path(app.outdir))
    body = context["body"]
    i = body.find(SIZE_SPAN)
    if i >= 0:
        j = body.index("</span>", i)
        context["body"] = body[:i + len(SIZE_SPAN)] + size_text(total) + body[j:]


def always_write(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Re-read (from the execution cache) and re-write the page on every build."""
    return [PAGE] if PAGE in env.found_docs and PAGE not in added | changed else []


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", always_write)
    app.connect("html-page-context", fill_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
