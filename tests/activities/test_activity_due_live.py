"""activityDue over a real WebSocket: the assignee and the managers get the overdue
alert, another rep does not; customers and analysts are refused
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import timedelta

from app.activities import checks
from tests.activities import support as a
from tests.subscriptions.harness import WsClient

DUE = """subscription { activityDue { cursor activityId assigneeId kind title dueAt
  activity { id status } } }"""


async def _until(ws: WsClient, op: str, activity_id: str) -> dict:
    for _ in range(500):
        seen = (await ws.next(op))["data"]["activityDue"]
        if seen["activityId"] == activity_id:
            return seen
    raise AssertionError("the event never came")


async def test_the_overdue_alert_reaches_the_assignee_live(live, live_api, factory):
    rep, other, manager = factory.user("SALES"), factory.user("SALES"), factory.user("MANAGER")
    customer = factory.customer(owner_id=rep.id)
    late = await a.create(live_api, rep.token, a.customer_gid(customer), kind="VISIT",
                          title="拜访逾期", due=a.now() - timedelta(minutes=5))
    mine = await WsClient.connect(live.ws_url, rep.token)
    await mine.subscribe("mine", DUE)
    theirs = await WsClient.connect(live.ws_url, other.token)
    await theirs.subscribe("theirs", DUE)
    boss = await WsClient.connect(live.ws_url, manager.token)
    await boss.subscribe("team", DUE)
    for ws in (mine, theirs, boss):
        await ws.sync()

    await live.write(checks.check_overdue, a.now())
    seen = await _until(mine, "mine", late["id"])
    assert (seen["kind"], seen["title"], seen["assigneeId"]) == ("VISIT", "拜访逾期", rep.gid)
    assert seen["activity"] == {"id": late["id"], "status": "OPEN"}
    assert (await _until(boss, "team", late["id"]))["cursor"] == seen["cursor"]
    assert await theirs.quiet("theirs") == []  # it has no overdue work
    for ws in (mine, theirs, boss):
        await ws.close()


async def test_customers_and_analysts_are_refused(live, factory):
    customer = factory.customer()
    for user in (factory.user("CUSTOMER", customer_id=customer.id), factory.user("ANALYST")):
        ws = await WsClient.connect(live.ws_url, user.token)
        await ws.subscribe("due", DUE)
        refused = await ws.message("due")
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
        await ws.close()
