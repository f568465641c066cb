"""Making shipments: one per warehouse of the order's allocation, or explicit lines; the
carrier service chosen from quotes (cheapest on time unless one is named), its cost, the
customer's charge per agreement, cash due at the door and the recipient as it is today
(docs/architecture.md#shipments)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.inventory import repository as inventory_repo
from app.orders import history
from app.orders import repository as orders
from app.orders.models import Order, OrderLine, OrderStatus, PaymentMethod
from app.orders.pricing import totals
from app.payments.service import refresh_status
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import quoting, rates
from app.shipping import repository as repo
from app.shipping.choice import Choice
from app.shipping.models import Shipment, ShipmentLine, ShipmentParcel, ShipmentStatus
from app.shipping.notify import emit_status

# Orders whose stock is reserved and not yet fully out of the door.
SHIPPABLE_ORDER_STATUSES = frozenset({
    OrderStatus.CONFIRMED.value, OrderStatus.SCHEDULED.value,
    OrderStatus.IN_FULFILLMENT.value, OrderStatus.PARTIALLY_SHIPPED.value,
})
MAX_TRACKING_NUMBER = 64
MAX_PARCELS = 50
MAX_MEASURE = Decimal("100000")  # kg or cm: beyond any parcel, within the column
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ParcelDraft:
    weight_kg: Decimal
    length_cm: Decimal = ZERO
    width_cm: Decimal = ZERO
    height_cm: Decimal = ZERO


@dataclass(frozen=True)
class ShipmentDraft:
    order_id: int
    warehouse_id: int
    lines: Sequence[tuple[int, int]] | None = None  # None: all that is open there
    service_id: int | None = None  # None: the recommended service
    tracking_number: str | None = None  # None: the carrier's next number
    parcels: Sequence[ParcelDraft] = ()
    ready_at: datetime | None = None  # when the parcel is handed over; None: now


def check_writer(principal: Principal, warehouse_id: int) -> None:
    """shipments:write, and a WAREHOUSE user only for its own warehouses (a foreign one
    answers like a missing one)."""
    if not principal.can(Perm.SHIPMENTS_WRITE):
        raise Forbidden("you may not change shipments")
    scope = principal.warehouse_scope
    if scope is not None and warehouse_id not in scope:
        raise NotFound("warehouse not found", field=["warehouseId"])


def new_shipment_number(uow: UnitOfWork, at: datetime | None = None) -> str:
    """`SH` + date + random suffix; unique (retried on the rare collision)."""
    day = (at or utcnow()).strftime("%y%m%d")
    while True:
        number = f"SH{day}-{secrets.token_hex(3).upper()}"
        if not repo.number_exists(uow.session, number):
            return number


def new_tracking_number(uow: UnitOfWork, carrier_code: str, carrier_id: int) -> str:
    """The carrier's label number: its code and 12 digits."""
    while True:
        number = f"{carrier_code[:8].upper()}{secrets.randbelow(10 ** 12):012d}"
        if not repo.tracking_number_taken(uow.session, carrier_id, number):
            return number


def _load(uow: UnitOfWork, order_id: int, warehouse_id: int) -> tuple[Order, object]:
    s = uow.session
    principal = uow.principal or SYSTEM
    check_writer(principal, warehouse_id)
    # locked: serializes shipments of one order
    order = orders.get_visible(s, principal, order_id, for_update=True)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    if order.status not in SHIPPABLE_ORDER_STATUSES:
        raise DomainError(f"cannot create a shipment for an order in state {order.status} "
                          "(allowed from " + ", ".join(sorted(SHIPPABLE_ORDER_STATUSES)) + ")",
                          code=ErrorCode.INVALID_TRANSITION, field=["orderId"])
    warehouse = inventory_repo.get_visible_warehouse(s, principal, warehouse_id)
    if warehouse is None or not warehouse.is_active:
        raise NotFound("warehouse not found", field=["warehouseId"])
    return order, warehouse


def open_in_warehouse(uow: UnitOfWork, order: Order, warehouse_id: int) -> dict[int, int]:
    """{order line id: units reserved in the warehouse and on no live shipment yet}."""
    on_shipments = repo.shipped_from(uow.session, order.id)
    out = {}
    for a in orders.allocations_of(uow.session, order.id):
        if a.warehouse_id != warehouse_id:
            continue
        left = a.quantity - on_shipments.get((a.order_line_id, warehouse_id), 0)
        if left > 0:
            out[a.order_line_id] = out.get(a.order_line_id, 0) + left
    return out


