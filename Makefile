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

.PHONY: setup book test test-html clean help
help:
	@echo "make book       set up (first time) and build the book into _build/html (FRESH=1: rebuild from scratch)"
	@echo "make test       set up (first time) and run the tests"
	@echo "make test-html  check the built HTML in headless Chromium"

setup: $(STAMP)
$(STAMP): requirements.lock pyproject.toml tools/setup.sh
	bash tools/setup.sh
	touch $@

book: $(STAMP)
	@if [ "$(FRESH)" = 1 ]; then rm -rf _build artifacts; fi
	@start=$$(date +%s); \
	BOOK_QUIET=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going; rc=$$?; \
	if [ $$rc = 0 ]; then \
	  $(PY) -c "import sys, time; from book.evaluate import record; record('seconds', round(time.time() - int(sys.argv[1])), 'build')" $$start; \
	  echo "book: open _build/html/index.html"; \
	fi; exit $$rc

test: $(STAMP)
	$(PY) -m pytest -q -m "not browser"

test-html: $(STAMP)
	$(PY) -m pytest -q -m browser

clean:
	rm -rf _build artifacts
