# Two commands for a fresh machine: `make run` (server + demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run serve test test-pg test-faults test-thread-writer test-all test-stress lint format schema \
        schema-check contract-client migration alembic-check bench bench-quick soak audit-http fuzz \
        audit-deps graphiql-assets check-upstream clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# a new venv's setuptools is Python's bundled release, old and vulnerable (make audit-deps)
	$(BIN)/pip install --quiet --upgrade pip setuptools
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

# PostgreSQL and Redis of the tests' own stopped and started under load (tests/faults/,
# docs/architecture.md#faults): part of test-pg (they skip in the SQLite passes); alone here
test-faults: install
	CRM_TEST_DATABASE_URL=$(PG_ADMIN_URL) $(BIN)/pytest tests/faults

# the suite on SQLite with the writer as a thread of the server (CRM_SQLITE_WRITER=thread)
test-thread-writer: install
	CRM_SQLITE_WRITER=thread $(BIN)/pytest

test-all: test test-pg

# `make test` while every core is busy, for failures that depend on timing: one Python busy
# loop per core (nproc) runs throughout, and the suite runs STRESS_RUNS times on each SQLite
# writer, alternating (process, thread, process, ...: 10 runs by default, ~25-30 min on two
# cores). It stops at the first failing run; the busy loops end with it, however it ends.
# Not part of .ci/run (too slow).
STRESS_RUNS ?= 5
test-stress: install
	@pids=""; \
	trap 'kill $$pids 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	for _ in $$(seq "$$(nproc)"); do $(PYTHON) -c 'while True: pass' & pids="$$pids $$!"; done; \
	for run in $$(seq $(STRESS_RUNS)); do \
	  for writer in process thread; do \
	    echo "== stress run $$run of $(STRESS_RUNS), SQLite writer: $$writer, $$(nproc) busy loops =="; \
	    CRM_SQLITE_WRITER=$$writer $(MAKE) --no-print-directory test || exit 1; \
	  done; \
	done; \
	echo "== stress: $(STRESS_RUNS) runs on each SQLite writer passed under load =="

lint: install
	$(BIN)/ruff check app schema tests migrations/env.py

format: install
	$(BIN)/ruff format app schema tests
	$(BIN)/ruff check --fix app schema tests

schema: install
	$(BIN)/python -m schema.export

schema-check: install
	$(BIN)/python -m schema.export --check

# the typed client's drift, tsc --strict, relay-compiler and the breaking-change guard
# (.ci/contract-client; npm packages pinned in frontend-contract/package.json)
contract-client: install
	./.ci/contract-client

migration: install
	./migrations/regenerate.sh

alembic-check: install
	./migrations/check.sh $(PG_ADMIN_URL)

bench: install
	$(BIN)/python -m tests.bench.run --full

bench-quick: install
	$(BIN)/python -m tests.bench.run --quick

# SOAK_SECONDS (default 600) of mixed traffic against a real server, a report every
# SOAK_REPORT_SECONDS (60): errors, p99 per operation, server RSS (tests/bench/soak.py); not in CI
soak: install
	$(BIN)/python -m tests.bench.soak

# GraphiQL's files, served by the server itself (schema/static/graphiql/, committed): refreshed
# from npm at the versions pinned in .ci/graphiql/ (docs/architecture.md#graphiql)
graphiql-assets:
	./.ci/graphiql/refresh

audit-http: install
	./.ci/graphql-http-audit

# schemathesis over every query and mutation as ADMIN and as CUSTOMER, each against a live
# server on a throwaway demo database (tests/fuzz/run.py); FUZZ_EXAMPLES per operation and role
FUZZ_EXAMPLES ?= 25
fuzz: install
	$(BIN)/python -m tests.fuzz.run --examples $(FUZZ_EXAMPLES)

# pip-audit, the advisories of .ci/pip-audit-accepted.txt accepted (tests/deps/audit.py)
audit-deps: install
	$(BIN)/python -m tests.deps.audit

# the `upstream` tests on the newest strawberry-graphql and graphql-core, in a throwaway
# virtualenv (.ci/check-upstream); not in CI
check-upstream:
	PYTHON=$(PYTHON) ./.ci/check-upstream

clean:
	rm -rf $(VENV) var
