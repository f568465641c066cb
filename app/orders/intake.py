"""Multi-channel intake: a batch of orders from a marketplace, EDI or the e-mail desk.

Each order is its own unit of work (one bad order never undoes the others) and
goes through the ordinary `create_order` service. The channel's external id is
the idempotency key of intake: importing an id again returns the existing order
with `created=False` and writes nothing. Two imports racing on the same id meet
at the unique (channel, external_id) constraint; the loser reports the winner's
order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden, NotFound, ValidationFailed
from app.ids import parse_id
from app.orders import repository as repo
from app.orders import service
from app.orders.models import Order, OrderChannel
from app.orders.pricing import LineRequest
from app.orders.service import OrderDraft, ShipTo
from app.persistence.uow import Runner, UnitOfWork

IMPORT_CHANNELS = frozenset({OrderChannel.MARKETPLACE, OrderChannel.EDI, OrderChannel.EMAIL})
MAX_BATCH = 100


@dataclass(frozen=True)
class ImportLine:
    quantity: int
    product_id: str | None = None  # a global Product ID ...
    sku: str | None = None  # ... or the SKU
    unit_price: Decimal | None = None  # the channel's price: must match the catalog


@dataclass(frozen=True)
class ImportItem:
    external_id: str
    lines: tuple[ImportLine, ...]
    customer_id: str | None = None  # a global Customer ID ...
    customer_code: str | None = None  # ... or the customer code
    notes: str = ""
    ship_to: ShipTo | None = None
    promised_date: date | None = None


@dataclass
class ImportResult:
    external_id: str
    order: Order | None = None
    created: bool = False
    errors: list[DomainError] = field(default_factory=list)


def validate_batch(principal: Principal, channel: str, items: Sequence[ImportItem]) -> None:
    if not principal.can(Perm.ORDERS_MANAGE):
        raise Forbidden("requires permission orders:manage")
    if channel not in IMPORT_CHANNELS:
        names = ", ".join(sorted(c.value for c in IMPORT_CHANNELS))
        raise DomainError(f"import channels are {names}", field=["channel"])
    if not 1 <= len(items) <= MAX_BATCH:
        raise DomainError(f"a batch has 1 to {MAX_BATCH} orders", field=["orders"])


def _customer_id(uow: UnitOfWork, item: ImportItem) -> int:
    if (item.customer_id is None) == (item.customer_code is None):
        raise DomainError("give either customerId or customerCode", field=["customerId"])
    if item.customer_id is not None:
        return parse_id(item.customer_id, "Customer", "customerId")
    customer = repo.customer_by_code(uow.session, uow.principal, item.customer_code)
    if customer is None:
        raise NotFound("customer not found", field=["customerCode"])
    return customer.id


def _product_ref(line: ImportLine, path: list[str], by_sku: dict) -> int:
    if (line.product_id is None) == (line.sku is None):
        raise DomainError("give either productId or sku", field=[*path, "productId"])
    if line.sku is not None:
        if line.sku not in by_sku:
            raise NotFound(f"no product with SKU {line.sku}", field=[*path, "sku"])
        return by_sku[line.sku].id
    try:
        return parse_id(line.product_id, "Product")
    except DomainError as exc:
        raise NotFound(exc.message, field=[*path, "productId"]) from None


def _line_requests(session: Session, lines: Sequence[ImportLine]) -> tuple[LineRequest, ...]:
    """Resolve products by ID or SKU and hold the channel's prices to the catalog's."""
    by_sku = repo.products_by_skus(session, [ln.sku for ln in lines if ln.sku])
    ids: list[int | None] = []
    errors: list[DomainError] = []
    for i, line in enumerate(lines):
        try:
            ids.append(_product_ref(line, ["lines", str(i)], by_sku))
        except DomainError as exc:
            errors.append(exc)
            ids.append(None)
    products = repo.products_by_ids(session, [i for i in ids if i is not None])
    for i, (line, pid) in enumerate(zip(lines, ids, strict=True)):
        product = products.get(pid)
        if product and line.unit_price is not None and line.unit_price != product.price:
            errors.append(DomainError(
                f"{product.sku}: the channel's price {line.unit_price} is not the catalog "
                f"price {product.price}", field=["lines", str(i), "unitPrice"],
                code=ErrorCode.PRICE_MISMATCH))
    if errors:
        raise ValidationFailed(errors)
    return tuple(LineRequest(product_id=pid, quantity=ln.quantity)
                 for ln, pid in zip(lines, ids, strict=True))


def _existing(session: Session, principal: Principal, channel: str,
              external_id: str) -> Order | None:
    """The order already imported under this id, if any (foreign ones are a DUPLICATE)."""
    found = repo.order_by_external_id(session, channel, external_id)
    if found is None:
        return None
    if repo.get_visible(session, principal, found.id) is None:
        raise DomainError("this external id was already imported", field=["externalId"],
                          code=ErrorCode.DUPLICATE)
    return found


def import_order(uow: UnitOfWork, channel: str, item: ImportItem, submit: bool = True
                 ) -> ImportResult:
    """One order of a batch, in its own unit of work."""
    if not 1 <= len(item.external_id) <= 100 or not item.external_id.isprintable():
        raise DomainError("external id is 1 to 100 printable characters", field=["externalId"])
    existing = _existing(uow.session, uow.principal, channel, item.external_id)
    if existing is not None:
        return ImportResult(item.external_id, existing, created=False)
    draft = OrderDraft(customer_id=_customer_id(uow, item),
                       lines=_line_requests(uow.session, item.lines), channel=channel,
                       external_id=item.external_id, notes=item.notes, ship_to=item.ship_to,
                       promised_date=item.promised_date, submit=submit)
    try:
        order = service.create_order(uow, draft)
    except DomainError as exc:
        # A concurrent import of the same id committed after `_existing` read (PostgreSQL
        # runs units side by side): nothing is written yet, so report its order instead.
        if exc.code is not ErrorCode.DUPLICATE:
            raise
        existing = _existing(uow.session, uow.principal, channel, item.external_id)
        if existing is None:
            raise
        return ImportResult(item.external_id, existing, created=False)
    return ImportResult(item.external_id, order, created=True)


async def import_orders(runner: Runner, principal: Principal, request_id: str | None,
                        channel: str, items: Sequence[ImportItem], submit: bool = True
                        ) -> list[ImportResult]:
    """Every order created, found again, or reported with its own errors, in input order."""
    validate_batch(principal, channel, items)
    results = []
    for item in items:
        try:
            result = await runner.write(import_order, channel, item, submit,
                                        principal=principal, request_id=request_id)
        except DomainError as exc:
            result = ImportResult(item.external_id, errors=exc.errors)
        except IntegrityError:
            result = await _lost_race(runner, principal, channel, item)
            if result is None:  # the violation was something else
                raise
        results.append(result)
    return results


async def _lost_race(runner: Runner, principal: Principal, channel: str,
                     item: ImportItem) -> ImportResult | None:
    """A concurrent import of the same id committed first: report its order."""
    try:
        order = await runner.read(_existing, principal, channel, item.external_id)
    except DomainError as exc:
        return ImportResult(item.external_id, errors=exc.errors)
    return None if order is None else ImportResult(item.external_id, order, created=False)
