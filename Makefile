# Calculus for Machine Learning: the one entry point. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
# The venv's interpreter must be executable by every account that runs the course (a class on a
# server: each student's Lab). Debian's /usr/bin/python3 is; a pyenv shim under /root is not.
BASE_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
PY := $(VENV)/bin/python
JUPYTER := $(VENV)/bin/jupyter
# What a student needs (make lab) and, on top, what the tests and the book need.
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
DEV_EXTRAS ?= test,book,cluster
PORT ?= 8888
HUB_PORT ?= 8000
HUB_PROXY := deploy/node_modules/.bin/configurable-http-proxy
# axe-core, the accessibility checker the browser and book tests inject into each page (npm).
AXE := tests/node_modules/axe-core/axe.min.js
AXE_VERSION ?= 4.14
# Every recipe, and every program it starts, runs in the course's environment without anyone
# activating it: nbgrader starts `alembic` by name, Lab's terminals start `python`.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))
ASSIGNMENTS := $(notdir $(wildcard source/ps*))

.DEFAULT_GOAL := help
.PHONY: help install install-dev lab hub hub-deps a11y-deps test test-fast system-deps release validate lint format clean-notebooks book bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "Installing the course into $(VENV) (about 2 minutes the first time) ..."
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "Installing the test, lint and book tools into $(VENV) ..."
	$(PY) -m pip install --quiet -e '.[$(DEV_EXTRAS)]'
	touch $(DEV_STAMP)

install: $(STAMP) ## create .venv with the course and what it needs to run (no test tools)

install-dev: $(DEV_STAMP) ## install as well what the tests, the linter and the book need

lab: install ## open the course in JupyterLab (prints the URL when there is no display)
	$(PY) -m calcml.lab --port=$(PORT) \
		$(if $(DISPLAY),,--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

system-deps: ## Debian packages the tests use: chromium (browser suite), bubblewrap (sandbox), npm (MathJax for the book), postgresql (cluster tests)
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "Please install the Debian packages:$$missing (sudo apt-get install$$missing)"; exit 1; fi

$(HUB_PROXY):
	command -v npm >/dev/null || { echo "make hub needs npm (Debian: apt-get install npm)"; exit 1; }
	npm install --prefix deploy --no-save --no-audit --no-fund --silent configurable-http-proxy@5

hub-deps: install $(HUB_PROXY) ## JupyterHub and its proxy (npm, into deploy/node_modules)
	$(PY) -c "import jupyterhub" 2>/dev/null || $(PY) -m pip install --quiet -e '.[hub]'

hub: hub-deps ## run a class server: JupyterHub on 127.0.0.1:$(HUB_PORT) with the roster HUB_USERS (see README)
	$(PY) -m calcml.hub --port $(HUB_PORT)

$(AXE):
	command -v npm >/dev/null || { echo "the accessibility tests need npm (Debian: apt-get install npm)"; exit 1; }
	npm install --prefix tests --no-save --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

a11y-deps: $(AXE) ## axe-core for the accessibility tests (npm, into tests/node_modules)

# Two pytest workers share the cores while one waits on a kernel, a browser or a server; each
# test file stays on one worker (--dist loadfile), so its module fixtures (a graded cohort, a
# scratch course, the built website) are made once. The class-hub tests time a real JupyterHub
# under a browser's clock, so they run afterwards, alone. Both parts always run; either failing
# fails the target.
TEST_WORKERS ?= 2
test: install-dev system-deps hub-deps a11y-deps ## install what the tests need and run the whole suite
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not hub" || status=$$?; \
	$(PY) -m pytest -m hub || status=$$?; \
	exit $$status

test-fast: install-dev ## the suite without the browser, book, nbgrader-pipeline and class-hub tests
	$(PY) -m pytest -m "not browser and not book and not nbgrader and not hub"

release: install ## regenerate release/ from source/ (nbgrader generate_assignment; release/ kept on failure)
	$(PY) -m autograder release $(ASSIGNMENTS)

validate: install ## solutions in source/ pass their tests, the stubs in release/ fail them
	$(PY) -m autograder validate $(foreach a,$(ASSIGNMENTS),source/$(a)/$(a).ipynb)
	$(PY) -m autograder validate --invert $(foreach a,$(ASSIGNMENTS),release/$(a)/$(a).ipynb)

lint: install-dev ## ruff on the code and the notebooks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev ## ruff format
	$(VENV)/bin/ruff format .

clean-notebooks: install-dev ## strip outputs and volatile metadata from course/ and source/ notebooks
	$(VENV)/bin/nbstripout --keep-id course/*.ipynb source/*/*.ipynb

book: install-dev ## build the course as an offline static website in _build/html
	$(PY) -m calcml.book

bench: install-dev ## run the benchmarks and print their numbers
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean: ## remove build output and grading run-time data (never submitted/)
	rm -rf _build build test-artifacts autograded feedback reports .pytest_cache