def _checked_lines(rows: dict[int, OrderLine], open_qty: dict[int, int],
                   lines: Sequence[tuple[int, int]] | None) -> dict[int, int]:
    """{order line id: units} of the request (None: all that is open), each checked."""
    if lines is None:
        if not open_qty:
            raise Conflict("nothing of this order is left to ship from this warehouse",
                           field=["warehouseId"])
        return dict(open_qty)
    v = Validator()
    v.check(0 < len(lines) <= 500, "lines", "a shipment has 1 to 500 lines")
    v.raise_if_any()
    out: dict[int, int] = {}
    for i, (line_id, quantity) in enumerate(lines):
        row = rows.get(line_id)
        if not v.check(row is not None and line_id not in out,
                       ["lines", str(i), "orderLineId"], "not a line of this order (or repeated)"):
            continue
        if not v.check(0 < quantity <= 1_000_000, ["lines", str(i), "quantity"],
                       "quantity must be positive"):
            continue
        left = open_qty.get(line_id, 0)
        if quantity > left:
            v.errors.append(DomainError(
                f"only {left} of {row.sku} is reserved in this warehouse and not yet on a "
                "shipment", field=["lines", str(i), "quantity"], code=ErrorCode.QUANTITY_EXCEEDED))
            continue
        out[line_id] = quantity
    v.raise_if_any()
    return out


def check_parcels(parcels: Sequence[ParcelDraft]) -> None:
    v = Validator()
    v.check(len(parcels) <= MAX_PARCELS, "parcels", f"at most {MAX_PARCELS} parcels")
    for i, p in enumerate(parcels[:MAX_PARCELS]):
        v.check(p.weight_kg.is_finite() and 0 < p.weight_kg <= MAX_MEASURE,
                ["parcels", str(i), "weightKg"], "weight must be above 0 and at most 100000 kg")
        for name, value in (("lengthCm", p.length_cm), ("widthCm", p.width_cm),
                            ("heightCm", p.height_cm)):
            v.check(value.is_finite() and 0 <= value <= MAX_MEASURE,
                    ["parcels", str(i), name], "a size is 0 to 100000 cm")
    v.raise_if_any()


def choice_record(choice: Choice) -> dict:
    """What `Shipment.carrierChoice` keeps: the reason and every alternative considered."""
    def one(q: rates.Quote) -> dict:
        return {"serviceId": q.service.id, "carrierId": q.service.carrier_id,
                "serviceCode": q.service.code, "serviceName": q.service.name,
                "price": None if q.price is None else str(q.price),
                "estimatedDelivery": q.estimated_delivery and q.estimated_delivery.isoformat(),
                "eligible": q.eligible, "reasons": [r.code for r in q.reasons]}
    return {"reason": choice.reason, "chosen": one(choice.quote) if choice.quote else None,
            "alternatives": [one(q) for q in choice.alternatives]}


def _cod_due(order: Order, goods: Decimal, charge: Decimal, others: Decimal) -> Decimal:
    """Cash the courier collects: this parcel's goods and charge, never more than what the
    order still owes beyond what its other live parcels (`others`) already collect."""
    if order.payment_method != PaymentMethod.CASH_ON_DELIVERY.value:
        return ZERO
    owed = order.total - order.credited_total - (order.paid_total - order.refunded_total)
    return max(ZERO, min(goods + charge, owed - others))


def set_shipping_total(uow: UnitOfWork, order: Order, shipping_total: Decimal,
                       lines: Sequence[OrderLine] | None = None) -> None:
    """The order's shipping charge and total follow its live shipments' charges."""
    if shipping_total == order.shipping_total:
        return
    before = snapshot(order)
    lines = orders.lines_of(uow.session, order.id) if lines is None else lines
    order.shipping_total = shipping_total
    order.total = totals(lines, shipping_total).total
    refresh_status(order)
    history.touch(order)
    uow.session.add(order)
    uow.audit("order.shipping_total", "Order", order.id, before=before, after=snapshot(order))


def _live(uow: UnitOfWork, order_id: int) -> list[Shipment]:
    return [sh for sh in repo.shipments_of_order(uow.session, order_id)
            if sh.status != ShipmentStatus.CANCELLED.value]


def live_charges(uow: UnitOfWork, order_id: int) -> Decimal:
    return sum((sh.charge for sh in _live(uow, order_id)), ZERO)


