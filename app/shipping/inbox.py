"""The carrier webhook inbox (docs/architecture.md#carrier-webhooks): a verified batch's
events, each recorded once by the carrier's event id and applied to its shipment with a
result of its own; events for unknown tracking numbers and invalid ones are kept for
review, which staff with carriers:write mark done.

One unit of work per batch, as SYSTEM (the carrier is authenticated by its signature, not
a principal): the batch's shipments are locked first, in id order; then every new event id
claims its inbox row in one statement (a replayed id is a DUPLICATE, a concurrent replay
waits for the first and then is one); then each event is applied in a savepoint of its own,
so a DomainError (a CANCELLED shipment) makes that event INVALID and keeps the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import DomainError, Forbidden, NotFound
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, retryable, snapshot
from app.shipping import lifecycle, tracking, webhooks
from app.shipping import repository as repo
from app.shipping.models import CarrierWebhookEvent, Shipment, WebhookEventResult
from app.shipping.webhooks import MAX_MESSAGE, Incoming
from app.sync import capture as sync_capture

R = WebhookEventResult
ATTEMPTS = 3  # a PostgreSQL deadlock's victim runs again (app/persistence/uow.py retryable)


@dataclass(frozen=True)
class EventResult:
    event_id: str
    result: str
    shipment_id: int | None = None
    message: str | None = None


async def receive(runner: Any, carrier_code: str, timestamp: str | None, signed: str | None,
                  body: bytes) -> list[EventResult]:
    """A carrier's request, checked (WebhookRejected: nothing written), then recorded."""
    key = await runner.read(repo.webhook_signing_key, carrier_code)
    if key is None:
        raise webhooks.not_found()
    carrier_id, secret = key
    webhooks.verify(secret, timestamp, signed, body, utcnow())
    events = webhooks.parse_batch(body)
    attempt = 1
    while True:
        try:
            return await runner.write(record_batch, carrier_id, events, principal=SYSTEM)
        except Exception as exc:
            if attempt == ATTEMPTS or not retryable(exc):
                raise
            attempt += 1


def record_batch(uow: UnitOfWork, carrier_id: int, events: Sequence[Incoming]
                 ) -> list[EventResult]:
    """Every event's result, in the batch's order."""
    s = uow.session
    shipments = repo.lock_shipments_by_tracking(
        s, carrier_id, {e.tracking_number for e in events if e.tracking_number})
    _lock_what_moves(s, shipments, events)
    first: dict[str, int] = {}  # a repeated id within the batch is a duplicate too
    rows, now = [], utcnow()
    for i, e in enumerate(events):
        if e.event_id not in first:
            first[e.event_id] = i
            rows.append(_row(carrier_id, e, shipments.get(e.tracking_number), now))
    claimed = repo.claim_webhook_events(s, sorted(rows, key=lambda r: r["event_id"]))
    sync_capture.touch(uow, "CarrierWebhookEvent", claimed.values())  # kept, not audited
    results: list[EventResult | None] = [None] * len(events)
    applied: list[int] = []  # indexes of claimed events of known shipments, in order
    for i, e in enumerate(events):
        shipment = shipments.get(e.tracking_number)
        inbox_id = claimed.get(e.event_id) if first[e.event_id] == i else None
        if inbox_id is None:
            results[i] = EventResult(e.event_id, R.DUPLICATE, _id(shipment),
                                     "this event id was received before")
        elif e.draft is None:
            results[i] = EventResult(e.event_id, R.INVALID, _id(shipment), e.message)
        elif shipment is None:
            results[i] = EventResult(e.event_id, R.UNKNOWN_TRACKING_NUMBER, None,
                                     "no shipment of this carrier has this tracking "
                                     "number: kept for review")
        else:
            applied.append(i)
    outcomes = _apply_all(uow, events, shipments, applied, claimed, results)
    repo.settle_webhook_events(s, outcomes)
    return results


def _apply_all(uow: UnitOfWork, events: Sequence[Incoming], shipments: dict[str, Shipment],
               applied: list[int], claimed: dict[str, int],
               results: list[EventResult | None]) -> list[tuple]:
    """Plain scans of parcels whose batch events are all plain scans go the batch path
    (tracking.apply_scans: a few statements for them all); the rest one by one, in order,
    each in a savepoint."""
    plain = {sh.id for sh in shipments.values()}
    for i in applied:
        shipment = shipments[events[i].tracking_number]
        if not tracking.is_scan(shipment, events[i].draft):
            plain.discard(shipment.id)
    fast = [i for i in applied if shipments[events[i].tracking_number].id in plain]
    outcomes: list[tuple] = []
    done = tracking.apply_scans(uow, [(shipments[events[i].tracking_number], events[i].draft)
                                      for i in fast])
    for i, (event_id, new, moved) in zip(fast, done, strict=True):
        e, shipment = events[i], shipments[events[i].tracking_number]
        results[i] = _scan_result(e, shipment, new, moved)
        outcomes.append((claimed[e.event_id], results[i].result, results[i].message, event_id))
    batched = set(fast)
    for i in applied:
        if i in batched:
            continue
        e = events[i]
        result, event_id = _apply(uow, shipments[e.tracking_number], e)
        results[i] = result
        outcomes.append((claimed[e.event_id], result.result, result.message, event_id))
    return outcomes


