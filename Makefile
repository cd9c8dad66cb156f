# tyndau: `make demo` sets everything up and runs the demo; `make test` runs the test suite.
# Everything the project needs is installed here, into .venv, from the lock file.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: demo test lint lock clean help browser redis bench bench-full bi bi-lock
help:  ## this list
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The environment is rebuilt whenever the lock file changes (and the editable install whenever
# its metadata may: the version is tyndau/__init__.py's). Compiled to bytecode once here: uv
# installs none, and where PYTHONDONTWRITEBYTECODE is set every process (each Airflow task, dbt
# run, test worker) would compile its imports again, twice the time of importing the stack.
$(VENV)/.synced: requirements.lock pyproject.toml setup.py tyndau/__init__.py Makefile | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

demo: $(VENV)/.synced  ## set up and run the demo: sandbox portal → Airflow → dbt → GX → ranking
	$(BIN)/tyndau demo

# Superset has an environment of its own (.tyndau/bi-venv, from bi/requirements.lock): `tyndau bi`
# builds it on first use and after a change of the lock file.
bi: $(VENV)/.synced  ## serve the dashboards in Apache Superset (docs/bi.md)
	$(BIN)/tyndau bi

bi-lock:  ## re-resolve bi/requirements.lock from bi/requirements.in
	$(BIN)/uv pip compile bi/requirements.in --python-version 3.11 --generate-hashes -o bi/requirements.lock

# Browser tests (the report, the Airflow UI) drive Debian's Chromium through Playwright.
CHROMIUM ?= $(shell command -v chromium || echo /usr/bin/chromium)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:  ## install Debian's chromium when it is missing (for the browser tests)
	@command -v $(CHROMIUM) >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# `tyndau airflow --executor celery` starts Debian's redis-server as its broker.
redis:  ## install Debian's redis-server when it is missing (for the Celery mode and its test)
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends redis-server; }

test: $(VENV)/.synced browser redis  ## run the whole test suite (real Postgres, dbt, GX, Airflow)
	$(BIN)/python -m pytest

# Benchmarks run on their own embedded Postgres under $(BENCH_STATE); dlt, the landing's peer,
# gets an environment of its own there, from its pinned requirements.
BENCH_STATE := .tyndau/bench
DLT_VENV    := $(BENCH_STATE)/dlt-venv
$(DLT_VENV)/.synced: benchmarks/dlt/requirements.txt | $(BIN)/uv
	$(BIN)/uv venv --quiet --allow-existing --python $(BIN)/python $(DLT_VENV)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(DLT_VENV)/bin/python benchmarks/dlt/requirements.txt
	touch $@

bench: $(VENV)/.synced $(DLT_VENV)/.synced  ## quick benchmark (<10 min on 2 cores) → benchmarks/results/quick.{json,md}
	$(BIN)/python -m benchmarks --quick --state-dir $(BENCH_STATE) --command "make bench"

bench-full: $(VENV)/.synced $(DLT_VENV)/.synced  ## the scale runs (1M and 10M appeals; hours) → benchmarks/results/full.{json,md}
	$(BIN)/python -m benchmarks --full --state-dir $(BENCH_STATE) --command "make bench-full"

# The same four commands run as pre-commit hooks (.pre-commit-config.yaml); docs/contributing.md.
lint: $(VENV)/.synced  ## ruff (check, format), sqlfluff on the dbt models, import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models
	$(BIN)/lint-imports --no-cache --no-logo

lock:  ## re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:  ## stop the embedded warehouse and remove local state (.tyndau) and the venv
	-$(BIN)/tyndau warehouse stop
	rm -rf .tyndau $(VENV)
