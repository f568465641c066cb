"""Notification rules: who sees which notifications, inbox read state, and the
per-customer channel preferences (opt-out included)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers import repository as customers
from app.errors import DomainError, Forbidden, NotFound
from app.notifications import repository as repo
from app.notifications.models import Notification
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork

MAX_MARK = 100


def list_notifications(session: Session, principal: Principal, flt: repo.NotificationFilter,
                       sort: repo.NotificationSort, page: PageRequest) -> Page[Notification]:
    return repo.list_notifications(session, principal, flt, sort, page)


def get_notification(session: Session, principal: Principal, notification_id: int
                     ) -> Notification | None:
    return repo.get_visible(session, principal, notification_id)


def visible_in_inbox(session: Session, principal: Principal, notification_id: int
                     ) -> Notification | None:
    rows = repo.inbox_rows(session, principal, [notification_id])
    return rows[0] if rows else None


def mark_read(uow: UnitOfWork, ids: list[int] | None) -> list[Notification]:
    """Mark inbox notifications read; `None` marks every unread one."""
    principal = uow.principal
    if ids is not None and len(ids) > MAX_MARK:
        raise DomainError(f"at most {MAX_MARK} ids per call", field=["ids"])
    if ids is None:
        rows = repo.unread_inbox(uow.session, principal)
    else:
        rows = repo.inbox_rows(uow.session, principal, ids)
        if len(rows) != len(set(ids)):  # someone else's id answers like a missing one
            raise NotFound("notification not found", field=["ids"])
    now = utcnow()
    changed = [r for r in rows if r.read_at is None]
    for row in changed:
        row.read_at = now
        uow.session.add(row)
    uow.audit("notification.read", "Notification", None,
              after={"ids": [r.id for r in changed]})
    return rows


def _customer(session: Session, principal: Principal, customer_id: int) -> Any:
    if not principal.can(Perm.CUSTOMERS_READ):
        raise NotFound("customer not found", field=["customerId"])
    customer = customers.get_visible(session, principal, customer_id)
    if customer is None:
        raise NotFound("customer not found", field=["customerId"])
    return customer


def get_preferences(session: Session, principal: Principal, customer_id: int
                    ) -> dict[str, bool]:
    _customer(session, principal, customer_id)
    return repo.preferences(session, customer_id)


def update_preferences(uow: UnitOfWork, customer_id: int, changes: dict[str, bool]
                       ) -> dict[str, bool]:
    """`changes` maps EMAIL / SMS / IN_APP to enabled; the customer itself or staff
    who may edit the customer can change them."""
    principal = uow.principal
    _customer(uow.session, principal, customer_id)
    if principal.is_staff and not principal.can(Perm.CUSTOMERS_WRITE):
        raise Forbidden("you may not change this customer's notification preferences")
    unknown = set(changes) - set(repo.CHANNELS)
    if unknown:
        raise DomainError(f"unknown channel {sorted(unknown)[0]}", field=["channel"])
    before = repo.preferences(uow.session, customer_id)
    for channel, enabled in changes.items():
        repo.set_preference(uow.session, customer_id, channel, bool(enabled))
    uow.session.flush()
    after = repo.preferences(uow.session, customer_id)
    uow.audit("notification.preferences", "Customer", customer_id, before=before, after=after)
    return after
