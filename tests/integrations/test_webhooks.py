"""Outgoing webhooks end to end: a subscription made through the API, an order placed and
approved through the API, the fan-out and the dispatcher run pass by pass, and a real
local receiver that checks the signature (docs/architecture.md#outgoing-webhooks)."""

from __future__ import annotations

import json

from app.audit.models import AuditRecord
from app.events import topics
from app.integrations.fanout import fan_out_pending
from tests.integrations.receiver import Receiver, signature_ok
from tests.orders.support import pk
from tests.support import Api, unique

ERRORS = "userErrors { field message code }"
SUBSCRIPTION = "id url eventTypes enabled secretHint consecutiveFailures disabledReason"
CREATE = f"""mutation($input: WebhookSubscriptionCreateInput!) {{
  webhookSubscriptionCreate(input: $input) {{ webhookSubscription {{ {SUBSCRIPTION} }}
    secret {ERRORS} }} }}"""
UPDATE = f"""mutation($input: WebhookSubscriptionUpdateInput!) {{
  webhookSubscriptionUpdate(input: $input) {{ webhookSubscription {{ {SUBSCRIPTION} }}
    {ERRORS} }} }}"""
DELIVERIES = """query($sub: ID!) { webhookDeliveries(filter: {subscriptionId: $sub}, first: 50,
  sort: CREATED_AT_ASC) { totalCount nodes { id eventId eventType status attempts
  nextAttemptAt lastResponseCode lastError deliveredAt payload
  subscription { id } attemptLog { responseCode error } } } }"""
RETRY = f"""mutation($id: ID!) {{ webhookDeliveryRetry(id: $id) {{
  webhookDelivery {{ id status attempts }} {ERRORS} }} }}"""
SECRET = "receiver-shared-secret-0123456789"


async def _subscribe(api: Api, token: str, url: str, types: list[str] | None = None,
                     secret: str | None = SECRET) -> dict:
    inp = {"url": url, "eventTypes": types or [topics.ORDER_STATUS_CHANGED]}
    if secret is not None:
        inp["secret"] = secret
    payload = (await api.ok(CREATE, {"input": inp}, token))["webhookSubscriptionCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def _placed_order(kit, factory) -> dict:  # noqa: ANN001
    """An order placed for review and approved through the API: status events."""
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 10)
    admin = factory.user("ADMIN")
    order = await kit.order(admin.token, kit.customer(), [(product, 2)], submit=True)
    return await kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token) \
        if order["status"] == "PENDING_REVIEW" else order


async def _deliveries(api: Api, token: str, subscription: str) -> list[dict]:
    data = await api.ok(DELIVERIES, {"sub": subscription}, token)
    return data["webhookDeliveries"]["nodes"]


async def test_events_reach_the_local_receiver_signed(hooks_api, hooks_kit, factory, db,
                                                      receiver: Receiver, dispatch):
    admin = factory.user("ADMIN")
    path = f"/{unique('signed')}"
    payload = await _subscribe(hooks_api, admin.token, receiver.url(path))
    sub = payload["webhookSubscription"]
    assert payload["secret"] is None  # the caller gave one: nothing to show
    assert sub["secretHint"] == "…" + SECRET[-4:] and sub["enabled"] is True
    order = await _placed_order(hooks_kit, factory)

    assert fan_out_pending(db) >= 1
    assert await dispatch().run_once() >= 1

    got = receiver.got(path)
    bodies = [json.loads(r.body) for r in got]
    ours = [b for b in bodies if b["data"]["order_id"] == pk(order["id"])]
    assert ours and all(b["type"] == topics.ORDER_STATUS_CHANGED for b in ours)
    assert {b["data"]["to_status"] for b in ours} >= {"PENDING_REVIEW"}
    for r in got:
        assert r.headers["content-type"] == "application/json"
        assert r.headers["x-webhook-event"] == topics.ORDER_STATUS_CHANGED
        assert r.headers["x-webhook-event-id"] == str(json.loads(r.body)["eventId"])
        assert r.headers["host"] == f"127.0.0.1:{receiver.port}"
        assert signature_ok(SECRET, r.headers, r.body)
        # a forged request fails the receiver's check: another secret, a changed body, a
        # replayed timestamp
        assert not signature_ok("not-the-secret-at-all", r.headers, r.body)
        assert not signature_ok(SECRET, r.headers, r.body.replace(b"order", b"0rder"))
        assert not signature_ok(SECRET, {**r.headers, "x-timestamp": str(
            int(r.headers["x-timestamp"]) - 1)}, r.body)
        assert not signature_ok(SECRET, r.headers, r.body,
                                now=int(r.headers["x-timestamp"]) + 301)

    log = await _deliveries(hooks_api, admin.token, sub["id"])
    assert len(log) == len(got)
    assert {(d["status"], d["lastResponseCode"], d["attempts"]) for d in log} == {
        ("DELIVERED", 200, 1)}
    assert all(d["attemptLog"] == [{"responseCode": 200, "error": None}] for d in log)
    assert all(d["subscription"]["id"] == sub["id"] and d["deliveredAt"] for d in log)
    # posted together, so they may arrive in any order: receivers order by eventId
    assert [d["payload"] for d in log] == sorted(bodies, key=lambda b: b["eventId"])


