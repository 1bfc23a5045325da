# Two commands on a fresh machine: `make run` and `make test`.
PYTHON_BIN ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The npm dev tools (the ASL validator, axe-core), pinned in package-lock.json.
NODE_INSTALLED := node_modules/.installed
# The browser tests drive the system's Chromium (Debian's package): Playwright's own download of
# a browser is not used. CHROMIUM names another binary.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)

# `make package STAGE=prod`; TABLE_INDEXES=N deploys the table's first N indexes only (an upgrade
# adds one index a stack update: README, upgrade notes).
STAGE ?= dev
BUILD := build
# chalice package refuses to run without a region, although the template it writes does not
# depend on it (every ARN and endpoint in it is an intrinsic function): any region will do.
PACKAGE_REGION ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),us-east-1)

.PHONY: openapi fuzz run test unit lint format bench mutation package policies gorgias-setup browser clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_INSTALLED)

browser:  ## Headless Chromium for the browser tests: Debian's chromium package, installed when missing
	@if [ -n "$(CHROMIUM)" ]; then echo "Chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests (about 100 MB)..."; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			chromium fonts-dejavu-core; \
	else echo "The browser tests need Chromium: install Debian's chromium package (sudo apt-get install chromium) or set CHROMIUM=/path/to/chrome" >&2; exit 1; fi

run: $(INSTALLED)  ## Local stack: moto, resources, demo data, queue and email pumps, API on 127.0.0.1:$${PORT:-8000}
	$(PY) -m local.stack

test: $(INSTALLED) lint browser  ## The whole suite, browser tests included, on both cores (files stay whole on one worker)
	$(PY) -m pytest -q -n 2 --dist loadfile

unit: $(INSTALLED)  ## The unit tests only: the domain and services, no AWS, no packaging, seconds
	$(PY) -m pytest -q tests/unit

openapi: $(INSTALLED)  ## Regenerate the checked-in OpenAPI document
	$(PY) -m chalicelib.api.openapi openapi.json

fuzz: $(INSTALLED)  ## A longer schemathesis run: FUZZ_EXAMPLES generated requests per operation
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest -q tests/contract/test_fuzz.py

lint: $(INSTALLED) $(NODE_INSTALLED) package  ## ruff, the ASL validator, cfn-lint (via package)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	node_modules/.bin/asl-validator $(addprefix --json-path ,$(wildcard statemachines/*.asl.json))

format: $(INSTALLED)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(INSTALLED)  ## AWS calls per operation and import time; not part of the tests
	$(PY) -m bench

mutation: $(INSTALLED)  ## mutmut on the domain's rules (pyproject.toml); fails when a module is under 90% killed
	@# mutmut keeps its copy of the files it does not mutate: start from today's code.
	rm -rf mutants
	@# pytest starts once a mutant: without the plugins no unit test uses, five times faster.
	PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/mutmut run
	$(PY) tools/mutation_score.py --threshold 90

package: $(INSTALLED)  ## CloudFormation template of STAGE in build/package/sam.json, linted; zip under 8 MB
	$(PY) -m deploy --stage $(STAGE) --out $(BUILD) $(if $(TABLE_INDEXES),--table-indexes $(TABLE_INDEXES))
	rm -rf $(BUILD)/package
	@# Chalice zips chalicelib/ whole: leave this machine's bytecode out.
	find chalicelib -name __pycache__ -type d -prune -exec rm -rf {} +
	AWS_DEFAULT_REGION=$(PACKAGE_REGION) $(VENV)/bin/chalice package --stage $(STAGE) \
		--merge-template $(BUILD)/merge-template.json $(BUILD)/package
	$(VENV)/bin/cfn-lint $(BUILD)/package/sam.json
	$(PY) -m deploy.package_size $(BUILD)/package/deployment.zip
	@# Chalice caches one zip per version of requirements.txt + app code: keep the current.
	@for zip in .chalice/deployments/*.zip; do \
		cmp -s "$$zip" $(BUILD)/package/deployment.zip || rm -f "$$zip"; done

policies: $(INSTALLED)  ## Rewrite .chalice/policy-<stage>-<group>.json and the functions' entries in config.json
	$(PY) -m deploy.policies

gorgias-setup: $(INSTALLED)  ## Create or update the Gorgias integrations and sidebar widget (GORGIAS_*, PUBLIC_API_URL; DRY_RUN=1 only prints)
	$(PY) -m deploy.gorgias_setup

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(BUILD)
