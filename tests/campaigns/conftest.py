"""An app and a runner with the campaign settings the tests need (allowed link domains, a
public URL), on the suite's database; the app runs no background work: tests run the
sender's pass themselves (app/campaigns/jobs.py send_due_sync)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from app.persistence.uow import Runner
from schema.asgi import create_app
from tests.support import Api

DOMAINS = ("shop.example.com", "example.org")
PUBLIC = "https://crm.example.com"


@pytest.fixture(scope="module")
def camp_settings(settings) -> Any:  # noqa: ANN001
    return replace(settings, campaign_link_domains=DOMAINS, public_url=PUBLIC,
                   campaign_attribution_days=7)


@pytest.fixture(scope="module")
def camp_runner(db, camp_settings) -> Runner:  # noqa: ANN001
    return Runner(db, settings=camp_settings)


@pytest.fixture(scope="module")
async def camp_client(db, camp_settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    app = create_app(settings=camp_settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture(scope="module")
def camp_api(camp_client, factory) -> Api:  # noqa: ANN001
    return Api(camp_client, factory)
