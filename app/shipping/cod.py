"""Cash on delivery after the door: a carrier's remittance of the cash its couriers
collected (`codRemittanceRecord`, cod:write) and the reconciliation of a carrier over a
period (`codReconciliation`, cod:read) (docs/architecture.md#cash-on-delivery).

A remittance names the parcels it pays for; each must be the carrier's, delivered with
cash collected and in no other remittance. Its amount is what the carrier paid, which
may differ from the cash those parcels collected: the reconciliation shows the
difference, it is not refused here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import SYSTEM
from app.auth.roles import Perm
from app.errors import (
    DomainError,
    ErrorCode,
    Forbidden,
    NotFound,
    ValidationFailed,
    Validator,
)
from app.payments.service import check_amount
from app.persistence import idempotency
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, flush_unique, snapshot
from app.shipping import cod_reconciliation as arithmetic
from app.shipping import lifecycle, periods
from app.shipping import repository as repo
from app.shipping.cod_reconciliation import CollectedParcel, Reconciliation, RemittanceTotal
from app.shipping.models import Carrier, CodRemittance, Shipment, ShipmentStatus

RECORD_OPERATION = "codRemittanceRecord"
MAX_SHIPMENTS = 1000  # one payout's parcels; a bigger batch is split by the carrier
MAX_REFERENCE = 100  # the column
_SKEW = timedelta(minutes=5)  # a clock a little ahead of ours


@dataclass(frozen=True)
class RemittanceDraft:
    carrier_id: int
    amount: Decimal
    reference: str
    shipment_ids: Sequence[int]
    received_at: datetime | None = None  # None: now
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CarrierReconciliation:
    carrier: Carrier
    period: periods.Period
    result: Reconciliation


def _validate(draft: RemittanceDraft) -> RemittanceDraft:
    idempotency.validate_key(draft.idempotency_key)
    v = Validator()
    check_amount(v, draft.amount)
    reference = (draft.reference or "").strip()
    v.check(0 < len(reference) <= MAX_REFERENCE, "reference",
            f"the carrier's reference is 1 to {MAX_REFERENCE} characters")
    at = draft.received_at
    if at is not None:
        v.check(at.tzinfo is not None and at <= utcnow() + _SKEW, "receivedAt",
                "receivedAt needs a time zone offset and cannot be in the future")
    ids = list(draft.shipment_ids)
    if v.check(0 < len(ids) <= MAX_SHIPMENTS, "shipmentIds",
               f"a remittance pays for 1 to {MAX_SHIPMENTS} shipments"):
        seen: set[int] = set()
        for i, pk in enumerate(ids):
            v.check(pk not in seen, ["shipmentIds", str(i)], "this shipment is listed twice")
            seen.add(pk)
    v.raise_if_any()
    return RemittanceDraft(draft.carrier_id, draft.amount, reference, tuple(ids),
                           at or utcnow(), draft.idempotency_key)


def _problem(shipment: Shipment | None, carrier: Carrier, references: dict[int, str]
             ) -> tuple[str, ErrorCode] | None:
    """Why this shipment cannot be in the carrier's remittance, or None."""
    if shipment is None:
        return "shipment not found", ErrorCode.NOT_FOUND
    name = f"shipment {shipment.number}"
    if shipment.carrier_id != carrier.id:
        return f"{name} is not carried by {carrier.name}", ErrorCode.INVALID
    if shipment.status != ShipmentStatus.DELIVERED.value:
        return (f"{name} is {shipment.status}: only a delivered shipment's cash is remitted",
                ErrorCode.INVALID_TRANSITION)
    if shipment.cod_collected is None or shipment.cod_collected <= 0:
        return f"{name} collected no cash on delivery", ErrorCode.INVALID
    if shipment.cod_remittance_id is not None:
        ref = references.get(shipment.cod_remittance_id, "?")
        return f"{name} is already in remittance {ref}", ErrorCode.CONFLICT
    return None


def _duplicate(reference: str) -> DomainError:
    return DomainError(f"this carrier's remittance {reference} is already recorded",
                       field=["reference"], code=ErrorCode.DUPLICATE)


