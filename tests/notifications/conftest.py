"""A live server (real uvicorn on a loopback port) for the tests of this directory."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.notifications.models import Notification
from app.notifications.repository import Status
from tests.subscriptions.fixtures import live, live_api, live_kit  # noqa: F401

SET_ASIDE = "set aside: left pending by another test module"


@pytest.fixture(scope="module", autouse=True)
def no_backlog(db) -> None:  # noqa: ANN001
    """Mail and SMS that earlier test modules left pending (their apps ran no dispatcher)
    would otherwise be sent first, oldest first, by this module's live server: after the
    order tests that is over a thousand messages, longer than a test waits for its own.
    Autouse at module scope, so it runs before the module's live server starts."""
    with db.write_engine.begin() as conn:
        conn.execute(update(Notification).where(Notification.status == Status.PENDING.value)
                     .values(status=Status.FAILED.value, next_attempt_at=None,
                             last_error=SET_ASIDE))
