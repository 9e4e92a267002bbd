# menkan: set-up, checks and demo. Only python3 (3.11+), git and make are assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install system-deps demo serve test lint typecheck imports pytest bench policy-docs messages lock clean

help:
	@echo "make demo   - audit the shipped demo cohort (installs everything on first run)"
	@echo "make serve  - the production stack (gunicorn, Celery worker and beat) on PostgreSQL and Redis, with demo data"
	@echo "make test   - ruff, mypy (strict on the engine), import-linter, pytest"
	@echo "make bench  - audit throughput and latency benchmark"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the portal needs beyond Python: Chromium for the browser tests (Playwright drives Debian's
# build; its own browser download is not used) and a CJK font so PDFs show Chinese. Installed only if missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium chromium-driver"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "warning: missing Debian packages:$$missing (apt-get install them as root): browser tests and Chinese PDFs need them"; \
		fi; \
	fi

demo: $(STAMP) system-deps
	$(BIN)/menkan demo

# The production stack on this machine, in the foreground until Ctrl-C (docs/deploy.md): PostgreSQL and Redis must be
# running; the database is created if missing, migrated, and given the demo data when it has no students.
SERVE_DATABASE_URL ?= $(or $(DATABASE_URL),postgresql://postgres@127.0.0.1:5432/menkan)
SERVE_BROKER_URL ?= $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)
serve: $(STAMP) system-deps
	DATABASE_URL=$(SERVE_DATABASE_URL) CELERY_BROKER_URL=$(SERVE_BROKER_URL) $(BIN)/menkan serve --demo --create-database

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

PG_URL ?= postgresql://postgres@127.0.0.1:5432/menkan

# The OpenID Connect provider the campus sign-in tests start (npm's oidc-provider, tests/oidc); installed again only
# when its lock changes. Without Node.js and npm those tests skip, saying so.
oidc-provider:
	@if command -v npm >/dev/null 2>&1; then \
		[ tests/oidc/node_modules/.package-lock.json -nt tests/oidc/package-lock.json ] || \
		npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error; \
	else echo "warning: npm is missing: the campus sign-in tests will be skipped (apt-get install nodejs npm)"; fi

# pytest runs the test files in TEST_JOBS processes at once (pytest-xdist; `auto`: one per core), each file whole in
# one process (its module fixtures, e.g. the OpenID provider, start once); TEST_JOBS=0 runs them in this process.
TEST_JOBS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_JOBS) --dist loadfile

pytest: $(STAMP) system-deps oidc-provider
	$(PYTEST)
	@# PostgreSQL is what production runs: the database tests run again against it when it is reachable. The
	@# browser tests are left out there: they check pages, whose database work the other tests already run.
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL reachable at $(PG_URL): running the database tests against it"; \
		DATABASE_URL=$(PG_URL) $(PYTEST) tests/web -m "not browser"; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): SKIPPING the PostgreSQL run of the database tests"; \
	fi

test: lint typecheck imports pytest

bench: $(STAMP)
	$(BIN)/python bench/microprogram_bench.py
	@# The issue #15 targets beside the measured figures: the engine (bench/audit_bench.py), then 30,000 students
	@# end to end in the database (read, audit, store) on SQLite and PostgreSQL, in one process, through Redis
	@# with two Celery workers, and incrementally (1 % changed); PostgreSQL and Redis parts need those servers.
	$(BIN)/python bench/targets.py --students 30000 --workers 2 $(if $(BENCH_PG_DATABASE),--pg-database $(BENCH_PG_DATABASE))
	@# The policy impact preview of the portal over 20,000 stored students (issue #14), on SQLite.
	$(BIN)/python bench/impact_bench.py --database sqlite --students 20000

policy-docs: $(STAMP)
	$(BIN)/python scripts/policy_docs.py > docs/policies.md

# Refresh the zh-TW translations after changing page text (needs GNU gettext); commit the .po and .mo.
# The portal's catalogue is web/locale; apps with their own locale/ folder keep their own catalogue.
APP_CATALOGUES := $(patsubst src/menkan/web/%/locale,%,$(wildcard src/menkan/web/*/locale))
DJANGO_ADMIN := MENKAN_VAR=$(abspath var) DJANGO_SETTINGS_MODULE=menkan.web.settings $(abspath $(BIN))/django-admin
messages: $(STAMP)
	cd src/menkan/web && $(DJANGO_ADMIN) makemessages -l zh_Hant --ignore "*/migrations/*" --no-location \
		$(foreach app,$(APP_CATALOGUES),--ignore "$(app)/*")
	for app in $(APP_CATALOGUES); do \
		(cd src/menkan/web/$$app && $(DJANGO_ADMIN) makemessages -l zh_Hant --ignore "migrations/*" --no-location) || exit 1; \
	done
	cd src/menkan/web && $(DJANGO_ADMIN) compilemessages

# Regenerate the lock after changing dependencies in pyproject.toml (needs network).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
