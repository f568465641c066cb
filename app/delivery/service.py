"""Delivery orders for consignors: one, or a bulk of up to 1,000, each row checked on its
own and idempotent by the consignor's reference; the consignor's freight agreement and
its billing (docs/architecture.md#delivery-orders-and-plans).

A delivery order is an ordinary order (submitted for review, then allocated, shipped,
tracked and delivered by the existing steps) whose customer is the consignor, the paying
customer, shipped to the consignee; its `delivery_order` row ties it to the consignor's
reference, the consignee, the plan it came from and the freight charged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers import repository as customers
from app.delivery import repository as repo
from app.delivery.freight import freight_charge
from app.delivery.models import (
    ConsignorFreightAgreement,
    DeliveryOrder,
    DeliverySource,
    FreightBasis,
)
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed, Validator
from app.ids import parse_id
from app.orders import repository as orders_repo
from app.orders import service as orders
from app.orders.models import Order, OrderChannel
from app.orders.pricing import LineRequest
from app.orders.service import PHONE_RE, OrderDraft, ShipTo
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import Runner, UnitOfWork, snapshot
from app.quotes.workflow import business_today

MAX_BULK = 1000
CHUNK = 100  # rows per unit of work in a bulk: one writer turn stays short
MAX_LINES = 100


@dataclass(frozen=True)
class DeliveryLine:
    quantity: int
    product_id: str | None = None  # a global Product ID ...
    sku: str | None = None  # ... or the consignor's SKU


@dataclass(frozen=True)
class DeliveryRequest:
    reference: str
    lines: tuple[DeliveryLine, ...]
    consignee_id: str | None = None  # a global Customer ID, and/or ...
    ship_to: ShipTo | None = None  # ... the recipient's address (wins over the consignee's)
    delivery_date: date | None = None
    notes: str = ""


@dataclass
class DeliveryResult:
    reference: str
    delivery_order: DeliveryOrder | None = None
    order: Order | None = None
    created: bool = False
    errors: list[DomainError] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """A request checked against the database, ready to become an order."""

    draft: OrderDraft
    consignee_id: int | None
    units: int
    kilograms: Decimal


class _AfterClaim(Exception):
    """A row failed after it had written: its bulk chunk is redone row by row."""


# Checks ------------------------------------------------------------------------------------

def consignor_of(session: Session, principal: Principal, consignor_id: int | None) -> Any:
    """The consignor the caller acts for: a consignor-side sign-in's own by default."""
    if consignor_id is None:
        consignor_id = principal.customer_scope
    if consignor_id is None:
        raise DomainError("consignorId is required", field=["consignorId"])
    consignor = customers.visible_record(session, principal, consignor_id)
    if consignor is None or not consignor.is_consignor:
        raise NotFound("consignor not found", field=["consignorId"])
    return consignor


def _check_shape(req: DeliveryRequest, today: date) -> None:
    v = Validator()
    v.check(1 <= len(req.reference) <= 100 and req.reference.isprintable()
            and req.reference == req.reference.strip(), "reference",
            "a reference is 1 to 100 printable characters, no outer spaces")
    v.check(1 <= len(req.lines) <= MAX_LINES, "lines", f"1 to {MAX_LINES} lines")
    v.check(len(req.notes) <= 2000, "notes", "notes are at most 2000 characters")
    v.check(req.consignee_id is not None or req.ship_to is not None, "consigneeId",
            "give the consignee or a shipTo address")
    if req.delivery_date is not None:
        v.check(req.delivery_date >= today, "deliveryDate", "the delivery date is in the past")
    for i, line in enumerate(req.lines):
        v.check((line.product_id is None) != (line.sku is None), ["lines", str(i), "productId"],
                "give either productId or sku")
    if req.ship_to is not None:
        s = req.ship_to
        v.check(1 <= len(s.recipient.strip()) <= 200, ["shipTo", "recipient"],
                "recipient is required (at most 200 characters)")
        v.check(1 <= len(s.address.strip()) <= 800, ["shipTo", "address"],
                "address is required (at most 800 characters)")
        v.check(len(s.region) <= 64, ["shipTo", "region"], "region is at most 64 characters")
        if s.phone:
            v.check(bool(PHONE_RE.match(s.phone)), ["shipTo", "phone"], "not a valid phone")
    v.raise_if_any()


