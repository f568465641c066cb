"""Delivery changes: a customer (or staff for it) asks for a new ship-to and/or delivery
date on an order not yet dispatched; the request is a DELIVERY_CHANGE ticket, and staff's
approval changes the order and its undispatched shipments in the same unit of work
(docs/architecture.md#tickets-and-slas). After dispatch both the request and the approval
are refused with the reason, and nothing changes. New quantities of the order's lines (a
consignee changing a delivery order, docs/architecture.md#delivery-orders-and-plans) are
taken until the order is reviewed, before any stock is reserved for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from app.errors import DomainError, ErrorCode, NotFound, ValidationFailed, Validator
from app.orders import history
from app.orders import repository as orders
from app.orders import service as order_service
from app.orders.models import OrderStatus
from app.orders.pricing import MAX_QUANTITY, LineRequest
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.quotes.workflow import business_today
from app.shipping import repository as shipping
from app.shipping.models import ShipmentStatus
from app.tickets.models import DeliveryChangeStatus, Ticket

# an order in these states has not left: its ship-to and date may still change
CHANGEABLE = frozenset({OrderStatus.DRAFT, OrderStatus.PENDING_REVIEW, OrderStatus.CONFIRMED,
                        OrderStatus.SCHEDULED, OrderStatus.IN_FULFILLMENT,
                        OrderStatus.ON_HOLD})
# an order in these states has reserved nothing: its quantities may still change
QUANTITIES_CHANGEABLE = frozenset({OrderStatus.DRAFT, OrderStatus.PENDING_REVIEW})
# a shipment in these states is still in the warehouse
NOT_DISPATCHED = frozenset({ShipmentStatus.CREATED, ShipmentStatus.PACKED})


@dataclass(frozen=True)
class Change:
    recipient: str | None = None
    phone: str | None = None
    region: str | None = None
    address: str | None = None
    date: date | None = None
    quantities: tuple[tuple[int, int], ...] = ()  # (product id, new quantity)


def _quantities(v: Validator, raw: Any) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for i, item in enumerate(raw or ()):
        path = ["deliveryChange", "quantities", str(i)]
        v.check(1 <= item["quantity"] <= MAX_QUANTITY, [*path, "quantity"],
                f"a quantity is 1 to {MAX_QUANTITY}")
        v.check(item["product_id"] not in {p for p, _ in out}, [*path, "productId"],
                "this product is already in the change")
        out.append((item["product_id"], item["quantity"]))
    return tuple(out)


def _change_from(data: dict[str, Any]) -> Change:
    raw = data.get("change") or {}
    v = Validator()
    address = (raw.get("address") or "").strip() or None
    when = raw.get("date")
    quantities = _quantities(v, raw.get("quantities"))
    v.check(address is not None or when is not None or bool(quantities), "deliveryChange",
            "a delivery change needs a new address, date or quantities")
    for key, limit in (("recipient", 200), ("phone", 40), ("region", 64), ("address", 800)):
        if raw.get(key) is not None:
            v.check(len(raw[key]) <= limit, f"deliveryChange.{key}",
                    f"{key} is at most {limit} characters")
    v.check(data.get("order_id") is not None, "orderId", "a delivery change needs the order")
    v.raise_if_any()
    return Change(recipient=(raw.get("recipient") or "").strip() or None,
                  phone=(raw.get("phone") or "").strip() or None,
                  region=(raw.get("region") or "").strip() or None, address=address,
                  date=when, quantities=quantities)


def refusal(session: Session, order: Any) -> str | None:
    """Why the order's delivery can no longer change, or None."""
    if OrderStatus(order.status) not in CHANGEABLE:
        when = f" on {order.shipped_at:%Y-%m-%d}" if order.shipped_at else ""
        return (f"order {order.number} is {order.status}{when}: it has been dispatched or "
                "closed, so its delivery can no longer be changed")
    for shipment in shipping.shipments_of_order(session, order.id):
        if shipment.status not in NOT_DISPATCHED and \
                shipment.status != ShipmentStatus.CANCELLED.value:
            return (f"shipment {shipment.number} of order {order.number} is "
                    f"{shipment.status}: it has been dispatched, so its delivery can no "
                    "longer be changed")
    return None


def _refuse(reason: str) -> DomainError:
    return DomainError(reason, field=["orderId"], code=ErrorCode.INVALID_TRANSITION)


