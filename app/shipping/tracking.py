"""Carrier tracking events, from staff (`trackingEventRecord`) or a carrier's webhook:
kept in the history, and the newest one moves the shipment (docs/architecture.md#shipments).

* A carrier's event id is recorded once: the same id again returns the stored event.
* An event older than the newest one is history only: it never moves the status back,
  and no event moves a DELIVERED, RETURNED_TO_SENDER or CANCELLED shipment.
* A carrier scan of a parcel not yet dispatched is the hand-over: it dispatches it (stock
  leaves through the ledger) before it moves the status on.
* DELIVERED delivers the shipment's lines to the order (app/shipping/delivery.py);
  FAILED_ATTEMPT and EXCEPTION open a delivery exception; RETURNED_TO_SENDER puts the
  units back in stock once (app/shipping/exceptions/returning.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from app.auth.principal import SYSTEM
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import delivery, lifecycle
from app.shipping import repository as repo
from app.shipping.exceptions import returning
from app.shipping.exceptions.opening import EVENT_SOURCE, open_exception, type_for_event
from app.shipping.models import ExceptionType, Shipment, ShipmentStatus, TrackingEvent

S = ShipmentStatus
# what a carrier can report: everything after the hand-over
CARRIER_STATUSES = (S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED,
                    S.FAILED_ATTEMPT, S.EXCEPTION, S.RETURNED_TO_SENDER)
MAX_EXTERNAL_ID = 100
_SKEW = timedelta(minutes=5)  # carriers' clocks run a little fast


@dataclass(frozen=True)
class EventDraft:
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""
    external_id: str | None = None  # the carrier's event id
    problem: str | None = None  # EXCEPTION events: DAMAGED, LOST, ADDRESS_PROBLEM, REFUSED
    cod_collected: Decimal | None = None  # DELIVERED events of cash-on-delivery parcels
    signer: str | None = None


def validate(draft: EventDraft) -> EventDraft:
    """The draft with its texts trimmed, or a ValidationFailed naming each bad field."""
    v = Validator()
    v.check(draft.status in {s.value for s in CARRIER_STATUSES}, "status",
            "status must be one of " + ", ".join(s.value for s in CARRIER_STATUSES))
    location, description = (draft.location or "").strip(), (draft.description or "").strip()
    v.check(len(location) <= 200, "location", "location is at most 200 characters")
    v.check(len(description) <= 400, "description", "description is at most 400 characters")
    at = draft.occurred_at
    v.check(isinstance(at, datetime) and at.tzinfo is not None, "occurredAt",
            "occurredAt must be a timezone-aware timestamp")
    if isinstance(at, datetime) and at.tzinfo is not None:
        v.check(at <= utcnow().replace(microsecond=0) + _SKEW, "occurredAt",
                "occurredAt cannot be in the future")
    v.check(draft.external_id is None or 0 < len(draft.external_id) <= MAX_EXTERNAL_ID,
            "externalId", "externalId is 1 to 100 characters")
    v.check(draft.problem is None or draft.problem in ExceptionType.__members__, "problem",
            "problem must be one of " + ", ".join(ExceptionType.__members__))
    v.check(draft.cod_collected is None or (draft.cod_collected.is_finite()
                                            and 0 <= draft.cod_collected < 10 ** 10),
            "codCollected", "codCollected must be 0 or more")
    v.check(draft.signer is None or len(draft.signer) <= 100, "signer",
            "signer is at most 100 characters")
    v.raise_if_any()
    return EventDraft(draft.status, at, location, description, draft.external_id,
                      draft.problem, draft.cod_collected, (draft.signer or "").strip() or None)


@dataclass(frozen=True)
class Recorded:
    event: TrackingEvent
    shipment: Shipment
    new: bool  # False: the carrier's event id was recorded before, nothing changed


def record_event(uow: UnitOfWork, shipment_id: int, draft: EventDraft) -> Recorded:
    """Record one event for a shipment the caller may change."""
    draft = validate(draft)
    principal = uow.principal or SYSTEM
    if not principal.can(Perm.SHIPMENTS_WRITE):
        raise Forbidden("you may not record tracking events")
    shipment = repo.lock_shipment(uow.session, principal, shipment_id)
    if shipment is None:
        raise NotFound("shipment not found", field=["shipmentId"])
    if principal.warehouse_scope is not None and \
            shipment.warehouse_id not in principal.warehouse_scope:
        raise NotFound("shipment not found", field=["shipmentId"])
    event, new = apply_event(uow, shipment, draft)
    return Recorded(event, shipment, new)


def apply_event(uow: UnitOfWork, shipment: Shipment, draft: EventDraft
                ) -> tuple[TrackingEvent, bool]:
    """Record a validated event on a locked shipment (the webhook's entry: its carrier is
    authenticated instead of a principal)."""
    s = uow.session
    if draft.external_id:
        found = repo.tracking_event_by_external_id(s, shipment.id, draft.external_id)
        if found is not None:
            return found, False
    if shipment.status == S.CANCELLED.value:
        raise DomainError("the shipment is CANCELLED: it takes no tracking events",
                          code=ErrorCode.INVALID_TRANSITION, field=["shipmentId"])
    latest = repo.latest_event(s, shipment.id)
    event = TrackingEvent(shipment_id=shipment.id, status=draft.status,
                          location=draft.location, description=draft.description,
                          external_id=draft.external_id, occurred_at=draft.occurred_at)
    s.add(event)
    s.flush()
    uow.audit("shipment.tracking_event", "Shipment", shipment.id, after=snapshot(event))
    newest = latest is None or draft.occurred_at >= latest.occurred_at
    _move(uow, shipment, draft, event, newest)
    return event, True


def _move(uow: UnitOfWork, shipment: Shipment, draft: EventDraft, event: TrackingEvent,
          newest: bool) -> None:
    before = snapshot(shipment)
    at = min(draft.occurred_at, utcnow())
    if shipment.status in lifecycle.BEFORE_PICKUP:
        lifecycle.dispatch_locked(uow, shipment, at)  # the carrier has it
    elif shipment.shipped_at is not None and draft.occurred_at < shipment.shipped_at:
        shipment.shipped_at = draft.occurred_at  # a late scan dates the hand-over earlier
    moves = newest and shipment.status not in lifecycle.FINAL and draft.status != shipment.status
    if draft.status == S.FAILED_ATTEMPT.value:
        shipment.failed_attempts += 1
    if moves:
        if draft.status == S.DELIVERED.value:
            delivery.deliver_locked(uow, shipment, at, draft.signer, None, draft.cod_collected)
        else:
            shipment.status = draft.status
            shipment.exception_reason = ((draft.description or draft.problem or draft.status)
                                         if draft.status in lifecycle.PROBLEMS else None)
            if draft.status == S.RETURNED_TO_SENDER.value:  # back at the warehouse
                returning.restock_locked(uow, shipment, at)
    kind = type_for_event(draft.status, draft.problem)
    if kind is not None:
        open_exception(uow, shipment, kind, EVENT_SOURCE,
                       draft.description or f"carrier reported {draft.status}",
                       tracking_event_id=event.id, at=at)
    if snapshot(shipment) != before:
        lifecycle.changed(uow, shipment, before, "status", reason=shipment.exception_reason)


# The batch path (docs/architecture.md#carrier-webhooks) ------------------------------------

SCANS = frozenset({S.PICKED_UP.value, S.IN_TRANSIT.value, S.OUT_FOR_DELIVERY.value})


def is_scan(shipment: Shipment, draft: EventDraft) -> bool:
    """A plain scan of a parcel the carrier already has: it records the event and may move
    the status, nothing else (no stock, no delivery, no exception), so a batch of them
    needs no statement per event (`apply_scans`)."""
    return (draft.status in SCANS and draft.problem is None
            and shipment.status in lifecycle.ON_THE_WAY)


def apply_scans(uow: UnitOfWork, scans: Sequence[tuple[Shipment, EventDraft]]
                ) -> list[tuple[int, bool, bool]]:
    """Plain scans (`is_scan`) of locked shipments, with the rules of `apply_event`, in a
    fixed number of statements: `(event id, new, moved the status)` for each, in order."""
    s = uow.session
    latest = repo.latest_event_times(s, {sh.id for sh, _ in scans})
    known = repo.events_by_external_ids(
        s, {(sh.id, d.external_id) for sh, d in scans if d.external_id})
    rows: list[dict] = []
    slots: list[tuple[int, bool, bool] | tuple[int, bool]] = []  # known, or (row, moved)
    befores: dict[int, tuple[Shipment, dict]] = {}
    now = utcnow()
    for shipment, d in scans:
        if d.external_id and (shipment.id, d.external_id) in known:
            slots.append((known[(shipment.id, d.external_id)], False, False))
            continue
        rows.append({"shipment_id": shipment.id, "status": d.status, "location": d.location,
                     "description": d.description, "external_id": d.external_id,
                     "occurred_at": d.occurred_at, "created_at": now})
        if d.external_id:
            known[(shipment.id, d.external_id)] = -1  # taken; the inbox makes it DUPLICATE
        newest = shipment.id not in latest or d.occurred_at >= latest[shipment.id]
        earlier = shipment.shipped_at is not None and d.occurred_at < shipment.shipped_at
        if newest:
            latest[shipment.id] = d.occurred_at
        moves = newest and d.status != shipment.status
        slots.append((len(rows) - 1, moves))
        if moves or earlier:
            befores.setdefault(shipment.id, (shipment, snapshot(shipment)))
            if earlier:
                shipment.shipped_at = d.occurred_at
            if moves:
                shipment.status, shipment.exception_reason = d.status, None
    ids = repo.insert_tracking_events(s, rows)
    for row, pk in zip(rows, ids, strict=True):
        uow.audit("shipment.tracking_event", "Shipment", row["shipment_id"],
                  after={"id": pk, **row, "occurred_at": row["occurred_at"].isoformat(),
                         "created_at": now.isoformat()})
    for shipment, before in befores.values():
        lifecycle.changed(uow, shipment, before, "status")
    return [slot if len(slot) == 3 else (ids[slot[0]], True, slot[1]) for slot in slots]
