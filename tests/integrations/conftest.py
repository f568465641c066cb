"""Outgoing webhook tests: the real app with loopback allowed as a destination
(CRM_WEBHOOK_ALLOWED_NETWORKS), a real local receiver, and the fan-out and dispatcher
driven pass by pass on a clock the test moves forward."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from app.events.bus import InProcessBus
from app.integrations import repository as repo
from app.integrations import service
from app.integrations.dispatcher import WebhookDispatcher
from app.integrations.fanout import fan_out_pending
from app.integrations.messages import RetryPolicy
from app.persistence.columns import utcnow
from app.persistence.repository import PageRequest
from tests.integrations.receiver import Receiver
from tests.orders.support import Kit
from tests.support import Api

LOOPBACK = ("127.0.0.0/8",)


class Clock:
    """The real time plus what the test has moved it forward by."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
async def hooks_api(settings, db, factory) -> AsyncIterator[Api]:  # noqa: ANN001
    from schema.asgi import create_app

    app = create_app(settings=replace(settings, webhook_allowed_networks=LOOPBACK), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, factory)


@pytest.fixture
def hooks_kit(hooks_api: Api, factory) -> Kit:  # noqa: ANN001
    return Kit(hooks_api, factory)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dispatch(db, clock) -> AsyncIterator[Any]:  # noqa: ANN001
    """`dispatch(**policy)`: a dispatcher on the test's clock, loopback allowed."""
    made: list[WebhookDispatcher] = []

    def make(allowed: tuple[str, ...] = LOOPBACK, **policy: Any) -> WebhookDispatcher:
        dispatcher = WebhookDispatcher(db, InProcessBus(), policy=RetryPolicy(
            **{"timeout_seconds": 5.0, **policy}), allowed_networks=allowed, clock=clock)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        await dispatcher.close()


@pytest.fixture(autouse=True)
def no_subscriptions_left(factory) -> Iterator[None]:  # noqa: ANN001
    """Each test's subscriptions go with it, so no later test's dispatcher posts for them."""
    yield
    page = factory.runner.read_sync(repo.list_subscriptions, (
        repo.SubscriptionFilter(), repo.SubscriptionSort.CREATED_AT_ASC,
        PageRequest(first=100)), {})
    for row in page.items:
        factory.write(service.delete_subscription, row.id)
    fan_out_pending(factory.runner.db)  # no subscription left: the fan-out lets go
