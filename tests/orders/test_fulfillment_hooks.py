"""The logistics hooks (app.orders.fulfillment) against the real database."""

from __future__ import annotations

import pytest

from app.errors import DomainError
from app.orders import fulfillment
from app.orders.models import Order
from tests.orders.support import pk


async def _in_fulfillment(kit, factory, quantities: list[int]):  # noqa: ANN001, ANN202
    admin = factory.user("ADMIN")
    wh = kit.warehouse()
    products = [kit.product() for _ in quantities]
    for p in products:
        kit.stock(p, wh, 10)
    order = await kit.order(admin.token, kit.customer(), list(zip(products, quantities,
                                                                 strict=True)))
    for name in ("orderSubmit", "orderApprove", "orderSchedule", "orderStartFulfillment"):
        order = await kit.ok_step(name, order["id"], admin.token)
    return order, wh, products


def _status(kit, order_id: int) -> str:  # noqa: ANN001
    return kit.read(lambda s: s.get(Order, order_id).status)


async def test_partial_then_full_shipment_and_delivery(kit, factory):
    order, wh, (a, b) = await _in_fulfillment(kit, factory, [3, 2])
    oid = pk(order["id"])
    la, lb = (pk(ln["id"]) for ln in order["lines"])
    shipped = factory.write(fulfillment.record_shipment, oid, [(la, wh.id, 3)], shipment_id=None)
    assert shipped.status == "PARTIALLY_SHIPPED"
    factory.write(fulfillment.record_shipment, oid, [(lb, wh.id, 1)])
    assert _status(kit, oid) == "PARTIALLY_SHIPPED"  # still one unit to go
    factory.write(fulfillment.record_delivery, oid, [(la, 2)])
    assert _status(kit, oid) == "PARTIALLY_SHIPPED"
    factory.write(fulfillment.record_shipment, oid, [(lb, wh.id, 1)])
    assert _status(kit, oid) == "SHIPPED"
    factory.write(fulfillment.record_delivery, oid, [(la, 1)])
    assert _status(kit, oid) == "SHIPPED"
    factory.write(fulfillment.record_delivery, oid)  # the rest
    assert _status(kit, oid) == "DELIVERED"
    for p in (a, b):
        assert kit.reserved(p) == 0
        kit.assert_ledger_consistent(p)
    types = [e["type"] for e in kit.outbox("order.event", oid)]
    assert types.count("SHIPMENT_RECORDED") == 1 and types.count("DELIVERY_RECORDED") == 2
    moved = [(e["from_status"], e["to_status"]) for e in kit.outbox("order.status_changed", oid)]
    assert moved[-3:] == [("IN_FULFILLMENT", "PARTIALLY_SHIPPED"),
                          ("PARTIALLY_SHIPPED", "SHIPPED"), ("SHIPPED", "DELIVERED")]


async def test_hooks_refuse_bad_quantities_and_states(kit, factory):
    order, wh, (a,) = await _in_fulfillment(kit, factory, [2])
    oid, line = pk(order["id"]), pk(order["lines"][0]["id"])
    other_wh = kit.warehouse()
    cases = [([(line, wh.id, 3)], "QUANTITY_EXCEEDED"), ([(line, other_wh.id, 1)],
                                                         "QUANTITY_EXCEEDED"),
             ([(987654, wh.id, 1)], "NOT_FOUND"), ([(line, wh.id, 0)], "INVALID"),
             ([], "INVALID")]
    for lines, code in cases:
        with pytest.raises(DomainError) as err:
            factory.write(fulfillment.record_shipment, oid, lines)
        assert err.value.code == code, lines
    assert kit.reserved(a) == 2  # nothing moved
    with pytest.raises(DomainError) as err:
        factory.write(fulfillment.record_delivery, oid)
    assert err.value.code == "INVALID_TRANSITION" and "IN_FULFILLMENT" in err.value.message
    factory.write(fulfillment.record_shipment, oid, [(line, wh.id, 1)])
    with pytest.raises(DomainError) as err:
        factory.write(fulfillment.record_delivery, oid, [(line, 2)])
    assert err.value.code == "QUANTITY_EXCEEDED"
    held = await kit.order(factory.user("ADMIN").token, kit.customer(), [(a, 1)])
    with pytest.raises(DomainError) as err:
        factory.write(fulfillment.record_shipment, pk(held["id"]), [(1, wh.id, 1)])
    assert err.value.code == "INVALID_TRANSITION" and "DRAFT" in err.value.message