def create_shipment(uow: UnitOfWork, draft: ShipmentDraft, timezone: str) -> Shipment:
    """A CREATED shipment from one warehouse with its chosen service."""
    order, warehouse = _load(uow, draft.order_id, draft.warehouse_id)
    check_parcels(draft.parcels)
    rows = {ln.id: ln for ln in orders.lines_of(uow.session, order.id)}
    qty = _checked_lines(rows, open_in_warehouse(uow, order, warehouse.id), draft.lines)
    parcel = quoting.parcel_of(uow.session, order, warehouse, qty)
    ready_at = draft.ready_at or utcnow()
    if ready_at.tzinfo is None:
        raise DomainError("readyAt needs a time zone offset", field=["readyAt"])
    quoted = quoting.quote_parcel(uow.session, order, parcel, ready_at, timezone,
                                  draft.service_id)
    quote = quoted.choice.quote
    if quote is None:
        raise DomainError(f"no carrier service can take this shipment: {quoted.choice.reason}",
                          field=["serviceId"] if draft.service_id else ["warehouseId"],
                          code=ErrorCode.CONFLICT)
    carrier = quoted.carriers[quote.service.carrier_id]
    tracking = (draft.tracking_number or "").strip() or None
    if tracking is not None and (len(tracking) > MAX_TRACKING_NUMBER
                                 or repo.tracking_number_taken(uow.session, carrier.id, tracking)):
        raise DomainError("the tracking number is taken or longer than 64 characters",
                          field=["trackingNumber"], code=ErrorCode.DUPLICATE)
    goods = sum((rows[i].line_total * q / rows[i].quantity for i, q in qty.items()), ZERO)
    charge = quoted.charge.amount if quoted.charge else ZERO
    shipment = Shipment(
        number=new_shipment_number(uow), order_id=order.id, warehouse_id=warehouse.id,
        carrier_id=carrier.id, service_id=quote.service.id,
        tracking_number=tracking or new_tracking_number(uow, carrier.code, carrier.id),
        status=ShipmentStatus.CREATED.value, estimated_delivery=quote.estimated_delivery,
        promised_date=order.promised_date, carrier_choice=choice_record(quoted.choice),
        billable_weight_kg=quote.billable_weight_kg, currency=quote.service.currency,
        cost=quote.price or ZERO, charge=charge,
        recipient_name=order.ship_recipient[:200], recipient_phone=(order.ship_phone or "")[:32],
        recipient_address=order.ship_address[:400], recipient_region=order.ship_region[:64])
    uow.session.add(shipment)
    uow.session.flush()
    uow.session.add_all([ShipmentLine(shipment_id=shipment.id, order_line_id=i, quantity=q)
                         for i, q in qty.items()])
    uow.session.add_all([ShipmentParcel(shipment_id=shipment.id, **vars(p))
                         for p in draft.parcels])
    live = _live(uow, order.id)  # this one included (flushed)
    set_shipping_total(uow, order, sum((sh.charge for sh in live), ZERO), list(rows.values()))
    shipment.cod_amount = _cod_due(order, goods.quantize(Decimal("0.01")), charge, sum(
        (sh.cod_amount for sh in live if sh.cod_collected is None), ZERO))
    uow.audit("shipment.create", "Shipment", shipment.id, after={
        **snapshot(shipment), "lines": [[i, q] for i, q in qty.items()]})
    emit_status(uow, shipment, order, carrier.code, quoted.choice.reason)
    return shipment


def create_order_shipments(uow: UnitOfWork, order_id: int, service_id: int | None,
                           timezone: str) -> list[Shipment]:
    """One shipment per warehouse that still holds reserved units of the order."""
    s = uow.session
    principal = uow.principal or SYSTEM
    if not principal.can(Perm.SHIPMENTS_WRITE):
        raise Forbidden("you may not change shipments")
    order = orders.get_visible(s, principal, order_id)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    warehouses = sorted({a.warehouse_id for a in orders.allocations_of(s, order.id)})
    scope = principal.warehouse_scope
    made = []
    for warehouse_id in warehouses:
        if scope is not None and warehouse_id not in scope:
            continue
        if not open_in_warehouse(uow, order, warehouse_id):
            continue
        made.append(create_shipment(uow, ShipmentDraft(order.id, warehouse_id,
                                                       service_id=service_id), timezone))
    if not made:
        raise Conflict("nothing of this order is left to put on a shipment", field=["orderId"])
    return made