async def test_a_500_is_retried_after_the_backoff(hooks_api, hooks_kit, factory, db,
                                                  receiver: Receiver, dispatch, clock):
    admin = factory.user("ADMIN")
    path = f"/{unique('retry')}"
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(path),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    receiver.plan[path] = [500]
    hooks_kit.customer()
    fan_out_pending(db)
    dispatcher = dispatch(base_seconds=30)

    await dispatcher.run_once()
    [failed] = await _deliveries(hooks_api, admin.token, sub["id"])
    assert (failed["status"], failed["lastResponseCode"], failed["lastError"]) == (
        "FAILED", 500, "HTTP 500")
    await dispatcher.run_once()  # not due yet: nothing posted
    assert [r.answered for r in receiver.got(path)] == [500]

    clock.advance(31)
    await dispatcher.run_once()
    [delivered] = await _deliveries(hooks_api, admin.token, sub["id"])
    assert [r.answered for r in receiver.got(path)] == [500, 200]
    assert (delivered["status"], delivered["attempts"], delivered["lastResponseCode"]) == (
        "DELIVERED", 2, 200)
    assert [a["responseCode"] for a in delivered["attemptLog"]] == [500, 200]
    assert all(signature_ok(SECRET, r.headers, r.body) for r in receiver.got(path))
    assert receiver.got(path)[0].body == receiver.got(path)[1].body  # the same body


async def test_repeated_failures_give_up_disable_and_a_manual_retry_sends_again(
        hooks_api, hooks_kit, factory, db, receiver: Receiver, dispatch, clock):
    admin = factory.user("ADMIN")
    path = f"/{unique('down')}"
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(path),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    receiver.plan[path] = [503, 502, 500, 500]
    hooks_kit.customer()
    hooks_kit.customer()
    fan_out_pending(db)
    dispatcher = dispatch(max_attempts=2, base_seconds=10, disable_after=3)

    await dispatcher.run_once()  # both fail: 2 in a row
    clock.advance(11)
    await dispatcher.run_once()  # both fail again, give up; the third in a row disables
    log = await _deliveries(hooks_api, admin.token, sub["id"])
    assert {d["status"] for d in log} == {"GAVE_UP"}
    assert sorted(len(d["attemptLog"]) for d in log) == [2, 2]
    [state] = (await hooks_api.ok("{ webhookSubscriptions(filter: {enabled: false}) { nodes {"
                                  f" {SUBSCRIPTION} }} }} }}", token=admin.token)
               )["webhookSubscriptions"]["nodes"]
    assert state["id"] == sub["id"] and state["enabled"] is False
    assert state["disabledReason"].startswith("disabled after 3 failed attempts in a row")

    # a disabled subscription's delivery is not sent again until it is enabled
    retry = (await hooks_api.ok(RETRY, {"id": log[0]["id"]}, admin.token))["webhookDeliveryRetry"]
    assert [e["code"] for e in retry["userErrors"]] == ["CONFLICT"]
    enabled = (await hooks_api.ok(UPDATE, {"input": {"id": sub["id"], "enabled": True}},
                                  admin.token))["webhookSubscriptionUpdate"]
    assert enabled["webhookSubscription"]["enabled"] is True
    assert enabled["webhookSubscription"]["consecutiveFailures"] == 0

    retry = (await hooks_api.ok(RETRY, {"id": log[0]["id"]}, admin.token))["webhookDeliveryRetry"]
    assert retry["userErrors"] == [] and retry["webhookDelivery"]["status"] == "PENDING"
    await dispatcher.run_once()
    after = {d["id"]: d for d in await _deliveries(hooks_api, admin.token, sub["id"])}
    assert after[log[0]["id"]]["status"] == "DELIVERED"
    assert [a["responseCode"] for a in after[log[0]["id"]]["attemptLog"]][-1] == 200
    assert after[log[1]["id"]]["status"] == "GAVE_UP"  # only the one asked for
    actions = [r.action for r in _audits(factory, pk(sub["id"]), receiver.url(path))]
    assert actions == ["webhook_subscription.create", "webhook_subscription.update"]


