"""Outgoing webhook subscriptions and their deliveries: one function per step, ADMIN only
(integrations:manage; docs/architecture.md#outgoing-webhooks).

A destination is vetted twice: `vet_url` resolves its host outside any unit of work (DNS
must not hold the one SQLite writer) before the resolver writes, and the unit of work
checks the URL's form and any address written in it again, so no caller can store a URL
that skipped the rules.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlmodel import Session

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import Conflict, DomainError, Forbidden, NotFound, Validator
from app.events.repository import outbox
from app.integrations import destinations
from app.integrations import repository as repo
from app.integrations.messages import EVENT_TYPES
from app.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.sync import capture as sync_capture

MIN_SECRET, MAX_SECRET = 16, 200
MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class Created:
    subscription: WebhookSubscription
    secret: str | None  # the secret drawn for it, shown once; None when the caller gave one


def _authorize(principal: Principal | None) -> None:
    if not (principal or SYSTEM).can(Perm.INTEGRATIONS_MANAGE):
        raise Forbidden("requires permission integrations:manage")


async def vet_url(url: str, settings: Any) -> None:
    """Refused (a DomainError on `url`) unless the URL is allowed and its host resolves to
    allowed addresses only (destinations.py)."""
    dest = destinations.parse(url, "url")
    allow = destinations.networks(settings.webhook_allowed_networks)
    await anyio.to_thread.run_sync(destinations.resolve, dest, allow, "url")


def _check(uow: UnitOfWork, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    out = dict(data)
    v = Validator()
    if "url" in out:
        try:
            dest = destinations.parse(out["url"], "url")
            destinations.check_literal(
                dest, destinations.networks(uow.settings.webhook_allowed_networks))
            out["url"] = dest.url
        except DomainError as exc:
            v.errors.append(exc)
    if "event_types" in out:
        types = list(dict.fromkeys(t.strip() for t in out["event_types"] or []))
        unknown = [t for t in types if t not in EVENT_TYPES]
        v.check(bool(types), "eventTypes", "choose at least one event type")
        v.check(not unknown, "eventTypes", f"unknown event type {', '.join(unknown)}: one of "
                + ", ".join(EVENT_TYPES))
        out["event_types"] = types
    if out.get("secret") is not None:
        n = len(out["secret"])
        v.check(MIN_SECRET <= n <= MAX_SECRET and out["secret"].isprintable(), "secret",
                f"the secret is {MIN_SECRET} to {MAX_SECRET} printable characters")
    if out.get("description") is not None:
        out["description"] = out["description"].strip()
        v.check(len(out["description"]) <= MAX_DESCRIPTION, "description",
                f"at most {MAX_DESCRIPTION} characters")
    v.check(not creating or "url" in out, "url", "the URL is required")
    v.raise_if_any()
    return out


def _hint(secret: str) -> str:
    return "…" + secret[-4:]


def create_subscription(uow: UnitOfWork, data: dict[str, Any]) -> Created:
    """Receives the events of its types committed from now on."""
    _authorize(uow.principal)
    data = _check(uow, {"event_types": [], **data}, creating=True)
    drawn = None if data.get("secret") else secrets.token_urlsafe(32)
    secret = data.get("secret") or drawn
    now = utcnow()
    row = WebhookSubscription(
        url=data["url"], event_types=data["event_types"],
        description=data.get("description") or "", secret_hint=_hint(secret),
        from_event_id=outbox.settled_max(uow.session), created_by_id=uow.actor_id,
        created_at=now, updated_at=now)
    uow.session.add(row)
    uow.session.flush()
    repo.store_secret(uow.session, row.id, secret, now)
    uow.audit("webhook_subscription.create", "WebhookSubscription", row.id,
              after=snapshot(row))
    return Created(row, drawn)


def update_subscription(uow: UnitOfWork, subscription_id: int, data: dict[str, Any]
                        ) -> WebhookSubscription:
    """Changes what is given; `enabled: true` enables it again and forgets its failures."""
    _authorize(uow.principal)
    row = _subscription(uow, subscription_id)
    data = _check(uow, {k: v for k, v in data.items() if v is not None}, creating=False)
    before, now = snapshot(row), utcnow()
    for key in ("url", "event_types", "description"):
        if key in data:
            setattr(row, key, data[key])
    if "enabled" in data and data["enabled"] != row.enabled:
        row.enabled = data["enabled"]
        row.disabled_at = None if row.enabled else now
        row.disabled_reason = None if row.enabled else "disabled by hand"
        row.consecutive_failures = 0
        if row.enabled:  # events while it was disabled made no deliveries, nor will now
            row.from_event_id = outbox.settled_max(uow.session)
    if data.get("secret"):
        repo.store_secret(uow.session, row.id, data["secret"], now)
        row.secret_hint = _hint(data["secret"])
    row.updated_at = now
    uow.session.add(row)
    uow.session.flush()
    uow.audit("webhook_subscription.update", "WebhookSubscription", row.id, before=before,
              after=snapshot(row))
    return row


def delete_subscription(uow: UnitOfWork, subscription_id: int) -> int:
    """The subscription, its secret and its delivery log; the audit record keeps what it
    was."""
    _authorize(uow.principal)
    row = _subscription(uow, subscription_id)
    before = snapshot(row)
    deliveries = repo.delete_subscription(uow.session, row.id)
    sync_capture.touch(uow, "WebhookDelivery", deliveries)  # deleted with it: tombstones
    uow.audit("webhook_subscription.delete", "WebhookSubscription", subscription_id,
              before=before)
    return subscription_id


def retry_delivery(uow: UnitOfWork, delivery_id: int) -> WebhookDelivery:
    """Send it again at the dispatcher's next round, whatever became of it before (a
    receiver that lost a delivered one may ask for it again)."""
    _authorize(uow.principal)
    delivery = repo.get_delivery(uow.session, delivery_id, for_update=True)
    if delivery is None:
        raise NotFound("WebhookDelivery not found", field=["id"])
    subscription = repo.get_subscription(uow.session, delivery.subscription_id)
    if subscription is None or not subscription.enabled:
        raise Conflict("the subscription is disabled: enable it first "
                       "(webhookSubscriptionUpdate)", field=["id"])
    before = {"status": delivery.status, "attempts": delivery.attempts}
    repo.requeue(uow.session, delivery, utcnow())
    uow.audit("webhook_delivery.retry", "WebhookDelivery", delivery.id, before=before,
              after={"status": DeliveryStatus.PENDING.value})
    return delivery


def _subscription(uow: UnitOfWork, subscription_id: int) -> WebhookSubscription:
    row = repo.get_subscription(uow.session, subscription_id, for_update=True)
    if row is None:
        raise NotFound("WebhookSubscription not found", field=["id"])
    return row


# Reads ---------------------------------------------------------------------------------

def list_subscriptions(session: Session, principal: Principal, flt: repo.SubscriptionFilter,
                       sort: repo.SubscriptionSort, page: PageRequest
                       ) -> Page[WebhookSubscription]:
    _authorize(principal)
    return repo.list_subscriptions(session, flt, sort, page)


def list_deliveries(session: Session, principal: Principal, flt: repo.DeliveryFilter,
                    sort: repo.DeliverySort, page: PageRequest) -> Page[WebhookDelivery]:
    _authorize(principal)
    return repo.list_deliveries(session, flt, sort, page)


def get_subscription(session: Session, principal: Principal, pk: int
                     ) -> WebhookSubscription | None:
    """None also for a caller without the permission: no existence oracle."""
    if not principal.can(Perm.INTEGRATIONS_MANAGE):
        return None
    return repo.get_subscription(session, pk)


def get_delivery(session: Session, principal: Principal, pk: int) -> WebhookDelivery | None:
    if not principal.can(Perm.INTEGRATIONS_MANAGE):
        return None
    return repo.get_delivery(session, pk)
