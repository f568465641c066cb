"""The demo's dates follow the day it is seeded for (CRM_DEMO_TODAY, `seed-demo --today`,
else today): nothing later than that day's "now", open orders promised around it, parcels
in flight dispatched in its last days, and orders at risk late by days, not by the time
since a fixed date."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from app.auth.principal import SYSTEM
from app.config import ConfigError
from app.demo.catalog_data import DEMO_PASSWORD
from app.demo.masterdata import demo_now, demo_today
from app.demo.orders import STATUS_COUNTS
from app.demo.service import build_plan
from app.inventory.models import StockMovement
from app.orders import risk
from app.orders.models import Order, OrderEvent
from app.payments.models import Payment
from app.persistence.pagination import PageRequest
from app.shipping.models import Shipment, TrackingEvent
from tests.demo.conftest import NOW, TODAY, Demo, seeded

OPEN = ["DRAFT", "PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "ON_HOLD"]
IN_FLIGHT = ["PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "FAILED_ATTEMPT", "EXCEPTION"]
TIMES = [Order.created_at, Order.updated_at, Order.confirmed_at, Order.shipped_at,
         Order.delivered_at, Order.completed_at, OrderEvent.created_at, Payment.created_at,
         Shipment.created_at, Shipment.updated_at, Shipment.packed_at, Shipment.shipped_at,
         Shipment.delivered_at, Shipment.cod_collected_at, TrackingEvent.occurred_at,
         StockMovement.created_at]


def _read(demo, fn):  # noqa: ANN001, ANN202
    return demo.runner.read_sync(fn, (), {})


def test_the_day_comes_from_the_environment_or_the_clock():
    assert demo_today({"CRM_DEMO_TODAY": " 2026-03-02 "}) == date(2026, 3, 2)
    before = datetime.now(UTC).date()
    assert before <= demo_today({"CRM_DEMO_TODAY": ""}) <= datetime.now(UTC).date()
    with pytest.raises(ConfigError, match="CRM_DEMO_TODAY"):
        demo_today({"CRM_DEMO_TODAY": "02/03/2026"})
    assert demo_now(TODAY) == datetime(2026, 3, 2, tzinfo=UTC)  # 08:00 in Shanghai


def test_another_day_gives_the_same_demo_moved_by_the_days_between():
    shift = timedelta(days=100)
    first, later = build_plan(TODAY), build_plan(TODAY + shift)
    assert later.now - first.now == shift
    for a, b in zip(first.orders, later.orders, strict=True):
        assert (a.row["status"], a.row["total"]) == (b.row["status"], b.row["total"])
        assert b.row["created_at"] - a.row["created_at"] == shift
        assert b.row["promised_date"] - a.row["promised_date"] == shift
        for x, y in zip(a.shipments, b.shipments, strict=True):
            assert (x.status, x.service, x.cost, x.cod_amount) == (
                y.status, y.service, y.cost, y.cod_amount)
            assert y.estimated_delivery - x.estimated_delivery == shift
            assert y.created_at - x.created_at == shift
    assert all(b.created_at - a.created_at == shift
               for a, b in zip(first.movements, later.movements, strict=True))


def test_nothing_happens_after_the_demo_day(demo):
    def latest(s):  # noqa: ANN001, ANN202
        return {f"{c.class_.__name__}.{c.key}": s.exec(select(func.max(c))).one()
                for c in TIMES}

    end_of_day = demo_now(TODAY + timedelta(days=1))
    for name, at in _read(demo, latest).items():
        assert at is not None and at <= NOW < end_of_day, (name, at)
    oldest = _read(demo, lambda s: s.exec(select(func.min(Order.created_at))).one())
    assert NOW - timedelta(days=365) < oldest < NOW - timedelta(days=90)  # months of history


def test_open_orders_are_promised_around_the_day(demo):
    promised = _read(demo, lambda s: list(s.exec(select(Order.promised_date).where(
        Order.status.in_(OPEN)))))
    days = sorted((d - TODAY).days for d in promised)
    # and the consignors' six delivery orders waiting for review (app/demo/deliveries.py)
    assert len(days) == sum(n for status, n in STATUS_COUNTS if status in OPEN) + 6
    assert days[0] >= -21 and days[-1] <= 21, days
    late = [d for d in days if d < 0]
    assert late and len(late) < len(days) / 10  # a few overdue, by days


def test_parcels_in_flight_left_in_the_last_days(demo):
    rows = _read(demo, lambda s: list(s.exec(select(Shipment))))
    flying = [r for r in rows if r.status in IN_FLIGHT]
    assert len(flying) > 50
    assert all(NOW - timedelta(days=7) < r.shipped_at <= NOW for r in flying)
    assert all(abs((r.estimated_delivery - TODAY).days) <= 7 for r in flying)
    late = [r for r in flying if r.estimated_delivery < TODAY]  # what a delay check finds
    assert late and len(late) < len(flying)
    delivered = [r for r in rows if r.status == "DELIVERED"]
    assert delivered and all(r.shipped_at < r.delivered_at <= NOW for r in delivered)


def test_orders_at_risk_are_late_by_days(demo):
    page = _read(demo, lambda s: risk.orders_at_risk(
        s, SYSTEM, PageRequest(first=100, with_total=True), today=TODAY))
    days = [item.days_left for item in page.items]  # the most overdue first
    assert page.total >= len(days) > 10
    assert days == sorted(days) and days[0] >= -14 and days[-1] <= risk.DEFAULT_DAYS
    assert any(item.reason == risk.RiskReason.OVERDUE for item in page.items)


@pytest.fixture(scope="module")
def seeded_today() -> Iterator[tuple[Demo, date]]:
    """A demo for the real day (passed explicitly: CRM_DEMO_TODAY may be set around the
    tests), as `crm seed-demo` loads it."""
    today = datetime.now(UTC).date()
    with seeded(today) as d:
        yield d, today


async def test_orders_at_risk_through_the_api_on_todays_demo(seeded_today, settings):  # noqa: ANN001
    from schema.asgi import create_app

    demo, today = seeded_today
    app = create_app(settings=replace(settings, database_url=demo.url), db=demo.runner.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://demo") as client:
        async def gql(query: str, variables: dict, token: str | None = None) -> dict:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            body = (await client.post("/graphql", json={"query": query, "variables": variables},
                                      headers=headers)).json()
            assert not body.get("errors"), body
            return body["data"]

        login = await gql("""mutation($p: String!) { login(email: "manager@demo.local",
          password: $p) { accessToken } }""", {"p": DEMO_PASSWORD})
        data = await gql("""{ ordersAtRisk(first: 100) { totalCount nodes { reason daysLeft
          order { promisedDate } } } }""", {}, login["login"]["accessToken"])
    nodes = data["ordersAtRisk"]["nodes"]
    assert data["ordersAtRisk"]["totalCount"] >= len(nodes) > 10
    # a day may have turned since the seed: a day of slack
    assert all(-15 <= n["daysLeft"] <= risk.DEFAULT_DAYS for n in nodes), nodes
    overdue = [n for n in nodes if n["reason"] == "OVERDUE"]
    assert overdue and all(date.fromisoformat(n["order"]["promisedDate"]) < today + timedelta(
        days=1) for n in overdue)
