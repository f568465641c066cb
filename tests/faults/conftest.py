"""The fault tests (docs/architecture.md#faults): PostgreSQL and Redis of their own,
stopped and started under load while real server processes serve.

They run once, in the PostgreSQL pass (`make test-pg`, CRM_TEST_DATABASE_URL set: what
.ci/run runs) and in `make test-faults`, and skip in the SQLite passes and where initdb,
pg_ctl or redis-server are missing (`faults_only`, tests/faults/services.py). Their
clusters are their own; the Redis loss test serves from the pass's PostgreSQL test
database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.cli import migrate
from app.config import load_settings
from app.persistence.db import Database
from app.persistence.uow import Runner
from tests.conftest import TEST_SECRET
from tests.faults.services import PgCluster, RedisServer
from tests.support import Factory

# Background work a fault test does not look at is off (the relay and the planner stay on).
QUIET = {"CRM_DELAY_CHECK_SECONDS": "0", "CRM_ACTIVITY_CHECK_SECONDS": "0",
         "CRM_TICKET_BREACH_CHECK_SECONDS": "0", "CRM_QUOTE_EXPIRY_SECONDS": "0",
         "CRM_SURVEY_AFTER_DELIVERY": "0", "CRM_REMINDER_CHECK_SECONDS": "0",
         "CRM_CAMPAIGN_SEND_SECONDS": "0", "CRM_SEGMENT_RECOMPUTE_SECONDS": "0",
         "CRM_EXPORTS": "0", "CRM_REQUEST_RATE": "0", "CRM_DELIVERY_PLAN_SECONDS": "0",
         "CRM_OUTBOX_RELAY_SECONDS": "0.2", "CRM_OUTBOX_GRACE_SECONDS": "0.5",
         "CRM_NOTIFY_POLL_SECONDS": "0.5"}


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {"CRM_DATABASE_URL": database_url, "CRM_JWT_SECRET": TEST_SECRET, **QUIET, **extra}
    if "CRM_REDIS_URL" not in extra:
        env["CRM_REDIS_URL"] = ""  # the in-process bus, whatever the environment says
    return env


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.start()
        migrate(cluster.url)
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def cluster_factory(pg_cluster: PgCluster) -> Iterator[Factory]:
    """Rows and tokens on the test's own cluster, through the real services."""
    settings = load_settings({"CRM_JWT_SECRET": TEST_SECRET,
                              "CRM_DATABASE_URL": pg_cluster.url})
    db = Database(pg_cluster.url)
    yield Factory(Runner(db, settings=settings), settings)
    db.dispose()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def error_code(body: dict[str, Any]) -> str | None:
    """The first GraphQL error's extensions.code, or None."""
    errors = body.get("errors") or []
    return (errors[0].get("extensions") or {}).get("code") if errors else None
