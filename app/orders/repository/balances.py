"""What a customer owes: the one definition used by the credit check and the API.

An order's balance is what is still due on it:

    total - credited (goods returned for a refund) - (paid - refunded)

never below zero. A customer's outstanding balance is the sum over its
approved, not closed-as-void orders: CONFIRMED through DELIVERED, COMPLETED
(a completed order on credit terms still owes its invoice) and orders held
from those states. Drafts, orders waiting for review, cancelled and rejected
orders owe nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, bindparam, case, func, or_
from sqlmodel import Session, select

from app.orders.models import Order, OrderStatus
from app.orders.workflow import OPEN_STATES
from app.persistence.fast import statements

ZERO = Decimal("0")
CENT = Decimal("0.01")
OWING_STATES = tuple(sorted({*(s.value for s in OPEN_STATES), OrderStatus.COMPLETED.value}))


def _money(value: object) -> Decimal:
    """SQL sums come back as Decimal (or float on some SQLite paths): cents, exactly."""
    return Decimal(str(value or 0)).quantize(CENT)


def balance_expr():  # noqa: ANN201
    due = Order.total - Order.credited_total - (Order.paid_total - Order.refunded_total)
    return case((due > 0, due), else_=0)


def owing():  # noqa: ANN201
    """Orders that count towards what a customer owes (held ones by where they were)."""
    return or_(Order.status.in_(OWING_STATES),
               and_(Order.status == OrderStatus.ON_HOLD.value,
                    Order.status_before_hold.in_(OWING_STATES)))


# The credit check's statement: built once, reused with bound parameters.
EXPOSURE = select(func.coalesce(func.sum(balance_expr()), 0)).where(
    Order.customer_id == bindparam("customer_id"), Order.id != bindparam("exclude_id"), owing())


def outstanding_balances(session: Session, customer_ids: Sequence[int],
                         exclude_order_id: int | None = None) -> dict[int, Decimal]:
    """Loader-shaped: {customer_id: balance} for every id (0 when nothing is owed)."""
    ids = list(customer_ids)
    stmt = (select(Order.customer_id, func.coalesce(func.sum(balance_expr()), 0))
            .where(Order.customer_id.in_(ids), owing()).group_by(Order.customer_id))
    if exclude_order_id is not None:
        stmt = stmt.where(Order.id != exclude_order_id)
    found = {cid: _money(total) for cid, total in session.exec(stmt)}
    return {cid: found.get(cid, ZERO) for cid in ids}


def outstanding_balance(session: Session, customer_id: int,
                        exclude_order_id: int | None = None) -> Decimal:
    """What the customer owes on its orders (the credit check excludes the order under review).

    Runs on every approval: the statement is built once and reused with bound
    parameters (building it costs more than running it).
    """
    return _money(statements.rows(session, *exposure_query(customer_id, exclude_order_id))[0][0])


def exposure_query(customer_id: int, exclude_order_id: int | None = None) -> statements.Query:
    return EXPOSURE, {"customer_id": customer_id,
                      "exclude_id": -1 if exclude_order_id is None else exclude_order_id}


def order_balances(session: Session, order_ids: Sequence[int]) -> dict[int, Decimal]:
    """Loader-shaped: {order_id: balance still due} (any state)."""
    stmt = select(Order.id, balance_expr()).where(Order.id.in_(list(order_ids)))
    return {oid: _money(value) for oid, value in session.exec(stmt)}


def unpaid(order: Order) -> Decimal:
    """What is still due on one loaded order (same rule as `balance_expr`)."""
    due = order.total - order.credited_total - (order.paid_total - order.refunded_total)
    return due if due > 0 else ZERO
