"""SQL for payments and refunds (rows of the `payment` table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, select

from app.payments.models import Payment


def payments_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[Payment]]:
    """Loader fetch: each order's payments and refunds, oldest first."""
    stmt = select(Payment).where(Payment.order_id.in_(list(ids))).order_by(
        Payment.order_id, Payment.id)
    out: dict[int, list[Payment]] = defaultdict(list)
    for row in session.exec(stmt):
        out[row.order_id].append(row)
    return out


def payments_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Payment]:
    return {p.id: p for p in session.exec(select(Payment).where(Payment.id.in_(list(ids))))}


def last_payment_method(session: Session, order_id: int) -> str | None:
    """How the customer paid most recently: the default way to pay a refund back."""
    stmt = select(Payment.method).where(Payment.order_id == order_id,
                                        Payment.kind == "PAYMENT").order_by(Payment.id.desc())
    return session.exec(stmt).first()
