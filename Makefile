# Every target creates or reuses .venv and installs what it needs: a newcomer types
# `make demo` or `make test` on a fresh clone and nothing else. The demo installs only the
# runtime dependencies (fast); tests, lint and benchmarks add the dev extra (Spark, oracles).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: demo test lint bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(UV): | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check uv

$(RUNTIME): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(PY) -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(PY) -e '.[dev]'
	touch $(DEV) $(RUNTIME)

install: $(DEV)

demo: $(RUNTIME)
	$(VENV)/bin/storeloop demo

test: $(DEV)
	$(PY) -m pytest

lint: $(DEV)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

bench: $(DEV)
	$(PY) bench/seed_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
