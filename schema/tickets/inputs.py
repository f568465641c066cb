"""Input types, the filter and sort of tickets, and their translation into service
arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from app.ids import parse_id
from app.persistence.columns import utcnow
from app.tickets import repository as repo
from schema.core.writes import provided
from schema.tickets.types import (
    AfterSalesType,
    TicketChannel,
    TicketKind,
    TicketPriority,
    TicketStatus,
)

TicketSort = strawberry.enum(repo.TicketSort, name="TicketSort")

_IDS = {"customer_id": ("Customer", "customerId"), "order_id": ("Order", "orderId"),
        "shipment_id": ("Shipment", "shipmentId"),
        "return_id": ("ReturnRequest", "returnId"),
        "exception_id": ("ShipmentException", "exceptionId"),
        "assignee_id": ("User", "assigneeId")}


@strawberry.input(description="A new quantity of a product on the order.")
class DeliveryChangeQuantityInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input(description="The new ship-to, delivery date and/or quantities asked for.")
class DeliveryChangeInput:
    address: str | None = strawberry.field(default=None, description="The full new address.")
    recipient: str | None = None
    phone: str | None = None
    region: str | None = None
    date: date | None = strawberry.field(default=None, description="The requested delivery "
                                         "date (today or later, business day).")
    quantities: list[DeliveryChangeQuantityInput] | None = strawberry.field(
        default=None, description="New quantities of the order's products (until the "
        "order is reviewed: nothing reserved yet).")


@strawberry.input
class TicketCreateInput:
    kind: TicketKind  # type: ignore[valid-type]
    subject: str
    description: str | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff: required. A CUSTOMER: its own (from the token; "
        "another id answers NOT_FOUND).")
    after_sales_type: AfterSalesType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="AFTER_SALES: REPAIR or INSTALLATION.")
    channel: TicketChannel | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default WEB.")
    priority: TicketPriority | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default NORMAL (a customer's ticket is always NORMAL "
        "until staff triage it).")
    order_id: strawberry.ID | None = None
    shipment_id: strawberry.ID | None = None
    return_id: strawberry.ID | None = strawberry.field(default=None,
                                                       description="A ReturnRequest ID.")
    exception_id: strawberry.ID | None = strawberry.field(
        default=None, description="A ShipmentException ID (staff): its parcel and order "
        "are linked too.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff: an agent; default the least loaded "
        "CUSTOMER_SERVICE agent.")
    delivery_change: DeliveryChangeInput | None = strawberry.field(
        default=None, description="DELIVERY_CHANGE: the new address and/or date (orderId "
        "required; refused once the order was dispatched).")


@strawberry.input
class TicketUpdateInput:
    subject: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    kind: TicketKind | None = strawberry.UNSET  # type: ignore[valid-type]
    after_sales_type: AfterSalesType | None = strawberry.UNSET  # type: ignore[valid-type]
    channel: TicketChannel | None = strawberry.UNSET  # type: ignore[valid-type]
    priority: TicketPriority | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="A new priority re-times the SLA from the "
        "ticket's creation.")
    order_id: strawberry.ID | None = strawberry.UNSET
    shipment_id: strawberry.ID | None = strawberry.UNSET
    return_id: strawberry.ID | None = strawberry.UNSET
    exception_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Link the ticket to a delivery exception.")
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT if the ticket changed.")


@strawberry.input(description="A customer's request to change the delivery of its order.")
class TicketDeliveryChangeRequestInput:
    order_id: strawberry.ID
    change: DeliveryChangeInput
    subject: str | None = strawberry.field(default=None,
                                           description="Default: 配送变更 / Delivery change.")
    description: str | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff asking on a customer's behalf; a CUSTOMER: its own.")
    channel: TicketChannel | None = None  # type: ignore[valid-type]


@strawberry.input
class TicketFilter:
    status: list[TicketStatus] | None = None  # type: ignore[valid-type]
    kind: list[TicketKind] | None = None  # type: ignore[valid-type]
    priority: list[TicketPriority] | None = None  # type: ignore[valid-type]
    assignee_id: strawberry.ID | None = None
    unassigned: bool | None = None
    customer_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    exception_id: strawberry.ID | None = None
    breached: bool | None = strawberry.field(
        default=None, description="true: the first response or the resolution is late "
        "(or was); false: neither.")
    search: str | None = strawberry.field(default=None,
                                          description="Number or subject contains.")


@strawberry.input
class TicketSlaPolicyInput:
    priority: TicketPriority  # type: ignore[valid-type]
    tier: str = strawberry.field(description="STANDARD, SILVER, GOLD or PLATINUM.")
    first_response_minutes: int
    resolution_minutes: int


def decode_ids(data: dict[str, Any]) -> dict[str, Any]:
    for key, (type_name, field) in _IDS.items():
        if key in data:
            data[key] = parse_id(data[key], type_name, field) if data[key] else None
    return data


def _values(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("kind", "after_sales_type", "channel", "priority"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            data[key] = value.value
    return data


def _change(inp: DeliveryChangeInput) -> dict[str, Any]:
    change = {k: v for k, v in vars(inp).items() if not k.startswith("_")}
    change["quantities"] = [
        {"product_id": parse_id(q.product_id, "Product", f"deliveryChange.quantities.{i}"
                                ".productId"), "quantity": q.quantity}
        for i, q in enumerate(inp.quantities or ())]
    return change


def ticket_data_from(inp: TicketCreateInput | TicketUpdateInput) -> dict[str, Any]:
    data = provided(inp)
    data.pop("expected_version", None)
    change = data.pop("delivery_change", None)
    if change is not None:
        data["change"] = _change(change)
    return decode_ids(_values(data))


def change_request_from(inp: TicketDeliveryChangeRequestInput) -> dict[str, Any]:
    data = {"kind": "DELIVERY_CHANGE", "order_id": inp.order_id,
            "customer_id": inp.customer_id,
            "subject": inp.subject or "配送变更 / Delivery change",
            "description": inp.description, "channel": inp.channel,
            "change": _change(inp.change)}
    return decode_ids(_values(data))


def filter_from(flt: TicketFilter | None) -> repo.TicketFilter:
    if flt is None:
        return repo.TicketFilter()
    ids = decode_ids({"assignee_id": flt.assignee_id, "customer_id": flt.customer_id,
                      "order_id": flt.order_id, "exception_id": flt.exception_id})
    return repo.TicketFilter(
        statuses=tuple(s.value for s in flt.status) if flt.status is not None else None,
        kinds=tuple(k.value for k in flt.kind) if flt.kind is not None else None,
        priorities=tuple(p.value for p in flt.priority) if flt.priority is not None
        else None, unassigned=flt.unassigned, breached=flt.breached, search=flt.search,
        now=utcnow(), **ids)