def _checked(uow: UnitOfWork, draft: RemittanceDraft) -> tuple[Carrier, list[Shipment]]:
    """The carrier and its locked shipments, or every problem at once."""
    s = uow.session
    carrier = repo.get_carrier(s, draft.carrier_id)
    if carrier is None:
        raise NotFound("Carrier not found", field=["carrierId"])
    found = repo.lock_shipments(s, uow.principal or SYSTEM, draft.shipment_ids)
    references = repo.references_of(s, sorted({sh.cod_remittance_id for sh in found.values()
                                               if sh.cod_remittance_id is not None}))
    errors = []
    if repo.reference_taken(s, carrier.id, draft.reference):
        errors.append(_duplicate(draft.reference))
    for i, pk in enumerate(draft.shipment_ids):
        problem = _problem(found.get(pk), carrier, references)
        if problem is not None:
            errors.append(DomainError(problem[0], field=["shipmentIds", str(i)],
                                      code=problem[1]))
    if errors:
        raise ValidationFailed(errors)
    return carrier, [found[pk] for pk in draft.shipment_ids]


def _record(uow: UnitOfWork, draft: RemittanceDraft) -> CodRemittance:
    carrier, shipments = _checked(uow, draft)
    remittance = CodRemittance(carrier_id=carrier.id, amount=draft.amount,
                               reference=draft.reference, received_at=draft.received_at,
                               recorded_by_id=uow.actor_id)
    uow.session.add(remittance)
    flush_unique(uow.session, _duplicate(draft.reference))  # a concurrent twin
    for shipment in shipments:
        before = snapshot(shipment)
        shipment.cod_remittance_id = remittance.id
        lifecycle.changed(uow, shipment, before, "cod_remit")
    uow.audit("cod.remittance_record", "CodRemittance", remittance.id, after={
        **snapshot(remittance), "shipment_ids": list(draft.shipment_ids),
        "collected": str(sum((sh.cod_collected for sh in shipments), Decimal("0")))})
    return remittance


def record_remittance(uow: UnitOfWork, carrier_id: int, amount: Decimal, reference: str,
                      shipment_ids: Sequence[int], received_at: datetime | None = None,
                      idempotency_key: str | None = None) -> RemittanceTotal:
    """Record what a carrier paid out for the cash collected on `shipment_ids`; the
    remittance with its parcels' totals."""
    if not (uow.principal or SYSTEM).can(Perm.COD_WRITE):
        raise Forbidden("requires permission cod:write")
    draft = _validate(RemittanceDraft(carrier_id, amount, reference, shipment_ids,
                                      received_at, idempotency_key))
    remittance = idempotency.run_once(
        uow, RECORD_OPERATION, draft.idempotency_key, lambda: _fingerprint(draft),
        "CodRemittance", create=lambda: _record(uow, draft),
        load=lambda pk: uow.session.get(CodRemittance, pk))
    uow.session.flush()
    return remittance_total(repo.remittance_totals_by_ids(uow.session, [remittance.id])
                            [remittance.id])


def _fingerprint(draft: RemittanceDraft) -> dict:
    """What a replay must repeat (receivedAt defaults to now: left out)."""
    return {"carrier_id": draft.carrier_id, "amount": str(draft.amount.quantize(Decimal("0.01"))),
            "reference": draft.reference, "shipment_ids": list(draft.shipment_ids)}


def remittance_total(row: Any) -> RemittanceTotal:
    return RemittanceTotal(
        remittance_id=row.id, carrier_id=row.carrier_id, reference=row.reference,
        amount=Decimal(row.amount), received_at=row.received_at,
        shipment_count=int(row.shipments), collected=Decimal(row.collected))


def remittances_by_ids(session: Session, ids: Sequence[int]) -> dict[int, RemittanceTotal]:
    """For node look-ups: remittances with their parcels' totals."""
    return {pk: remittance_total(row)
            for pk, row in repo.remittance_totals_by_ids(session, ids).items()}


def reconcile(session: Session, carrier_id: int, first_day: date, last_day: date,
                      timezone: str) -> CarrierReconciliation:
    """The carrier's collections and remittances over the days `first_day` to `last_day`
    (business time zone): three statements, whatever the number of parcels."""
    span = periods.period(first_day, last_day, timezone)
    carrier = repo.get_carrier(session, carrier_id)
    if carrier is None:
        raise NotFound("Carrier not found", field=["carrierId"])
    parcels = [CollectedParcel(r.id, r.number, Decimal(r.cod_amount), Decimal(r.cod_collected),
                               r.cod_remittance_id)
               for r in repo.collected_parcels(session, carrier.id, span.start, span.end)]
    remittances = [remittance_total(r) for r in
                   repo.remittances_received(session, carrier.id, span.start, span.end)]
    return CarrierReconciliation(carrier, span, arithmetic.reconcile(parcels, remittances))
