"""The shipment workflow services against the real database: validation, scope, the
state machine, tracking rules, stock, audit and events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from app.audit.models import AuditRecord
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import DomainError, ErrorCode
from app.events.models import OutboxEvent
from app.inventory.models import StockLevel
from app.orders.models import Order
from app.shipping import creation, lifecycle, service, tracking
from app.shipping.models import Shipment, ShipmentLine, TrackingEvent
from tests.shipping import support as s


def _codes(exc: DomainError) -> list[tuple[str, list[str] | None]]:
    return [(e.code.value, e.field) for e in exc.errors]


def _read(runner, fn, *args):  # noqa: ANN001, ANN202
    return runner.read_sync(fn, args, {})


def _rows(session, model, **where):  # noqa: ANN001, ANN003, ANN202
    stmt = select(model).order_by(model.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return list(session.exec(stmt))


def _world(factory, quantity=5, status="IN_FULFILLMENT", items=1):  # noqa: ANN001, ANN202
    wh = s.warehouse(factory)
    carrier = s.carrier(factory, lanes=(wh.region,))
    products = [s.product(factory) for _ in range(items)]
    order, lines = s.order(factory, factory.customer().id, [(p, quantity) for p in products],
                           status=status, reserve=[wh])
    return wh, carrier, products, order, lines


def _event(status, hours, **kw):  # noqa: ANN001, ANN003, ANN202
    return tracking.EventDraft(status, s.T0 + timedelta(hours=hours), "上海", f"{status} 扫描",
                               **kw)


def _level(runner, product_id, warehouse_id):  # noqa: ANN001, ANN202
    def read(session):  # noqa: ANN001, ANN202
        row = session.exec(select(StockLevel).where(StockLevel.product_id == product_id,
                                                    StockLevel.warehouse_id == warehouse_id)).one()
        return row.on_hand, row.reserved
    return _read(runner, read)


def test_create_shipment_validates_lines_and_quantities(factory):
    wh, _, _, order, lines = _world(factory, items=2)
    _, _, _, _, foreign_lines = _world(factory)
    s.ship(factory, order, wh, [(lines[0].id, 4)])
    with pytest.raises(DomainError) as caught:
        s.ship(factory, order, wh, [(lines[0].id, 2), (foreign_lines[0].id, 1),
                                    (lines[1].id, 0)])
    assert _codes(caught.value) == [
        ("QUANTITY_EXCEEDED", ["lines", "0", "quantity"]),
        ("INVALID", ["lines", "1", "orderLineId"]),
        ("INVALID", ["lines", "2", "quantity"]),
    ]
    with pytest.raises(DomainError) as caught:
        s.ship(factory, order, wh, [])
    assert _codes(caught.value) == [("INVALID", ["lines"])]
    # the failed attempts wrote nothing: the last unit of line 0 still ships
    last = s.ship(factory, order, wh, [(lines[0].id, 1)], "  SF123  ")
    assert last.tracking_number == "SF123" and last.status == "CREATED"
    assert last.number.startswith("SH")
    rest = s.ship(factory, order, wh, None)  # None: everything still open there
    assert rest.tracking_number and rest.service_id == last.service_id
    with pytest.raises(DomainError) as caught:
        s.ship(factory, order, wh, None)
    assert caught.value.code is ErrorCode.CONFLICT


def test_create_shipment_checks_order_state_warehouse_and_service(factory):
    wh, _, _, draft, draft_lines = _world(factory, status="DRAFT")
    with pytest.raises(DomainError) as caught:
        s.ship(factory, draft, wh, [(draft_lines[0].id, 1)])
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert "DRAFT" in caught.value.message
    wh, _, _, order, lines = _world(factory)
    with pytest.raises(DomainError) as caught:
        s.ship(factory, order, wh, [(lines[0].id, 1)], service_id=987654321)
    assert _codes(caught.value) == [("CONFLICT", ["serviceId"])]
    assert "not offered" in caught.value.errors[0].message
    for order_id, wh_id, field in ((order.id, 987654321, "warehouseId"),
                                   (987654321, wh.id, "orderId")):
        with pytest.raises(DomainError) as caught:
            factory.write(creation.create_shipment, creation.ShipmentDraft(order_id, wh_id),
                          "Asia/Shanghai")
        assert _codes(caught.value) == [("NOT_FOUND", [field])]
    lonely = s.warehouse(factory)  # no carrier serves its region
    order2, lines2 = s.order(factory, factory.customer().id, [(s.product(factory), 1)],
                             reserve=[lonely])
    with pytest.raises(DomainError) as caught:
        s.ship(factory, order2, lonely, None)
    assert "no active service" in caught.value.errors[0].message


def test_writer_permission_and_warehouse_scope(factory):
    wh, _, _, order, lines = _world(factory, quantity=3)
    other_wh = s.warehouse(factory)
    clerk = Principal(user_id=factory.user("WAREHOUSE").id, role=Role.WAREHOUSE,
                      warehouse_ids=frozenset({wh.id}))
    with pytest.raises(DomainError) as caught:
        factory.write(creation.create_shipment, creation.ShipmentDraft(
            order.id, other_wh.id, [(lines[0].id, 1)]), "Asia/Shanghai", principal=clerk)
    assert _codes(caught.value) == [("NOT_FOUND", ["warehouseId"])]
    mine = factory.write(creation.create_shipment, creation.ShipmentDraft(
        order.id, wh.id, [(lines[0].id, 1)]), "Asia/Shanghai", principal=clerk)
    customer_id = order.customer_id
    buyer = Principal(user_id=factory.user("CUSTOMER", customer_id=customer_id).id,
                      role=Role.CUSTOMER, customer_id=customer_id)
    for fn, args in ((creation.create_shipment, (creation.ShipmentDraft(
            order.id, wh.id, [(lines[0].id, 1)]), "Asia/Shanghai")),
            (tracking.record_event, (mine.id, _event("DELIVERED", 0))),
            (lifecycle.dispatch, (mine.id,))):
        with pytest.raises(DomainError) as caught:
            factory.write(fn, *args, principal=buyer)
        assert caught.value.code is ErrorCode.FORBIDDEN
    other_clerk = Principal(user_id=clerk.user_id, role=Role.WAREHOUSE,
                            warehouse_ids=frozenset({other_wh.id}))
    for fn, args in ((tracking.record_event, (mine.id, _event("PICKED_UP", 0))),
                     (lifecycle.dispatch, (mine.id,)), (lifecycle.cancel, (mine.id, "x"))):
        with pytest.raises(DomainError) as caught:
            factory.write(fn, *args, principal=other_clerk)
        assert caught.value.code is ErrorCode.NOT_FOUND


def test_tracking_events_move_status_audit_and_emit(factory, runner):
    wh, carrier, _, order, lines = _world(factory, quantity=2)
    shipment = s.ship(factory, order, wh, [(lines[0].id, 2)], "SF-EVT")
    rec = tracking.record_event
    factory.write(rec, shipment.id, _event("PICKED_UP", 0, external_id="e1"))
    again = factory.write(rec, shipment.id, _event("PICKED_UP", 0, external_id="e1"))
    assert again.new is False  # a retried webhook is stored once
    factory.write(rec, shipment.id, _event("DELIVERED", 48))
    factory.write(rec, shipment.id, _event("IN_TRANSIT", 24))
    with pytest.raises(DomainError) as caught:
        factory.write(rec, shipment.id, tracking.EventDraft(
            "LOST", s.T0.replace(tzinfo=None), "x" * 201))
    assert {tuple(f) for _, f in _codes(caught.value)} == {("status",), ("location",),
                                                             ("occurredAt",)}

    def check(session):  # noqa: ANN001, ANN202
        row = session.get(Shipment, shipment.id)
        events = _rows(session, TrackingEvent, shipment_id=shipment.id)
        audits = _rows(session, AuditRecord, entity_type="Shipment", entity_id=shipment.id)
        outbox = [e for e in _rows(session, OutboxEvent, topic="shipment.status_changed")
                  if e.payload["shipment_id"] == shipment.id]
        return row, events, audits, outbox, session.get(Order, order.id)

    row, events, audits, outbox, order_row = _read(runner, check)
    assert again.event.external_id == "e1" and len(events) == 3
    assert row.status == "DELIVERED"  # the late IN_TRANSIT scan did not move it back
    assert row.shipped_at == s.T0 and row.delivered_at == s.T0 + timedelta(days=2)
    assert [e.payload["status"] for e in outbox] == ["CREATED", "PICKED_UP", "DELIVERED"]
    assert outbox[-1].payload["customer_id"] == order.customer_id
    assert outbox[-1].payload["carrier"] == carrier.code
    actions = [a.action for a in audits]
    assert actions.count("shipment.tracking_event") == 3 and "shipment.create" in actions
    assert order_row.status == "DELIVERED"  # every line delivered
    assert _level(runner, lines[0].product_id, wh.id) == (0, 0)  # 2 received, 2 left


def test_pack_dispatch_cancel_and_stock(factory, runner):
    wh, _, _, order, lines = _world(factory, quantity=4)
    product = lines[0].product_id
    assert _level(runner, product, wh.id) == (4, 4)
    first = s.ship(factory, order, wh, [(lines[0].id, 1)])
    second = s.ship(factory, order, wh, [(lines[0].id, 3)])
    packed = factory.write(lifecycle.pack, first.id, [creation.ParcelDraft(
        weight_kg=Decimal("1.2"))])
    assert packed.status == "PACKED" and packed.packed_at is not None
    cancelled = factory.write(lifecycle.cancel, second.id, "换箱重发")
    assert cancelled.status == "CANCELLED"
    with pytest.raises(DomainError) as caught:
        factory.write(lifecycle.dispatch, second.id)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION and "CANCELLED" in \
        caught.value.message
    assert _level(runner, product, wh.id) == (4, 4)  # the reservation stays with the order
    factory.write(lifecycle.dispatch, first.id)
    with pytest.raises(DomainError) as caught:  # exactly once
        factory.write(lifecycle.dispatch, first.id)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert _level(runner, product, wh.id) == (3, 3)
    assert _read(runner, lambda session: session.get(Order, order.id).status) == \
        "PARTIALLY_SHIPPED"
    rest = s.ship(factory, order, wh, None)  # the cancelled units are free again
    assert [ln.quantity for ln in _read(runner, lambda session: _rows(
        session, ShipmentLine,
        shipment_id=rest.id))] == [3]
    factory.write(lifecycle.dispatch, rest.id)
    assert _level(runner, product, wh.id) == (0, 0)
    assert _read(runner, lambda session: session.get(Order, order.id).status) == "SHIPPED"


def test_cancelled_shipment_takes_no_events(factory):
    wh, _, _, order, lines = _world(factory, quantity=1)
    shipment = s.ship(factory, order, wh, [(lines[0].id, 1)])
    factory.write(lifecycle.cancel, shipment.id, "客户改地址")
    with pytest.raises(DomainError) as caught:
        factory.write(tracking.record_event, shipment.id, _event("PICKED_UP", 0))
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    again = s.ship(factory, order, wh, [(lines[0].id, 1)])
    assert again.id != shipment.id


def test_order_shipments_hook_hides_other_warehouses_from_warehouse_staff(factory, runner):
    w = s.world(factory)
    rows = _read(runner, lambda session: _rows(session, Shipment, order_id=w.orders["a"].id))
    clerk = Principal(user_id=1, role=Role.WAREHOUSE, warehouse_ids=frozenset({w.wh_b.id}))
    manager = Principal(user_id=1, role=Role.MANAGER)
    assert [r.id for r in service.visible_of_order(clerk, rows)] == [w.shipments["a@B"].id]
    assert len(service.visible_of_order(manager, rows)) == 2
