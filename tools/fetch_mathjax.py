"""Put MathJax 3 into the environment, so the book's formulas render without a network.

    .venv/bin/python tools/fetch_mathjax.py      # run by tools/setup.sh; idempotent

Fetches the npm package ``mathjax@3.2.2`` (with ``npm pack`` when npm is installed, otherwise
straight from the npm registry's tarball URL), checks the tarball's sha256, and extracts the
parts that ``tex-chtml.js`` loads (the TeX input extensions, the CommonHTML output and its
fonts, the menu and accessibility modules; about 3 MB) into ``<sys.prefix>/share/mathjax``.
The Sphinx extension ``_ext/book_pages.py`` serves that copy as ``_static/mathjax`` and points
``mathjax_path`` at it; without it the pages fall back to MathJax's CDN.
"""
from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "3.2.2"
SHA256 = "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
URL = f"https://registry.npmjs.org/mathjax/-/mathjax-{VERSION}.tgz"
ENTRY = "tex-chtml.js"
# what tex-chtml.js loads lazily, relative to es5/ (sre, the speech engine, is left out: 4 MB)
KEEP = (ENTRY, "input/tex/", "output/chtml/", "ui/", "a11y/", "adaptors/")


def target() -> Path:
    """Where the environment keeps MathJax: ``<sys.prefix>/share/mathjax``."""
    return Path(sys.prefix) / "share" / "mathjax"


def tarball() -> bytes:
    """The package tarball, from ``npm pack`` or the registry URL, sha256-checked."""
    data = None
    if shutil.which("npm"):
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(["npm", "pack", f"mathjax@{VERSION}", "--silent"], cwd=tmp,
                                  capture_output=True, text=True)
            files = list(Path(tmp).glob("mathjax-*.tgz"))
            if proc.returncode == 0 and files:
                data = files[0].read_bytes()
    if data is None:
        with urllib.request.urlopen(URL, timeout=120) as r:
            data = r.read()
    got = hashlib.sha256(data).hexdigest()
    if got != SHA256:
        raise SystemExit(f"fetch_mathjax: {URL} has sha256 {got}, expected {SHA256}")
    return data


def install(data: bytes, dest: Path) -> int:
    """Extract the kept parts of ``package/es5/`` into ``dest``; return the number of files."""
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    n = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            rel = member.name.removeprefix("package/es5/")
            if member.isfile() and rel != member.name and rel.startswith(KEEP):
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(member).read())
                n += 1
    (tmp / "VERSION").write_text(VERSION + "\n", encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return n


def main() -> int:
    dest = target()
    version = dest / "VERSION"
    if (dest / ENTRY).is_file() and version.is_file() and version.read_text().strip() == VERSION:
        return 0
    n = install(tarball(), dest)
    print(f"setup: MathJax {VERSION} ({n} files) in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
