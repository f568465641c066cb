"""The live server (the survey e-mail test), and the sender's outbox position dropped after
each module: a durable consumer that no server runs would hold the outbox back from
retention for the rest of the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from app.events.repository import consumers
from app.surveys.service import CONSUMER
from tests.subscriptions.fixtures import live, live_api, live_kit  # noqa: F401


@pytest.fixture(scope="module", autouse=True)
def no_sender_position(db) -> Iterator[None]:  # noqa: ANN001
    yield
    with Session(db.write_engine) as session:
        position = consumers.positions(session).get(CONSUMER)
        if position is not None:
            consumers.forget(session, CONSUMER, position)
            session.commit()
