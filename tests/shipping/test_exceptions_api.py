"""The delivery-exception API over HTTP against the real app: the queue with age and SLA
breach, the failed-delivery list, staff work and resolutions, every new operation for every
role (a denied mutation changes nothing), and the scope: a CUSTOMER or a foreign warehouse
is answered exactly like a missing id (docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from datetime import date, timedelta

from app.orders.models import Order
from app.payments.service import PaymentRequest, record_payment
from app.shipping.exceptions import working
from app.shipping.models import Shipment, ShipmentException
from tests.orders.support import pk, query_statements
from tests.shipping import exception_support as x
from tests.shipping import support as s
from tests.shipping.quote_support import ROLES

READERS = set(ROLES) - {"CUSTOMER"}
WRITERS = {"ADMIN", "MANAGER", "CUSTOMER_SERVICE", "LOGISTICS"}
RECEIVERS = {"ADMIN", "MANAGER", "WAREHOUSE", "LOGISTICS"}  # shipments:write
NODE = """query($id: ID!) { node(id: $id) { id }
  shipmentException(id: $id) { id } }"""


def _world(factory, **kw) -> tuple[x.Parcel, dict]:  # noqa: ANN001, ANN003
    """A parcel, and one user per role, each able to see it if its role may: the SALES rep
    owns the customer, the WAREHOUSE user works its warehouse, the CUSTOMER is the buyer."""
    rep = factory.user("SALES")
    p = x.parcel(factory, customer=factory.customer(owner_id=rep.id), **kw)
    users = {"SALES": rep, "WAREHOUSE": factory.user("WAREHOUSE", warehouses=[p.warehouse.code]),
             "CUSTOMER": factory.user("CUSTOMER", customer_id=p.customer.id)}
    return p, {role: users.get(role) or factory.user(role) for role in ROLES}


def _forbidden(body: dict) -> bool:
    return body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_queue_lists_open_exceptions_oldest_first_with_age_and_sla(api, factory):
    p = x.parcel(factory, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    old = x.exceptions_of(factory, p.shipment.id)[0]  # opened at T0 + 30 h: long overdue
    fresh = factory.write(working.open_by_staff, p.shipment.id, "DAMAGED", "客户反映破损")
    done = factory.write(working.open_by_staff, p.shipment.id, "OTHER", "已处理")
    factory.write(working.add_note, done.id, "已电话确认")
    x.resolve(factory, done.id, "CONTACT_CUSTOMER", "已与客户确认")
    admin = factory.user("ADMIN")
    mine = {"shipmentId": p.gid}
    data = await api.ok(x.QUEUE, {"filter": mine}, admin.token)
    nodes = data["shipmentExceptions"]["nodes"]
    assert [n["id"] for n in nodes] == [s.gid("ShipmentException", e.id) for e in (old, fresh)]
    first, second = nodes
    assert (first["type"], first["status"], first["slaBreached"]) == (
        "FAILED_ATTEMPT", "OPEN", True)
    assert first["ageHours"] > 24 * 30 and first["shipment"]["number"] == p.shipment.number
    assert (second["type"], second["severity"], second["slaBreached"]) == (
        "DAMAGED", "HIGH", False)
    assert 0 <= second["ageHours"] < 1
    assert data["shipmentExceptions"]["totalCount"] == 2
    by_sla = await api.ok(x.QUEUE, {"filter": {**mine, "slaBreached": False},
                                    "sort": "SLA_DUE_AT_DESC"}, admin.token)
    assert [n["type"] for n in by_sla["shipmentExceptions"]["nodes"]] == ["DAMAGED"]
    every = await api.ok(x.QUEUE, {"filter": {**mine, "status": None},
                                   "sort": "OPENED_AT_DESC"}, admin.token)
    nodes = every["shipmentExceptions"]["nodes"]
    assert [n["type"] for n in nodes] == ["OTHER", "DAMAGED", "FAILED_ATTEMPT"]
    resolved = nodes[0]
    assert (resolved["status"], resolved["resolution"], resolved["resolutionNote"]) == (
        "RESOLVED", "CONTACT_CUSTOMER", "已与客户确认")
    assert resolved["notes"] == [{"body": "已电话确认", "author": None}]  # by the system
    page = await api.ok(x.QUEUE, {"filter": mine, "first": 1}, admin.token)
    assert page["shipmentExceptions"]["pageInfo"]["hasNextPage"] is True
    rest = await api.ok(x.QUEUE, {"filter": mine, "first": 1, "after": page[
        "shipmentExceptions"]["pageInfo"]["endCursor"]}, admin.token)
    assert [n["type"] for n in rest["shipmentExceptions"]["nodes"]] == ["DAMAGED"]


async def test_staff_work_an_exception_through_the_api(api, factory):
    p = x.parcel(factory, quantity=1, spare=1)
    agent, logistics = factory.user("CUSTOMER_SERVICE"), factory.user("LOGISTICS")
    opened = await api.ok(x.OPEN, {"shipmentId": p.gid, "type": "LOST",
                                   "description": "承运商确认丢件"}, agent.token)
    exc = opened["shipmentExceptionOpen"]["shipmentException"]
    assert (exc["type"], exc["severity"], exc["source"], exc["version"]) == (
        "LOST", "CRITICAL", "STAFF", 1)
    again = await api.ok(x.OPEN, {"shipmentId": p.gid, "type": "LOST", "description": "x"},
                         agent.token)
    assert [e["code"] for e in again["shipmentExceptionOpen"]["userErrors"]] == ["DUPLICATE"]
    wrong = await api.ok(x.ASSIGN, {"id": exc["id"], "assigneeId": factory.user("SALES").gid},
                         agent.token)
    assert wrong["shipmentExceptionAssign"]["userErrors"][0]["field"] == ["assigneeId"]
    done = await api.ok(x.ASSIGN, {"id": exc["id"], "assigneeId": agent.gid,
                                   "expectedVersion": 1}, agent.token)
    assert done["shipmentExceptionAssign"]["shipmentException"]["assignee"] == {"id": agent.gid}
    stale = await api.ok(x.ASSIGN, {"id": exc["id"], "assigneeId": None,
                                    "expectedVersion": 1}, agent.token)
    assert [e["code"] for e in stale["shipmentExceptionAssign"]["userErrors"]] == ["CONFLICT"]
    noted = await api.ok(x.NOTE, {"id": exc["id"], "body": "已通知客户补发"}, agent.token)
    assert noted["shipmentExceptionNoteAdd"]["shipmentException"]["notes"] == [
        {"body": "已通知客户补发", "author": {"id": agent.gid}}]
    # a reship is shipments work too: customer service may not, logistics may
    denied = await api.ok(x.RESOLVE, {"id": exc["id"], "resolution": "RESHIP", "note": "补发"},
                          agent.token)
    assert [(e["code"], e["field"]) for e in denied["shipmentExceptionResolve"]["userErrors"]] \
        == [("FORBIDDEN", ["resolution"])]
    resolved = await api.ok(x.RESOLVE, {"id": exc["id"], "resolution": "RESHIP",
                                        "note": "补发"}, logistics.token)
    payload = resolved["shipmentExceptionResolve"]
    assert payload["userErrors"] == []
    row = payload["shipmentException"]
    assert (row["status"], row["resolution"], row["resolvedBy"]) == (
        "RESOLVED", "RESHIP", {"id": logistics.gid})
    assert row["reshipShipment"]["status"] == "CREATED"
    assert x.level(factory, p).reserved == 1


async def test_resolve_redeliver_and_refund_through_the_api(api, factory):
    p = x.parcel(factory, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    exc = s.gid("ShipmentException", x.exceptions_of(factory, p.shipment.id)[0].id)
    agent = factory.user("CUSTOMER_SERVICE")
    past = await api.ok(x.RESOLVE, {"id": exc, "resolution": "REDELIVER", "note": "改期",
                                    "redeliverOn": "2020-01-01"}, agent.token)
    assert [e["field"] for e in past["shipmentExceptionResolve"]["userErrors"]] == [
        ["redeliverOn"]]
    on = (date.today() + timedelta(days=1)).isoformat()
    done = await api.ok(x.RESOLVE, {"id": exc, "resolution": "REDELIVER", "note": "改期",
                                    "redeliverOn": on}, agent.token)
    row = done["shipmentExceptionResolve"]["shipmentException"]
    assert (row["redeliverOn"], row["shipment"]["estimatedDelivery"]) == (on, on)
    total = x.row(factory, Order, p.order.id).total
    factory.write(record_payment, PaymentRequest(p.order.id, total, "CNY",
                                                 method="BANK_TRANSFER"))
    damaged = factory.write(working.open_by_staff, p.shipment.id, "DAMAGED", "破损")
    refund = {"id": s.gid("ShipmentException", damaged.id), "resolution": "REFUND",
              "note": "破损补偿", "refundAmount": "20.00"}
    denied = await api.ok(x.RESOLVE, refund, agent.token)
    assert [e["code"] for e in denied["shipmentExceptionResolve"]["userErrors"]] == [
        "FORBIDDEN"]
    paid = await api.ok(x.RESOLVE, refund, factory.user("MANAGER").token)
    row = paid["shipmentExceptionResolve"]["shipmentException"]
    assert row["refundPayment"] == {"kind": "REFUND", "amount": {"amount": "20.00"}}


async def test_failed_deliveries_list_the_last_attempt_and_open_exceptions(api, factory):
    wh = s.warehouse(factory)
    keeper = factory.user("WAREHOUSE", warehouses=[wh.code])
    twice = x.parcel(factory, warehouse=wh, events=(
        ("PICKED_UP", 1), ("FAILED_ATTEMPT", 20), ("OUT_FOR_DELIVERY", 30)))
    x.event(factory, twice.shipment, "FAILED_ATTEMPT", 40, description="第二次无人签收")
    x.parcel(factory, warehouse=wh, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 20),
                                            ("DELIVERED", 30)))  # delivered after all
    x.parcel(factory, warehouse=wh)  # no failed attempt
    data = await api.ok(x.FAILED, {"first": 100}, keeper.token)
    [only] = data["failedDeliveries"]["nodes"]
    assert only["shipment"]["number"] == twice.shipment.number and only["failedAttempts"] == 2
    assert only["lastAttempt"]["description"] == "第二次无人签收"
    assert [e["type"] for e in only["openExceptions"]] == ["FAILED_ATTEMPT"]


async def test_every_role_reads_writes_or_is_refused_and_refusals_change_nothing(api, factory):
    p, users = _world(factory, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    target = x.exceptions_of(factory, p.shipment.id)[0]
    target_id = s.gid("ShipmentException", target.id)
    agent = factory.user("CUSTOMER_SERVICE")
    kinds = dict(zip(sorted(WRITERS), ("DAMAGED", "LOST", "REFUSED", "OTHER"), strict=True))
    returned = {role: x.parcel(factory, warehouse=p.warehouse) for role in RECEIVERS}
    for role, user in users.items():
        token = user.token
        body = await api.gql(x.QUEUE, {"filter": {"shipmentId": p.gid}}, token)
        failed = await api.gql(x.FAILED, {"first": 5, "sort": "UPDATED_AT_DESC"}, token)
        if role in READERS:
            assert not body.get("errors") and not failed.get("errors"), (role, body, failed)
            assert target_id in [n["id"] for n in body["data"]["shipmentExceptions"]["nodes"]]
            assert p.shipment.number in [n["shipment"]["number"] for n in
                                         failed["data"]["failedDeliveries"]["nodes"]], role
        else:
            assert _forbidden(body) and _forbidden(failed), role
        before = x.row(factory, ShipmentException, target.id)
        calls = [
            (x.OPEN, {"shipmentId": p.gid, "type": kinds.get(role, "ADDRESS_PROBLEM"),
                      "description": f"{role} 登记"}),
            (x.NOTE, {"id": target_id, "body": f"{role} 的备注"}),
            (x.ASSIGN, {"id": target_id, "assigneeId": agent.gid}),
        ]
        for query, variables in calls:
            body = await api.gql(query, variables, token)
            if role in WRITERS:
                payload = next(iter(body["data"].values()))
                assert payload["userErrors"] == [], (role, payload)
            else:
                assert _forbidden(body), (role, body)
        if role not in WRITERS:  # nothing changed: no exception, note, assignee or version
            after = x.row(factory, ShipmentException, target.id)
            assert (after.version, after.assignee_id) == (before.version, before.assignee_id)
            assert [e.type for e in x.exceptions_of(factory, p.shipment.id)
                    if e.type == "ADDRESS_PROBLEM"] == []
        parcel = returned[role] if role in RECEIVERS else p
        body = await api.gql(x.RECEIVE, {"id": parcel.gid}, token)
        if role in RECEIVERS:
            assert body["data"]["shipmentReturnReceive"]["shipment"]["status"] == \
                "RETURNED_TO_SENDER", (role, body)
        else:
            assert _forbidden(body), (role, body)
    notes = x.notes_of(factory, target.id)
    assert sorted(n.body for n in notes) == sorted(f"{r} 的备注" for r in WRITERS)
    assert x.row(factory, Shipment, p.shipment.id).restocked_at is None
    # each writer resolves the exception it opened
    for role in sorted(WRITERS):
        row = next(e for e in x.exceptions_of(factory, p.shipment.id) if e.type == kinds[role])
        body = await api.ok(x.RESOLVE, {"id": s.gid("ShipmentException", row.id),
                                        "resolution": "CONTACT_CUSTOMER", "note": "已联系"},
                            users[role].token)
        assert body["shipmentExceptionResolve"]["userErrors"] == [], role
    for role in set(ROLES) - WRITERS:
        body = await api.gql(x.RESOLVE, {"id": target_id, "resolution": "CONTACT_CUSTOMER",
                                         "note": "x"}, users[role].token)
        assert _forbidden(body), role
    assert x.row(factory, ShipmentException, target.id).status == "OPEN"


async def test_outside_the_scope_is_answered_like_a_missing_id(api, factory):
    p = x.parcel(factory, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    exc = s.gid("ShipmentException", x.exceptions_of(factory, p.shipment.id)[0].id)
    missing = s.gid("ShipmentException", 987654321)
    stranger = factory.user("WAREHOUSE", warehouses=[s.warehouse(factory).code])
    rep = factory.user("SALES")  # owns other customers
    buyer = factory.user("CUSTOMER", customer_id=p.customer.id)
    for user in (stranger, rep, buyer):
        for ident in (exc, missing):
            body = await api.gql(NODE, {"id": ident}, user.token)
            assert body["data"] == {"node": None, "shipmentException": None}, user.role
            # staff: no error at all; the buyer: the queue's own field is refused
            assert [e["extensions"]["code"] for e in body.get("errors", [])] == (
                ["FORBIDDEN"] if user is buyer else []), user.role
    for user in (stranger, rep):
        data = await api.ok(x.QUEUE, {"filter": {"shipmentId": p.gid, "status": None}},
                            user.token)
        assert data["shipmentExceptions"]["nodes"] == []
        failed = await api.ok(x.FAILED, {"first": 5, "sort": "UPDATED_AT_DESC"}, user.token)
        assert p.shipment.number not in [n["shipment"]["number"] for n in
                                         failed["failedDeliveries"]["nodes"]]
    for query in (x.QUEUE, x.FAILED):
        assert _forbidden(await api.gql(query, {}, buyer.token))
    # a foreign warehouse's parcel cannot be received back, with the missing id's answer
    foreign = await api.ok(x.RECEIVE, {"id": p.gid}, stranger.token)
    absent = await api.ok(x.RECEIVE, {"id": s.gid("Shipment", 987654321)}, stranger.token)
    assert foreign["shipmentReturnReceive"]["userErrors"] == \
        absent["shipmentReturnReceive"]["userErrors"]
    assert foreign["shipmentReturnReceive"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_the_queue_runs_the_same_statements_for_10_and_30_exceptions(api, factory, db):
    wh = s.warehouse(factory)
    keeper = factory.user("WAREHOUSE", warehouses=[wh.code])
    agent = factory.user("CUSTOMER_SERVICE")
    kinds = ("DAMAGED", "LOST", "ADDRESS_PROBLEM", "REFUSED", "OTHER", "DELAYED")
    for _ in range(5):
        p = x.parcel(factory, warehouse=wh)
        for kind in kinds:
            row = factory.write(working.open_by_staff, p.shipment.id, kind, f"{kind} 测试")
            if kind == "LOST":
                factory.write(working.assign, row.id, agent.id)
                factory.write(working.add_note, row.id, "跟进中")
    query = """query($n: Int) { shipmentExceptions(first: $n) { nodes {
      id type ageHours slaBreached assignee { id } notes { body author { id } }
      shipment { number order { number } warehouse { name } } } } }"""
    counts = {}
    for n in (10, 30):
        db.counter.reset()
        data = await api.ok(query, {"n": n}, keeper.token)
        counts[n] = len(query_statements(db))
        nodes = data["shipmentExceptions"]["nodes"]
        assert len(nodes) == n and all(node["shipment"]["order"] for node in nodes)
    assert counts[10] == counts[30], query_statements(db)
    assert pk(nodes[0]["id"]) > 0
