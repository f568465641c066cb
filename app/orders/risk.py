"""Orders at risk of missing their promised date: approved, not shipped, promised soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from app.auth.principal import Principal
from app.errors import DomainError
from app.orders import repository as repo
from app.orders.models import Order, OrderStatus
from app.persistence.pagination import Page, PageRequest

DEFAULT_DAYS = 3
MAX_DAYS = 365


class RiskReason(StrEnum):
    OVERDUE = "OVERDUE"  # the promised date has passed
    ON_HOLD = "ON_HOLD"  # held while the date approaches
    NOT_SCHEDULED = "NOT_SCHEDULED"  # confirmed but no warehouse slot yet
    DUE_SOON = "DUE_SOON"  # scheduled or in fulfillment, due within the window


@dataclass(frozen=True)
class AtRisk:
    order: Order
    reason: RiskReason
    days_left: int  # negative when overdue
    message: str


def _assess(order: Order, today: date) -> AtRisk:
    days = (order.promised_date - today).days
    if days < 0:
        reason, text = RiskReason.OVERDUE, f"promised {order.promised_date}, {-days} day(s) late"
    elif order.status == OrderStatus.ON_HOLD:
        reason, text = RiskReason.ON_HOLD, f"on hold ({order.hold_reason}), due in {days} day(s)"
    elif order.status == OrderStatus.CONFIRMED:
        reason, text = RiskReason.NOT_SCHEDULED, f"not scheduled, due in {days} day(s)"
    else:
        reason, text = RiskReason.DUE_SOON, f"{order.status}, due in {days} day(s)"
    return AtRisk(order=order, reason=reason, days_left=days, message=text)


def orders_at_risk(session: Session, principal: Principal, page: PageRequest,
                   within_days: int = DEFAULT_DAYS, today: date | None = None) -> Page[AtRisk]:
    """Confirmed/scheduled/in-fulfillment (or held) orders promised within `within_days`."""
    if not 0 <= within_days <= MAX_DAYS:
        raise DomainError(f"withinDays must be 0 to {MAX_DAYS}", field=["withinDays"])
    today = today or datetime.now(UTC).date()
    found = repo.at_risk(session, principal, today + timedelta(days=within_days), page)
    return Page(items=[_assess(o, today) for o in found.items], cursors=found.cursors,
                has_next=found.has_next, has_previous=found.has_previous, total=found.total)