def _scan_result(e: Incoming, shipment: Shipment, new: bool, moved: bool) -> EventResult:
    if not new:
        return EventResult(e.event_id, R.DUPLICATE, shipment.id, "the shipment already has "
                           "a tracking event with this id")
    message = None if moved or e.draft.status == shipment.status else (
        f"recorded in the history; the shipment stays {shipment.status} (a newer event was "
        "received before, or it is final)")
    return EventResult(e.event_id, R.ACCEPTED, shipment.id, message)


def _lock_what_moves(session: Session, shipments: dict[str, Shipment],
                     events: Sequence[Incoming]) -> None:
    """The orders a hand-over or a delivery will move and the stock a hand-over takes,
    locked now in a fixed order rather than event by event (repository
    lock_orders_and_stock)."""
    handing_over = {sh.id for sh in shipments.values()
                    if sh.status in lifecycle.BEFORE_PICKUP}
    delivered = {shipments[e.tracking_number].id for e in events
                 if e.draft is not None and e.draft.status == "DELIVERED"
                 and e.tracking_number in shipments}
    repo.lock_orders_and_stock(session, {
        sh.order_id for sh in shipments.values() if sh.id in handing_over | delivered},
        handing_over)
    repo.prefetch_orders(session, {sh.order_id for sh in shipments.values()})


def _row(carrier_id: int, e: Incoming, shipment: Shipment | None, now: datetime
         ) -> dict[str, Any]:
    """The inbox row an event claims: ACCEPTED until its outcome settles it."""
    result = R.INVALID if e.draft is None else R.ACCEPTED if shipment else \
        R.UNKNOWN_TRACKING_NUMBER
    return {"carrier_id": carrier_id, "event_id": e.event_id,
            "tracking_number": e.tracking_number, "status": e.status, "result": result.value,
            "message": e.message, "shipment_id": _id(shipment), "tracking_event_id": None,
            "payload": e.payload, "occurred_at": e.occurred_at, "received_at": now,
            "reviewed_at": None}


def _apply(uow: UnitOfWork, shipment: Shipment, e: Incoming) -> tuple[EventResult, int | None]:
    """The event on its locked shipment, in a savepoint: a DomainError rolls back this
    event's rows, audit records and domain events alone."""
    mark, before = len(uow.events), shipment.status
    try:
        with uow.session.begin_nested():
            event, new = tracking.apply_event(uow, shipment, e.draft)
    except DomainError as exc:
        del uow.events[mark:]
        message = "; ".join(err.message for err in exc.errors)[:MAX_MESSAGE]
        return EventResult(e.event_id, R.INVALID, shipment.id, message), None
    if not new:
        return EventResult(e.event_id, R.DUPLICATE, shipment.id, "the shipment already has "
                           "a tracking event with this id"), event.id
    message = None
    if shipment.status == before and e.draft.status != before:
        message = f"recorded in the history; the shipment stays {before} (a newer event " \
                  "was received before, or it is final)"
    return EventResult(e.event_id, R.ACCEPTED, shipment.id, message), event.id


def _id(shipment: Shipment | None) -> int | None:
    return None if shipment is None else shipment.id


# Review: carriers:write (LOGISTICS, MANAGER, ADMIN) --------------------------------

def list_events(session: Session, principal: Principal, flt: repo.WebhookEventFilter,
                page: PageRequest) -> Page[CarrierWebhookEvent]:
    if not principal.can(Perm.CARRIERS_WRITE):
        raise Forbidden("requires permission carriers:write")
    return repo.list_webhook_events(session, flt, page)


def get_event(session: Session, principal: Principal, event_id: int
              ) -> CarrierWebhookEvent | None:
    """None also when the caller may not review: no existence oracle."""
    if not principal.can(Perm.CARRIERS_WRITE):
        return None
    return repo.get_webhook_event(session, event_id)


def review_event(uow: UnitOfWork, event_id: int) -> CarrierWebhookEvent:
    """Mark a kept event reviewed (once: a second review keeps the first time)."""
    if not (uow.principal or SYSTEM).can(Perm.CARRIERS_WRITE):
        raise Forbidden("you may not review carrier webhook events")
    event = repo.get_webhook_event(uow.session, event_id)
    if event is None:
        raise NotFound("CarrierWebhookEvent not found", field=["id"])
    if event.reviewed_at is None:
        before = snapshot(event, exclude={"payload"})
        repo.mark_webhook_event_reviewed(uow.session, event, utcnow())
        uow.audit("carrier_webhook_event.review", "CarrierWebhookEvent", event.id,
                  before=before, after=snapshot(event, exclude={"payload"}))
    return event

