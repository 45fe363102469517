# The README's two commands:  `make book`  and  `make test`.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
SHARED := $(abspath ../shared)

# Offline conveniences: where ../shared (this workplace's read-only mirror) exists and the
# variable is not already set, use it. Elsewhere the defaults are the public URL and the
# Hugging Face id bert-base-chinese.
DIANPING_DATA_MIRROR ?= $(if $(wildcard $(SHARED)/data/dianping.csv),$(SHARED)/data)
BOOK_BERT_MODEL ?= $(if $(wildcard $(SHARED)/models/multilingual-e5-small-zh/config.json),$(SHARED)/models/multilingual-e5-small-zh)
export DIANPING_DATA_MIRROR BOOK_BERT_MODEL

STAMP := $(VENV)/.book-setup

.PHONY: setup book test lint test-html lab serve clean help
help:
	@echo "make book       set up (first time) and build the book into _build/html (FRESH=1: rebuild from scratch)"
	@echo "make test       set up (first time), lint (ruff) and run the tests"
	@echo "make test-html  check the built HTML in headless Chromium"
	@echo "make serve      serve _build/html on http://127.0.0.1:8000/ (the 试一试 page needs http; PORT=8080 for another port)"
	@echo "make lab        open the chapters as notebooks in JupyterLab (same variables as make book)"

setup: $(STAMP)
$(STAMP): requirements.lock pyproject.toml tools/setup.sh package-lock.json
	bash tools/setup.sh
	touch $@

# tools/book_key.py: when book/*.py, requirements.lock, _config.yml, BOOK_BERT_MODEL,
# DIANPING_DATA_MIRROR, BOOK_DEVICE, BOOK_PRECISION or BOOK_ARTIFACTS changed since the last
# build, the execution cache, _build/html and artifacts/ are deleted first, so every chapter
# executes (and each page's executed notebook, offered for download, comes from this build).
# Otherwise it re-executes each chapter whose code changed, whose cached page and record come
# from different runs (e.g. after a run in Jupyter), or that reads a chapter that re-executes
# (book.record.READS). BOOK_RUN_ID names this build in each chapter's record entry.
book: $(STAMP)
	@if [ "$(FRESH)" = 1 ]; then rm -rf _build artifacts; fi
	@$(PY) tools/book_key.py refresh
	@start=$$(date +%s); export BOOK_RUN_ID=build-$$(date -u +%Y%m%dT%H%M%SZ); \
	BOOK_QUIET=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going; rc=$$?; \
	if [ $$rc = 0 ]; then \
	  $(PY) -c "import os, sys, time; from book.record import write; write('seconds', round(time.time() - int(sys.argv[1])), 'build'); write('run_id', os.environ['BOOK_RUN_ID'], 'build')" $$start; \
	  echo "book: open _build/html/index.html"; \
	fi; exit $$rc

test: lint
	$(PY) -m pytest -q -m "not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check book tests bench tools _ext

test-html: $(STAMP)
	$(PY) -m pytest -q -m browser

# JupyterLab on the chapters: double-clicking a chapter opens it as a notebook (jupytext).
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root)

# the built book over http on 127.0.0.1 (ES modules and .wasm need http and the right MIME types)
serve:
	$(PY) tools/serve.py --port $(or $(PORT),8000)

clean:
	rm -rf _build artifacts
