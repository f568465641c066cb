"""Notification planning from the outbox after commit (app/notifications/planning.py),
templates, staff recipients and the retry policy (the dispatcher's own runs are in
test_dispatcher_runs.py)."""

from __future__ import annotations

import pytest

from app.auth.principal import SYSTEM
from app.customers import service as customer_service
from app.errors import DomainError
from app.events import topics
from app.inventory import stock_service
from app.notifications import planner
from app.notifications.dispatcher import RetryPolicy
from app.notifications.templates import LANGUAGES, TEMPLATES, render
from app.persistence.columns import utcnow
from app.returns.models import ReturnRequest
from tests.notifications.support import rows, unique_email
from tests.support import unique


def test_every_template_has_chinese_and_english():
    for name, texts in TEMPLATES.items():
        assert set(texts) == set(LANGUAGES), name
    shipped = render("order_shipped", "en", {"order_number": "SO-1", "carrier": "SF"})
    assert shipped.subject == "Order SO-1 shipped" and "Tracking number: -" in shipped.body
    assert render("order_shipped", "fr", {"order_number": "SO-1"}).subject == "订单 SO-1 已发货"


def test_retry_delays_grow_exponentially_up_to_a_cap():
    policy = RetryPolicy(base_seconds=30, max_seconds=600)
    assert [policy.delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def _return_changed(uow, customer_id: int, status: str) -> ReturnRequest:  # noqa: ANN001
    from app.orders.models import Order

    order = Order(number=unique("SO-RET-"), customer_id=customer_id, status="DELIVERED")
    uow.session.add(order)
    uow.session.flush()
    request = ReturnRequest(number=unique("RMA-"), order_id=order.id, customer_id=customer_id,
                            type="RETURN", status=status)
    uow.session.add(request)
    uow.session.flush()
    uow.emit(topics.RETURN_STATUS_CHANGED, return_request_id=request.id, order_id=order.id,
             customer_id=customer_id, status=status, at=utcnow().isoformat())
    return request


def test_return_status_is_planned_from_the_outbox_once(factory):
    customer = factory.customer(email=unique_email(), phone=None, language="zh")
    request = factory.write(_return_changed, customer.id, "APPROVED")
    assert rows(factory, customer_id=customer.id) == []  # the change did not wait for them
    factory.plan_notifications()
    factory.plan_notifications()  # nothing is planned twice
    found = rows(factory, customer_id=customer.id)
    assert {n.channel for n in found} == {"EMAIL", "IN_APP"}
    email = next(n for n in found if n.channel == "EMAIL")
    assert email.subject == f"退货申请 {request.number} 状态更新：已批准"
    assert (email.status, email.recipient) == ("PENDING", customer.email)


def test_a_rolled_back_change_leaves_no_notifications(factory):
    customer = factory.customer(email=unique_email())

    def fails(uow):  # noqa: ANN001, ANN202
        _return_changed(uow, customer.id, "APPROVED")
        raise DomainError("refund amount exceeds the order total")

    with pytest.raises(DomainError):
        factory.write(fails)
    factory.plan_notifications()
    assert rows(factory, customer_id=customer.id) == []


def test_a_planning_failure_never_undoes_the_change_or_holds_up_later_events(factory):
    def boom(_reads, _payload):  # noqa: ANN001, ANN202
        raise RuntimeError("template store unavailable")

    def change(uow):  # noqa: ANN001, ANN202
        created = customer_service.create_customer(uow, {"name": "海南椰子 有限公司"})
        uow.emit("test.planning_failure", customer_id=created.id)
        return created

    planner.HANDLERS["test.planning_failure"] = boom
    try:
        created = factory.write(change)
        customer = factory.customer(email=unique_email(), phone=None)
        factory.write(_return_changed, customer.id, "APPROVED")
        factory.plan_notifications()
    finally:
        del planner.HANDLERS["test.planning_failure"]
    assert factory.runner.read_sync(customer_service.get_customer, (SYSTEM, created.id), {})
    assert rows(factory, customer_id=created.id) == []
    assert {n.channel for n in rows(factory, customer_id=customer.id)} == {"EMAIL", "IN_APP"}


def test_low_stock_alerts_go_to_that_warehouses_staff(factory, live_kit):
    warehouse, elsewhere = live_kit.warehouse(), live_kit.warehouse()
    keeper = factory.user("WAREHOUSE", warehouses=[warehouse.code])
    outsider = factory.user("WAREHOUSE", warehouses=[elsewhere.code])
    product = live_kit.product()
    live_kit.stock(product, warehouse, 3)
    factory.write(stock_service.adjust_stock, product.id, warehouse.id, -3, "破损")
    factory.plan_notifications()
    mine = rows(factory, user_id=keeper.id)
    assert {(n.channel, n.template) for n in mine} == {("IN_APP", "staff_low_stock"),
                                                       ("EMAIL", "staff_low_stock")}
    assert product.sku in mine[0].subject and "已缺货" in mine[0].body
    assert rows(factory, user_id=outsider.id) == []
