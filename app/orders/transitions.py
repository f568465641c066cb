"""Review-side workflow steps: submit, approve, reject, hold, release, cancel, complete.

Each step loads the order locked and checked (loading.load), changes it, and
writes history (event + audit + domain event) through history.transition.
"""

from __future__ import annotations

from decimal import Decimal

from app.errors import DomainError, ValidationFailed
from app.orders import allocation, history, review, scheduling
from app.orders import repository as repo
from app.orders.history import EventType
from app.orders.loading import load, reason_text, stock_ref
from app.orders.models import Order, OrderStatus
from app.orders.workflow import Action
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.quotes.workflow import business_today

S = OrderStatus


def submit(uow: UnitOfWork, order: Order, has_lines: bool | None = None) -> None:
    """DRAFT -> PENDING_REVIEW (the caller has checked state and rights; a caller that
    just wrote the lines says whether there are any)."""
    if not (has_lines if has_lines is not None else repo.lines_of(uow.session, order.id)):
        raise DomainError("an order needs at least one line", field=["lines"])
    history.transition(uow, order, S.PENDING_REVIEW, EventType.SUBMITTED)


def submit_order(uow: UnitOfWork, order_id: int) -> Order:
    order = load(uow, order_id, Action.SUBMIT)
    submit(uow, order)
    return order


def approve_order(uow: UnitOfWork, order_id: int, threshold: Decimal | None = None) -> Order:
    """Review (prices, discount rights, credit), then reserve stock -> CONFIRMED.

    Any failed check raises with every reason and its code; nothing is written
    and no stock is touched (the unit of work rolls back).
    """
    s = uow.session
    order = load(uow, order_id, Action.APPROVE)
    repo.ahead.approval(s, order)
    customer = repo.lock_customer(s, order.customer_id)
    lines = repo.line_records(s, order.id)
    repo.ahead.allocation(s, order, [ln.product_id for ln in lines])
    limit = threshold if threshold is not None else Decimal(
        uow.settings.discount_approval_threshold)
    errors = review.review(s, order, lines, customer, uow.principal, limit,
                           business_today(uow.settings.business_timezone))
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(order)
    region = order.ship_region or customer.region
    priority = scheduling.priority_for(s, customer, order)  # read before the order changes
    slots = allocation.reserve(s, order, lines, region, stock_ref(uow, order, "order approved"))
    order.confirmed_at = utcnow()
    order.priority = priority
    history.transition(uow, order, S.CONFIRMED, EventType.APPROVED, before=before,
                       details={"reserved": allocation.warehouses_of(slots)})
    return order


def reject_order(uow: UnitOfWork, order_id: int, reason: str) -> Order:
    text = reason_text(reason)
    order = load(uow, order_id, Action.REJECT)
    before = snapshot(order)
    order.close_reason = text
    history.transition(uow, order, S.REJECTED, EventType.REJECTED, message=text, before=before)
    return order


def hold_order(uow: UnitOfWork, order_id: int, reason: str) -> Order:
    """Pause an order; reservations stay. Release returns it to where it was."""
    text = reason_text(reason)
    order = load(uow, order_id, Action.HOLD)
    before = snapshot(order)
    order.status_before_hold = order.status
    order.hold_reason = text
    history.transition(uow, order, S.ON_HOLD, EventType.HELD, message=text, before=before)
    return order


def release_order(uow: UnitOfWork, order_id: int) -> Order:
    order = load(uow, order_id, Action.RELEASE)
    before = snapshot(order)
    back_to = order.status_before_hold or S.PENDING_REVIEW.value
    order.status_before_hold = None
    order.hold_reason = None
    history.transition(uow, order, back_to, EventType.RELEASED, before=before)
    return order


def cancel_order(uow: UnitOfWork, order_id: int, reason: str) -> Order:
    """Cancel before shipping; every reservation is released in the same transaction."""
    text = reason_text(reason)
    order = load(uow, order_id, Action.CANCEL)
    before = snapshot(order)
    allocations = repo.allocations_of(uow.session, order.id)
    released = allocation.release_all(uow.session, order, allocations,
                                      stock_ref(uow, order, "order cancelled"))
    order.close_reason = text
    order.status_before_hold = None
    history.transition(uow, order, S.CANCELLED, EventType.CANCELLED, message=text,
                       before=before, details={"releasedUnits": released})
    return order


def complete_order(uow: UnitOfWork, order_id: int) -> Order:
    order = load(uow, order_id, Action.COMPLETE)
    before = snapshot(order)
    order.completed_at = utcnow()
    history.transition(uow, order, S.COMPLETED, EventType.COMPLETED, before=before)
    return order
