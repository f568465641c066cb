"""Shipping quotes for an order leaving a warehouse: the parcel's facts from the database,
every active service's quote from the rules (app/shipping/rates.py), the recommended one
(app/shipping/choice.py) and the customer's charge for it (app/shipping/charges.py)
(docs/architecture.md#carriers-and-quotes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.catalog import repository as catalog_repo
from app.customers import repository as customer_repo
from app.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound
from app.inventory import repository as inventory_repo
from app.orders import repository as order_repo
from app.orders.models import OrderStatus, PaymentMethod
from app.quotes import repository as quotes_repo
from app.shipping import rates
from app.shipping import repository as repo
from app.shipping.charges import ShippingCharge, shipping_charge
from app.shipping.choice import Choice, choose
from app.shipping.models import Carrier, CarrierService

# orders that will never ship (a cancelled order keeps its lines unshipped)
_CLOSED = frozenset({OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value})


@dataclass(frozen=True)
class QuoteSet:
    parcel: rates.Parcel
    ready_at: datetime  # local time
    quotes: tuple[rates.Quote, ...]  # by carrier and service code
    choice: Choice
    charge: ShippingCharge | None  # the customer's, for the chosen service
    carriers: dict[int, Carrier]
    services: dict[int, CarrierService]


def open_quantities(lines: Sequence[Any], allocations: Sequence[Any],
                    warehouse_id: int) -> dict[int, int]:
    """{order line id: units not yet shipped}: from the warehouse's allocations when the
    order has some there, else from the whole order's lines."""
    here = [a for a in allocations if a.warehouse_id == warehouse_id]
    out: dict[int, int] = {}
    if here:
        for a in here:
            out[a.order_line_id] = out.get(a.order_line_id, 0) + a.quantity - a.quantity_shipped
    else:
        out = {ln.id: ln.quantity - ln.quantity_shipped for ln in lines}
    return {line_id: q for line_id, q in out.items() if q > 0}


def _items(session: Session, lines: Sequence[Any], open_qty: dict[int, int]
           ) -> tuple[rates.Item, ...]:
    products = catalog_repo.product_rows_by_ids(
        session, sorted({ln.product_id for ln in lines if ln.id in open_qty}))
    out = []
    for ln in lines:
        if ln.id not in open_qty:
            continue
        p = products[ln.product_id]
        out.append(rates.Item(sku=ln.sku, quantity=open_qty[ln.id], weight_kg=p.weight_kg,
                              length_cm=p.length_cm, width_cm=p.width_cm,
                              height_cm=p.height_cm, cold_chain=p.cold_chain))
    return tuple(out)


def terms_of(service: Any, rules: Sequence[Any]) -> rates.ServiceTerms:
    """A service row and its rule rows as the rules see them."""
    dims = (service.max_length_cm, service.max_width_cm, service.max_height_cm)
    return rates.ServiceTerms(
        id=service.id, carrier_id=service.carrier_id, code=service.code, name=service.name,
        level=service.level, currency=service.currency,
        volumetric_divisor=service.volumetric_divisor, max_weight_kg=service.max_weight_kg,
        max_dimensions=dims if all(d is not None for d in dims) else None,
        cutoff=service.cutoff_time, cod_supported=service.cod_supported,
        cod_fee=service.cod_fee, cold_chain=service.cold_chain,
        rules=tuple(rates.RateRule(r.origin_region, r.destination_region, r.base_fee,
                                   r.per_kg_fee, r.transit_days, r.id) for r in rules))


def _visible(session: Session, principal: Principal, order_id: int,
             warehouse_id: int) -> tuple[Any, Any]:
    """The order and the warehouse, each NOT_FOUND when missing or outside the caller's
    scope alike."""
    if not principal.can(Perm.RATES_READ):
        raise Forbidden("you may not see shipping rates")
    order = order_repo.get_visible(session, principal, order_id)
    if order is None:
        raise NotFound("Order not found", field=["orderId"])  # as app.ids.parse_id says it
    warehouse = inventory_repo.get_visible_warehouse(session, principal, warehouse_id)
    if warehouse is None:
        raise NotFound("Warehouse not found", field=["warehouseId"])
    return order, warehouse


def parcel_of(session: Session, order: Any, warehouse: Any,
              open_qty: dict[int, int] | None = None) -> rates.Parcel:
    """The parcel facts of what is left to ship of the order from the warehouse, or of
    `open_qty` ({order line id: units}) when given (a shipment's own lines)."""
    if order.status in _CLOSED:
        raise InvalidTransition("order", order.status, "quote shipping for")
    lines = order_repo.line_records(session, order.id)
    if open_qty is None:
        open_qty = open_quantities(lines, order_repo.allocations_of(session, order.id),
                                   warehouse.id)
    if not open_qty:
        raise Conflict("nothing of this order is left to ship", field=["orderId"])
    return rates.Parcel(
        items=_items(session, lines, open_qty), origin_region=warehouse.region,
        destination_region=order.ship_region,
        cash_on_delivery=order.payment_method == PaymentMethod.CASH_ON_DELIVERY.value,
        promised_date=order.promised_date)


def goods_total(order: Any) -> Decimal:
    """What the order's goods cost the customer, after discounts, before shipping."""
    return order.subtotal - order.discount_total


def _charge(session: Session, order: Any, choice: Choice, day: date
            ) -> ShippingCharge | None:
    if choice.quote is None or choice.quote.price is None:
        return None
    # the freight agreement valid on the day the parcel is handed over, else the
    # customer's threshold (docs/architecture.md#quotes-and-price-agreements)
    freight = quotes_repo.active_freight(session, order.customer_id, day)
    if freight is not None:
        return shipping_charge(freight.free_shipping_threshold, goods_total(order),
                               choice.quote.price, freight.flat_fee)
    customer = customer_repo.customer_rows_by_ids(session, [order.customer_id])[
        order.customer_id]
    return shipping_charge(customer.free_shipping_threshold, goods_total(order),
                           choice.quote.price)


def quote_order(session: Session, principal: Principal, order_id: int, warehouse_id: int,
                ready_at: datetime, timezone: str, named_service_id: int | None = None
                ) -> QuoteSet:
    """Every active service's quote for what is left to ship of the order from the
    warehouse, handed over at `ready_at` (any zone; compared in `timezone`)."""
    if ready_at.tzinfo is None:
        raise DomainError("readyAt needs a time zone offset, e.g. 2025-07-01T09:00:00+08:00",
                          field=["readyAt"])
    order, warehouse = _visible(session, principal, order_id, warehouse_id)
    return quote_parcel(session, order, parcel_of(session, order, warehouse), ready_at,
                        timezone, named_service_id)


def quote_parcel(session: Session, order: Any, parcel: rates.Parcel, ready_at: datetime,
                 timezone: str, named_service_id: int | None = None) -> QuoteSet:
    """Every active service's quote for one parcel of the order, the choice among them and
    the customer's charge for it (no permission check: callers have made theirs)."""
    local = ready_at.astimezone(ZoneInfo(timezone))
    offered = repo.active_services(session)
    quotes = tuple(rates.quote(parcel, terms_of(service, rules), local)
                   for _, service, rules in offered)
    choice = choose(quotes, named_service_id)
    return QuoteSet(parcel=parcel, ready_at=local, quotes=quotes, choice=choice,
                    charge=_charge(session, order, choice, local.date()),
                    carriers={c.id: c for c, _, _ in offered},
                    services={s.id: s for _, s, _ in offered})
