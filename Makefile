# Two commands on a fresh machine: `make run` and `make test`.
PYTHON_BIN ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

run: $(INSTALLED)  ## Local stack: moto, table, demo data, API on 127.0.0.1:$${PORT:-8000}
	$(PY) -m local.stack

test: $(INSTALLED) lint  ## The whole suite
	$(PY) -m pytest -q

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(INSTALLED)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(INSTALLED)  ## AWS calls per operation and import time; not part of the tests
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
