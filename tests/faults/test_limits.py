"""The database's limits as settings, an unreachable database as SERVICE_UNAVAILABLE, and
the transaction timeout (docs/architecture.md#faults). No services of their own: these run
in every pass, on its database."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from app.config import ConfigError, load_settings
from app.errors import DeadlineExceeded, ServiceUnavailable
from app.persistence.db import Database
from app.persistence.limits import DbLimits
from app.persistence.uow import Runner
from tests.conftest import TEST_SECRET
from tests.subscriptions.harness import free_port
from tests.support import audited_actions, unique


def test_the_limits_come_from_the_settings():
    settings = load_settings({
        "CRM_JWT_SECRET": TEST_SECRET, "CRM_DB_POOL_SIZE": "3", "CRM_DB_MAX_OVERFLOW": "0",
        "CRM_DB_POOL_TIMEOUT_SECONDS": "1.5", "CRM_DB_CONNECT_TIMEOUT_SECONDS": "3",
        "CRM_DB_STATEMENT_TIMEOUT_MS": "2500", "CRM_DB_TRANSACTION_TIMEOUT_MS": "9000"})
    assert settings.db_limits == DbLimits(
        pool_size=3, max_overflow=0, pool_timeout_seconds=1.5, connect_timeout_seconds=3,
        statement_timeout_ms=2500, transaction_timeout_ms=9000)
    assert settings.db_limits.connect_args() == {
        "connect_timeout": 3, "options": "-c statement_timeout=2500"}
    assert load_settings({"CRM_JWT_SECRET": TEST_SECRET}).db_limits == DbLimits()
    assert DbLimits(statement_timeout_ms=0).connect_args() == {"connect_timeout": 5}
    for name, value in (("CRM_DB_POOL_SIZE", "0"), ("CRM_DB_POOL_TIMEOUT_SECONDS", "x"),
                        ("CRM_DB_STATEMENT_TIMEOUT_MS", "-1")):
        with pytest.raises(ConfigError, match=name):
            load_settings({"CRM_JWT_SECRET": TEST_SECRET, name: value})


async def test_a_refused_connection_is_service_unavailable(settings):  # noqa: ANN001
    # nothing listens on a port just freed: PostgreSQL refuses at once
    db = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/none",
                  limits=DbLimits(connect_timeout_seconds=2))
    try:
        runner = Runner(db, settings=settings)
        with pytest.raises(ServiceUnavailable):
            await runner.read(lambda session: session.execute(text("SELECT 1")).all())
        with pytest.raises(ServiceUnavailable):
            await runner.write(_audit, "never")
    finally:
        db.dispose()


async def test_a_failing_statement_keeps_its_own_error(runner):  # noqa: ANN001
    """Not every database error is an outage: a bad statement is still a bug (masked as
    INTERNAL_SERVER_ERROR), never SERVICE_UNAVAILABLE."""
    with pytest.raises(Exception) as caught:
        await runner.read(lambda session: session.execute(text("SELECT * FROM no_such_table")))
    assert not isinstance(caught.value, ServiceUnavailable)


async def test_a_unit_past_the_transaction_timeout_is_rolled_back(settings):  # noqa: ANN001
    db = Database(settings.database_url, limits=DbLimits(transaction_timeout_ms=200))
    marker = unique("slow-unit-")
    try:
        runner = Runner(db, settings=settings)
        with pytest.raises(DeadlineExceeded):
            # the unit holds on until well past its limit (CLOCK_MONOTONIC is system-wide:
            # the SQLite writer process sees the same clock)
            await runner.write(_audit_until, marker, time.monotonic() + 1.0)
        assert audited_actions(runner, marker) == []
    finally:
        db.dispose()


def _audit(uow, marker: str) -> str:  # noqa: ANN001
    uow.audit("done", marker, 0)
    return "done"


def _audit_until(uow, marker: str, until: float) -> str:  # noqa: ANN001
    """A unit of work (module-level: the writer process gets it by name) that audits, then
    holds on until the monotonic clock passes `until`."""
    uow.audit("done", marker, 0)
    while time.monotonic() <= until:
        time.sleep(0.01)
    return "done"
