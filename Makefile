# The portal's commands. Quick start: `make run`, then `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := ilincs_site.settings

.PHONY: install run migrate demo worker serve test test-fast test-sqlite lint typecheck format bench bench-genome loadtest bench-memory clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PYTHON) || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $(STAMP)

migrate: install
	DJANGO_DEBUG=1 $(PYTHON) manage.py migrate --noinput

demo: migrate
	DJANGO_DEBUG=1 $(PYTHON) manage.py load_demo

# Starts the django-q2 worker and the development server; Ctrl-C stops both.
run: demo
	@echo ""
	@echo "  Portal:  http://$(HOST):$(PORT)/"
	@echo "  Curator: login 'curator', password 'curator-demo' (admin at http://$(HOST):$(PORT)/admin/)"
	@echo ""
	@DJANGO_DEBUG=1 $(PYTHON) manage.py qcluster & QPID=$$!; \
	trap 'kill $$QPID 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=1 $(PYTHON) manage.py runserver --noreload $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy, strict on the numeric engine (see [tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite uses tests/settings.py (a test secret, a fast password hasher): plain `pytest`
# works the same.
test: lint typecheck
	DJANGO_DEBUG=1 $(PYTHON) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/pytest $(PYTEST_ARGS)

# The inner loop: everything but the browser, R-oracle and use-case tests, stopping at the
# first failure, on the embedded SQLite default.
test-fast: install
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/pytest -q -x \
		-p no:cacheprovider -m "not oracle and not browser" \
		--ignore=tests/browser --ignore=tests/usecases $(PYTEST_ARGS)

# The database-facing tests again on the embedded SQLite default (CI runs `make test` on
# PostgreSQL, then this); the engine and browser tests do not depend on the database.
test-sqlite: install
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/pytest -q -p no:cacheprovider \
		--ignore=tests/engine --ignore=tests/browser $(PYTEST_ARGS)

bench: install
	$(PYTHON) -m benchmarks.run

bench-genome: install
	$(PYTHON) -m benchmarks.run --genome

loadtest: install
	$(PYTHON) -m benchmarks.loadtest

bench-memory: install
	$(PYTHON) -m benchmarks.memory

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
