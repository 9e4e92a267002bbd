# menkan: set-up, checks and demo. Only python3 (3.11+), git and make are assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install demo test lint typecheck imports pytest bench policy-docs lock clean

help:
	@echo "make demo   - audit the shipped demo cohort (installs everything on first run)"
	@echo "make test   - ruff, mypy (strict on the engine), import-linter, pytest"
	@echo "make bench  - audit throughput and latency benchmark"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/menkan demo

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

PG_URL ?= postgresql://postgres@127.0.0.1:5432/menkan

pytest: $(STAMP)
	$(BIN)/pytest
	@# PostgreSQL is what production runs: the database tests run again against it when it is reachable.
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL reachable at $(PG_URL): running the database tests against it"; \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest tests/web; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): SKIPPING the PostgreSQL run of the database tests"; \
	fi

test: lint typecheck imports pytest

bench: $(STAMP)
	$(BIN)/python bench/audit_bench.py

policy-docs: $(STAMP)
	$(BIN)/python scripts/policy_docs.py > docs/policies.md

# Regenerate the lock after changing dependencies in pyproject.toml (needs network).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
