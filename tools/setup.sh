#!/usr/bin/env bash
# Set up everything the book needs on a fresh Debian/Ubuntu-like machine:
#   1. a Chinese font for matplotlib (fonts-wqy-microhei) and Chromium for the
#      browser check, from the system's packages, when missing;
#   2. a virtual environment with torch 2.13.0 installed first (the CPU build),
#      then every other package at the exact version in requirements.lock with
#      --no-deps, so fastai's torchvision requirement pulls nothing in: PyPI's
#      torchvision breaks transformers' model imports on the CPU torch, and
#      fastai.text does not need it;
#   3. this repository's `book` package, editable;
#   4. JupyterLab set to open the chapters (MyST Markdown) as notebooks on double-click
#      (jupytext's documented `jupytext-config set-default-viewer`, written into the venv's
#      own etc/jupyter/labconfig, so nothing outside .venv changes);
#   5. MathJax 3 in .venv/share/mathjax, which the build copies into _static so the
#      formulas render offline (tools/fetch_mathjax.py; npm or the npm registry's URL).
#   6. the 试一试 page's JavaScript libraries (onnxruntime-web, jieba-wasm,
#      @huggingface/tokenizers) into node_modules/ with `npm ci --ignore-scripts`, at the
#      versions package-lock.json pins (node and npm from the system's packages if missing).
# Idempotent: re-running it only fills what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

need_pkgs=()
if ! fc-list :lang=zh family 2>/dev/null | grep -q .; then need_pkgs+=(fonts-wqy-microhei); fi
if [ "${BOOK_SKIP_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then need_pkgs+=(chromium); fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then need_pkgs+=(nodejs npm); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q "torch==2.13.0"
"${PIP[@]}" install -q --no-deps -r requirements.lock
"${PIP[@]}" install -q --no-deps -e .
if "$VENV/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torchvision') is None)"; then
  echo "setup: removing torchvision (breaks transformers on the CPU torch; not needed)"
  "${PIP[@]}" uninstall -y -q torchvision
fi
"$VENV/bin/jupytext-config" --settings-file "$VENV/etc/jupyter/labconfig/default_setting_overrides.json" \
  set-default-viewer markdown myst
"$VENV/bin/python" tools/fetch_mathjax.py
# the 试一试 page's browser libraries, exactly as package-lock.json pins them (no install scripts)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
"$VENV/bin/python" - <<'PY'
import torch, transformers, fastai, jieba, sklearn, hyperopt  # noqa: F401
from fastai.text.all import Learner  # noqa: F401
from transformers import AutoModelForSequenceClassification  # noqa: F401
from book import plots
print(f"setup: ok (torch {torch.__version__}, transformers {transformers.__version__}, "
      f"fastai {fastai.__version__}, font {plots.cjk_font()})")
PY
