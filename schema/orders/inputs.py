"""Input types of orders (creation, edits, filters, sorts, channel imports), and their
translation into service arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.ids import parse_id
from app.orders import intake
from app.orders import repository as repo
from app.orders.pricing import LineRequest
from app.orders.service import OrderDraft, ShipTo
from schema.core.writes import provided
from schema.orders.types import OrderChannel, OrderStatus, PaymentMethod, PaymentStatus

OrderSort = strawberry.enum(repo.OrderSort, name="OrderSort")


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int
    discount_rate: Decimal | None = strawberry.field(
        default=None, description="Overrides the customer's agreed discount (a fraction 0..1); "
        "staff only. Above CRM_DISCOUNT_APPROVAL_THRESHOLD a MANAGER must approve.")


@strawberry.input(description="An explicit ship-to; otherwise the customer's address is used.")
class ShipToInput:
    recipient: str
    address: str
    phone: str | None = None
    region: str | None = None


@strawberry.input
class OrderCreateInput:
    customer_id: strawberry.ID
    lines: list[OrderLineInput]
    channel: OrderChannel = OrderChannel.WEB  # type: ignore[valid-type]
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retry-safe creation: a replay by the same user returns the "
        "first order; the same key with a different request is IDEMPOTENCY_KEY_REUSED.")
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the customer's primary contact.")
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the customer's default shipping address.")
    ship_to: ShipToInput | None = None
    notes: str | None = None
    payment_method: PaymentMethod | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default: from the customer's payment terms.")
    external_id: str | None = strawberry.field(
        default=None, description="The order's id in the sales channel (unique per channel).")
    promised_date: date | None = strawberry.field(
        default=None, description="A delivery date requested by the customer.")
    submit: bool = strawberry.field(
        default=False, description="Create as PENDING_REVIEW instead of DRAFT.")


@strawberry.input
class OrderUpdateInput:
    lines: list[OrderLineInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces every line; re-priced from the catalog.")
    contact_id: strawberry.ID | None = strawberry.UNSET
    address_id: strawberry.ID | None = strawberry.UNSET
    ship_to: ShipToInput | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    payment_method: PaymentMethod | None = strawberry.UNSET  # type: ignore[valid-type]
    promised_date: date | None = strawberry.UNSET
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT if the order changed.")


@strawberry.input
class OrderFilter:
    status: list[OrderStatus] | None = None  # type: ignore[valid-type]
    customer_id: strawberry.ID | None = None
    channel: OrderChannel | None = None  # type: ignore[valid-type]
    payment_status: PaymentStatus | None = None  # type: ignore[valid-type]
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Order number or external id contains.")
    promised_before: date | None = None


@strawberry.input
class CustomerOrderFilter:
    status: list[OrderStatus] | None = None  # type: ignore[valid-type]


@strawberry.input
class OrderImportLineInput:
    quantity: int
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product, or give its `sku`.")
    sku: str | None = None
    unit_price: Decimal | None = strawberry.field(
        default=None, description="The channel's price; must match the catalog price.")


@strawberry.input
class OrderImportOrderInput:
    external_id: str = strawberry.field(description="The order's id in the channel; "
                                        "importing it again creates nothing.")
    lines: list[OrderImportLineInput]
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer, or give its `customerCode`.")
    customer_code: str | None = None
    notes: str | None = None
    ship_to: ShipToInput | None = None
    promised_date: date | None = None


@strawberry.input
class OrderImportInput:
    channel: OrderChannel = strawberry.field(  # type: ignore[valid-type]
        description="MARKETPLACE, EDI or EMAIL.")
    orders: list[OrderImportOrderInput] = strawberry.field(
        description=f"1 to {intake.MAX_BATCH} orders, each imported on its own.")
    submit: bool = strawberry.field(
        default=True, description="Submit new orders for review (false: leave them DRAFT).")


def _lines(lines: list[OrderLineInput]) -> tuple[LineRequest, ...]:
    return tuple(LineRequest(product_id=parse_id(ln.product_id, "Product",
                                                 f"lines.{i}.productId"),
                             quantity=ln.quantity, discount_rate=ln.discount_rate)
                 for i, ln in enumerate(lines))


def _ship_to(inp: ShipToInput | None) -> ShipTo | None:
    if inp is None:
        return None
    return ShipTo(recipient=inp.recipient, address=inp.address, phone=inp.phone or None,
                  region=inp.region or "")


def _optional_id(value: Any, type_name: str, field: str) -> int | None:
    return parse_id(value, type_name, field) if value else None


def draft_from(inp: OrderCreateInput) -> OrderDraft:
    return OrderDraft(
        customer_id=parse_id(inp.customer_id, "Customer", "customerId"),
        lines=_lines(inp.lines), channel=inp.channel.value,
        contact_id=_optional_id(inp.contact_id, "Contact", "contactId"),
        address_id=_optional_id(inp.address_id, "Address", "addressId"),
        ship_to=_ship_to(inp.ship_to), notes=inp.notes or "",
        payment_method=inp.payment_method.value if inp.payment_method else None,
        external_id=inp.external_id, promised_date=inp.promised_date, submit=inp.submit,
        idempotency_key=inp.idempotency_key)


def changes_from(inp: OrderUpdateInput) -> tuple[dict[str, Any], int | None]:
    data = provided(inp)
    version = data.pop("expected_version", None)
    if data.get("lines") is not None:
        data["lines"] = _lines(data["lines"])
    if "contact_id" in data:
        data["contact_id"] = _optional_id(data["contact_id"], "Contact", "contactId")
    if "address_id" in data:
        data["address_id"] = _optional_id(data["address_id"], "Address", "addressId")
    if "ship_to" in data:
        data["ship_to"] = _ship_to(data["ship_to"])
    if data.get("payment_method") is not None:
        data["payment_method"] = data["payment_method"].value
    return data, version


def filter_from(flt: OrderFilter | None) -> repo.OrderFilter:
    if flt is None:
        return repo.OrderFilter()
    return repo.OrderFilter(
        statuses=tuple(s.value for s in flt.status or ()),
        customer_id=_optional_id(flt.customer_id, "Customer", "customerId"),
        channel=flt.channel.value if flt.channel else None,
        payment_status=flt.payment_status.value if flt.payment_status else None,
        created_after=flt.created_after, created_before=flt.created_before, search=flt.search,
        promised_before=flt.promised_before)


def import_item_from(inp: OrderImportOrderInput) -> intake.ImportItem:
    """One order of an import; its IDs are decoded by the import itself, per order."""
    return intake.ImportItem(
        external_id=inp.external_id, customer_id=inp.customer_id,
        customer_code=inp.customer_code, notes=inp.notes or "", ship_to=_ship_to(inp.ship_to),
        promised_date=inp.promised_date,
        lines=tuple(intake.ImportLine(quantity=ln.quantity, product_id=ln.product_id,
                                      sku=ln.sku, unit_price=ln.unit_price)
                    for ln in inp.lines))
