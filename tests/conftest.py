"""Shared fixtures: a real migrated database (SQLite file, or PostgreSQL when
CRM_TEST_DATABASE_URL points at a server) and the real ASGI app over httpx."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault("CRM_VAR_DIR", tempfile.mkdtemp(prefix="crm-test-var-"))
# A request's time budget (10 s by default) is a fault of its own, tested on apps and
# servers that set it (tests/schema/test_time_budget.py, tests/faults/); for every other test,
# here and in the servers tests start, a loaded machine must not turn it into a failure.
os.environ.setdefault("CRM_REQUEST_TIMEOUT_MS", "120000")

from app import composition  # noqa: E402
from app.cli import migrate  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.persistence.db import Database, normalize_url  # noqa: E402
from app.persistence.uow import Runner  # noqa: E402
from tests.orders.support import Kit
from tests.support import Api, Factory  # noqa: E402

TEST_SECRET = "test-secret-" + "x" * 40

# The tests are a composition root too: every Runner they build (fixtures or their own)
# writes audit rows and the outbox as the app's do, and the writer process they start is
# the app's (app/composition.py).
composition.install()


def pytest_configure(config) -> None:  # noqa: ANN001
    config.addinivalue_line("markers", "run_last: runs after every other test")


def pytest_collection_modifyitems(items) -> None:  # noqa: ANN001
    """Tests marked run_last (the suite-wide ledger check) go to the end."""
    items.sort(key=lambda item: item.get_closest_marker("run_last") is not None)


def _create_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"crm_test_{secrets.token_hex(6)}"
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(normalize_url(admin_url)).set(database=name)
    return url.render_as_string(hide_password=False), name


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    admin = os.environ.get("CRM_TEST_DATABASE_URL")
    if admin and admin.startswith("postgresql"):
        url, name = _create_pg_database(admin)
        try:
            yield url
        finally:
            _drop_pg_database(admin, name)
        return
    with tempfile.TemporaryDirectory(prefix="crm-test-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'test.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str):  # noqa: ANN201
    base = load_settings({"CRM_JWT_SECRET": TEST_SECRET, "CRM_DATABASE_URL": database_url,
                          # the SQLite writer: the process by default (make test-thread-writer)
                          "CRM_SQLITE_WRITER": os.environ.get("CRM_SQLITE_WRITER", ""),
                          # one client address for the whole suite: its budget is tested
                          # on an app of its own (tests/schema/test_request_budget.py)
                          "CRM_REQUEST_RATE": "0",
                          "CRM_REQUEST_TIMEOUT_MS": os.environ["CRM_REQUEST_TIMEOUT_MS"]})
    return replace(base, database_url=database_url)


@pytest.fixture(scope="session")
def db(settings) -> Iterator[Database]:  # noqa: ANN001
    migrate(settings.database_url)
    database = Database(settings.database_url, count_statements=True)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def runner(db: Database) -> Runner:
    return Runner(db)


@pytest.fixture(scope="session")
def factory(runner: Runner, settings) -> Factory:  # noqa: ANN001
    return Factory(runner, settings)


@pytest.fixture(scope="session")
def app(settings, db):  # noqa: ANN001, ANN201
    import app.config as config
    from schema.asgi import create_app

    config.get_settings.cache_clear()
    os.environ["CRM_JWT_SECRET"] = TEST_SECRET
    os.environ["CRM_DATABASE_URL"] = settings.database_url
    return create_app(settings=settings, db=db)


@pytest.fixture(scope="session")
async def api(app, factory: Factory) -> AsyncIterator[Api]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, factory)


@pytest.fixture
def kit(api: Api, factory: Factory) -> Kit:
    """An order kit (tests/orders/support.py) for the order, payment and return suites."""
    return Kit(api, factory)
