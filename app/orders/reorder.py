"""Re-ordering: a new DRAFT order with the lines of an earlier one, at today's prices.

Products no longer sold are left out and reported; the customer's current
agreed discount applies (line overrides of the old order are not copied). The
new order is created by the ordinary `create_order` service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import DomainError, NotFound
from app.orders import repository as repo
from app.orders import service
from app.orders.models import Order, OrderChannel, OrderLine
from app.orders.pricing import LineRequest
from app.orders.service import PHONE_RE, OrderDraft, ShipTo
from app.persistence import idempotency
from app.persistence.uow import UnitOfWork

OPERATION = "orderDuplicate"
# Orders of these channels arrive from outside; a re-order is placed here.
_EXTERNAL = frozenset({OrderChannel.MARKETPLACE, OrderChannel.EDI, OrderChannel.EMAIL})


@dataclass(frozen=True)
class Skipped:
    sku: str
    name: str
    message: str


@dataclass
class Duplicate:
    order: Order
    source: Order
    skipped: list[Skipped] = field(default_factory=list)


def _source(uow: UnitOfWork, order_id: int) -> Order:
    order = repo.get_visible(uow.session, uow.principal, order_id)
    if order is None:
        raise NotFound("order not found", field=["id"])
    return order


def _split(uow: UnitOfWork, lines: list[OrderLine]) -> tuple[list[OrderLine], list[Skipped]]:
    products = repo.products_by_ids(uow.session, [ln.product_id for ln in lines])
    kept, skipped = [], []
    for line in lines:
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            skipped.append(Skipped(line.sku, line.name, f"{line.sku} is no longer sold"))
        else:
            kept.append(line)
    return kept, skipped


def _draft(uow: UnitOfWork, source: Order, lines: list[OrderLine]) -> OrderDraft:
    ship_to = None
    if source.ship_recipient and source.ship_address:
        phone = source.ship_phone if source.ship_phone and PHONE_RE.match(
            source.ship_phone) else None
        ship_to = ShipTo(recipient=source.ship_recipient, address=source.ship_address,
                         phone=phone, region=source.ship_region)
    channel = source.channel if source.channel not in _EXTERNAL else OrderChannel.WEB.value
    return OrderDraft(customer_id=source.customer_id, channel=channel,
                      lines=tuple(LineRequest(ln.product_id, ln.quantity) for ln in lines),
                      contact_id=source.contact_id, ship_to=ship_to)


def duplicate_order(uow: UnitOfWork, order_id: int, idempotency_key: str | None = None
                    ) -> Duplicate:
    """A replay with the same key returns the first copy (skipped lines as of now)."""
    idempotency.validate_key(idempotency_key)
    source = _source(uow, order_id)
    kept, skipped = _split(uow, repo.lines_of(uow.session, source.id))
    order = idempotency.run_once(
        uow, OPERATION, idempotency_key, {"orderId": order_id}, "Order",
        create=lambda: _create(uow, source, kept),
        load=lambda pk: repo.get_visible(uow.session, uow.principal, pk))
    return Duplicate(order=order, source=source, skipped=skipped)


def _create(uow: UnitOfWork, source: Order, kept: list[OrderLine]) -> Order:
    if not kept:
        raise DomainError("none of the order's products are still sold", field=["id"])
    return service.create_order(uow, _draft(uow, source, kept))
