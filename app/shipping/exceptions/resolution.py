"""Resolving a delivery exception (`shipmentExceptionResolve`): what each resolution does,
then the exception is RESOLVED (open_key NULL, so the parcel may have a new exception of
its type), with the note, who and when (docs/architecture.md#delivery-exceptions).

* RESHIP: the same lines go again from the same warehouse on a new shipment (linked both
  ways: `reship_shipment_id`, `Shipment.reship_of_id`). The original's units already left
  through the ledger, so they are reserved again first (app/orders/undelivered.py; with
  INSUFFICIENT_STOCK nothing is written), then the shipment is made like any other
  (app/shipping/creation.py). The customer pays for one delivery: the reship carries no
  charge, and cash still due on the original parcel moves to it. Needs shipments:write too.
* REDELIVER: a new attempt on `redeliverOn` (today or later in the business time zone),
  which becomes the shipment's estimated delivery (the delay check goes by it).
* RETURN_TO_SENDER: the parcel comes back; its arrival restocks it once (returning.py).
* REFUND: money back through payments (`pay_back`), at most what was paid net of refunds,
  credited against what the order costs, so a paid order stays PAID. Needs payments:refund
  too (MANAGER, ADMIN): see the section for why not paymentRefund's FINANCE-only rule.
* CONTACT_CUSTOMER: the note says what was agreed; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, Validator
from app.orders import repository as orders
from app.orders import undelivered
from app.payments.service import check_amount, pay_back
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import creation, lifecycle
from app.shipping import repository as repo
from app.shipping.exceptions.returning import RECEIVABLE
from app.shipping.exceptions.working import (
    MAX_NOTE,
    changed,
    locked,
    require_open,
    writer,
)
from app.shipping.models import (
    ExceptionResolution,
    ExceptionStatus,
    Shipment,
    ShipmentException,
    ShipmentStatus,
)

R = ExceptionResolution
ZERO = Decimal("0.00")
# what a resolution needs besides exceptions:write
EXTRA_PERMISSION: dict[str, Perm] = {R.RESHIP: Perm.SHIPMENTS_WRITE,
                                     R.REFUND: Perm.PAYMENTS_REFUND}


@dataclass(frozen=True)
class ResolutionDraft:
    resolution: str
    note: str
    redeliver_on: date | None = None  # REDELIVER
    refund_amount: Decimal | None = None  # REFUND
    expected_version: int | None = None


def _validated(draft: ResolutionDraft) -> ResolutionDraft:
    v = Validator()
    kind = draft.resolution
    v.check(kind in R.__members__, "resolution",
            "resolution must be one of " + ", ".join(R.__members__))
    note = (draft.note or "").strip()
    v.check(0 < len(note) <= MAX_NOTE, "note",
            f"say what was done or agreed, in at most {MAX_NOTE} characters")
    if kind == R.REDELIVER:
        v.check(draft.redeliver_on is not None, "redeliverOn", "a redelivery needs its date")
    else:
        v.check(draft.redeliver_on is None, "redeliverOn", "redeliverOn is for REDELIVER")
    if kind == R.REFUND:
        if v.check(draft.refund_amount is not None, "refundAmount",
                   "a refund needs its amount"):
            check_amount(v, draft.refund_amount, "refundAmount")
    else:
        v.check(draft.refund_amount is None, "refundAmount", "refundAmount is for REFUND")
    v.raise_if_any()
    return ResolutionDraft(kind, note, draft.redeliver_on, draft.refund_amount,
                           draft.expected_version)


def _check_extra(principal: Principal, resolution: str) -> None:
    perm = EXTRA_PERMISSION.get(resolution)
    if perm is not None and not principal.can(perm):
        raise Forbidden(f"{resolution} also requires permission {perm.value}",
                        field=["resolution"])


def _not_final(shipment: Shipment, allowed: frozenset[str], what: str) -> None:
    if shipment.status not in allowed or shipment.shipped_at is None:
        raise DomainError(f"{what}; shipment {shipment.number} is {shipment.status} "
                          "(allowed from " + ", ".join(sorted(allowed)) + ")",
                          code=ErrorCode.INVALID_TRANSITION, field=["resolution"])


def _free_of_charge(uow: UnitOfWork, reship: Shipment, original: Shipment) -> None:
    """The customer pays for one delivery: no charge on the reship, and cash still due on
    the original (never collected: it did not arrive) is collected on the reship instead."""
    before = snapshot(reship)
    reship.charge = ZERO
    reship.reship_of_id = original.id
    if original.cod_collected is None and original.cod_amount > 0:
        reship.cod_amount = original.cod_amount
        was = snapshot(original)
        original.cod_amount = ZERO
        lifecycle.changed(uow, original, was, "reshipped")
    lifecycle.changed(uow, reship, before, "reship")
    order = orders.lock_order(uow.session, reship.order_id)
    creation.set_shipping_total(uow, order, creation.live_charges(uow, order.id))


def _reship(uow: UnitOfWork, row: ShipmentException, shipment: Shipment,
            draft: ResolutionDraft, timezone: str) -> None:
    _not_final(shipment, lifecycle.ON_THE_WAY | {ShipmentStatus.RETURNED_TO_SENDER.value},
               "a reship replaces a parcel that left and was not delivered")
    existing = repo.reship_of(uow.session, shipment.id)
    if existing is not None:
        raise Conflict(f"shipment {shipment.number} was sent again already, as "
                       f"{existing.number}", field=["resolution"])
    quantities = [(ln.order_line_id, ln.quantity)
                  for ln in repo.lines_of_shipment(uow.session, shipment.id)]
    undelivered.reserve_again(uow, shipment.order_id, shipment.warehouse_id, quantities,
                              shipment_id=shipment.id, unship=shipment.restocked_at is None)
    reship = creation.create_shipment(uow, creation.ShipmentDraft(
        shipment.order_id, shipment.warehouse_id, lines=quantities), timezone)
    _free_of_charge(uow, reship, shipment)
    row.reship_shipment_id = reship.id


def _redeliver(uow: UnitOfWork, row: ShipmentException, shipment: Shipment,
               draft: ResolutionDraft, timezone: str) -> None:
    today = datetime.now(ZoneInfo(timezone)).date()
    if draft.redeliver_on < today:
        raise DomainError(f"redeliverOn is today ({today}) or later", field=["redeliverOn"])
    _not_final(shipment, lifecycle.ON_THE_WAY, "a redelivery needs a parcel the carrier has")
    row.redeliver_on = draft.redeliver_on
    before = snapshot(shipment)
    shipment.estimated_delivery = draft.redeliver_on
    lifecycle.changed(uow, shipment, before, "redeliver")


def _return_to_sender(uow: UnitOfWork, row: ShipmentException, shipment: Shipment,
                      draft: ResolutionDraft, timezone: str) -> None:
    _not_final(shipment, RECEIVABLE, "only a parcel that left and was not delivered can "
               "come back")


def _refund(uow: UnitOfWork, row: ShipmentException, shipment: Shipment,
            draft: ResolutionDraft, timezone: str) -> None:
    order = orders.lock_order(uow.session, shipment.order_id)
    amount = draft.refund_amount
    net = order.paid_total - order.refunded_total
    owed = order.total - order.credited_total
    if amount > min(net, owed):
        raise DomainError(f"{amount} is more than the {min(net, owed)} paid for this order "
                          "(net of refunds and credits)", field=["refundAmount"])
    order.credited_total += amount  # a price reduction: what the order costs drops too
    payment = pay_back(uow, order, amount, None, shipment.number,
                       f"delivery exception {row.type} on {shipment.number}: {draft.note}"[:400])
    row.refund_payment_id = payment.id


def _contact_customer(uow: UnitOfWork, row: ShipmentException, shipment: Shipment,
                      draft: ResolutionDraft, timezone: str) -> None:
    return None


Handler = Callable[[UnitOfWork, ShipmentException, Shipment, ResolutionDraft, str], None]
HANDLERS: dict[str, Handler] = {
    R.RESHIP: _reship, R.REDELIVER: _redeliver, R.RETURN_TO_SENDER: _return_to_sender,
    R.REFUND: _refund, R.CONTACT_CUSTOMER: _contact_customer,
}


def resolve_exception(uow: UnitOfWork, exception_id: int, draft: ResolutionDraft,
                      timezone: str) -> ShipmentException:
    draft = _validated(draft)
    _check_extra(writer(uow), draft.resolution)
    row = locked(uow, exception_id, draft.expected_version)
    require_open(row, "resolve")
    # the exception is in the caller's scope, so is its shipment (the scope goes by it)
    shipment = repo.lock_shipment(uow.session, SYSTEM, row.shipment_id)
    before = snapshot(row)
    HANDLERS[draft.resolution](uow, row, shipment, draft, timezone)
    row.status = ExceptionStatus.RESOLVED.value
    row.open_key = None
    row.resolution = draft.resolution
    row.resolution_note = draft.note
    row.resolved_at = utcnow()
    row.resolved_by_id = uow.actor_id
    changed(uow, row, before, "resolve")
    return row
