"""The per-principal request budget (the security issue's abuse limits): a leaky bucket per
account, or per client address when anonymous; over it, 429 THROTTLED with Retry-After."""

from __future__ import annotations

from dataclasses import replace

import httpx

from app.auth.budget import RequestBudget
from schema.asgi import create_app

ME = "{ me { role } }"


def test_the_bucket_drains_at_its_rate():
    now = [100.0]
    budget = RequestBudget(rate=2.0, burst=3, clock=lambda: now[0])
    assert [budget.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.take("a") == 0.5  # one more in half a second
    assert budget.take("b") == 0.0  # another account has its own
    now[0] += 0.5
    assert budget.take("a") == 0.0
    assert RequestBudget(rate=0, burst=1).take("a") == 0.0  # 0: no budget


async def test_over_budget_is_429_with_retry_after(settings, db, factory):
    tight = replace(settings, request_rate=0.01, request_burst=3)
    first, second = factory.user("SALES"), factory.user("SALES")
    transport = httpx.ASGITransport(app=create_app(settings=tight, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async def ask(token: str | None) -> httpx.Response:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            return await client.post("/graphql", json={"query": ME}, headers=headers)

        assert [(await ask(first.token)).status_code for _ in range(3)] == [200] * 3
        refused = await ask(first.token)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "THROTTLED"
        assert error["extensions"]["retryAfterSeconds"] >= 1
        assert (await ask(second.token)).status_code == 200  # its own bucket
        anonymous = [(await ask(None)).status_code for _ in range(4)]
        assert anonymous == [200, 200, 200, 429]  # keyed by the client address
        assert (await client.get("/healthz")).status_code == 200  # not budgeted