async def test_a_redirect_is_a_failure_and_not_followed(hooks_api, hooks_kit, factory, db,
                                                        receiver: Receiver, dispatch):
    admin = factory.user("ADMIN")
    path = f"/{unique('moved')}"
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(path),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    receiver.plan[path] = [302]
    hooks_kit.customer()
    fan_out_pending(db)
    await dispatch().run_once()
    [delivery] = await _deliveries(hooks_api, admin.token, sub["id"])
    assert (delivery["status"], delivery["lastResponseCode"]) == ("FAILED", 302)
    assert receiver.got("/redirected") == []


async def test_the_destination_is_checked_again_when_posting(hooks_api, hooks_kit, factory,
                                                             db, receiver: Receiver, dispatch):
    """Allowed when it was created, not any more when it is posted (the allowed networks
    changed, or the name now resolves elsewhere): refused, nothing sent."""
    admin = factory.user("ADMIN")
    path = f"/{unique('rebound')}"
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(path),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    hooks_kit.customer()
    fan_out_pending(db)
    await dispatch(allowed=()).run_once()
    [delivery] = await _deliveries(hooks_api, admin.token, sub["id"])
    assert delivery["status"] == "FAILED" and delivery["lastResponseCode"] is None
    assert "127.0.0.1" in delivery["lastError"] and "refused" in delivery["lastError"]
    assert receiver.got(path) == []


async def test_events_before_the_subscription_and_of_other_types_are_not_sent(
        hooks_api, hooks_kit, factory, db, receiver: Receiver, dispatch):
    admin = factory.user("ADMIN")
    hooks_kit.customer()  # before it exists
    path = f"/{unique('types')}"
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(path),
                            [topics.STOCK_ALERT]))["webhookSubscription"]
    hooks_kit.customer()  # not its type
    fan_out_pending(db)
    await dispatch().run_once()
    assert await _deliveries(hooks_api, admin.token, sub["id"]) == []
    assert receiver.got(path) == []


async def test_a_drawn_secret_is_shown_once_and_never_audited(hooks_api, factory,
                                                              receiver: Receiver):
    admin = factory.user("ADMIN")
    url = receiver.url(f"/{unique('drawn')}")
    payload = await _subscribe(hooks_api, admin.token, url, secret=None)
    secret, sub = payload["secret"], payload["webhookSubscription"]
    assert len(secret) >= 32 and sub["secretHint"] == "…" + secret[-4:]
    [record] = _audits(factory, pk(sub["id"]), url)
    assert secret not in json.dumps(record.after) and "secret" not in record.after
    node = await hooks_api.ok("query($id: ID!) { node(id: $id) { ... on WebhookSubscription "
                              "{ url secretHint } } }", {"id": sub["id"]}, admin.token)
    assert node["node"] == {"url": url, "secretHint": sub["secretHint"]}


