"""The periodic checks: one overdue alert per activity and due time, one contact-plan task
per period, also with two runs racing (two threads, two transactions: SQLite's busy
handler or PostgreSQL's row locks decide), and the staff notices they plan
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

from app.activities import checks
from app.auth.principal import SYSTEM
from app.notifications.repository import source_key
from tests.activities import support as a
from tests.orders.support import pk


def _race(factory, fn, *args):  # noqa: ANN001, ANN202
    """`fn` as two units of work at once, each in a thread of its own."""
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(factory.runner.write_sync, fn, *args, principal=SYSTEM)
                for _ in range(2)]
        return [r.result() for r in runs]


async def test_one_overdue_alert_per_item_with_racing_runs(api, factory):
    rep, manager = factory.user("SALES"), factory.user("MANAGER")
    customer = factory.customer(owner_id=rep.id)
    late = await a.create(api, rep.token, a.customer_gid(customer), title="逾期回访",
                          due=a.now() - timedelta(minutes=30))
    future = await a.create(api, rep.token, a.customer_gid(customer), title="not yet",
                            due=a.now() + timedelta(hours=1))
    activity_id, future_id = pk(late["id"]), pk(future["id"])

    first, second = _race(factory, checks.check_overdue, a.now())
    assert [activity_id in r.raised for r in (first, second)].count(True) == 1
    assert not set(first.raised) & set(second.raised)
    assert len(a.overdue_events(factory, activity_id)) == 1
    assert a.overdue_events(factory, future_id) == []
    again = factory.runner.write_sync(checks.check_overdue, a.now(), principal=SYSTEM)
    assert activity_id not in again.raised

    factory.plan_notifications()
    notices = a.notifications(factory, "staff_activity_overdue",
                              source_key("activity_id", activity_id))
    in_app = [(n.user_id, n.channel) for n in notices if n.channel == "IN_APP"]
    assert in_app.count((rep.id, "IN_APP")) == 1
    assert in_app.count((manager.id, "IN_APP")) == 1
    assert "逾期回访" in next(n.subject for n in notices if n.user_id == rep.id)

    # an edit that keeps the due time raises nothing new
    same = (await api.ok(a.UPDATE, {"id": late["id"], "input": {
        "title": "逾期回访（已改）", "dueAt": late["dueAt"]}}, rep.token))["activityUpdate"]
    assert same["userErrors"] == []
    factory.runner.write_sync(checks.check_overdue, a.now(), principal=SYSTEM)
    assert len(a.overdue_events(factory, activity_id)) == 1

    # a new due time can be missed again, once
    moved = (await api.ok(a.UPDATE, {"id": late["id"], "input": {
        "dueAt": a.iso(a.now() - timedelta(minutes=1))}}, rep.token))["activityUpdate"]
    assert moved["userErrors"] == []
    _race(factory, checks.check_overdue, a.now())
    assert len(a.overdue_events(factory, activity_id)) == 2
    # done work is never overdue
    done = await a.create(api, rep.token, a.customer_gid(customer), title="done",
                          due=a.now() - timedelta(hours=3), done=True)
    factory.runner.write_sync(checks.check_overdue, a.now(), principal=SYSTEM)
    assert a.overdue_events(factory, pk(done["id"])) == []


PLAN = """mutation($input: ContactPlanSetInput!) { contactPlanSet(input: $input) {
  contactPlan { id everyDays nextDueOn active subjectId } userErrors { field code } } }"""


async def test_contact_plan_makes_its_task_once(api, factory, settings):
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    zone = settings.business_timezone
    today = a.now().astimezone(ZoneInfo(zone)).date()
    payload = (await api.ok(PLAN, {"input": {
        "subjectId": a.customer_gid(customer), "everyDays": 14,
        "firstDueOn": today.isoformat()}}, rep.token))["contactPlanSet"]
    assert payload["userErrors"] == []
    plan = payload["contactPlan"]
    assert (plan["everyDays"], plan["nextDueOn"]) == (14, today.isoformat())

    _race(factory, checks.run_contact_plans, today, zone)
    tasks = a.activities_of_plan(factory, pk(plan["id"]))
    assert len(tasks) == 1
    assert (tasks[0].kind, tasks[0].assignee_id, tasks[0].customer_id) == (
        "TASK", rep.id, customer.id)
    factory.runner.write_sync(checks.run_contact_plans, today, zone, principal=SYSTEM)
    assert len(a.activities_of_plan(factory, pk(plan["id"]))) == 1
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on ContactPlan { nextDueOn } } }",
                        {"id": plan["id"]}, rep.token)
    assert node["node"]["nextDueOn"] == (today + timedelta(days=14)).isoformat()
    # the next period, reached: one more task
    later = today + timedelta(days=14)
    _race(factory, checks.run_contact_plans, later, zone)
    assert len(a.activities_of_plan(factory, pk(plan["id"]))) == 2
    # another rep's customer is NOT_FOUND, like a missing one
    other = factory.user("SALES")
    refused = (await api.ok(PLAN, {"input": {"subjectId": a.customer_gid(customer),
                                             "everyDays": 7}}, other.token))
    assert refused["contactPlanSet"]["userErrors"][0]["code"] == "NOT_FOUND"