def consignee_of(session: Session, principal: Principal, consignor_id: int,
                 raw: str | None) -> Any:
    """The consignee (a customer) or None. Staff name any customer they may see; a
    consignor-side sign-in only its known consignees (answered like a missing one)."""
    if raw is None:
        return None
    try:
        pk = parse_id(raw, "Customer", "consigneeId")
    except DomainError as exc:
        raise NotFound(exc.message, field=["consigneeId"]) from None
    if principal.customer_scope is None:
        found = customers.visible_record(session, principal, pk)
    elif repo.known_consignee(session, consignor_id, pk):
        found = customers.customer_rows_by_ids(session, [pk]).get(pk)
    else:
        found = None
    if found is None or pk == consignor_id:
        raise NotFound("consignee not found", field=["consigneeId"])
    if found.status != "ACTIVE":
        raise DomainError(f"the consignee is {found.status}", field=["consigneeId"])
    return found


def ship_to_of(session: Session, consignee: Any, given: ShipTo | None) -> ShipTo:
    if given is not None:
        return given
    address = customers.default_shipping_address(session, consignee.id)
    if address is None:
        raise DomainError("the consignee has no shipping address: give shipTo",
                          field=["shipTo"])
    parts = (address.province, address.city, address.district, address.line1, address.line2)
    return ShipTo(recipient=address.recipient or consignee.name, phone=address.phone,
                  region=address.region or consignee.region,
                  address=" ".join(p for p in parts if p))


def _products(session: Session, consignor_id: int, lines: Sequence[DeliveryLine]
              ) -> list[Any]:
    """Each line's product, which must be the consignor's own goods (another owner's
    answers like a missing one)."""
    skus = [ln.sku for ln in lines if ln.sku]
    by_sku = orders_repo.products_by_skus(session, skus) if skus else {}
    ids: list[int | None] = []
    errors: list[DomainError] = []
    for i, line in enumerate(lines):
        path = ["lines", str(i)]
        try:
            ids.append(by_sku[line.sku].id if line.sku is not None and line.sku in by_sku
                       else None if line.sku is not None
                       else parse_id(line.product_id, "Product"))
        except DomainError:
            ids.append(None)
        if ids[-1] is None:
            errors.append(NotFound("product not found", field=[*path, "sku" if line.sku
                                                              else "productId"]))
    found = orders_repo.products_by_ids(session, [i for i in ids if i is not None])
    products = []
    for i, pid in enumerate(ids):
        product = found.get(pid)
        if pid is not None and (product is None or product.consignor_id != consignor_id):
            errors.append(NotFound("not a product of this consignor", field=[
                "lines", str(i), "sku" if lines[i].sku else "productId"]))
        products.append(product)
    if errors:
        raise ValidationFailed(errors)
    return products


def prepare(uow: UnitOfWork, consignor: Any, req: DeliveryRequest) -> Prepared:
    """Every check that needs no write: a row failing here has written nothing."""
    s = uow.session
    _check_shape(req, business_today(uow.settings.business_timezone))
    consignee = consignee_of(s, uow.principal, consignor.id, req.consignee_id)
    products = _products(s, consignor.id, req.lines)
    lines = tuple(LineRequest(product_id=p.id, quantity=ln.quantity)
                  for p, ln in zip(products, req.lines, strict=True))
    ship_to = ship_to_of(s, consignee, req.ship_to)
    draft = OrderDraft(customer_id=consignor.id, lines=lines, channel=OrderChannel.EDI.value,
                       ship_to=ship_to, notes=req.notes, promised_date=req.delivery_date,
                       submit=True)
    orders._validate_draft(draft)
    kilograms = sum((Decimal(p.weight_kg or 0) * ln.quantity
                     for p, ln in zip(products, req.lines, strict=True)), Decimal(0))
    return Prepared(draft, consignee.id if consignee else None,
                    sum(ln.quantity for ln in req.lines), kilograms)


