"""The shipping service against the real database: validation, scope, tracking rules,
audit and events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditRecord
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import DomainError, ErrorCode
from app.events.models import OutboxEvent
from app.shipping import service
from app.shipping.models import Shipment, TrackingEvent
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


def test_create_shipment_validates_lines_and_quantities(factory):
    wh, item, other_item = s.warehouse(factory), s.product(factory), s.product(factory)
    customer = factory.customer()
    order, lines = s.order(factory, customer.id, [(item, 5), (other_item, 1)])
    _, foreign_lines = s.order(factory, customer.id, [(item, 1)])
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
    # the failed attempts wrote nothing: one shipment, and the last unit still ships
    last = s.ship(factory, order, wh, [(lines[0].id, 1)], tracking="  SF123  ")
    assert last.tracking_number == "SF123" and last.status == "CREATED"
    assert last.number.startswith("SH")


def test_create_shipment_checks_order_state_warehouse_and_carrier(factory):
    wh, item = s.warehouse(factory), s.product(factory)
    customer = factory.customer()
    draft, draft_lines = s.order(factory, customer.id, [(item, 1)], status="DRAFT")
    with pytest.raises(DomainError) as caught:
        s.ship(factory, draft, wh, [(draft_lines[0].id, 1)])
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert "DRAFT" in caught.value.message
    order, lines = s.order(factory, customer.id, [(item, 1)])
    retired = s.carrier(factory, active=False)
    with pytest.raises(DomainError) as caught:
        s.ship(factory, order, wh, [(lines[0].id, 1)], retired)
    assert _codes(caught.value) == [("NOT_FOUND", ["carrierId"])]
    with pytest.raises(DomainError) as caught:
        factory.write(service.create_shipment, order.id, 987654321, [(lines[0].id, 1)])
    assert _codes(caught.value) == [("NOT_FOUND", ["warehouseId"])]
    with pytest.raises(DomainError) as caught:
        factory.write(service.create_shipment, 987654321, wh.id, [(lines[0].id, 1)])
    assert _codes(caught.value) == [("NOT_FOUND", ["orderId"])]


def test_writer_permission_and_warehouse_scope(factory):
    wh, other_wh, item = s.warehouse(factory), s.warehouse(factory), s.product(factory)
    customer = factory.customer()
    order, lines = s.order(factory, customer.id, [(item, 3)])
    clerk = Principal(user_id=factory.user("WAREHOUSE").id, role=Role.WAREHOUSE,
                      warehouse_ids=frozenset({wh.id}))
    with pytest.raises(DomainError) as caught:
        factory.write(service.create_shipment, order.id, other_wh.id, [(lines[0].id, 1)],
                      principal=clerk)
    assert _codes(caught.value) == [("NOT_FOUND", ["warehouseId"])]
    mine = factory.write(service.create_shipment, order.id, wh.id, [(lines[0].id, 1)],
                         principal=clerk)
    buyer = Principal(user_id=factory.user("CUSTOMER", customer_id=customer.id).id,
                      role=Role.CUSTOMER, customer_id=customer.id)
    for fn, args in ((service.create_shipment, (order.id, wh.id, [(lines[0].id, 1)])),
                     (service.add_tracking_event, (mine.id, "DELIVERED", "", "", s.T0))):
        with pytest.raises(DomainError) as caught:
            factory.write(fn, *args, principal=buyer)
        assert caught.value.code is ErrorCode.FORBIDDEN
    other_clerk = Principal(user_id=clerk.user_id, role=Role.WAREHOUSE,
                            warehouse_ids=frozenset({other_wh.id}))
    with pytest.raises(DomainError) as caught:
        factory.write(service.add_tracking_event, mine.id, "PICKED_UP", "", "", s.T0,
                      principal=other_clerk)
    assert _codes(caught.value) == [("NOT_FOUND", ["shipmentId"])]


def test_tracking_events_move_status_audit_and_emit(factory, runner):
    wh, item, carrier = s.warehouse(factory), s.product(factory), s.carrier(factory)
    customer = factory.customer()
    order, lines = s.order(factory, customer.id, [(item, 2)])
    shipment = s.ship(factory, order, wh, [(lines[0].id, 2)], carrier, "SF-EVT")
    add = service.add_tracking_event
    factory.write(add, shipment.id, "PICKED_UP", "上海", "已揽收", s.T0, external_id="e1")
    again = factory.write(add, shipment.id, "PICKED_UP", "上海", "已揽收", s.T0,
                          external_id="e1")  # a retried webhook is stored once
    factory.write(add, shipment.id, "DELIVERED", "北京朝阳区", "已签收", s.T0 + timedelta(days=2))
    factory.write(add, shipment.id, "IN_TRANSIT", "北京转运中心", "到达", s.T0 + timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        factory.write(add, shipment.id, "LOST", "x" * 201, "", s.T0.replace(tzinfo=None))
    assert {tuple(f) for _, f in _codes(caught.value)} == {("status",), ("location",),
                                                             ("occurredAt",)}

    def check(session):  # noqa: ANN001, ANN202
        row = session.get(Shipment, shipment.id)
        events = _rows(session, TrackingEvent, shipment_id=shipment.id)
        audits = _rows(session, AuditRecord, entity_type="Shipment", entity_id=shipment.id)
        outbox = [e for e in _rows(session, OutboxEvent, topic="shipment.status_changed")
                  if e.payload["shipment_id"] == shipment.id]
        return row, events, audits, outbox

    row, events, audits, outbox = _read(runner, check)
    assert again.external_id == "e1" and len(events) == 3
    assert row.status == "DELIVERED"  # the late IN_TRANSIT scan did not move it back
    assert row.shipped_at == s.T0 and row.delivered_at == s.T0 + timedelta(days=2)
    assert [e.payload["status"] for e in outbox] == ["CREATED", "PICKED_UP", "DELIVERED"]
    assert outbox[-1].payload["customer_id"] == customer.id
    assert outbox[-1].payload["carrier"] == carrier.code
    actions = [a.action for a in audits]
    assert actions.count("shipment.tracking_event") == 3 and "shipment.create" in actions


def test_cancelled_shipment_takes_no_events(factory):
    wh, item = s.warehouse(factory), s.product(factory)
    order, lines = s.order(factory, factory.customer().id, [(item, 1)])
    shipment = s.ship(factory, order, wh, [(lines[0].id, 1)])

    def cancel(uow):  # noqa: ANN001, ANN202
        row = uow.session.get(Shipment, shipment.id)
        row.status = "CANCELLED"
        uow.session.add(row)

    factory.write(cancel)
    with pytest.raises(DomainError) as caught:
        factory.write(service.add_tracking_event, shipment.id, "PICKED_UP", "", "", s.T0)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    # a cancelled parcel's quantity is free to ship again
    again = s.ship(factory, order, wh, [(lines[0].id, 1)])
    assert again.id != shipment.id


def test_order_shipments_hook_hides_other_warehouses_from_warehouse_staff(factory, runner):
    w = s.world(factory)
    rows = _read(runner, lambda session: _rows(session, Shipment, order_id=w.orders["a"].id))
    clerk = Principal(user_id=1, role=Role.WAREHOUSE, warehouse_ids=frozenset({w.wh_b.id}))
    manager = Principal(user_id=1, role=Role.MANAGER)
    assert [r.id for r in service.visible_of_order(clerk, rows)] == [w.shipments["a@B"].id]
    assert len(service.visible_of_order(manager, rows)) == 2
