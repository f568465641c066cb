"""The failed-delivery follow-up, one function per step: record a parcel that failed to
deliver (`deliveryFollowUpRecord`), plan its next action (`deliveryFollowUpSetNextAction`),
resolve it (`deliveryFollowUpResolve`: REDELIVER, RETURN_TO_STOCK, RETURN_TO_CONSIGNOR,
their effects in stock.py). Each step is scoped, versioned and audited; the OPEN check runs
under the row's lock, so resolving twice resolves once
(docs/architecture.md#failed-delivery-follow-up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.followups import repository as repo
from app.followups import stock
from app.followups.models import (
    DeliveryFollowUp,
    FollowUpAction,
    FollowUpReason,
    FollowUpStatus,
)
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, flush_unique, snapshot
from app.shipping import repository as shipping
from app.shipping.models import ShipmentStatus

S = ShipmentStatus
A = FollowUpAction
MAX_NOTE = 2000
# a parcel that did not reach the consignee: what the carrier or staff reported
FAILED_STATUSES = frozenset({S.FAILED_ATTEMPT.value, S.EXCEPTION.value,
                             S.RETURNED_TO_SENDER.value})
NOT_FAILED = frozenset({S.DELIVERED.value, S.CANCELLED.value})

Effect = Callable[..., None]
EFFECTS: dict[str, Effect] = {A.REDELIVER: stock.redeliver,
                              A.RETURN_TO_STOCK: stock.return_to_stock,
                              A.RETURN_TO_CONSIGNOR: stock.return_to_consignor}


@dataclass(frozen=True)
class ResolutionDraft:
    resolution: str
    note: str
    redeliver_on: date | None = None
    expected_version: int | None = None


def _writer(uow: UnitOfWork) -> Principal:
    principal = uow.principal or SYSTEM
    if not principal.can(Perm.FOLLOWUPS_WRITE):
        raise Forbidden("requires permission followups:write")
    return principal


def _note(v: Validator, value: str | None, field: str, required: bool) -> str:
    text = (value or "").strip()
    v.check(len(text) <= MAX_NOTE and (bool(text) or not required), field,
            f"{'say what happened, ' if required else ''}at most {MAX_NOTE} characters")
    return text


def _check_action(v: Validator, value: str | None, field: str) -> None:
    v.check(value is None or value in A.__members__, field,
            f"{field} must be one of " + ", ".join(A.__members__))


def _changed(uow: UnitOfWork, row: DeliveryFollowUp, before: dict | None, action: str
             ) -> None:
    row.version += 0 if before is None else 1
    row.updated_at = utcnow()
    uow.session.add(row)
    uow.audit(f"delivery_follow_up.{action}", "DeliveryFollowUp", row.id, before=before,
              after=snapshot(row))


def record_follow_up(uow: UnitOfWork, shipment_id: int, reason: str,
                     next_action: str | None, note: str | None) -> DeliveryFollowUp:
    """Put a parcel that failed to deliver on the follow-up list, once while open."""
    v = Validator()
    v.check(reason in FollowUpReason.__members__, "reason",
            "reason must be one of " + ", ".join(FollowUpReason.__members__))
    _check_action(v, next_action, "nextAction")
    text = _note(v, note, "note", required=False)
    v.raise_if_any()
    principal = _writer(uow)
    shipment = shipping.lock_shipment(uow.session, principal, shipment_id)
    if shipment is None:
        raise NotFound("shipment not found", field=["shipmentId"])
    failed = (shipment.failed_attempts > 0 or shipment.status in FAILED_STATUSES
              or shipping.open_exceptions_by_shipment(uow.session, [shipment.id]))
    if shipment.status in NOT_FAILED or shipment.shipped_at is None or not failed:
        raise DomainError(f"shipment {shipment.number} is {shipment.status} with no failed "
                          "attempt or exception: nothing failed to deliver",
                          code=ErrorCode.INVALID_TRANSITION, field=["shipmentId"])
    row = DeliveryFollowUp(
        shipment_id=shipment.id, order_id=shipment.order_id,
        consignor_id=repo.consignor_of_order(uow.session, shipment.order_id),
        reason=reason, next_action=next_action, note=text, opened_by_id=uow.actor_id)
    uow.session.add(row)
    flush_unique(uow.session, DomainError(
        f"shipment {shipment.number} is on the follow-up list already",
        code=ErrorCode.DUPLICATE, field=["shipmentId"]))
    _changed(uow, row, None, "record")
    return row


def _locked(uow: UnitOfWork, follow_up_id: int, expected_version: int | None
            ) -> DeliveryFollowUp:
    row = repo.lock_follow_up(uow.session, _writer(uow), follow_up_id)
    if row is None:
        raise NotFound("follow-up not found", field=["id"])
    if expected_version is not None and expected_version != row.version:
        raise Conflict(f"the follow-up changed (version {row.version}); reload and retry",
                       field=["expectedVersion"])
    if row.status != FollowUpStatus.OPEN.value:
        raise DomainError(f"the follow-up is {row.status} already (allowed from OPEN)",
                          code=ErrorCode.INVALID_TRANSITION, field=["id"])
    return row


def set_next_action(uow: UnitOfWork, follow_up_id: int, next_action: str | None,
                    note: str | None, expected_version: int | None = None
                    ) -> DeliveryFollowUp:
    v = Validator()
    _check_action(v, next_action, "nextAction")
    text = _note(v, note, "note", required=False)
    v.raise_if_any()
    row = _locked(uow, follow_up_id, expected_version)
    before = snapshot(row)
    row.next_action = next_action
    if text:
        row.note = text
    _changed(uow, row, before, "set_next_action")
    return row


def resolve_follow_up(uow: UnitOfWork, follow_up_id: int, draft: ResolutionDraft,
                      timezone: str) -> DeliveryFollowUp:
    v = Validator()
    v.check(draft.resolution in A.__members__, "resolution",
            "resolution must be one of " + ", ".join(A.__members__))
    text = _note(v, draft.note, "note", required=True)
    v.check(draft.redeliver_on is None or draft.resolution == A.REDELIVER, "redeliverOn",
            "redeliverOn is for REDELIVER")
    v.raise_if_any()
    row = _locked(uow, follow_up_id, draft.expected_version)
    # the follow-up is in the caller's scope, so is its parcel (the scope goes by it)
    shipment = shipping.lock_shipment(uow.session, SYSTEM, row.shipment_id)
    before = snapshot(row)
    EFFECTS[draft.resolution](uow, row, shipment, draft.redeliver_on, timezone)
    row.status = FollowUpStatus.RESOLVED.value
    row.open_key = None
    row.resolution = draft.resolution
    row.resolution_note = text
    row.resolved_at = utcnow()
    row.resolved_by_id = uow.actor_id
    _changed(uow, row, before, "resolve")
    return row