def _audits(factory, entity_id: int, url: str) -> list[AuditRecord]:  # noqa: ANN001
    """The subscription's audit records (SQLite may give a deleted one's id to the next)."""
    from sqlmodel import select

    def fetch(session):  # noqa: ANN001, ANN202
        return list(session.exec(select(AuditRecord).where(
            AuditRecord.entity_type == "WebhookSubscription",
            AuditRecord.entity_id == entity_id).order_by(AuditRecord.id)))
    return [r for r in factory.runner.read_sync(fetch, (), {})
            if (r.after or r.before or {}).get("url") == url]


async def test_deliveries_are_listed_by_status(hooks_api, factory):
    admin = factory.user("ADMIN")
    data = await hooks_api.ok("""{ webhookDeliveries(filter: {status: [GAVE_UP]}, first: 5) {
      nodes { status } } webhookEventTypes }""", token=admin.token)
    assert all(n["status"] == "GAVE_UP" for n in data["webhookDeliveries"]["nodes"])
    assert topics.ORDER_STATUS_CHANGED in data["webhookEventTypes"]
    assert topics.NOTIFICATIONS_DUE not in data["webhookEventTypes"]


async def test_the_cli_runs_a_pass(hooks_api, hooks_kit, factory, settings,  # noqa: ANN001
                                   receiver: Receiver):
    """`crm deliver-webhooks`, as a scheduler would run it, in a process of its own."""
    import os
    import subprocess
    import sys

    from app.config import PROJECT_ROOT

    admin = factory.user("ADMIN")
    path = f"/{unique('cli')}"
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(path),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    hooks_kit.customer()
    env = {**os.environ, "CRM_DATABASE_URL": settings.database_url,
           "CRM_JWT_SECRET": settings.jwt_secret, "CRM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "deliver-webhooks"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 new deliveries" in done.stdout
    [got] = receiver.got(path)
    assert signature_ok(SECRET, got.headers, got.body)
    [delivery] = await _deliveries(hooks_api, admin.token, sub["id"])
    assert delivery["status"] == "DELIVERED"


async def test_without_subscriptions_the_fan_out_holds_no_events_back(hooks_api, hooks_kit,
                                                                      factory, db,
                                                                      receiver: Receiver):
    """Retention keeps what a durable consumer has not passed: with nothing to deliver, the
    fan-out keeps no position (app/integrations/fanout.py)."""
    from sqlmodel import Session

    from app.events.repository import consumers
    from app.integrations.fanout import CONSUMER

    admin = factory.user("ADMIN")
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(f"/{unique('gone')}"),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    hooks_kit.customer()
    assert fan_out_pending(db) == 1
    with Session(db.read_engine) as session:
        assert consumers.exists(session, CONSUMER)
    await hooks_api.ok("mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedId } }",
                       {"id": sub["id"]}, admin.token)
    hooks_kit.customer()
    assert fan_out_pending(db) == 0
    with Session(db.read_engine) as session:
        assert not consumers.exists(session, CONSUMER)


async def test_the_delivery_log_reads_in_a_fixed_number_of_statements(
        hooks_api, hooks_kit, factory, db, receiver: Receiver, dispatch):
    """A page, its subscriptions and its attempts: one statement each, at any page size."""
    from tests.orders.support import query_statements

    admin = factory.user("ADMIN")
    sub = (await _subscribe(hooks_api, admin.token, receiver.url(f"/{unique('count')}"),
                            [topics.CUSTOMER_CREATED]))["webhookSubscription"]
    counts = []
    for _ in range(2):
        hooks_kit.customer()
        hooks_kit.customer()
        fan_out_pending(db)
        await dispatch().run_once()
        db.counter.reset()
        log = await _deliveries(hooks_api, admin.token, sub["id"])
        counts.append(len(query_statements(db)))
        assert all(d["attemptLog"] and d["subscription"] for d in log)
    assert len(log) == 4
    assert counts[0] == counts[1] <= 4, db.counter.statements
