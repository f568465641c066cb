"""Fixtures for tests against a live server; imported by the conftest files of
tests/subscriptions, tests/events and tests/notifications.

The server gets its own engines (same database), so its background work (relay,
dispatcher) never shows in another test's SQL statement counts, and it stops
at the end of each module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from app.persistence.db import Database
from tests.orders.support import Kit
from tests.subscriptions.harness import LiveServer, http_api, live_settings
from tests.support import Api


@pytest.fixture(scope="module")
def live(settings, db) -> Iterator[LiveServer]:  # noqa: ANN001
    own = Database(settings.database_url)
    server = LiveServer(live_settings(settings), own).start()
    yield server
    server.stop()
    own.dispose()


@pytest.fixture(scope="module")
async def live_api(live: LiveServer, factory) -> AsyncIterator[Api]:  # noqa: ANN001
    client, api = http_api(live.url, factory)
    yield api
    await client.aclose()


@pytest.fixture
def live_kit(live_api: Api, factory) -> Kit:  # noqa: ANN001
    return Kit(live_api, factory)
