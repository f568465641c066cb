"""Delivery exceptions against the real database: opened by carrier events and by the delay
check, each resolution doing what it says (stock through the ledger, the order's
quantities, payments), and the customer's notices in its language
(docs/architecture.md#delivery-exceptions). The API, roles and scope:
test_exceptions_api.py; the live subscription: tests/subscriptions/test_shipment_exceptions.py."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from app import cli
from app.audit.models import AuditRecord
from app.auth import admin
from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import get_settings
from app.errors import DomainError, ErrorCode
from app.events import topics
from app.events.models import OutboxEvent
from app.notifications.models import Notification
from app.orders.models import Order, OrderLine
from app.payments.models import Payment
from app.payments.service import PaymentRequest, record_payment
from app.shipping import lifecycle
from app.shipping.exceptions import delays, resolution, working
from app.shipping.exceptions.resolution import ResolutionDraft
from app.shipping.exceptions.returning import receive_return
from app.shipping.models import Shipment, ShipmentException
from tests.shipping import exception_support as x
from tests.shipping import support as s

TZ = "Asia/Shanghai"
TODAY = s.T0.date() + timedelta(days=10)  # the parcels' estimates (T0 + 2 days) are past


def _outbox(factory, topic: str, shipment_id: int) -> list[dict]:  # noqa: ANN001
    rows = x.read(factory, lambda ses: list(ses.exec(select(OutboxEvent).where(
        OutboxEvent.topic == topic).order_by(OutboxEvent.id))))
    return [r.payload for r in rows if r.payload.get("shipment_id") == shipment_id]


def _audits(factory, entity_id: int) -> list[str]:  # noqa: ANN001
    return x.read(factory, lambda ses: list(ses.exec(select(AuditRecord.action).where(
        AuditRecord.entity_type == "ShipmentException", AuditRecord.entity_id == entity_id)
        .order_by(AuditRecord.id))))


# Opening -----------------------------------------------------------------------------

def test_carrier_events_open_one_exception_per_type_with_its_sla(factory):
    p = x.parcel(factory)
    x.event(factory, p.shipment, "FAILED_ATTEMPT", 20, description="收件人不在")
    x.event(factory, p.shipment, "OUT_FOR_DELIVERY", 30)
    x.event(factory, p.shipment, "FAILED_ATTEMPT", 40, description="再次无人")
    damaged = x.event(factory, p.shipment, "EXCEPTION", 41, problem="DAMAGED",
                      description="外包装破损")
    found = x.exceptions_of(factory, p.shipment.id)
    assert [(e.type, e.severity, e.source, e.status, e.open_key) for e in found] == [
        ("FAILED_ATTEMPT", "MEDIUM", "EVENT", "OPEN", "FAILED_ATTEMPT"),
        ("DAMAGED", "HIGH", "EVENT", "OPEN", "DAMAGED")]
    failed, broken = found
    assert failed.opened_at == s.T0 + timedelta(hours=20)  # when it happened, not now
    assert failed.sla_due_at - failed.opened_at == timedelta(hours=24)
    assert broken.sla_due_at - broken.opened_at == timedelta(hours=8)
    assert broken.tracking_event_id == damaged.id and broken.description == "外包装破损"
    assert x.row(factory, Shipment, p.shipment.id).failed_attempts == 2
    opened = _outbox(factory, topics.SHIPMENT_EXCEPTION_OPENED, p.shipment.id)
    assert [(o["exception_id"], o["type"], o["warehouse_id"]) for o in opened] == [
        (failed.id, "FAILED_ATTEMPT", p.warehouse.id), (broken.id, "DAMAGED", p.warehouse.id)]


def test_delay_check_opens_delayed_once_per_estimate(factory):
    late = x.parcel(factory)  # estimated T0 + 2 days, with the carrier
    failed = x.parcel(factory, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    delivered = x.parcel(factory, events=(("PICKED_UP", 1), ("DELIVERED", 30)))
    waiting = x.parcel(factory, events=())  # not handed over yet
    mine = {late.shipment.id, failed.shipment.id, delivered.shipment.id, waiting.shipment.id}

    def delayed() -> dict[int, list[ShipmentException]]:
        return {sid: [e for e in x.exceptions_of(factory, sid) if e.type == "DELAYED"]
                for sid in mine}

    factory.write(delays.check_delays, s.T0.date() + timedelta(days=2))
    assert all(not v for v in delayed().values())  # not late on the estimated day itself
    result = factory.write(delays.check_delays, TODAY)
    found = delayed()
    assert {sid for sid, rows in found.items() if rows} == {late.shipment.id, failed.shipment.id}
    first = found[late.shipment.id][0]
    assert (first.source, first.severity, first.status) == ("CHECK", "MEDIUM", "OPEN")
    assert "estimated delivery" in first.description
    assert set(result.opened) >= {first.id, found[failed.shipment.id][0].id}
    # idempotent: a second run, and one after staff resolved it, open nothing more
    factory.write(delays.check_delays, TODAY)
    x.resolve(factory, first.id, "CONTACT_CUSTOMER", "已联系客户，承运商明天派送")
    factory.write(delays.check_delays, TODAY + timedelta(days=1))
    assert {sid: len(v) for sid, v in delayed().items()} == {
        late.shipment.id: 1, failed.shipment.id: 1, delivered.shipment.id: 0,
        waiting.shipment.id: 0}
    # a new estimate (a redelivery) can be missed again
    open_failed = next(e for e in x.exceptions_of(factory, failed.shipment.id)
                       if e.type == "FAILED_ATTEMPT")
    soon = date.today() + timedelta(days=3)
    x.resolve(factory, open_failed.id, "REDELIVER", "约定改日派送", redeliver_on=soon)
    x.resolve(factory, found[failed.shipment.id][0].id, "CONTACT_CUSTOMER", "已告知新日期")
    factory.write(delays.check_delays, soon)
    assert len(delayed()[failed.shipment.id]) == 1  # not late on the new date itself
    factory.write(delays.check_delays, soon + timedelta(days=1))
    again = delayed()[failed.shipment.id]
    assert len(again) == 2 and again[1].status == "OPEN"


async def test_the_background_worker_and_the_command_run_the_same_check(
        runner, settings, factory, monkeypatch, capsys):
    p = x.parcel(factory)
    worker = delays.DelayChecks(runner, settings)
    assert await worker.run_once(TODAY) >= 1
    assert [e.type for e in x.exceptions_of(factory, p.shipment.id)] == ["DELAYED"]
    assert await worker.run_once(TODAY) == 0

    other = x.parcel(factory)
    monkeypatch.setenv("CRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CRM_JWT_SECRET", settings.jwt_secret)
    get_settings.cache_clear()
    try:
        assert cli.main(["check-delays", "--today", TODAY.isoformat()]) == 0
    finally:
        get_settings.cache_clear()
    assert "opened 1 DELAYED exceptions" in capsys.readouterr().out
    assert [e.type for e in x.exceptions_of(factory, other.shipment.id)] == ["DELAYED"]


# Working and resolving ------------------------------------------------------------------

def test_staff_open_assign_and_note_are_versioned_and_audited(factory):
    p = x.parcel(factory)
    agent = factory.user("CUSTOMER_SERVICE")
    cs = Principal(user_id=agent.id, role=Role.CUSTOMER_SERVICE)
    row = factory.write(working.open_by_staff, p.shipment.id, "ADDRESS_PROBLEM",
                        "  客户来电：门牌号有误  ", principal=cs)
    assert (row.source, row.severity, row.description, row.version) == (
        "STAFF", "MEDIUM", "客户来电：门牌号有误", 1)
    with pytest.raises(DomainError) as caught:
        factory.write(working.open_by_staff, p.shipment.id, "ADDRESS_PROBLEM", "again")
    assert (caught.value.code, caught.value.field) == (ErrorCode.DUPLICATE, ["type"])
    row = factory.write(working.assign, row.id, agent.id, 1)
    assert (row.assignee_id, row.version) == (agent.id, 2)
    with pytest.raises(DomainError) as caught:
        factory.write(working.assign, row.id, agent.id, 1)  # stale version
    assert caught.value.code is ErrorCode.CONFLICT
    row = factory.write(working.add_note, row.id, "已发短信确认新地址", principal=cs)
    assert row.version == 3
    [note] = x.notes_of(factory, row.id)
    assert (note.body, note.author_id) == ("已发短信确认新地址", agent.id)
    assert _audits(factory, row.id) == ["shipment_exception.open", "shipment_exception.assign",
                                        "shipment_exception.note_add"]


def test_assignee_must_be_active_customer_service_or_logistics(factory):
    p = x.parcel(factory)
    row = factory.write(working.open_by_staff, p.shipment.id, "LOST", "丢件")
    logistics, sales = factory.user("LOGISTICS"), factory.user("SALES")
    assert factory.write(working.assign, row.id, logistics.id).assignee_id == logistics.id
    with pytest.raises(DomainError) as caught:
        factory.write(working.assign, row.id, sales.id)
    assert caught.value.field == ["assigneeId"] and "CUSTOMER_SERVICE or LOGISTICS" in \
        caught.value.message and "SALES" in caught.value.message
    gone = factory.user("CUSTOMER_SERVICE")
    factory.write(admin.update_user, gone.id, {"is_active": False})
    with pytest.raises(DomainError) as caught:
        factory.write(working.assign, row.id, gone.id)
    assert "inactive" in caught.value.message
    with pytest.raises(DomainError) as caught:
        factory.write(working.assign, row.id, 987654321)
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ["assigneeId"])
    assert x.row(factory, ShipmentException, row.id).assignee_id == logistics.id


def test_reship_reserves_the_units_again_and_sends_a_new_shipment(factory):
    p = x.parcel(factory, quantity=3, spare=5)
    assert (x.level(factory, p).on_hand, x.level(factory, p).reserved) == (5, 0)
    lost = x.event(factory, p.shipment, "EXCEPTION", 30, problem="LOST", description="丢件")
    exc = next(e for e in x.exceptions_of(factory, p.shipment.id) if e.type == "LOST")
    assert exc.tracking_event_id == lost.id
    row = x.resolve(factory, exc.id, "RESHIP", "补发")
    assert (row.status, row.open_key, row.resolution, row.resolution_note) == (
        "RESOLVED", None, "RESHIP", "补发")
    assert row.resolved_at is not None and row.version == 2
    level = x.level(factory, p)
    assert (level.on_hand, level.reserved) == (5, 3)  # reserved again
    assert x.allocation(factory, p).quantity == 6
    order = x.row(factory, Order, p.order.id)
    assert order.status == "PARTIALLY_SHIPPED"
    assert x.row(factory, OrderLine, p.line.id).quantity_shipped == 0
    original, reship = x.shipments_of(factory, p.order.id)
    assert reship.id == row.reship_shipment_id and reship.reship_of_id == original.id
    assert (reship.status, reship.warehouse_id, reship.charge) == (
        "CREATED", p.warehouse.id, Decimal("0.00"))
    # the reship leaves like any shipment: through the ledger, and the order is whole again
    factory.write(lifecycle.dispatch, reship.id)
    level = x.level(factory, p)
    assert (level.on_hand, level.reserved) == (2, 0)
    assert x.row(factory, Order, p.order.id).status == "SHIPPED"
    assert x.row(factory, OrderLine, p.line.id).quantity_shipped == 3
    other = factory.write(working.open_by_staff, p.shipment.id, "LOST", "再次")
    with pytest.raises(DomainError) as caught:  # a parcel is sent again once
        x.resolve(factory, other.id, "RESHIP")
    assert caught.value.code is ErrorCode.CONFLICT and reship.number in caught.value.message


def test_reship_without_stock_fails_clearly_and_writes_nothing(factory):
    p = x.parcel(factory, quantity=2, spare=1)
    row = factory.write(working.open_by_staff, p.shipment.id, "DAMAGED", "破损")
    with pytest.raises(DomainError) as caught:
        x.resolve(factory, row.id, "RESHIP", "补发")
    assert caught.value.code is ErrorCode.INSUFFICIENT_STOCK
    assert p.product.sku in caught.value.message and "send 2 again" in caught.value.message
    level = x.level(factory, p)
    assert (level.on_hand, level.reserved) == (1, 0)
    assert x.allocation(factory, p).quantity == 2
    assert len(x.shipments_of(factory, p.order.id)) == 1
    after = x.row(factory, ShipmentException, row.id)
    assert (after.status, after.version, after.reship_shipment_id) == ("OPEN", 1, None)
    assert x.row(factory, Order, p.order.id).status == "SHIPPED"


def test_return_to_sender_restocks_once_on_arrival(factory):
    p = x.parcel(factory, quantity=2, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    exc = x.exceptions_of(factory, p.shipment.id)[0]
    x.resolve(factory, exc.id, "RETURN_TO_SENDER", "客户拒收，退回仓库")
    assert x.level(factory, p).on_hand == 0  # on its way back: nothing yet
    x.event(factory, p.shipment, "RETURNED_TO_SENDER", 60, external_id="back-1")
    shipment = x.row(factory, Shipment, p.shipment.id)
    assert shipment.status == "RETURNED_TO_SENDER" and shipment.restocked_at is not None
    [moved] = [m for m in x.movements(factory, "Shipment", p.shipment.id)
               if m.kind == "RETURN_RESTOCK"]
    assert (moved.on_hand_delta, moved.reserved_delta, moved.warehouse_id) == (
        2, 0, p.warehouse.id)
    assert x.level(factory, p).on_hand == 2
    assert x.row(factory, OrderLine, p.line.id).quantity_shipped == 0
    assert x.row(factory, Order, p.order.id).status == "PARTIALLY_SHIPPED"
    # exactly once: the same or a later report, and staff receiving it, add nothing
    x.event(factory, p.shipment, "RETURNED_TO_SENDER", 61, external_id="back-2")
    with pytest.raises(DomainError) as caught:
        factory.write(receive_return, p.shipment.id)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert "received back" in caught.value.message
    assert x.level(factory, p).on_hand == 2
    assert len([m for m in x.movements(factory, "Shipment", p.shipment.id)
                if m.kind == "RETURN_RESTOCK"]) == 1


def test_staff_receive_back_a_returned_parcel_and_reship_it(factory):
    p = x.parcel(factory, quantity=1, spare=0)
    row = factory.write(working.open_by_staff, p.shipment.id, "ADDRESS_PROBLEM", "地址错误")
    x.resolve(factory, row.id, "RETURN_TO_SENDER", "退回")
    shipment = factory.write(receive_return, p.shipment.id)
    assert (shipment.status, shipment.restocked_at is not None) == ("RETURNED_TO_SENDER", True)
    assert (x.level(factory, p).on_hand, x.level(factory, p).reserved) == (1, 0)
    # the address is fixed: the returned unit goes out again (counted shipped once only)
    again = factory.write(working.open_by_staff, p.shipment.id, "ADDRESS_PROBLEM", "已更正")
    x.resolve(factory, again.id, "RESHIP", "按新地址补发")
    assert (x.level(factory, p).on_hand, x.level(factory, p).reserved) == (1, 1)
    assert x.row(factory, OrderLine, p.line.id).quantity_shipped == 0
    reship = x.shipments_of(factory, p.order.id)[-1]
    factory.write(lifecycle.dispatch, reship.id)
    assert x.row(factory, OrderLine, p.line.id).quantity_shipped == 1
    assert x.row(factory, Order, p.order.id).status == "SHIPPED"
    assert (x.level(factory, p).on_hand, x.level(factory, p).reserved) == (0, 0)


def test_redeliver_sets_the_date_and_the_estimate(factory):
    p = x.parcel(factory, events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    exc = x.exceptions_of(factory, p.shipment.id)[0]
    with pytest.raises(DomainError) as caught:
        x.resolve(factory, exc.id, "REDELIVER", "改期", redeliver_on=date(2020, 1, 1))
    assert caught.value.field == ["redeliverOn"]
    with pytest.raises(DomainError) as caught:
        x.resolve(factory, exc.id, "REDELIVER", "改期")
    assert [e.field for e in caught.value.errors] == [["redeliverOn"]]
    on = date.today() + timedelta(days=2)
    row = x.resolve(factory, exc.id, "REDELIVER", "客户约定周五上午", redeliver_on=on)
    assert (row.redeliver_on, row.resolution) == (on, "REDELIVER")
    assert x.row(factory, Shipment, p.shipment.id).estimated_delivery == on
    with pytest.raises(DomainError) as caught:  # resolved: nothing more to resolve
        x.resolve(factory, exc.id, "CONTACT_CUSTOMER", "again")
    assert caught.value.code is ErrorCode.INVALID_TRANSITION and "RESOLVED" in \
        caught.value.message


def test_refund_pays_back_through_payments(factory):
    p = x.parcel(factory)
    order = x.row(factory, Order, p.order.id)
    factory.write(record_payment, PaymentRequest(p.order.id, order.total, "CNY",
                                                 method="BANK_TRANSFER"))
    row = factory.write(working.open_by_staff, p.shipment.id, "DAMAGED", "破损，客户保留")
    with pytest.raises(DomainError) as caught:
        x.resolve(factory, row.id, "REFUND", "部分退款", refund_amount=order.total + 1)
    assert caught.value.field == ["refundAmount"]
    logistics = factory.user("LOGISTICS")
    with pytest.raises(DomainError) as caught:
        factory.write(resolution.resolve_exception, row.id,
                      ResolutionDraft("REFUND", "退款", refund_amount=Decimal("10.00")), TZ,
                      principal=Principal(user_id=logistics.id, role=Role.LOGISTICS))
    assert caught.value.code is ErrorCode.FORBIDDEN and "payments:refund" in \
        caught.value.message
    row = x.resolve(factory, row.id, "REFUND", "破损补偿 30 元", refund_amount=Decimal("30.00"))
    payment = x.row(factory, Payment, row.refund_payment_id)
    assert (payment.kind, payment.amount, payment.order_id) == (
        "REFUND", Decimal("30.00"), p.order.id)
    after = x.row(factory, Order, p.order.id)
    assert (after.refunded_total, after.credited_total) == (Decimal("30.00"), Decimal("30.00"))
    assert after.payment_status == "PAID"  # a price reduction: nothing is owed


# The customer's notices ----------------------------------------------------------------

def _notices(factory, customer_id: int) -> list[Notification]:  # noqa: ANN001
    factory.plan_notifications()
    return x.read(factory, lambda ses: list(ses.exec(select(Notification).where(
        Notification.customer_id == customer_id).order_by(Notification.id))))


def test_delayed_and_problem_notices_in_the_customers_language(factory):
    zh = factory.customer(language="zh", email="zh.buyer@example.com", phone=None)
    en = factory.customer(language="en", email="en.buyer@example.com", phone=None)
    late_zh, late_en = x.parcel(factory, customer=zh), x.parcel(factory, customer=en)
    _notices(factory, zh.id)  # what the set-up planned (shipped) is not under test
    factory.write(delays.check_delays, TODAY)
    x.event(factory, late_en.shipment, "EXCEPTION", 50, problem="DAMAGED",
            description="外箱压损 box crushed")
    x.event(factory, late_en.shipment, "EXCEPTION", 51, problem="DAMAGED")  # same exception
    mine = [n for n in _notices(factory, zh.id) if n.channel == "EMAIL"
            and n.template in ("order_delayed", "delivery_problem")]
    assert [(n.template, n.language) for n in mine] == [("order_delayed", "zh")]
    assert mine[0].subject == f"订单 {late_zh.order.number} 配送延误"
    assert (s.T0.date() + timedelta(days=2)).isoformat() in mine[0].body
    theirs = [n for n in _notices(factory, en.id) if n.channel == "EMAIL"
              and n.template in ("order_delayed", "delivery_problem")]
    assert [(n.template, n.language) for n in theirs] == [
        ("order_delayed", "en"), ("delivery_problem", "en")]
    problem = theirs[1]
    assert problem.subject == f"Problem with the delivery of order {late_en.order.number}"
    assert "the parcel is damaged" in problem.body and "box crushed" in problem.body
    in_app = [n for n in _notices(factory, en.id) if n.channel == "IN_APP"
              and n.template == "delivery_problem"]
    assert len(in_app) == 1  # at most one per exception, whatever the channels


def test_a_failed_attempt_makes_one_notice_not_one_per_topic(factory):
    buyer = factory.customer(language="zh", email="fa.buyer@example.com", phone=None)
    p = x.parcel(factory, customer=buyer)
    _notices(factory, buyer.id)
    x.event(factory, p.shipment, "FAILED_ATTEMPT", 20, description="收件人电话无人接听")
    x.event(factory, p.shipment, "OUT_FOR_DELIVERY", 30)
    x.event(factory, p.shipment, "FAILED_ATTEMPT", 40)  # the exception is still open
    emails = [n for n in _notices(factory, buyer.id) if n.channel == "EMAIL"
              and n.template not in ("order_shipped",)]
    assert [(n.template, n.language) for n in emails] == [("delivery_problem", "zh")]
    assert emails[0].subject == f"订单 {p.order.number} 配送异常"
    assert "派送未成功" in emails[0].body and "收件人电话无人接听" in emails[0].body
    staff_opened = factory.write(working.open_by_staff, p.shipment.id, "OTHER", "内部备注")
    assert staff_opened.type == "OTHER"
    assert [n.template for n in _notices(factory, buyer.id) if n.channel == "EMAIL"
            and n.template not in ("order_shipped",)] == ["delivery_problem"]
