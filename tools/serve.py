"""Serve the built book (_build/html) on 127.0.0.1, with the MIME types the 试一试 page needs.

    make serve                                # http://127.0.0.1:8000/
    .venv/bin/python tools/serve.py --port 8080 --dir _build/html

ES modules load only over http (not from file://) and only when served as JavaScript, and
onnxruntime-web compiles its .wasm while downloading only when it comes as application/wasm
(with another type it downloads the 14 MB twice), so both are set here rather than left to
the system's MIME table. tests/test_tryit.py serves the book with the same handler.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".onnx": "application/octet-stream", ".css": "text/css",
         ".svg": "image/svg+xml", ".ipynb": "application/json"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, *args):  # quiet: one line per request is noise here
        pass

    def copyfile(self, source, outputfile):
        try:
            super().copyfile(source, outputfile)
        except (BrokenPipeError, ConnectionResetError):  # the browser stopped reading (a reload, a closed tab)
            pass


@contextlib.contextmanager
def serve(directory: Path | str, port: int = 0):
    """Serve ``directory`` on 127.0.0.1 (``port`` 0: any free one) in a thread; yields the base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=str(ROOT / "_build" / "html"), help="folder to serve (default: _build/html)")
    ap.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    if not (folder / "index.html").is_file():
        print(f"error: {folder / 'index.html'} does not exist: run `make book` first", file=sys.stderr)
        return 2
    try:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), functools.partial(Handler, directory=str(folder)))
    except OSError as e:
        print(f"error: cannot listen on 127.0.0.1:{args.port} ({e.strerror}): try --port", file=sys.stderr)
        return 2
    print(f"serving {folder} at http://127.0.0.1:{args.port}/ (the 试一试 page: "
          f"http://127.0.0.1:{args.port}/chapters/07_tryit.html); Ctrl-C stops", flush=True)
    with httpd:
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
