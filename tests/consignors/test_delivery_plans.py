"""Delivery plans (docs/architecture.md#delivery-orders-and-plans): created, changed,
paused and resumed through the API; the scheduler makes each route day's order ahead of
time exactly once, also when two schedulers race on the same database."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import date, timedelta

from app.auth.principal import SYSTEM
from app.delivery import scheduler
from app.delivery.models import DeliveryPlan
from app.persistence.db import Database
from app.persistence.uow import Runner, UnitOfWork
from tests.consignors.delivery_support import Consignor, delivery_rows, orders_of
from tests.orders.support import gid, pk
from tests.support import HOLD_SECONDS, writer_held

PLAN = """id name routeDays status validFrom validUntil version shipRecipient
  consignorId consigneeId lines { productId quantity }"""
CREATE = f"""mutation($input: DeliveryPlanCreateInput!) {{ deliveryPlanCreate(input: $input) {{
  plan {{ {PLAN} }} userErrors {{ field message code }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: DeliveryPlanInput!, $v: Int) {{
  deliveryPlanUpdate(id: $id, input: $input, expectedVersion: $v) {{
    plan {{ {PLAN} }} userErrors {{ field message code }} }} }}"""


def _move(name: str) -> str:
    return f"""mutation($id: ID!) {{ {name}(id: $id) {{ plan {{ status version }}
      userErrors {{ field message code }} }} }}"""


def _plan_input(c: Consignor, days: list[int], start: date, **extra) -> dict:  # noqa: ANN003
    return {"routeDays": days, "validFrom": start.isoformat(),
            "consigneeId": gid("Customer", c.consignee.id), "name": "周一周四补货",
            "lines": [c.line(c.tee, 12), c.line(c.cap, 6)], **extra}


async def _create(c: Consignor, token: str, days: list[int], start: date, **extra) -> dict:  # noqa: ANN003
    out = (await c.kit.api.ok(CREATE, {"input": {"consignorId": c.gid, "plan": _plan_input(
        c, days, start, **extra)}}, token))["deliveryPlanCreate"]
    assert out["userErrors"] == [], out["userErrors"]
    return out["plan"]


def _week(today: date) -> list[date]:
    return [today + timedelta(n) for n in range(8)]


async def test_plans_are_created_changed_paused_and_listed(kit, factory):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    today = date.today()
    plan = await _create(c, manager.token, [4, 1, 4], today)
    assert (plan["routeDays"], plan["status"], plan["version"]) == ([1, 4], "ACTIVE", 1)
    assert plan["shipRecipient"] == "王店长"
    assert [x["quantity"] for x in plan["lines"]] == [12, 6]
    changed = (await kit.api.ok(UPDATE, {"id": plan["id"], "v": 1, "input": _plan_input(
        c, [2], today, lines=[c.line(c.cap, 3)])}, manager.token))["deliveryPlanUpdate"]
    assert changed["userErrors"] == []
    assert (changed["plan"]["routeDays"], changed["plan"]["version"]) == ([2], 2)
    assert changed["plan"]["lines"] == [{"productId": gid("Product", c.cap.id), "quantity": 3}]
    stale = (await kit.api.ok(UPDATE, {"id": plan["id"], "v": 1, "input": _plan_input(
        c, [3], today)}, manager.token))["deliveryPlanUpdate"]
    assert [e["code"] for e in stale["userErrors"]] == ["CONFLICT"]
    paused = (await kit.api.ok(_move("deliveryPlanPause"), {"id": plan["id"]},
                               manager.token))["deliveryPlanPause"]
    assert paused["plan"]["status"] == "PAUSED"
    again = (await kit.api.ok(_move("deliveryPlanPause"), {"id": plan["id"]},
                              manager.token))["deliveryPlanPause"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TRANSITION"]
    listed = await kit.api.ok("""query($c: ID!) { deliveryPlans(filter: {consignorId: $c,
      status: [PAUSED]}) { totalCount edges { node { id } } } }""", {"c": c.gid}, manager.token)
    assert listed["deliveryPlans"]["edges"] == [{"node": {"id": plan["id"]}}]
    # bad input: days outside 1..7, another consignor's goods
    other = Consignor(kit)
    bad = (await kit.api.ok(CREATE, {"input": {"consignorId": c.gid, "plan": _plan_input(
        c, [0, 8], today - timedelta(days=1), lines=[other.line()])}},
        manager.token))["deliveryPlanCreate"]
    assert bad["plan"] is None and bad["userErrors"][0]["field"] == ["routeDays"]
    foreign = (await kit.api.ok(CREATE, {"input": {"consignorId": c.gid, "plan": _plan_input(
        c, [1], today, lines=[other.line()])}}, manager.token))["deliveryPlanCreate"]
    assert [e["field"] for e in foreign["userErrors"]] == [["lines", "0", "productId"]]


async def test_the_scheduler_makes_each_route_day_once(kit, factory, runner):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    today = date.today()
    days = sorted({d.isoweekday() for d in _week(today)[1:3]})
    plan = await _create(c, manager.token, days, today)
    plan_pk = pk(plan["id"])
    expected = [d for d in _week(today)[:8] if d.isoweekday() in days]
    made = await runner.write(scheduler.schedule_plan, plan_pk, today, today + timedelta(7),
                              principal=SYSTEM)
    assert len(made) == len(expected)
    rows = delivery_rows(kit, c.row.id)
    assert sorted(r.plan_date for r in rows) == expected
    assert {r.source for r in rows} == {"PLAN"}
    # a second pass (and a whole run) makes nothing more
    assert await runner.write(scheduler.schedule_plan, plan_pk, today, today + timedelta(7),
                              principal=SYSTEM) == []
    assert pk(plan["id"]) not in (await scheduler.run_schedule(runner, today, 7)).failed
    assert len(delivery_rows(kit, c.row.id)) == len(expected)
    orders = orders_of(kit, c.row.id)
    assert sorted(o.promised_date for o in orders) == expected
    assert {o.status for o in orders} == {"PENDING_REVIEW"}
    # a paused plan makes nothing
    await kit.api.ok(_move("deliveryPlanPause"), {"id": plan["id"]}, manager.token)
    assert await runner.write(scheduler.schedule_plan, plan_pk, today, today + timedelta(14),
                              principal=SYSTEM) == []


def make_and_hold(uow: UnitOfWork, plan_id: int, dates: list, gate: str) -> list[int]:
    """Scheduler A: make the plan's orders, then hold its unit uncommitted until `gate`
    exists (module-level: the SQLite writer process gets it by name)."""
    made = scheduler.make_dates(uow, plan_id, dates)
    with open(gate + ".started", "w"):
        pass
    deadline = time.monotonic() + HOLD_SECONDS
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.005)
    return made


async def test_two_schedulers_racing_make_each_order_once(kit, factory, runner, settings):
    """B reads the due dates while A's orders are still uncommitted (so B finds all of them
    due), then claims them: on PostgreSQL B's claims wait for A's commit and take nothing;
    on SQLite B's unit runs after A's and its claims find A's rows. One order per date."""
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    today = date.today()
    plan = await _create(c, manager.token, [1, 2, 3, 4, 5, 6, 7], today)
    plan_pk, last = pk(plan["id"]), today + timedelta(6)
    other = Database(settings.database_url)  # scheduler B: a process of its own, in effect
    b = Runner(other)
    gate = os.path.join(tempfile.mkdtemp(prefix="crm-plan-race-"), "gate")
    try:
        dates = await runner.read(scheduler.due_dates, plan_pk, today, last)
        a_task = asyncio.create_task(runner.write(make_and_hold, plan_pk, dates, gate,
                                                  principal=SYSTEM))
        await writer_held(gate)
        seen_by_b = await b.read(scheduler.due_dates, plan_pk, today, last)
        assert seen_by_b == dates  # A has not committed
        b_task = asyncio.create_task(b.write(scheduler.make_dates, plan_pk, seen_by_b,
                                             principal=SYSTEM))
        open(gate, "w").close()
        made_a, made_b = await a_task, await b_task
    finally:
        other.dispose()
    assert (len(made_a), made_b) == (7, [])
    rows = delivery_rows(kit, c.row.id)
    assert sorted(r.plan_date for r in rows) == dates and len(dates) == 7
    assert len(orders_of(kit, c.row.id)) == 7


async def test_whole_scheduler_passes_running_at_once(kit, factory, runner, settings):
    manager = factory.user("MANAGER")
    consignors = [Consignor(kit) for _ in range(2)]
    today = date.today()
    for c in consignors:
        for days in ([1, 3, 5], [2, 4, 6, 7]):
            await _create(c, manager.token, days, today)
    other = Database(settings.database_url)
    try:
        passes = await asyncio.gather(scheduler.run_schedule(runner, today, 13),
                                      scheduler.run_schedule(Runner(other), today, 13),
                                      scheduler.run_schedule(runner, today, 13))
    finally:
        other.dispose()
    for c in consignors:
        rows = delivery_rows(kit, c.row.id)
        per_plan = {}
        for r in rows:
            per_plan.setdefault(r.plan_id, []).append(r.plan_date)
        assert all(len(v) == len(set(v)) for v in per_plan.values())
        assert sum(len(v) for v in per_plan.values()) == 14  # two weeks, every weekday once
        assert len(orders_of(kit, c.row.id)) == 14
    mine = {r.id for c in consignors for r in delivery_rows(kit, c.row.id)}
    assert len(mine & {i for p in passes for i in p.created}) == 28
    assert sum(len(set(p.created) & mine) for p in passes) == 28


def test_route_dates_follow_days_and_validity():
    plan = DeliveryPlan(consignor_id=1, route_days="1,4", valid_from=date(2026, 12, 8),
                        valid_until=date(2026, 12, 17))
    assert scheduler.route_dates(plan, date(2026, 12, 1), date(2026, 12, 31)) == [
        date(2026, 12, 10), date(2026, 12, 14), date(2026, 12, 17)]
