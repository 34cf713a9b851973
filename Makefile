# Casework: developer entry points. `make help` lists them.
#
# Everything runs from .venv, made with the machine's python3 and filled by uv from uv.lock
# (pinned below). PostgreSQL and Redis are found or started by scripts/dev.py: DATABASE_URL /
# REDIS_URL when set, else local servers on the default ports, else embedded ones in .data/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DEV := $(PY) scripts/dev.py
# A stamp per uv version, and one for the last sync (redone when the lock or project change).
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
SYNC_STAMP := $(VENV)/.synced

# uv syncs into .venv with .venv's own interpreter and never downloads a Python.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(CURDIR)/$(PY)
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

# Extra arguments for pytest: make test PYTEST_ARGS="-k triage -x"
PYTEST_ARGS ?=

.PHONY: help venv setup demo test lint fmt env stop clean distclean

help:
	@echo "make venv       create .venv and install the locked dependencies (uv $(UV_VERSION))"
	@echo "make demo       migrate, seed demo data, run web + Celery worker + beat (Ctrl-C stops)"
	@echo "make test       ruff check, ruff format --check, mypy, pytest (PYTEST_ARGS=...)"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make env        print export lines for DATABASE_URL and REDIS_URL"
	@echo "make stop       stop the embedded PostgreSQL/Redis left running by 'make env'"
	@echo "make clean      remove caches and collected static files"
	@echo "make distclean  clean, stop the embedded services, remove .venv and .data"
	@echo "Embedded services even when local ones answer: CASEWORK_EMBEDDED=1 make demo"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(UV_STAMP): | $(PY)
	@# A venv made by uv has no pip; ensurepip gives it one.
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	$(PY) -m pip install --disable-pip-version-check --quiet "uv==$(UV_VERSION)"
	rm -f $(VENV)/.uv-*
	touch $@

# --inexact keeps uv (and pip) in the venv although the lock does not list them.
$(SYNC_STAMP): $(UV_STAMP) uv.lock pyproject.toml
	$(UV) sync --frozen --extra embedded --inexact
	touch $@

venv setup: $(SYNC_STAMP)

demo: $(SYNC_STAMP)
	$(DEV) demo

test: $(SYNC_STAMP)
	$(DEV) test $(PYTEST_ARGS)

lint: $(SYNC_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(SYNC_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

env: $(SYNC_STAMP)
	@$(DEV) env

stop: $(SYNC_STAMP)
	$(DEV) stop

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache staticfiles test-results
	find . -path ./$(VENV) -prune -o -path ./.data -prune -o -name __pycache__ -type d -print0 \
		| xargs -0 rm -rf

distclean: clean
	-[ -x $(PY) ] && $(DEV) stop
	rm -rf $(VENV) .data
