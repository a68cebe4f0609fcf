# Deep Learning Roadmap: `make run` serves the site, `make test` runs every test.
# Both create the virtual environment from the lock file and, without DATABASE_URL,
# start a private PostgreSQL in .devdb/ (see scripts/devdb.py).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WITH_DB := $(BIN)/python scripts/devdb.py run --
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format lock clean chaos serve bench backup restore

$(INSTALLED): requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed.")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

# The development server, and a job worker beside it (stopped with it).
run: $(INSTALLED)
	$(WITH_DB) sh -c '$(BIN)/python manage.py migrate --no-input && \
		$(BIN)/python manage.py createcachetable && \
		$(BIN)/python manage.py seed_roadmap && \
		{ $(BIN)/python manage.py procrastinate worker & } && \
		trap "kill $$! 2>/dev/null" EXIT INT TERM && \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)'

# The tests run in a process per core, at most 4 (TEST_PROCESSES=N runs N, 0 all in this
# one), each with a database of its own; and with the database cache, never a Redis that
# REDIS_URL may name (each test empties the cache, under the other processes' feet).
TEST_PROCESSES ?= auto
ifeq ($(TEST_PROCESSES),auto)
TEST_PROCESSES_ARGS := -n auto --maxprocesses 4
else
TEST_PROCESSES_ARGS := -n $(TEST_PROCESSES)
endif
test: $(INSTALLED) lint
	REDIS_URL= $(WITH_DB) $(BIN)/python -m pytest $(TEST_PROCESSES_ARGS) $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every dependency from pyproject.toml (needs the package index).
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) staticfiles

# Restart PostgreSQL under load; requests must recover and no acknowledged tick be lost.
chaos: $(INSTALLED)
	$(WITH_DB) $(BIN)/python scripts/chaos.py

# The production server (gunicorn), as the container runs it; needs the production
# environment variables (see README).
serve: $(INSTALLED)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/serve

# Load-test a large dataset (500 resources, 200,000 learners, 10,000,000 ticks) and print
# each endpoint's throughput and latency as ratios to /healthz (docs/performance.md).
bench: $(INSTALLED)
	$(WITH_DB) $(BIN)/python scripts/bench.py

# A pg_dump custom-format backup of the database (backups/ unless FILE=...), and its
# restore into an empty database (scripts/backup.py).
backup: $(INSTALLED)
	$(WITH_DB) $(BIN)/python scripts/backup.py dump "$(or $(FILE),backups/roadmap-$(shell date -u +%Y%m%dT%H%M%SZ).dump)"

restore: $(INSTALLED)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/roadmap-....dump (into an empty database)"; exit 2; }
	$(WITH_DB) $(BIN)/python scripts/backup.py restore "$(FILE)"
