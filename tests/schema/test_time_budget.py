"""The time budget of a request (the security issue's time budget,
docs/architecture.md#time-budget): past `CRM_REQUEST_TIMEOUT_MS` a request's reads and
writes stop with a TIMEOUT error, the request answers, a write leaves nothing behind, and the
other requests are not held.

Deterministic by construction: a budget of 1 us has surely run out by the first read or
write of any request (parsing alone takes longer), and a statement that counts to a billion
surely outlives a budget of 50 ms; nothing waits on a timer, no duration is asserted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.errors import DeadlineExceeded
from app.persistence import deadline as budget
from app.persistence.uow import UnitOfWork
from schema.asgi import create_app
from tests.support import unique

ORDERS_PAGE = (Path(__file__).resolve().parents[2] / "frontend-contract" / "operations"
               / "orders-page.graphql").read_text()
CREATE = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { code } } }"""
FIND = "query($q: String!) { customers(first: 5, filter: {search: $q}) { totalCount } }"
# a billion rows counted: minutes on either database, so any budget of milliseconds ends it
SLOW = text("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
            "WHERE i < 1000000000) SELECT count(*) FROM r")


@pytest.fixture
async def tight(settings, db):  # noqa: ANN001, ANN201
    """A client of an app whose requests have 1 us each."""
    app = create_app(settings=replace(settings, request_timeout_ms=0.001), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _codes(body: dict) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


async def test_a_query_past_its_budget_answers_timeout_and_others_go_on(tight, api, factory):
    admin = factory.user("ADMIN")
    headers = {"authorization": f"Bearer {admin.token}"}
    late, health = await asyncio.gather(
        tight.post("/graphql", json={"query": ORDERS_PAGE, "variables": {"first": 100}},
                   headers=headers),
        tight.get("/healthz"))
    assert late.status_code == 200
    body = late.json()
    assert body["data"] is None  # `orders` is non-null: its TIMEOUT nulls the data
    assert _codes(body) == {"TIMEOUT"}
    assert body["errors"][0]["path"] == ["orders"]
    assert health.status_code == 200
    # the same request within the default budget
    data = await api.ok(ORDERS_PAGE, {"first": 100}, admin.token)
    assert "edges" in data["orders"]


async def test_a_write_past_its_budget_changes_nothing(tight, api, factory):
    admin = factory.user("ADMIN")
    name = unique("late-customer-")
    response = await tight.post(
        "/graphql", json={"query": CREATE, "variables": {"input": {"name": name}}},
        headers={"authorization": f"Bearer {admin.token}"})
    assert response.status_code == 200
    assert _codes(response.json()) == {"TIMEOUT"}
    found = await api.ok(FIND, {"q": name}, admin.token)
    assert found["customers"]["totalCount"] == 0
    created = await api.ok(CREATE, {"input": {"name": name}}, admin.token)  # in budget: done
    assert created["customerCreate"]["userErrors"] == []


async def test_a_statement_past_the_deadline_is_aborted(runner):
    """SQLite's progress handler, PostgreSQL's statement_timeout: the read ends with
    DeadlineExceeded, and the connection it leaves serves the next read unbounded."""

    def count(session) -> int:  # noqa: ANN001
        return session.execute(SLOW).scalar_one()

    with pytest.raises(DeadlineExceeded):
        await runner.read(count, deadline=budget.deadline_after(0.05))
    one = await runner.read(lambda session: session.execute(text("SELECT 1")).scalar_one())
    assert one == 1


def _audit_then_run_out(uow: UnitOfWork, marker: str, clock: list[float]) -> None:
    uow.audit("late", marker, 0)
    uow.session.flush()
    clock[0] += 3600  # the clock moves past the deadline before the unit commits


def _audit_then_slow(uow: UnitOfWork, marker: str) -> None:
    uow.audit("late", marker, 0)
    uow.session.flush()
    uow.session.execute(SLOW)


def _audits(runner, marker: str) -> int:  # noqa: ANN001
    from tests.support import audited_actions
    return len(audited_actions(runner, marker))


def test_a_write_that_ends_past_its_deadline_is_rolled_back(runner, monkeypatch):
    clock = [time.monotonic()]
    monkeypatch.setattr(budget, "monotonic", lambda: clock[0])
    marker = unique("late-unit-")
    with pytest.raises(DeadlineExceeded):
        runner.write_sync(_audit_then_run_out, marker, clock, deadline=clock[0] + 10)
    assert _audits(runner, marker) == 0
    runner.write_sync(_audit_then_run_out, marker, [0.0], deadline=None)  # no budget: kept
    assert _audits(runner, marker) == 1


def test_a_write_statement_past_the_deadline_rolls_the_unit_back(runner, db):
    """PostgreSQL cancels a write's statement at its statement_timeout, and the unit rolls
    back whole. The SQLite writer never interrupts a statement (it would roll back the
    group's transaction: docs/architecture.md#time-budget)."""
    if db.is_sqlite:
        pytest.skip("SQLite's writer checks the deadline around a unit, not inside it")
    marker = unique("slow-unit-")
    with pytest.raises(DeadlineExceeded):
        runner.write_sync(_audit_then_slow, marker, deadline=budget.deadline_after(0.05))
    assert _audits(runner, marker) == 0


async def test_heavy_operations_take_turns_and_leave_their_place(settings, db, factory):
    """Every operation is heavy here and there is one place: concurrent ones all answer (in
    turn), and a place is given back when an operation ends, refused or not."""
    gated = replace(settings, heavy_query_cost=1, heavy_queries=1)
    admin = factory.user("ADMIN")
    headers = {"authorization": f"Bearer {admin.token}"}
    transport = httpx.ASGITransport(app=create_app(settings=gated, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async def page() -> dict:
            response = await client.post("/graphql", headers=headers, json={
                "query": ORDERS_PAGE, "variables": {"first": 10}})
            return response.json()

        bodies = await asyncio.gather(*(page() for _ in range(4)))
        assert all(not body.get("errors") for body in bodies)
        assert not (await page()).get("errors")  # the place came back
