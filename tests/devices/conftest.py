"""A live server (real uvicorn on a loopback port) for the push tests, and no backlog of
other modules' pending messages before it starts (tests/notifications/conftest.py)."""

from __future__ import annotations

from tests.notifications.conftest import no_backlog  # noqa: F401
from tests.subscriptions.fixtures import live, live_api, live_kit  # noqa: F401
