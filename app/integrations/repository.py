"""SQL of outgoing webhooks (docs/architecture.md#outgoing-webhooks): subscriptions and
their secrets, deliveries made from outbox events, the dispatcher's claims and outcomes,
and the attempt log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.integrations.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSecret,
    WebhookSubscription,
)
from app.persistence.fast import bulk
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    grouped,
    one_of,
    paginate,
    sort_table,
    where,
)

S, D, A = WebhookSubscription, WebhookDelivery, WebhookAttempt
DUE = (DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value)


class SubscriptionSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


class DeliverySort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SUBSCRIPTION_SORTS = sort_table(SubscriptionSort, {"CREATED_AT": S.created_at})
_DELIVERY_SORTS = sort_table(DeliverySort, {"CREATED_AT": D.created_at})


@dataclass(frozen=True)
class SubscriptionFilter:
    enabled: bool | None = None


@dataclass(frozen=True)
class DeliveryFilter:
    subscription_id: int | None = None
    statuses: tuple[str, ...] | None = None
    event_type: str | None = None
    event_id: int | None = None


# Subscriptions ------------------------------------------------------------------------

def get_subscription(session: Session, subscription_id: int, *, for_update: bool = False
                     ) -> WebhookSubscription | None:
    stmt = select(S).where(S.id == subscription_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def subscriptions_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return {r.id: r for r in session.exec(select(S).where(S.id.in_(list(ids))))}


def list_subscriptions(session: Session, flt: SubscriptionFilter, sort: SubscriptionSort,
                       page: PageRequest) -> Page[WebhookSubscription]:
    stmt = where(select(S), equal(S.enabled, flt.enabled))
    return paginate(session, stmt, _SUBSCRIPTION_SORTS[sort], page, S.id)


def active_subscriptions(session: Session) -> list[tuple[int, list[str], int]]:
    """(id, event types, first event id after which it receives) of the enabled ones."""
    stmt = select(S.id, S.event_types, S.from_event_id).where(S.enabled.is_(True))
    return [(i, list(types or []), start) for i, types, start in session.exec(stmt)]


def store_secret(session: Session, subscription_id: int, secret: str, at: datetime) -> None:
    row = session.get(WebhookSecret, subscription_id)
    if row is None:
        row = WebhookSecret(subscription_id=subscription_id, secret=secret, set_at=at)
    else:
        row.secret, row.set_at = secret, at
    session.add(row)
    session.flush()


def delete_subscription(session: Session, subscription_id: int) -> list[int]:
    """The subscription, its secret, deliveries and their attempts; the deliveries' ids."""
    deliveries = select(D.id).where(D.subscription_id == subscription_id)
    session.execute(delete(A).where(A.delivery_id.in_(deliveries)))
    deleted = list(session.execute(delete(D).where(D.subscription_id == subscription_id)
                                   .returning(D.id)).scalars())
    session.execute(delete(WebhookSecret).where(WebhookSecret.subscription_id
                                                == subscription_id))
    session.execute(delete(S).where(S.id == subscription_id))
    return deleted


# Deliveries ---------------------------------------------------------------------------

def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """The fan-out's rows (app/integrations/fanout.py), in multi-row INSERTs."""
    return bulk.insert_ids(session, D.__table__, rows)


def get_delivery(session: Session, delivery_id: int, *, for_update: bool = False
                 ) -> WebhookDelivery | None:
    stmt = select(D).where(D.id == delivery_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def deliveries_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return {r.id: r for r in session.exec(select(D).where(D.id.in_(list(ids))))}


def list_deliveries(session: Session, flt: DeliveryFilter, sort: DeliverySort,
                    page: PageRequest) -> Page[WebhookDelivery]:
    stmt = where(select(D), equal(D.subscription_id, flt.subscription_id),
                 one_of(D.status, flt.statuses), equal(D.event_type, flt.event_type),
                 equal(D.event_id, flt.event_id))
    return paginate(session, stmt, _DELIVERY_SORTS[sort], page, D.id)


def attempts_by_delivery(session: Session, delivery_ids: Sequence[int]
                         ) -> dict[int, list[WebhookAttempt]]:
    stmt = (select(A).where(A.delivery_id.in_(list(delivery_ids)))
            .order_by(A.attempted_at, A.id))
    return grouped(session.exec(stmt).all(), "delivery_id")


def requeue(session: Session, delivery: WebhookDelivery, now: datetime) -> None:
    """Due at once, its automatic retries counted afresh."""
    delivery.status, delivery.attempts = DeliveryStatus.PENDING.value, 0
    delivery.next_attempt_at, delivery.updated_at = now, now
    session.add(delivery)
    session.flush()


# The dispatcher -----------------------------------------------------------------------

@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt, with what the POST needs."""

    id: int
    subscription_id: int
    url: str
    secret: str
    event_id: int
    event_type: str
    body: str
    attempts: int  # counting this one


def claim_due(session: Session, now: datetime, lease_until: datetime, limit: int
              ) -> list[Claimed]:
    """Due deliveries of enabled subscriptions, leased until `lease_until` (a dispatcher
    that dies gives them back then); several dispatchers skip each other's rows."""
    stmt = (select(D, S.url, WebhookSecret.secret)
            .join(S, S.id == D.subscription_id)
            .join(WebhookSecret, WebhookSecret.subscription_id == S.id)
            .where(D.status.in_(DUE), D.next_attempt_at <= now, S.enabled.is_(True))
            .order_by(D.next_attempt_at, D.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=D.__table__, skip_locked=True)
    claimed = []
    for delivery, url, secret in session.exec(stmt).all():
        delivery.attempts += 1
        delivery.next_attempt_at = lease_until
        session.add(delivery)
        claimed.append(Claimed(delivery.id, delivery.subscription_id, url, secret,
                               delivery.event_id, delivery.event_type, delivery.body,
                               delivery.attempts))
    session.flush()
    return claimed


def record_attempt(session: Session, delivery_id: int, values: dict[str, Any],
                   attempt: dict[str, Any]) -> None:
    """A delivery's state after an attempt, and the attempt's log row."""
    session.execute(update(D).where(D.id == delivery_id).values(**values))
    session.add(A(delivery_id=delivery_id, **attempt))


def count_failure(session: Session, subscription_id: int, disable_after: int, now: datetime,
                  reason: str) -> bool:
    """One more failed attempt in a row; whether the subscription is disabled by it."""
    session.execute(update(S).where(S.id == subscription_id).values(
        consecutive_failures=S.consecutive_failures + 1))
    return bool(session.execute(update(S).where(
        S.id == subscription_id, S.enabled.is_(True),
        S.consecutive_failures >= disable_after).values(
        enabled=False, disabled_at=now, disabled_reason=reason[:300],
        updated_at=now)).rowcount)


def count_success(session: Session, subscription_id: int) -> None:
    session.execute(update(S).where(S.id == subscription_id, S.consecutive_failures != 0)
                    .values(consecutive_failures=0))
