# The README's two commands: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export REFERRAL_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test setup system lint bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Every dependency from the lock file, hash-checked (the versions CI tested), then the project itself without deps.
$(VENV)/.installed: requirements-test.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || bash .ci/setup-system nodejs npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

## Debian packages the tests need (PostgreSQL, Redis, Chromium); does nothing when they are there
system:
	bash .ci/setup-system

## Set up and run the whole service on the embedded default (SQLite in ./var) at http://HOST:PORT
## (127.0.0.1:8080 unless given, e.g. make run PORT=9090 HOST=0.0.0.0). HOST counts only on the command line:
## some shells export the machine's own name as HOST.
run: HOST := $(if $(filter command line,$(origin HOST)),$(HOST),127.0.0.1)
run: PORT ?= 8080
run: setup
	$(BIN)/referral-service db upgrade
	$(BIN)/referral-service seed-demo
	$(BIN)/referral-service serve --host $(HOST) --port $(PORT)

## Set up and run every test (starts its own PostgreSQL; needs the system packages of .ci/setup-system)
test: system setup
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest tests

lint: setup
	$(BIN)/ruff check .
	$(BIN)/python -m mypy

## The benchmark table of issue 11 (bench/README.md); e.g. make bench BENCH_ARGS="--db sqlite --only a,c --years 1"
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

## Remake requirements.lock and requirements-test.lock from pyproject.toml's pins (pip-tools in a throwaway venv)
lock:
	PYTHON=$(PYTHON) bash deploy/lock.sh

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
