# Two commands for a fresh machine: `make run` (server + demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run serve test test-pg test-thread-writer test-all lint format schema schema-check migration \
        alembic-check bench bench-quick check-upstream clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/crm migrate
	$(BIN)/crm seed-demo --if-empty
	$(BIN)/crm serve

serve: install
	$(BIN)/crm serve

test: install
	$(BIN)/pytest

test-pg: install
	CRM_TEST_DATABASE_URL=$(PG_ADMIN_URL) $(BIN)/pytest

# the suite on SQLite with the writer as a thread of the server (CRM_SQLITE_WRITER=thread)
test-thread-writer: install
	CRM_SQLITE_WRITER=thread $(BIN)/pytest

test-all: test test-pg

lint: install
	$(BIN)/ruff check app schema tests migrations/env.py

format: install
	$(BIN)/ruff format app schema tests
	$(BIN)/ruff check --fix app schema tests

schema: install
	$(BIN)/python -m schema.export

schema-check: install
	$(BIN)/python -m schema.export --check

migration: install
	./migrations/regenerate.sh

alembic-check: install
	./migrations/check.sh $(PG_ADMIN_URL)

bench: install
	$(BIN)/python -m tests.bench.run --full

bench-quick: install
	$(BIN)/python -m tests.bench.run --quick

# the `upstream` tests on the newest strawberry-graphql and graphql-core, in a throwaway
# virtualenv (.ci/check-upstream); not in CI
check-upstream:
	PYTHON=$(PYTHON) ./.ci/check-upstream

clean:
	rm -rf $(VENV) var
