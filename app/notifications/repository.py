"""SQL for notifications: who receives what, delivery bookkeeping, inbox queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, select

from app.auth.models import User, UserWarehouse
from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.catalog.models import Product
from app.customers import repository as customers
from app.inventory.models import Warehouse
from app.notifications.models import Notification, NotificationPreference
from app.persistence.fast import bulk, statements
from app.persistence.repository import Page, PageRequest, equal, paginate, sort_table, where
from app.returns.models import ReturnRequest
from app.shipping.models import Carrier, Shipment, ShipmentException, TrackingEvent

CHANNELS = ("EMAIL", "SMS", "IN_APP", "PUSH")
SENDABLE = ("EMAIL", "SMS", "PUSH")  # IN_APP is delivered by being stored


class Status(StrEnum):
    PENDING = "PENDING"      # waiting for (another) attempt
    SENDING = "SENDING"      # claimed by a dispatcher; lease in next_attempt_at
    SENT = "SENT"            # accepted by the SMTP server / SMS provider
    DELIVERED = "DELIVERED"  # IN_APP: stored in the recipient's inbox
    FAILED = "FAILED"        # gave up; last_error says why


class NotificationSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SORTS = sort_table(NotificationSort, {"CREATED_AT": Notification.created_at})
_TABLE = Notification.__table__


@dataclass(frozen=True)
class NotificationFilter:
    inbox: bool = False          # only IN_APP notifications addressed to the caller
    unread_only: bool = False
    channel: str | None = None
    status: str | None = None
    template: str | None = None
    customer_id: int | None = None


# Recipients and rendering data ---------------------------------------------

def preferences_of(session: Session, customer_ids: Sequence[int]
                   ) -> dict[int, dict[str, bool]]:
    """{customer id: {channel: enabled}} for every id; channels without a row are enabled."""
    found = {customer_id: dict.fromkeys(CHANNELS, True) for customer_id in customer_ids}
    if found:
        t = NotificationPreference.__table__
        for customer_id, channel, enabled in session.execute(
                select(t.c.customer_id, t.c.channel, t.c.enabled)
                .where(t.c.customer_id.in_(list(found)))):
            found[customer_id][channel] = enabled
    return found


def preferences(session: Session, customer_id: int) -> dict[str, bool]:
    return preferences_of(session, [customer_id])[customer_id]


def set_preference(session: Session, customer_id: int, channel: str, enabled: bool) -> None:
    row = session.exec(select(NotificationPreference).where(
        NotificationPreference.customer_id == customer_id,
        NotificationPreference.channel == channel)).first()
    if row is None:
        row = NotificationPreference(customer_id=customer_id, channel=channel, enabled=enabled)
    row.enabled = enabled
    session.add(row)


def shipment(session: Session, shipment_id: int | None) -> Shipment | None:
    return session.get(Shipment, shipment_id) if shipment_id else None


def shipment_exception(session: Session, exception_id: int | None
                       ) -> ShipmentException | None:
    return session.get(ShipmentException, exception_id) if exception_id else None


def tracking_event(session: Session, event_id: int | None) -> TrackingEvent | None:
    return session.get(TrackingEvent, event_id) if event_id else None


def carrier_name(session: Session, carrier_id: int | None) -> str | None:
    row = session.get(Carrier, carrier_id) if carrier_id else None
    return row.name if row else None


def return_request(session: Session, return_id: int | None) -> ReturnRequest | None:
    return session.get(ReturnRequest, return_id) if return_id else None


def product(session: Session, product_id: int | None) -> Product | None:
    return session.get(Product, product_id) if product_id else None


def warehouse(session: Session, warehouse_id: int | None) -> Warehouse | None:
    return session.get(Warehouse, warehouse_id) if warehouse_id else None


def staff(session: Session, roles: Sequence[Role], warehouse_id: int | None = None
          ) -> list[User]:
    """Active users of the given roles; WAREHOUSE users only when assigned to
    `warehouse_id`."""
    others = [r.value for r in roles if r is not Role.WAREHOUSE]
    conditions = [User.role.in_(others)] if others else []
    if Role.WAREHOUSE in roles and warehouse_id is not None:
        assigned = select(UserWarehouse.user_id).where(UserWarehouse.warehouse_id == warehouse_id)
        conditions.append(and_(User.role == Role.WAREHOUSE.value, User.id.in_(assigned)))
    if not conditions:
        return []
    stmt = select(User).where(User.is_active, or_(*conditions)).order_by(User.id).limit(200)
    return list(session.exec(stmt).all())


def active_users(session: Session, ids: Sequence[int]) -> list[User]:
    if not ids:
        return []
    stmt = select(User).where(User.id.in_(list(ids)), User.is_active).order_by(User.id)
    return list(session.exec(stmt).all())


def source_key(key: str, value: int | None) -> str:
    return f"{key}={value}"


def already_notified(session: Session, template: str, key: str, value: int) -> bool:
    """Whether a notification of `template` about key=value was planned (e.g. one "shipped"
    message per shipment, however many transit scans follow)."""
    stmt = (select(Notification.id)
            .where(Notification.template == template,
                   Notification.source_key == source_key(key, value)).limit(1))
    return session.exec(stmt).first() is not None


# Dispatch bookkeeping -------------------------------------------------------

_DUE = (Status.PENDING.value, Status.SENDING.value)


def fail_due(session: Session, channel: str, now: datetime, reason: str) -> list[int]:
    """Every due notification of a channel that cannot send (not configured) becomes FAILED
    at once, in one statement: no claim, no attempt, no outcome to record one by one. Their
    ids (the delta sync's changes)."""
    return list(statements.run(session, update(Notification).where(
        Notification.channel == channel, Notification.status.in_(_DUE),
        Notification.next_attempt_at <= now).values(
        status=Status.FAILED.value, attempts=Notification.attempts + 1, next_attempt_at=None,
        last_error=reason[:1000]).returning(Notification.id)).scalars())


def backlog(session: Session) -> dict[str, int]:
    """Notifications still to send (PENDING or SENDING), by channel: the metrics'
    notification backlog."""
    stmt = (select(Notification.channel, func.count())
            .where(Notification.channel.in_(list(SENDABLE)), Notification.status.in_(_DUE))
            .group_by(Notification.channel))
    return {row[0]: row[1] for row in session.execute(stmt)}


def claim_due(session: Session, now: datetime, lease_until: datetime, limit: int,
              channels: Sequence[str] = SENDABLE) -> list[Notification]:
    """Take due EMAIL/SMS notifications, leased so a crashed sender's work comes back."""
    if not channels:
        return []
    stmt = (select(Notification)
            .where(Notification.channel.in_(list(channels)),
                   Notification.status.in_(_DUE),
                   Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.exec(stmt).all())
    for row in rows:
        row.status = Status.SENDING.value
        row.attempts += 1
        row.next_attempt_at = lease_until
        session.add(row)
    return rows


def insert_notifications(session: Session, planned: list[dict]) -> list[int]:
    """The planner's rows (app/notifications/planner.py), in multi-row INSERTs
    (app/persistence/fast/bulk.py); their ids, in order."""
    return bulk.insert_ids(session, _TABLE, planned)


def record(session: Session, notification_id: int, values: dict) -> None:
    session.execute(update(Notification).where(Notification.id == notification_id)
                    .values(**values))


# Inbox and delivery-status queries -----------------------------------------

def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Rows the caller may see: its own, its customer's (CUSTOMER), its customers'
    (SALES), every customer's (other staff with customer access), all (ADMIN/MANAGER)."""
    if principal.role in (Role.ADMIN, Role.MANAGER):
        return stmt
    own = Notification.user_id == principal.user_id
    if principal.customer_scope is not None:
        return stmt.where(or_(own, Notification.customer_id == principal.customer_scope))
    if not principal.can(Perm.CUSTOMERS_READ):
        return stmt.where(own)
    if principal.owner_scope is not None:
        owned = customers.owned(principal.owner_scope)
        return stmt.where(or_(own, Notification.customer_id.in_(owned)))
    return stmt.where(or_(own, Notification.customer_id.is_not(None)))


def inbox_condition(principal: Principal):  # noqa: ANN201
    mine = Notification.user_id == principal.user_id
    if principal.customer_scope is not None:
        mine = or_(mine, and_(Notification.customer_id == principal.customer_scope,
                              Notification.user_id.is_(None)))
    return and_(Notification.channel == "IN_APP", mine)


def list_notifications(session: Session, principal: Principal, flt: NotificationFilter,
                       sort: NotificationSort, page: PageRequest) -> Page[Notification]:
    stmt = where(scope(select(Notification), principal),
                 inbox_condition(principal) if flt.inbox else None,
                 Notification.read_at.is_(None) if flt.unread_only else None,
                 equal(Notification.channel, flt.channel), equal(Notification.status, flt.status),
                 equal(Notification.template, flt.template),
                 equal(Notification.customer_id, flt.customer_id))
    return paginate(session, stmt, _SORTS[sort], page, Notification.id)


def get_visible(session: Session, principal: Principal, notification_id: int
                ) -> Notification | None:
    stmt = scope(select(Notification).where(Notification.id == notification_id), principal)
    return session.exec(stmt).first()


def inbox_rows(session: Session, principal: Principal, ids: Sequence[int]) -> list[Notification]:
    if not ids:
        return []
    stmt = select(Notification).where(Notification.id.in_(list(ids)),
                                      inbox_condition(principal))
    return list(session.exec(stmt.order_by(Notification.id)).all())


def unread_inbox(session: Session, principal: Principal, limit: int = 1000
                 ) -> list[Notification]:
    stmt = select(Notification).where(inbox_condition(principal),
                                      Notification.read_at.is_(None))
    return list(session.exec(stmt.order_by(Notification.id).limit(limit)).all())


def notifications_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Notification]:
    if not ids:
        return {}
    rows = session.exec(select(Notification).where(Notification.id.in_(list(ids)))).all()
    return {r.id: r for r in rows}