# Creation ----------------------------------------------------------------------------------

def freight_of(uow: UnitOfWork, consignor_id: int) -> ConsignorFreightAgreement | None:
    """The consignor's agreement valid today (read once per unit of work's rows)."""
    return repo.active_freight(uow.session, consignor_id,
                               business_today(uow.settings.business_timezone))


def _charge(agreement: ConsignorFreightAgreement | None, prepared: Prepared) -> dict[str, Any]:
    if agreement is None:
        return {}
    charge = freight_charge(agreement.basis, agreement.rate, agreement.minimum_charge,
                            prepared.units, prepared.kilograms)
    return {"freight_charge": charge.amount, "freight_basis": charge.basis,
            "freight_quantity": charge.quantity}


_NO_AGREEMENT = object()


def make(uow: UnitOfWork, consignor_id: int, reference: str, prepared: Prepared,
         plan: tuple[int, date] | None = None, agreement: Any = _NO_AGREEMENT
         ) -> DeliveryResult:
    """Claim the reference, then make the order; the existing one when it was taken."""
    s = uow.session
    values = {"consignor_id": consignor_id, "consignor_reference": reference,
              "consignee_id": prepared.consignee_id, "created_by_id": uow.actor_id,
              "created_at": utcnow(), "order_id": None,
              "source": (DeliverySource.PLAN if plan else DeliverySource.API).value,
              "plan_id": plan[0] if plan else None, "plan_date": plan[1] if plan else None,
              "freight_charge": None, "freight_basis": None, "freight_quantity": None}
    pk = repo.claim(s, values)
    if pk is None:
        existing = repo.by_reference(s, consignor_id, reference)
        if existing is None or existing.order_id is None:  # a plan date taken by another
            return DeliveryResult(reference)
        order = repo.orders_by_ids(s, [existing.order_id])[existing.order_id]
        return DeliveryResult(reference, existing, order, created=False)
    try:
        order = orders.create_order(uow, prepared.draft)
    except DomainError:
        repo.unclaim(s, pk)
        raise
    if agreement is _NO_AGREEMENT:
        agreement = freight_of(uow, consignor_id)
    done = {"order_id": order.id, **_charge(agreement, prepared)}
    repo.complete(s, pk, done)
    row = DeliveryOrder(id=pk, **{**values, **done})  # as written, not attached
    uow.audit("delivery_order.create", "DeliveryOrder", pk, before=None, after=snapshot(row))
    return DeliveryResult(reference, row, order, created=True)


def create_delivery_order(uow: UnitOfWork, consignor_id: int | None,
                          req: DeliveryRequest) -> DeliveryResult:
    """One delivery order (or the existing one for the reference)."""
    if not uow.principal.can(Perm.DELIVERY_WRITE):
        raise Forbidden("requires permission delivery:write")
    consignor = consignor_of(uow.session, uow.principal, consignor_id)
    return make(uow, consignor.id, req.reference, prepare(uow, consignor, req))


def create_chunk(uow: UnitOfWork, consignor_id: int, reqs: Sequence[DeliveryRequest]
                 ) -> list[DeliveryResult]:
    """Rows of a bulk in one unit of work: a row failing its checks is answered with its
    errors and writes nothing; one failing after it wrote sends the chunk back to be
    done row by row (`_AfterClaim`), so no row undoes another."""
    consignor = consignor_of(uow.session, uow.principal, consignor_id)
    agreement = freight_of(uow, consignor.id)
    results = []
    for req in reqs:
        try:
            prepared = prepare(uow, consignor, req)
        except DomainError as exc:
            results.append(DeliveryResult(req.reference, errors=exc.errors))
            continue
        try:
            results.append(make(uow, consignor.id, req.reference, prepared,
                               agreement=agreement))
        except DomainError as exc:
            raise _AfterClaim from exc
    return results


