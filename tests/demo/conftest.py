"""A separate, freshly migrated database per demo fixture (SQLite file, or a new
PostgreSQL database when CRM_TEST_DATABASE_URL points at a server), never the
shared test database.

The demo is seeded for a fixed day (TODAY), not the day the tests run: assertions stay
exact, and two seeds give the same rows even when the tests cross midnight."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import httpx
import pytest

from app.cli import migrate
from app.demo.masterdata import demo_now
from app.demo.service import SeedResult, seed_demo
from app.persistence.db import Database
from app.persistence.uow import Runner
from tests.conftest import _create_pg_database, _drop_pg_database

TODAY = date(2026, 3, 2)
NOW = demo_now(TODAY)  # the demo's "now" on that day


@dataclass
class Demo:
    runner: Runner
    result: SeedResult
    url: str


@contextmanager
def fresh_database() -> Iterator[str]:
    admin = os.environ.get("CRM_TEST_DATABASE_URL")
    if admin and admin.startswith("postgresql"):
        url, name = _create_pg_database(admin)
        try:
            yield url
        finally:
            _drop_pg_database(admin, name)
        return
    with tempfile.TemporaryDirectory(prefix="crm-demo-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'demo.db'}"


@contextmanager
def seeded(today: date = TODAY) -> Iterator[Demo]:
    with fresh_database() as url:
        migrate(url)
        db = Database(url)
        try:
            runner = Runner(db)
            yield Demo(runner, seed_demo(runner, only_if_empty=False, quiet=True, today=today),
                       url)
        finally:
            db.dispose()


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    with seeded() as d:
        yield d


@pytest.fixture(scope="module")
def seeded_factory() -> Callable:
    """Another seeded database on demand (for the determinism check)."""
    return seeded


@pytest.fixture(scope="module")
async def demo_api(demo: Demo, settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    from schema.asgi import create_app

    app = create_app(settings=replace(settings, database_url=demo.url), db=demo.runner.db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        yield client