def _check_quantities(session: Session, order: Any, quantities: Any) -> None:
    """New quantities only before review (nothing reserved yet), of the order's products."""
    if not quantities:
        return
    if OrderStatus(order.status) not in QUANTITIES_CHANGEABLE:
        raise _refuse(f"order {order.number} is {order.status}: its goods are reserved, so "
                      "its quantities can no longer change (its address and date still can)")
    on_order = {line.product_id for line in orders.lines_of(session, order.id)}
    missing = [DomainError("this product is not on the order",
                           field=["deliveryChange", "quantities", str(i), "productId"],
                           code=ErrorCode.NOT_FOUND)
               for i, (product_id, _) in enumerate(quantities) if product_id not in on_order]
    if missing:
        raise ValidationFailed(missing)


def requested_change(session: Session, data: dict[str, Any], timezone: str) -> Change:
    """The change asked for, checked: the order (already checked to be the customer's)
    has not been dispatched, and the date is not in the past."""
    change = _change_from(data)
    order = orders.orders_by_ids(session, [data["order_id"]]).get(data["order_id"])
    if order is None:
        raise NotFound("order not found for this customer", field=["orderId"])
    reason = refusal(session, order)
    if reason:
        raise _refuse(reason)
    _check_quantities(session, order, change.quantities)
    if change.date is not None and change.date < business_today(timezone):
        raise ValidationFailed([DomainError("the new delivery date is in the past",
                                            field=["deliveryChange", "date"])])
    return change


def apply_request(ticket: Ticket, change: Change) -> None:
    ticket.change_recipient, ticket.change_phone = change.recipient, change.phone
    ticket.change_region, ticket.change_address = change.region, change.address
    ticket.change_date = change.date
    ticket.change_quantities = [{"product_id": p, "quantity": q}
                                for p, q in change.quantities] or None
    ticket.change_status = DeliveryChangeStatus.PENDING.value


def _apply_quantities(uow: UnitOfWork, order: Any, wanted: list[dict] | None) -> None:
    """The order's lines at their new quantities, re-priced by the order's own edit."""
    if not wanted:
        return
    new = {item["product_id"]: item["quantity"] for item in wanted}
    _check_quantities(uow.session, order, tuple(new.items()))
    lines = tuple(LineRequest(product_id=line.product_id,
                              quantity=new.get(line.product_id, line.quantity),
                              discount_rate=line.discount_rate)
                  for line in orders.lines_of(uow.session, order.id))
    order_service.update_order(uow, order.id, {"lines": lines})


def apply_to_order(uow: UnitOfWork, ticket: Ticket, now: datetime) -> Any:
    """The requested ship-to and date on the order (locked) and on each of its shipments
    still in the warehouse; refused, changing nothing, once anything was dispatched."""
    session = uow.session
    order = orders.lock_order(session, ticket.order_id) if ticket.order_id else None
    if order is None:
        raise NotFound("order not found", field=["id"])
    reason = refusal(session, order)
    if reason:
        raise _refuse(reason)
    _apply_quantities(uow, order, ticket.change_quantities)
    before = snapshot(order)
    if ticket.change_address:
        order.ship_address = ticket.change_address
        order.ship_recipient = ticket.change_recipient or order.ship_recipient
        order.ship_phone = ticket.change_phone or order.ship_phone
        order.ship_region = ticket.change_region or order.ship_region
    if ticket.change_date:
        order.promised_date = ticket.change_date
    history.touch(order)
    session.flush()
    history.record(uow, order, history.EventType.UPDATED, before=before,
                   message=f"delivery change approved (ticket {ticket.number})",
                   details={"ticket_id": ticket.id, "address": bool(ticket.change_address),
                            "date": ticket.change_date.isoformat() if ticket.change_date
                            else None})
    for shipment in shipping.shipments_of_order(session, order.id):
        if shipment.status not in NOT_DISPATCHED:
            continue
        shipment_before = snapshot(shipment)
        if ticket.change_address:
            shipment.recipient_address = ticket.change_address
            shipment.recipient_name = ticket.change_recipient or shipment.recipient_name
            shipment.recipient_phone = ticket.change_phone or shipment.recipient_phone
            shipment.recipient_region = ticket.change_region or shipment.recipient_region
        if ticket.change_date:
            shipment.promised_date = ticket.change_date
        shipment.version += 1
        shipment.updated_at = now or utcnow()
        session.flush()
        uow.audit("shipment.delivery_change", "Shipment", shipment.id, before=shipment_before,
                  after=snapshot(shipment))
    return order