async def create_delivery_orders(runner: Runner, principal: Principal,
                                 request_id: str | None, consignor_id: int | None,
                                 reqs: Sequence[DeliveryRequest]) -> list[DeliveryResult]:
    """Every row created, found again by its reference, or answered with its own errors,
    in input order."""
    if not principal.can(Perm.DELIVERY_WRITE):
        raise Forbidden("requires permission delivery:write")
    if not 1 <= len(reqs) <= MAX_BULK:
        raise DomainError(f"a bulk has 1 to {MAX_BULK} delivery orders", field=["orders"])
    consignor = await runner.read(consignor_of, principal, consignor_id)
    results: list[DeliveryResult] = []
    for start in range(0, len(reqs), CHUNK):
        chunk = reqs[start:start + CHUNK]
        try:
            results += await runner.write(create_chunk, consignor.id, chunk,
                                          principal=principal, request_id=request_id)
        except (_AfterClaim, IntegrityError):
            for req in chunk:
                results.append(await _one(runner, principal, request_id, consignor.id, req))
    return results


async def _one(runner: Runner, principal: Principal, request_id: str | None,
               consignor_id: int, req: DeliveryRequest) -> DeliveryResult:
    try:
        return await runner.write(create_delivery_order, consignor_id, req,
                                  principal=principal, request_id=request_id)
    except DomainError as exc:
        return DeliveryResult(req.reference, errors=exc.errors)


# Freight agreements and billing ------------------------------------------------------------

@dataclass(frozen=True)
class FreightTerms:
    consignor_id: int
    basis: str
    rate: Decimal
    valid_from: date
    minimum_charge: Decimal = Decimal("0")
    valid_until: date | None = None


def set_freight_agreement(uow: UnitOfWork, terms: FreightTerms) -> ConsignorFreightAgreement:
    """The consignor's freight terms (replacing any earlier ones), audited."""
    if not uow.principal.can(Perm.FREIGHT_WRITE):
        raise Forbidden("requires permission freight:write")
    v = Validator()
    v.check(terms.basis in FreightBasis.__members__, "basis", "unknown basis")
    for name, value in (("rate", terms.rate), ("minimumCharge", terms.minimum_charge)):
        v.check(value.is_finite() and 0 <= value < Decimal("1e9"), name, "0 or more")
    if terms.valid_until is not None:
        v.check(terms.valid_until >= terms.valid_from, "validUntil",
                "valid until is before valid from")
    v.raise_if_any()
    consignor_of(uow.session, uow.principal, terms.consignor_id)
    s = uow.session
    row = repo.freight_for(s, terms.consignor_id, for_update=True)
    before = snapshot(row) if row else None
    row = row or ConsignorFreightAgreement(consignor_id=terms.consignor_id,
                                           valid_from=terms.valid_from)
    row.basis, row.rate, row.minimum_charge = terms.basis, terms.rate, terms.minimum_charge
    row.valid_from, row.valid_until = terms.valid_from, terms.valid_until
    row.updated_by_id, row.updated_at = uow.actor_id, utcnow()
    s.add(row)
    s.flush()
    uow.audit("consignor_freight_agreement.set", "ConsignorFreightAgreement", row.id,
              before=before, after=snapshot(row))
    return row


@dataclass(frozen=True)
class Billing:
    consignor_id: int
    orders: int
    total: Decimal


def consignor_billing(session: Session, principal: Principal, consignor_id: int | None,
                      after: datetime | None, before: datetime | None) -> Billing:
    """The freight charged to the consignor in the period (created_at in [after, before))."""
    consignor = consignor_of(session, principal, consignor_id)
    count, total = repo.billing_totals(session, principal, consignor.id, after, before)
    return Billing(consignor.id, count, total)


# Reads -------------------------------------------------------------------------------------

def get_delivery_order(session: Session, principal: Principal, pk: int
                       ) -> DeliveryOrder | None:
    return repo.get_visible(session, principal, pk)


def list_delivery_orders(session: Session, principal: Principal, flt: repo.DeliveryOrderFilter,
                         sort: repo.DeliveryOrderSort, page: PageRequest) -> Page[DeliveryOrder]:
    return repo.list_delivery_orders(session, principal, flt, sort, page)


def freight_agreement(session: Session, principal: Principal, consignor_id: int
                      ) -> ConsignorFreightAgreement | None:
    return repo.visible_freight(session, principal, consignor_id)
