"""Cash on delivery after the door, through the API: a COD order's parcels delivered with
cash (in full, short), the carrier's remittance and the reconciliation's numbers;
remittances that must be refused write nothing; who may record and read
(docs/architecture.md#cash-on-delivery). The arithmetic alone, on a table of cases:
test_cod_reconciliation.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from app.audit.models import AuditRecord
from app.ids import from_global_id
from app.shipping import creation, delivery
from app.shipping.models import CodRemittance, Shipment
from tests.orders.support import query_statements
from tests.shipping import logistics_support as ls
from tests.shipping.support import gid
from tests.support import unique

D = Decimal

RECORD = """mutation($input: CodRemittanceRecordInput!) { codRemittanceRecord(input: $input) {
  remittance { id reference amount { amount currency } receivedAt shipmentCount
               collected { amount } difference { amount } carrier { id name } }
  userErrors { field message code } } }"""

RECONCILE = """query($carrierId: ID!, $from: Date!, $to: Date!) {
  codReconciliation(carrierId: $carrierId, from: $from, to: $to) {
    from to carrier { id name }
    due { amount } collected { amount } remitted { amount } outstanding { amount }
    collectionDifference { amount } remittanceDifference { amount }
    collectedShipments remittedShipments outstandingShipments remittanceCount
    shipmentDiscrepancies { shipmentId number due { amount } collected { amount }
                            difference { amount } remitted }
    remittances { id reference amount { amount } collected { amount } difference { amount }
                  shipmentCount carrier { id } }
    remittanceDiscrepancies { reference difference { amount } }
  } }"""


def _cod_parcels(factory, route: ls.Lane, count: int):  # noqa: ANN001, ANN202
    """`count` one-unit parcels of a cash-on-delivery order, picked up on day 0."""
    customer = factory.customer()
    item = ls.product(factory)
    order, line = ls.order(factory, customer.id, item, count, route.warehouse, cod=True)
    out = []
    for _ in range(count):
        shipment = ls.ship(factory, order, line, 1, route)
        ls.scan(factory, shipment.id, "PICKED_UP", ls.at(0, 1))
        out.append(shipment)
    return out


def _rows(factory, ids: list[int]) -> dict[int, Shipment]:  # noqa: ANN001
    return factory.runner.read_sync(lambda s: {r.id: r for r in s.exec(
        select(Shipment).where(Shipment.id.in_(ids)))}, (), {})


def _remittances(factory, carrier_id: int) -> list[CodRemittance]:  # noqa: ANN001
    return factory.runner.read_sync(lambda s: list(s.exec(select(CodRemittance).where(
        CodRemittance.carrier_id == carrier_id).order_by(CodRemittance.id))), (), {})


def _audited(factory, entity_type: str, pk: int) -> list[str]:  # noqa: ANN001
    return factory.runner.read_sync(lambda s: list(s.exec(select(AuditRecord.action).where(
        AuditRecord.entity_type == entity_type, AuditRecord.entity_id == pk)
        .order_by(AuditRecord.id))), (), {})


def _amount(value: Decimal) -> str:
    return str(value.quantize(D("0.01")))


def _input(route: ls.Lane, ids: list[str], amount: str, reference: str | None = None,
           **extra) -> dict:  # noqa: ANN003
    return {"carrierId": gid("Carrier", route.carrier.id), "amount": amount,
            "reference": reference or unique("REM-"), "shipmentIds": ids, **extra}


def _period(route: ls.Lane, first: int = 0, last: int = 6) -> dict:
    return {"carrierId": gid("Carrier", route.carrier.id),
            "from": ls.local_day(first).isoformat(), "to": ls.local_day(last).isoformat()}


async def _placed_cod_parcels(kit, route: ls.Lane, count: int):  # noqa: ANN001, ANN202
    """A cash-on-delivery order placed and approved through the API (its stock reserved
    in the lane's warehouse, the only one holding the product), in `count` one-unit
    parcels picked up on day 0."""
    item = ls.product(kit.factory)
    kit.stock(item, route.warehouse, count)
    rep = kit.factory.user("SALES")
    order = await kit.order(rep.token, kit.customer(owner_id=rep.id), [(item, count)],
                            paymentMethod="CASH_ON_DELIVERY", submit=True)
    order = await kit.ok_step("orderApprove", order["id"], kit.factory.user("FINANCE").token)
    assert order["paymentMethod"] == "CASH_ON_DELIVERY" and order["status"] == "CONFIRMED"
    assert [a["warehouse"]["code"] for a in order["allocations"]] == [route.warehouse.code]
    pk = from_global_id(order["id"])[1]
    line = from_global_id(order["lines"][0]["id"])[1]
    out = []
    for _ in range(count):
        shipment = kit.factory.write(creation.create_shipment, creation.ShipmentDraft(
            pk, route.warehouse.id, [(line, 1)], service_id=route.service.id,
            ready_at=ls.DAY0), "Asia/Shanghai")
        ls.scan(kit.factory, shipment.id, "PICKED_UP", ls.at(0, 1))
        out.append(shipment)
    return out


async def test_cod_parcels_delivered_remitted_and_reconciled(api, factory, db, kit):
    route = ls.lane(factory)
    full, short, on_the_way = await _placed_cod_parcels(kit, route, 3)
    due = {s.id: s.cod_amount for s in (full, short, on_the_way)}
    assert all(v > 0 for v in due.values()), due
    ls.scan(factory, full.id, "DELIVERED", ls.at(1, 2))  # in full: the carrier's default
    ls.scan(factory, short.id, "DELIVERED", ls.at(1, 3), cod_collected=due[short.id] - 10)
    finance = factory.user("FINANCE")

    before = (await api.ok(RECONCILE, _period(route), finance.token))["codReconciliation"]
    collected = due[full.id] + due[short.id] - 10
    assert before["collected"]["amount"] == _amount(collected)
    assert before["outstanding"]["amount"] == _amount(collected)
    assert before["remitted"]["amount"] == "0.00" and before["remittances"] == []
    assert (before["collectedShipments"], before["outstandingShipments"]) == (2, 2)

    versions = {k: v.version for k, v in _rows(factory, [full.id, short.id]).items()}
    # the carrier pays the cash collected less a 5.00 fee, two days later
    payload = (await api.ok(RECORD, {"input": _input(
        route, [gid("Shipment", full.id), gid("Shipment", short.id)], _amount(collected - 5),
        "SF-PAYOUT-0605", receivedAt=ls.at(3).isoformat())}, finance.token)
    )["codRemittanceRecord"]
    assert payload["userErrors"] == []
    remittance = payload["remittance"]
    assert remittance["reference"] == "SF-PAYOUT-0605"
    assert remittance["amount"] == {"amount": _amount(collected - 5), "currency": "CNY"}
    assert remittance["shipmentCount"] == 2
    assert remittance["collected"]["amount"] == _amount(collected)
    assert remittance["difference"]["amount"] == "-5.00"
    assert remittance["carrier"] == {"id": gid("Carrier", route.carrier.id),
                                     "name": route.carrier.name}
    rows = _rows(factory, [full.id, short.id, on_the_way.id])
    pk = _remittances(factory, route.carrier.id)[0].id
    assert [rows[s.id].cod_remittance_id for s in (full, short, on_the_way)] == [pk, pk, None]
    assert {k: rows[k].version for k in versions} == {k: v + 1 for k, v in versions.items()}
    assert _audited(factory, "CodRemittance", pk) == ["cod.remittance_record"]
    assert _audited(factory, "Shipment", short.id)[-1] == "shipment.cod_remit"

    db.counter.reset()
    got = (await api.ok(RECONCILE, _period(route), finance.token))["codReconciliation"]
    # the carrier, its parcels collected in the period, its remittances with their totals
    assert len(query_statements(db)) == 3, db.counter.statements
    assert got["from"] == ls.local_day(0).isoformat() and got["to"] == ls.local_day(6).isoformat()
    assert got["carrier"] == remittance["carrier"]
    assert {k: got[k]["amount"] for k in ("due", "collected", "remitted", "outstanding",
                                          "collectionDifference", "remittanceDifference")} == {
        "due": _amount(due[full.id] + due[short.id]), "collected": _amount(collected),
        "remitted": _amount(collected - 5), "outstanding": "0.00",
        "collectionDifference": "-10.00", "remittanceDifference": "-5.00"}
    assert (got["collectedShipments"], got["remittedShipments"], got["outstandingShipments"],
            got["remittanceCount"]) == (2, 2, 0, 1)
    assert got["shipmentDiscrepancies"] == [{
        "shipmentId": gid("Shipment", short.id), "number": short.number,
        "due": {"amount": _amount(due[short.id])},
        "collected": {"amount": _amount(due[short.id] - 10)},
        "difference": {"amount": "-10.00"}, "remitted": True}]
    assert got["remittances"] == [{**{k: remittance[k] for k in (
        "id", "reference", "collected", "difference", "shipmentCount")},
        "amount": {"amount": remittance["amount"]["amount"]},
        "carrier": {"id": gid("Carrier", route.carrier.id)}}]
    assert got["remittanceDiscrepancies"] == [{"reference": "SF-PAYOUT-0605",
                                               "difference": {"amount": "-5.00"}}]

    # the days of the deliveries only: collected and covered, the payout came later
    early = (await api.ok(RECONCILE, _period(route, 0, 2), finance.token))["codReconciliation"]
    assert (early["collected"]["amount"], early["remitted"]["amount"],
            early["outstanding"]["amount"], early["remittedShipments"]) == (
        _amount(collected), "0.00", "0.00", 2)
    # the payout's day only: the remittance, no collection
    late = (await api.ok(RECONCILE, _period(route, 3, 3), finance.token))["codReconciliation"]
    assert (late["collected"]["amount"], late["remitted"]["amount"],
            late["remittanceDifference"]["amount"]) == ("0.00", _amount(collected - 5),
                                                         "-5.00")

    node = await api.ok("query($id: ID!) { node(id: $id) { ... on CodRemittance { reference "
                        "shipmentCount } } }", {"id": remittance["id"]}, finance.token)
    assert node == {"node": {"reference": "SF-PAYOUT-0605", "shipmentCount": 2}}


async def test_reconciliation_arguments(api, factory):
    finance = factory.user("FINANCE")
    route = ls.lane(factory)
    for variables, code, field in (
            ({**_period(route), "carrierId": gid("Carrier", 987654321)}, "NOT_FOUND",
             ["carrierId"]),
            ({**_period(route), "carrierId": gid("Shipment", route.carrier.id)}, "NOT_FOUND",
             ["carrierId"]),
            (_period(route, 3, 1), "INVALID", ["to"]),
            ({**_period(route), "from": "2023-01-01"}, "INVALID", ["to"])):
        body = await api.gql(RECONCILE, variables, finance.token)
        assert body["data"] == {"codReconciliation": None}, variables
        (error,) = body["errors"]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)


async def test_a_retried_remittance_with_its_key_is_recorded_once(api, factory):
    route = ls.lane(factory)
    (parcel,) = _cod_parcels(factory, route, 1)
    ls.scan(factory, parcel.id, "DELIVERED", ls.at(1))
    finance = factory.user("FINANCE")
    inp = _input(route, [gid("Shipment", parcel.id)], _amount(parcel.cod_amount),
                 idempotencyKey=unique("key-"))
    first = (await api.ok(RECORD, {"input": inp}, finance.token))["codRemittanceRecord"]
    again = (await api.ok(RECORD, {"input": inp}, finance.token))["codRemittanceRecord"]
    assert first["userErrors"] == again["userErrors"] == []
    assert again["remittance"] == first["remittance"]
    assert len(_remittances(factory, route.carrier.id)) == 1


async def test_refused_remittances_write_nothing(api, factory):
    route, foreign = ls.lane(factory), ls.lane(factory)
    ready, done, on_the_way, late = _cod_parcels(factory, route, 4)
    factory.write(delivery.confirm_delivery, ready.id, signer="前台", delivered_at=ls.at(1),
                  cod_collected=ready.cod_amount)  # staff's proof of delivery
    ls.scan(factory, done.id, "DELIVERED", ls.at(1))
    ls.scan(factory, late.id, "DELIVERED", ls.at(1), cod_collected=D("0"))
    (theirs,) = _cod_parcels(factory, foreign, 1)
    ls.scan(factory, theirs.id, "DELIVERED", ls.at(1))
    prepaid_order, line = ls.order(factory, factory.customer().id, ls.product(factory), 1,
                                   route.warehouse)
    prepaid = ls.ship(factory, prepaid_order, line, 1, route)
    ls.scan(factory, prepaid.id, "PICKED_UP", ls.at(0, 1))
    ls.scan(factory, prepaid.id, "DELIVERED", ls.at(1))
    finance = factory.user("FINANCE")
    taken = (await api.ok(RECORD, {"input": _input(
        route, [gid("Shipment", done.id)], "1.00", "R-TAKEN")}, finance.token)
    )["codRemittanceRecord"]
    assert taken["userErrors"] == []
    watched = [ready.id, done.id, on_the_way.id, late.id, theirs.id, prepaid.id]
    before = _rows(factory, watched)
    ok = gid("Shipment", ready.id)

    cases = [
        (_input(route, [ok, gid("Shipment", theirs.id)], "10"),
         [(["shipmentIds", "1"], "INVALID", "not carried by")]),
        (_input(route, [gid("Shipment", on_the_way.id)], "10"),
         [(["shipmentIds", "0"], "INVALID_TRANSITION", "PICKED_UP")]),
        (_input(route, [gid("Shipment", prepaid.id)], "10"),
         [(["shipmentIds", "0"], "INVALID", "collected no cash")]),
        (_input(route, [gid("Shipment", late.id)], "10"),
         [(["shipmentIds", "0"], "INVALID", "collected no cash")]),
        (_input(route, [ok, gid("Shipment", done.id)], "10"),
         [(["shipmentIds", "1"], "CONFLICT", "R-TAKEN")]),
        (_input(route, [ok], "10", "R-TAKEN"), [(["reference"], "DUPLICATE", "R-TAKEN")]),
        (_input(route, [ok], "10", " "), [(["reference"], "INVALID", "reference")]),
        (_input(route, [ok], "-5"), [(["amount"], "INVALID", "positive")]),
        (_input(route, [ok], "0"), [(["amount"], "INVALID", "positive")]),
        (_input(route, [ok], "1e20"), [(["amount"], "INVALID", "positive")]),
        (_input(route, [ok], "NaN"), [(["amount"], "INVALID", "decimal")]),
        (_input(route, [ok], "Infinity"), [(["amount"], "INVALID", "decimal")]),
        (_input(route, [ok], "10.001"), [(["amount"], "INVALID", "decimal")]),
        (_input(route, [ok, ok], "10"), [(["shipmentIds", "1"], "INVALID", "twice")]),
        (_input(route, [], "10"), [(["shipmentIds"], "INVALID", "1 to 1000")]),
        (_input(route, [ok, gid("Shipment", 987654321)], "10"),
         [(["shipmentIds", "1"], "NOT_FOUND", "not found")]),
        (_input(route, [ok, "not-an-id", gid("Order", ready.order_id)], "10"),
         [(["shipmentIds", "1"], "NOT_FOUND", "not found"),
          (["shipmentIds", "2"], "NOT_FOUND", "not found")]),
        ({**_input(route, [ok], "10"), "carrierId": gid("Carrier", 987654321)},
         [(["carrierId"], "NOT_FOUND", "Carrier")]),
        (_input(route, [ok], "10",
                receivedAt=(datetime.now(UTC) + timedelta(days=1)).isoformat()),
         [(["receivedAt"], "INVALID", "future")]),
        # every problem at once, each at its field
        (_input(route, [gid("Shipment", theirs.id), gid("Shipment", done.id)], "10",
                "R-TAKEN"),
         [(["reference"], "DUPLICATE", "R-TAKEN"),
          (["shipmentIds", "0"], "INVALID", "not carried by"),
          (["shipmentIds", "1"], "CONFLICT", "R-TAKEN")]),
    ]
    for inp, expected in cases:
        payload = (await api.ok(RECORD, {"input": inp}, finance.token))["codRemittanceRecord"]
        assert payload["remittance"] is None, inp
        errors = payload["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == [(f, c) for f, c, _ in expected], \
            (inp, errors)
        for error, (_, _, words) in zip(errors, expected, strict=True):
            assert words in error["message"], (inp, error)

    assert [r.reference for r in _remittances(factory, route.carrier.id)] == ["R-TAKEN"]
    assert _remittances(factory, foreign.carrier.id) == []
    after = _rows(factory, watched)
    assert {k: (v.cod_remittance_id, v.version) for k, v in after.items()} == {
        k: (v.cod_remittance_id, v.version) for k, v in before.items()}


# Who may record and read ----------------------------------------------------------------

ROLES = ("ADMIN", "MANAGER", "SALES", "CUSTOMER_SERVICE", "WAREHOUSE", "LOGISTICS", "FINANCE",
         "ANALYST", "CUSTOMER")
MAY_RECORD = {"ADMIN", "MANAGER", "FINANCE"}
MAY_RECONCILE = {"ADMIN", "MANAGER", "FINANCE", "LOGISTICS"}


async def test_who_may_record_remittances_and_read_the_reconciliation(api, factory):
    route = ls.lane(factory)
    parcels = _cod_parcels(factory, route, len(MAY_RECORD) + 1)
    for parcel in parcels:
        ls.scan(factory, parcel.id, "DELIVERED", ls.at(1))
    customer = factory.customer()
    users = {role: factory.user(role, customer_id=customer.id if role == "CUSTOMER" else None,
                                warehouses=[route.warehouse.code] if role == "WAREHOUSE"
                                else None) for role in ROLES}
    free = iter(parcels[1:])  # one for each role that may record; parcels[0] for the rest
    recorded = []
    for role, user in users.items():
        target = next(free) if role in MAY_RECORD else parcels[0]
        reference = f"R-{role}-{unique('')}"
        body = await api.gql(RECORD, {"input": _input(
            route, [gid("Shipment", target.id)], "1.00", reference)}, user.token)
        if role in MAY_RECORD:
            assert not body.get("errors"), (role, body)
            assert body["data"]["codRemittanceRecord"]["userErrors"] == [], role
            recorded.append(reference)
        else:
            assert body["data"] is None, role
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], role

        body = await api.gql(RECONCILE, _period(route), user.token)
        if role in MAY_RECONCILE:
            assert not body.get("errors"), (role, body)
            assert body["data"]["codReconciliation"]["collectedShipments"] == len(parcels)
        else:
            assert body["data"] == {"codReconciliation": None}, role
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], role

    assert sorted(r.reference for r in _remittances(factory, route.carrier.id)) == \
        sorted(recorded)
    assert _rows(factory, [parcels[0].id])[parcels[0].id].cod_remittance_id is None
