"""Sales targets and visit plans: progress computed in SQL on a hand-built month, the
behind-pace alert once per target and day, and who may see and set them
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.activities import checks, periods
from app.auth.principal import SYSTEM
from app.notifications.repository import source_key
from app.orders import service, transitions
from app.orders.pricing import LineRequest
from tests.activities import support as a
from tests.orders.support import Kit, pk

SET = """mutation($input: SalesTargetSetInput!) { salesTargetSet(input: $input) {
  salesTarget { id metric target achieved progress isTeam user { fullName } periodEnd }
  userErrors { field code } } }"""
TARGETS = """query($filter: SalesTargetFilter) { salesTargets(filter: $filter, first: 50) {
  edges { node { id metric period periodStart target achieved progress pace isTeam } } } }"""
PLAN = """mutation($input: VisitPlanSetInput!) { visitPlanSet(input: $input) {
  visitPlan { id weekStart weekEnd plannedVisits completedVisits progress user { fullName } }
  userErrors { field code } } }"""
PLANS = """query($filter: VisitPlanFilter) { visitPlans(filter: $filter, first: 20) {
  edges { node { id weekStart plannedVisits completedVisits progress } } } }"""


def _today(settings) -> date:  # noqa: ANN001
    return datetime.now(UTC).astimezone(ZoneInfo(settings.business_timezone)).date()


def _order(factory, customer, product, quantity: int, *, approve: bool = True):  # noqa: ANN001, ANN202
    order = factory.write(service.create_order, service.OrderDraft(
        customer_id=customer.id, submit=True, lines=(LineRequest(product.id, quantity),)))
    return factory.write(transitions.approve_order, order.id) if approve else order


async def _visit(api, token, customer, *, done: bool) -> dict:  # noqa: ANN001
    made = await a.create(api, token, a.customer_gid(customer), kind="VISIT", title="拜访")
    if done:
        await api.ok(a.COMPLETE, {"id": made["id"]}, token)
    return made


async def test_target_progress_and_the_behind_pace_alert(api, factory, settings):
    kit = Kit(api, factory)
    rep, other, manager = factory.user("SALES"), factory.user("SALES"), factory.user("MANAGER")
    mine, also_mine = factory.customer(owner_id=rep.id), factory.customer(owner_id=rep.id)
    theirs = factory.customer(owner_id=other.id)
    product, east = kit.product("25.00"), kit.warehouse("华东")
    kit.stock(product, east, 100)
    counted = [_order(factory, mine, product, 2), _order(factory, also_mine, product, 4)]
    cancelled = _order(factory, also_mine, product, 1)
    factory.write(transitions.cancel_order, cancelled.id, "客户取消")
    _order(factory, mine, product, 3, approve=False)  # not approved: not revenue
    _order(factory, theirs, product, 5)  # another rep's
    for done in (True, True, False):
        await _visit(api, rep.token, mine, done=done)
    await a.create(api, rep.token, a.customer_gid(mine), kind="CALL", title="c", done=True)

    start = _today(settings).replace(day=1)
    ids = {}
    for metric, target in (("REVENUE", "100000"), ("NEW_CUSTOMERS", "10"), ("VISITS", "2")):
        payload = (await api.ok(SET, {"input": {"userId": rep.gid, "period": "MONTH",
                                                "periodStart": start.isoformat(),
                                                "metric": metric, "target": target}},
                                manager.token))["salesTargetSet"]
        assert payload["userErrors"] == [], payload
        ids[metric] = payload["salesTarget"]["id"]
    team = (await api.ok(SET, {"input": {"period": "MONTH", "periodStart": start.isoformat(),
                                         "metric": "VISITS", "target": "1000"}},
                         manager.token))["salesTargetSet"]["salesTarget"]
    assert team["isTeam"] is True and team["user"] is None

    revenue = sum((o.total for o in counted), Decimal("0"))
    assert revenue == Decimal("150.00") + sum((o.shipping_total for o in counted), Decimal(0))
    seen = await api.ok(TARGETS, {"filter": {"userId": rep.gid}}, rep.token)
    got = {e["node"]["metric"]: e["node"] for e in seen["salesTargets"]["edges"]}
    assert Decimal(got["REVENUE"]["achieved"]) == revenue
    assert Decimal(got["NEW_CUSTOMERS"]["achieved"]) == 2
    assert Decimal(got["VISITS"]["achieved"]) == 2 and got["VISITS"]["progress"] == 1.0
    assert Decimal(team["achieved"]) >= 2
    # SALES see their own targets only; they do not set them
    assert (await api.ok(TARGETS, {"filter": {"team": True}}, rep.token))[
        "salesTargets"]["edges"] == []
    assert (await api.ok(TARGETS, {}, other.token))["salesTargets"]["edges"] == []
    refused = await api.gql(SET, {"input": {"period": "MONTH", "metric": "VISITS",
                                            "periodStart": start.isoformat(), "target": "1"}},
                            rep.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = (await api.ok(SET, {"input": {"userId": rep.gid, "period": "QUARTER",
                                        "periodStart": start.replace(day=2).isoformat(),
                                        "metric": "VISITS", "target": "1.5"}},
                        manager.token))["salesTargetSet"]["userErrors"]
    assert {tuple(e["field"]) for e in bad} == {("periodStart",), ("target",)}

    # near the end of the month: revenue and new customers far behind, visits met
    zone = settings.business_timezone
    _, end = periods.utc_bounds(start, periods.period_end("MONTH", start), zone)
    late = max(end - timedelta(hours=1), datetime.now(UTC) + timedelta(seconds=1))
    first = factory.runner.write_sync(checks.check_pace, late, zone, 0.8, principal=SYSTEM)
    mine_raised = {t for t in first.raised if t in {pk(i) for i in ids.values()}}
    assert mine_raised == {pk(ids["REVENUE"]), pk(ids["NEW_CUSTOMERS"])}
    again = factory.runner.write_sync(checks.check_pace, late, zone, 0.8, principal=SYSTEM)
    assert not {pk(i) for i in ids.values()} & set(again.raised)  # once per day
    factory.plan_notifications()
    notices = a.notifications(factory, "staff_target_behind",
                              source_key("target_id", pk(ids["REVENUE"])))
    assert [(n.user_id, n.channel) for n in notices if n.user_id == rep.id
            and n.channel == "IN_APP"] == [(rep.id, "IN_APP")]
    assert any(n.user_id == manager.id for n in notices)


async def test_visit_plans_progress_and_rules(api, factory, settings):
    rep, other, manager = factory.user("SALES"), factory.user("SALES"), factory.user("MANAGER")
    customer = factory.customer(owner_id=rep.id)
    monday = periods.week_start(_today(settings))
    payload = (await api.ok(PLAN, {"input": {"weekStart": monday.isoformat(),
                                             "plannedVisits": 4}}, rep.token))["visitPlanSet"]
    assert payload["userErrors"] == []
    for done in (True, True, False):
        await _visit(api, rep.token, customer, done=done)
    plans = await api.ok(PLANS, {"filter": {"weekFrom": monday.isoformat()}}, rep.token)
    [plan] = [e["node"] for e in plans["visitPlans"]["edges"]]
    assert (plan["plannedVisits"], plan["completedVisits"], plan["progress"]) == (4, 2, 0.5)
    # set again: replaced, not duplicated; a manager plans a rep's week
    again = (await api.ok(PLAN, {"input": {"weekStart": monday.isoformat(), "plannedVisits": 5,
                                           "userId": rep.gid}}, manager.token))["visitPlanSet"]
    assert again["visitPlan"]["id"] == plan["id"] and again["visitPlan"]["plannedVisits"] == 5
    assert (await api.ok(PLANS, {}, other.token))["visitPlans"]["edges"] == []
    foreign = (await api.ok(PLAN, {"input": {"weekStart": monday.isoformat(),
                                             "plannedVisits": 1, "userId": rep.gid}},
                            other.token))["visitPlanSet"]["userErrors"]
    assert foreign[0]["code"] == "FORBIDDEN"
    tuesday = (await api.ok(PLAN, {"input": {"weekStart": (monday + timedelta(days=1))
                                             .isoformat(), "plannedVisits": 1}},
                            rep.token))["visitPlanSet"]["userErrors"]
    assert tuesday[0]["field"] == ["weekStart"]
