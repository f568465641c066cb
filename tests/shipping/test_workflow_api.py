"""The shipment workflow through the API: the choice of service and the customer's charge,
explicit lines, pack / dispatch / cancel with their state machine, dispatch exactly once
under concurrency, staff tracking and delivery with cash on delivery, the role matrix and
scope."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import func, select

from app.inventory.models import StockMovement
from app.shipping.models import Shipment, ShipmentException, TrackingEvent
from tests.orders.support import gid, pk
from tests.shipping import flow_support as f
from tests.shipping.quote_support import ROLES


def _count(kit, model, **where):  # noqa: ANN001, ANN003, ANN202
    def read(session):  # noqa: ANN001, ANN202
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return session.exec(stmt).one()
    return kit.read(read)


async def _shipments(api, kit, order, token=None, **extra):  # noqa: ANN001, ANN003, ANN202
    token = token or kit.factory.user("LOGISTICS").token
    return (await f.ok(api, f.CREATE_ALL, {"o": order["id"], **extra}, token,
                       "orderCreateShipments"))["shipments"]


async def test_cheapest_on_time_a_named_service_and_the_charge_per_agreement(api, kit):
    net = f.network(kit)
    # a far promise: economy arrives in time and is the cheapest
    relaxed = await f.placed(net, kit.customer(), [(net.tea, 2)], f.promised(10))
    [cheap] = await _shipments(api, kit, relaxed)
    assert cheap["service"]["code"] == net.economy.code
    assert cheap["charge"]["amount"] == cheap["cost"]["amount"] == "10.00"  # 8 + 1 x 2
    assert cheap["carrierChoice"]["chosen"]["serviceCode"] == net.economy.code
    assert cheap["estimatedDelivery"] <= cheap["promisedDate"]
    # the dispatcher names express for the next order, although economy would do
    order = await f.placed(net, kit.customer(), [(net.tea, 2)], f.promised(10))
    [named] = await _shipments(api, kit, order, s=gid("CarrierService", net.express.id))
    assert named["service"]["code"] == net.express.code
    assert "named by the dispatcher" in named["carrierChoice"]["reason"]
    # free shipping above the customer's threshold: the order owes no shipping
    generous = kit.customer(free_shipping_threshold=Decimal("50"))
    free = await f.placed(net, generous, [(net.tea, 2)])
    [parcel] = await _shipments(api, kit, free)
    assert parcel["charge"]["amount"] == "0.00" and parcel["cost"]["amount"] == "30.00"
    view = (await api.ok("query($id: ID!) { order(id: $id) { shippingTotal { amount } } }",
                         {"id": free["id"]}, kit.factory.user("ADMIN").token))["order"]
    assert view["shippingTotal"]["amount"] == "0.00"


async def test_explicit_lines_cancel_and_the_charge_follows(api, kit):
    net = f.network(kit)
    order = await f.placed(net, kit.customer(), [(net.tea, 4)])
    token = kit.factory.user("LOGISTICS").token
    line = order["lines"][0]["id"]
    base = {"orderId": order["id"], "warehouseId": f.warehouse_gid(net.east)}
    too_many = (await api.ok(f.CREATE, {"i": {**base, "lines": [
        {"orderLineId": line, "quantity": 5}]}}, token))["shipmentCreate"]
    assert too_many["userErrors"][0]["code"] == "QUANTITY_EXCEEDED"
    assert too_many["userErrors"][0]["field"] == ["lines", "0", "quantity"]
    wrong_wh = (await api.ok(f.CREATE, {"i": {**base, "warehouseId": f.warehouse_gid(
        net.south)}}, token))["shipmentCreate"]
    assert wrong_wh["userErrors"][0]["code"] == "CONFLICT"  # nothing reserved there
    one = (await f.ok(api, f.CREATE, {"i": {**base, "lines": [
        {"orderLineId": line, "quantity": 1}], "trackingNumber": "SF-EXPLICIT-1",
        "parcels": [{"weightKg": "1.1"}]}}, token, "shipmentCreate"))["shipment"]
    # the carrier's tracking number is one parcel's only (units are still open here)
    dup = (await api.ok(f.CREATE, {"i": {**base, "trackingNumber": "SF-EXPLICIT-1"}},
                        token))["shipmentCreate"]
    assert dup["userErrors"][0]["code"] == "DUPLICATE"
    assert dup["userErrors"][0]["field"] == ["trackingNumber"]
    rest = (await f.ok(api, f.CREATE, {"i": base}, token, "shipmentCreate"))["shipment"]
    assert one["trackingNumber"] == "SF-EXPLICIT-1"
    assert [ln["quantity"] for ln in rest["lines"]] == [3]
    total = "query($id: ID!) { order(id: $id) { shippingTotal { amount } } }"
    both = Decimal(one["charge"]["amount"]) + Decimal(rest["charge"]["amount"])
    assert (await api.ok(total, {"id": order["id"]}, token))["order"]["shippingTotal"][
        "amount"] == str(both)
    cancelled = (await f.ok(api, f.CANCEL, {"id": rest["id"], "r": "客户要求合并发货"}, token,
                            "shipmentCancel"))["shipment"]
    assert cancelled["status"] == "CANCELLED"
    assert (await api.ok(total, {"id": order["id"]}, token))["order"]["shippingTotal"][
        "amount"] == one["charge"]["amount"]
    assert kit.levels(net.tea)[net.east.id].reserved == 4  # the order keeps its stock
    actions = {a["action"]: a for a in cancelled["availableActions"]}
    assert not actions["DISPATCH"]["allowed"] and "CANCELLED" in actions["DISPATCH"]["reason"]
    again = (await api.ok(f.CANCEL, {"id": rest["id"], "r": "again"}, token))["shipmentCancel"]
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"
    blank = (await api.ok(f.CANCEL, {"id": one["id"], "r": "  "}, token))["shipmentCancel"]
    assert blank["userErrors"][0]["field"] == ["reason"]


async def test_two_concurrent_dispatches_take_the_stock_once(api, kit):
    net = f.network(kit)
    order = await f.placed(net, kit.customer(), [(net.tea, 3)])
    [parcel] = await _shipments(api, kit, order)
    token = kit.factory.user("LOGISTICS").token
    first, second = await asyncio.gather(
        api.ok(f.DISPATCH, {"id": parcel["id"]}, token),
        api.ok(f.DISPATCH, {"id": parcel["id"]}, token))
    outcomes = sorted(bool(p["shipmentDispatch"]["userErrors"]) for p in (first, second))
    assert outcomes == [False, True]
    loser = next(p for p in (first, second) if p["shipmentDispatch"]["userErrors"])
    assert loser["shipmentDispatch"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    level = kit.levels(net.tea)[net.east.id]
    assert (level.on_hand, level.reserved) == (17, 0)
    assert _count(kit, StockMovement, product_id=net.tea.id, kind="SHIPMENT") == 1
    kit.assert_ledger_consistent(net.tea)


async def test_staff_tracking_delivery_and_cash_on_delivery(api, kit):
    net = f.network(kit)
    order = await f.placed(net, kit.customer(), [(net.tea, 1)],
                           paymentMethod="CASH_ON_DELIVERY")
    [parcel] = await _shipments(api, kit, order)
    due = Decimal(parcel["codAmount"]["amount"])
    assert due == Decimal("50.00") + Decimal(parcel["charge"]["amount"])
    token = kit.factory.user("LOGISTICS").token
    at = datetime.now(UTC) - timedelta(hours=2)
    scan = {"status": "IN_TRANSIT", "occurredAt": at.isoformat(), "location": "上海",
            "externalId": "LOG-1"}
    moved = await f.ok(api, f.TRACK, {"id": parcel["id"], "i": scan}, token,
                       "trackingEventRecord")
    assert moved["shipment"]["status"] == "IN_TRANSIT" and moved["duplicate"] is False
    assert kit.levels(net.tea)[net.east.id].on_hand == 19  # the scan was the hand-over
    replay = await f.ok(api, f.TRACK, {"id": parcel["id"], "i": scan}, token,
                        "trackingEventRecord")
    assert replay["duplicate"] is True
    assert _count(kit, TrackingEvent, shipment_id=pk(parcel["id"])) == 1
    bad = (await api.ok(f.TRACK, {"id": parcel["id"], "i": {
        "status": "CREATED", "occurredAt": at.isoformat()}}, token))["trackingEventRecord"]
    assert bad["userErrors"][0]["field"] == ["status"]
    future = (await api.ok(f.TRACK, {"id": parcel["id"], "i": {
        "status": "IN_TRANSIT", "occurredAt": (datetime.now(UTC) + timedelta(days=1))
        .isoformat()}}, token))["trackingEventRecord"]
    assert future["userErrors"][0]["field"] == ["occurredAt"]
    missing_cash = (await api.ok(f.DELIVER, {"id": parcel["id"], "i": {"signer": "王五"}},
                                 token))["shipmentConfirmDelivery"]
    assert missing_cash["userErrors"][0]["field"] == ["codCollected"]
    short = due - Decimal("10")
    done = (await f.ok(api, f.DELIVER, {"id": parcel["id"], "i": {
        "signer": "王五", "proof": "POD-778", "codCollected": str(short)}}, token,
        "shipmentConfirmDelivery"))["shipment"]
    assert done["status"] == "DELIVERED" and done["codCollected"]["amount"] == str(short)
    view = (await api.ok("""query($id: ID!) { order(id: $id) { status paymentStatus
      paidTotal { amount } } }""", {"id": order["id"]}, token))["order"]
    assert view["status"] == "DELIVERED" and view["paymentStatus"] == "PARTIALLY_PAID"
    assert view["paidTotal"]["amount"] == str(short)
    assert _count(kit, ShipmentException, type="COD_MISMATCH", order_id=pk(order["id"])) == 1
    listed = (await api.ok("query($id: ID!) { shipment(id: $id) { exceptions { type status } } }",
                           {"id": parcel["id"]}, token))["shipment"]["exceptions"]
    assert listed == [{"type": "COD_MISMATCH", "status": "OPEN"}]
    twice = (await api.ok(f.DELIVER, {"id": parcel["id"], "i": {"signer": "x",
                                                                "codCollected": "1"}},
                          token))["shipmentConfirmDelivery"]
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_role_matrix_and_scope(api, kit):
    net = f.network(kit)
    customer = kit.customer()
    order = await f.placed(net, customer, [(net.tea, 2), (net.cup, 1)])
    writers = {"ADMIN", "MANAGER", "LOGISTICS", "WAREHOUSE"}
    before = _count(kit, Shipment, order_id=pk(order["id"]))
    for role in sorted(ROLES, key=lambda r: (r in writers, r != "WAREHOUSE")):
        user = kit.factory.user(
            role, customer_id=customer.id if role == "CUSTOMER" else None,
            warehouses=[net.east.code] if role == "WAREHOUSE" else None)
        body = await api.gql(f.CREATE_ALL, {"o": order["id"]}, user.token)
        if role not in writers:
            assert body["data"] is None, role
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
            assert _count(kit, Shipment, order_id=pk(order["id"])) == before, role
        elif role == "WAREHOUSE":  # first of the writers: only its own warehouse's parcel
            made = body["data"]["orderCreateShipments"]["shipments"]
            assert [s["warehouse"]["id"] for s in made] == [f.warehouse_gid(net.east)]
    # the next writer made the south one
    shipments = (await api.ok("""query($id: ID!) { order(id: $id) { shipments {
      id warehouse { id } } } }""", {"id": order["id"]}, kit.factory.user("ADMIN").token))
    whs = {s["warehouse"]["id"] for s in shipments["order"]["shipments"]}
    assert whs == {f.warehouse_gid(net.east), f.warehouse_gid(net.south)}
    # a customer sees its own parcel, another customer's answers like a missing one
    own = shipments["order"]["shipments"][0]["id"]
    buyer = kit.factory.user("CUSTOMER", customer_id=customer.id)
    stranger = kit.factory.user("CUSTOMER", customer_id=kit.customer().id)
    mine = await api.gql(f.CUSTOMER_VIEW, {"id": own}, buyer.token)
    assert mine["data"]["shipment"]["number"]
    theirs = await api.gql(f.CUSTOMER_VIEW, {"id": own}, stranger.token)
    missing = await api.gql(f.CUSTOMER_VIEW, {"id": gid("Shipment", 987654321)},
                            stranger.token)
    assert theirs == missing and theirs["data"]["shipment"] is None
    by_number = """query($t: String) { shipments(first: 5, filter: {trackingNumber: $t}) {
      edges { node { id } } } }"""
    tracking = (await api.ok("query($id: ID!) { shipment(id: $id) { trackingNumber } }",
                             {"id": own}, buyer.token))["shipment"]["trackingNumber"]
    assert (await api.ok(by_number, {"t": tracking}, stranger.token))["shipments"][
        "edges"] == []
    # customers cannot record events or dispatch
    denied = await api.gql(f.DISPATCH, {"id": own}, buyer.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_order_cancel_and_reschedule_follow_waiting_shipments(api, kit):
    net = f.network(kit)
    order = await f.placed(net, kit.customer(), [(net.tea, 2)])
    [parcel] = await _shipments(api, kit, order)
    manager = kit.factory.user("MANAGER").token
    blocked = await kit.step("orderSchedule", order["id"], manager)
    assert blocked["userErrors"][0]["code"] == "CONFLICT"
    assert parcel["number"] in blocked["userErrors"][0]["message"]
    cancelled = await kit.ok_step("orderCancel", order["id"], manager, reason="客户取消")
    assert cancelled["status"] == "CANCELLED"
    view = (await api.ok("""query($id: ID!) { order(id: $id) { shippingTotal { amount }
      shipments { status } } }""", {"id": order["id"]}, manager))["order"]
    assert view == {"shippingTotal": {"amount": "0.00"}, "shipments": [{"status": "CANCELLED"}]}
    level = kit.levels(net.tea)[net.east.id]
    assert (level.on_hand, level.reserved) == (20, 0)


async def test_every_workflow_mutation_is_refused_to_roles_without_shipments_write(api, kit):
    net = f.network(kit)
    order = await f.placed(net, kit.customer(), [(net.tea, 2)])
    [parcel] = await _shipments(api, kit, order)
    at = datetime.now(UTC).isoformat()
    calls = [(f.PACK, {"id": parcel["id"], "p": [{"weightKg": "1"}]}),
             (f.DISPATCH, {"id": parcel["id"]}),
             (f.CANCEL, {"id": parcel["id"], "r": "x"}),
             (f.TRACK, {"id": parcel["id"], "i": {"status": "IN_TRANSIT", "occurredAt": at}}),
             (f.DELIVER, {"id": parcel["id"], "i": {"signer": "x"}}),
             (f.CREATE, {"i": {"orderId": order["id"],
                               "warehouseId": f.warehouse_gid(net.east)}})]
    events = _count(kit, TrackingEvent, shipment_id=pk(parcel["id"]))
    for role in ("SALES", "CUSTOMER_SERVICE", "FINANCE", "ANALYST", "CUSTOMER"):
        user = kit.factory.user(role, customer_id=kit.customer().id
                                if role == "CUSTOMER" else None)
        for query, variables in calls:
            body = await api.gql(query, variables, user.token)
            assert body["data"] is None, (role, query)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, query)
    still = (await api.ok("query($id: ID!) { shipment(id: $id) { status version } }",
                          {"id": parcel["id"]}, kit.factory.user("ADMIN").token))["shipment"]
    assert still == {"status": "CREATED", "version": 1}
    assert _count(kit, TrackingEvent, shipment_id=pk(parcel["id"])) == events
    assert kit.levels(net.tea)[net.east.id].on_hand == 20


async def test_an_order_cancel_racing_a_dispatch_lets_exactly_one_win(api, kit):
    """Both lock the shipment before the order: no deadlock, one outcome, stock balanced."""
    net = f.network(kit)
    shipped = 0
    for _ in range(3):
        order = await f.placed(net, kit.customer(), [(net.tea, 1)])
        [parcel] = await _shipments(api, kit, order)
        manager = kit.factory.user("MANAGER").token
        cancel, dispatch = await asyncio.gather(
            kit.step("orderCancel", order["id"], manager, reason="客户取消"),
            api.ok(f.DISPATCH, {"id": parcel["id"]}, manager))
        won = [not cancel["userErrors"], not dispatch["shipmentDispatch"]["userErrors"]]
        assert sorted(won) == [False, True], (cancel, dispatch)
        dispatched = not dispatch["shipmentDispatch"]["userErrors"]
        shipped += dispatched
    kit.assert_ledger_consistent(net.tea)
    level = kit.levels(net.tea)[net.east.id]
    assert (level.on_hand, level.reserved) == (20 - shipped, 0)
