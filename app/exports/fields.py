"""What an export may contain: per source, a declared list of fields (an enum value, the
API's name for it, its column, how its value is written, and the field rule that applies),
and the rules themselves, applied through the same Principal methods the API's field guards
use (app/auth/principal.py, schema/core/guards.py). Nothing the caller writes reaches SQL:
a field is a name looked up here (docs/architecture.md#exports)."""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.auth.principal import Principal, mask
from app.auth.roles import Perm
from app.customers.models import Customer
from app.exports.models import ExportSource
from app.followups.models import DeliveryFollowUp
from app.ids import to_global_id
from app.inventory.models import StockMovement
from app.orders.models import Order, OrderLine
from app.shipping.models import Shipment

CENT = Decimal("0.01")


class Rule(StrEnum):
    """The API's field rules (schema/core/guards.py)."""

    PLAIN = "PLAIN"
    CONTACT = "CONTACT"  # hidden from WAREHOUSE and LOGISTICS, masked for ANALYST
    SHIP_TO = "SHIP_TO"  # as CONTACT, but shipping staff see it
    CREDIT = "CREDIT"  # FINANCE, MANAGER, ADMIN, the owning SALES rep
    RATES = "RATES"  # rates:read (what carriers charge us)


@dataclass(frozen=True)
class Field:
    name: str  # the ExportField enum value
    header: str  # the API's field name: the CSV header, the JSON key, the Parquet column
    column: Any
    kind: str  # "int", "text", "money", "decimal", "datetime", "date", "gid:<Type>"
    rule: Rule = Rule.PLAIN


def _f(name: str, header: str, column: Any, kind: str = "text", rule: Rule = Rule.PLAIN
       ) -> Field:
    return Field(name, header, column, kind, rule)


@dataclass(frozen=True)
class Source:
    model: Any
    read: Perm  # what reading the source's list takes
    fields: dict[str, Field]
    owner: Any = None  # the column CREDIT reads the owner from


def _source(model: Any, read: Perm, fields: list[Field], owner: Any = None) -> Source:
    return Source(model, read, {f.name: f for f in fields}, owner)


SOURCES: dict[ExportSource, Source] = {
    ExportSource.ORDERS: _source(Order, Perm.ORDERS_READ, [
        _f("ID", "id", Order.id, "gid:Order"), _f("NUMBER", "number", Order.number),
        _f("STATUS", "status", Order.status), _f("CHANNEL", "channel", Order.channel),
        _f("EXTERNAL_ID", "externalId", Order.external_id),
        _f("CUSTOMER_ID", "customerId", Order.customer_id, "gid:Customer"),
        _f("PAYMENT_STATUS", "paymentStatus", Order.payment_status),
        _f("PAYMENT_METHOD", "paymentMethod", Order.payment_method),
        _f("CURRENCY", "currency", Order.currency),
        _f("SUBTOTAL", "subtotal", Order.subtotal, "money"),
        _f("DISCOUNT_TOTAL", "discountTotal", Order.discount_total, "money"),
        _f("SHIPPING_TOTAL", "shippingTotal", Order.shipping_total, "money"),
        _f("TOTAL", "total", Order.total, "money"),
        _f("PAID_TOTAL", "paidTotal", Order.paid_total, "money"),
        _f("SHIP_REGION", "shipRegion", Order.ship_region),
        _f("SHIP_RECIPIENT", "shipRecipient", Order.ship_recipient, rule=Rule.SHIP_TO),
        _f("SHIP_PHONE", "shipPhone", Order.ship_phone, rule=Rule.SHIP_TO),
        _f("SHIP_ADDRESS", "shipAddress", Order.ship_address, rule=Rule.SHIP_TO),
        _f("PRIORITY", "priority", Order.priority, "int"),
        _f("PROMISED_DATE", "promisedDate", Order.promised_date, "date"),
        _f("CREATED_AT", "createdAt", Order.created_at, "datetime"),
        _f("UPDATED_AT", "updatedAt", Order.updated_at, "datetime"),
        _f("CONFIRMED_AT", "confirmedAt", Order.confirmed_at, "datetime"),
        _f("SHIPPED_AT", "shippedAt", Order.shipped_at, "datetime"),
        _f("DELIVERED_AT", "deliveredAt", Order.delivered_at, "datetime"),
    ]),
    ExportSource.ORDER_LINES: _source(OrderLine, Perm.ORDERS_READ, [
        _f("ID", "id", OrderLine.id, "gid:OrderLine"),
        _f("ORDER_ID", "orderId", OrderLine.order_id, "gid:Order"),
        _f("PRODUCT_ID", "productId", OrderLine.product_id, "gid:Product"),
        _f("SKU", "sku", OrderLine.sku), _f("NAME", "name", OrderLine.name),
        _f("QUANTITY", "quantity", OrderLine.quantity, "int"),
        _f("UNIT_PRICE", "unitPrice", OrderLine.unit_price, "money"),
        _f("DISCOUNT_RATE", "discountRate", OrderLine.discount_rate, "decimal"),
        _f("LINE_TOTAL", "lineTotal", OrderLine.line_total, "money"),
        _f("QUANTITY_SHIPPED", "quantityShipped", OrderLine.quantity_shipped, "int"),
        _f("QUANTITY_DELIVERED", "quantityDelivered", OrderLine.quantity_delivered, "int"),
        _f("QUANTITY_RETURNED", "quantityReturned", OrderLine.quantity_returned, "int"),
    ]),
    ExportSource.SHIPMENTS: _source(Shipment, Perm.SHIPMENTS_READ, [
        _f("ID", "id", Shipment.id, "gid:Shipment"), _f("NUMBER", "number", Shipment.number),
        _f("ORDER_ID", "orderId", Shipment.order_id, "gid:Order"),
        _f("WAREHOUSE_ID", "warehouseId", Shipment.warehouse_id, "gid:Warehouse"),
        _f("CARRIER_ID", "carrierId", Shipment.carrier_id, "gid:Carrier"),
        _f("TRACKING_NUMBER", "trackingNumber", Shipment.tracking_number),
        _f("STATUS", "status", Shipment.status),
        _f("ESTIMATED_DELIVERY", "estimatedDelivery", Shipment.estimated_delivery, "date"),
        _f("PROMISED_DATE", "promisedDate", Shipment.promised_date, "date"),
        _f("CHARGE", "charge", Shipment.charge, "money"),
        _f("COST", "cost", Shipment.cost, "money", Rule.RATES),
        _f("COD_AMOUNT", "codAmount", Shipment.cod_amount, "money"),
        _f("FAILED_ATTEMPTS", "failedAttempts", Shipment.failed_attempts, "int"),
        _f("CREATED_AT", "createdAt", Shipment.created_at, "datetime"),
        _f("DELIVERED_AT", "deliveredAt", Shipment.delivered_at, "datetime"),
    ]),
    ExportSource.STOCK_MOVEMENTS: _source(StockMovement, Perm.STOCK_READ, [
        _f("ID", "id", StockMovement.id, "gid:StockMovement"),
        _f("PRODUCT_ID", "productId", StockMovement.product_id, "gid:Product"),
        _f("WAREHOUSE_ID", "warehouseId", StockMovement.warehouse_id, "gid:Warehouse"),
        _f("KIND", "kind", StockMovement.kind),
        _f("ON_HAND_DELTA", "onHandDelta", StockMovement.on_hand_delta, "int"),
        _f("RESERVED_DELTA", "reservedDelta", StockMovement.reserved_delta, "int"),
        _f("REASON", "reason", StockMovement.reason),
        _f("REFERENCE_TYPE", "referenceType", StockMovement.reference_type),
        _f("EXTERNAL_REFERENCE", "externalReference", StockMovement.external_reference),
        _f("CREATED_AT", "createdAt", StockMovement.created_at, "datetime"),
    ]),
    ExportSource.CUSTOMERS: _source(Customer, Perm.CUSTOMERS_READ, [
        _f("ID", "id", Customer.id, "gid:Customer"), _f("CODE", "code", Customer.code),
        _f("NAME", "name", Customer.name), _f("KIND", "kind", Customer.kind),
        _f("TIER", "tier", Customer.tier), _f("STATUS", "status", Customer.status),
        _f("REGION", "region", Customer.region),
        _f("EMAIL", "email", Customer.email, rule=Rule.CONTACT),
        _f("PHONE", "phone", Customer.phone, rule=Rule.CONTACT),
        _f("CREDIT_LIMIT", "creditLimit", Customer.credit_limit, "money", Rule.CREDIT),
        _f("PAYMENT_TERMS", "paymentTerms", Customer.payment_terms, rule=Rule.CREDIT),
        _f("CREATED_AT", "createdAt", Customer.created_at, "datetime"),
    ], owner=Customer.owner_id),
    # the failed-delivery follow-up list (docs/architecture.md#failed-delivery-follow-up)
    ExportSource.DELIVERY_FOLLOW_UPS: _source(DeliveryFollowUp, Perm.FOLLOWUPS_READ, [
        _f("ID", "id", DeliveryFollowUp.id, "gid:DeliveryFollowUp"),
        _f("SHIPMENT_ID", "shipmentId", DeliveryFollowUp.shipment_id, "gid:Shipment"),
        _f("ORDER_ID", "orderId", DeliveryFollowUp.order_id, "gid:Order"),
        _f("CONSIGNOR_ID", "consignorId", DeliveryFollowUp.consignor_id, "gid:Customer"),
        _f("REASON", "reason", DeliveryFollowUp.reason),
        _f("NEXT_ACTION", "nextAction", DeliveryFollowUp.next_action),
        _f("STATUS", "status", DeliveryFollowUp.status),
        _f("RESOLUTION", "resolution", DeliveryFollowUp.resolution),
        _f("OPENED_AT", "openedAt", DeliveryFollowUp.opened_at, "datetime"),
        _f("RESOLVED_AT", "resolvedAt", DeliveryFollowUp.resolved_at, "datetime"),
    ]),
}

# every field name any source declares: the GraphQL enum ExportField
FIELD_NAMES: tuple[str, ...] = tuple(dict.fromkeys(
    name for source in SOURCES.values() for name in source.fields))


def refused(principal: Principal, field: Field) -> str | None:
    """Why the principal may not export `field` at all (None: it may, perhaps masked).
    CREDIT is refused unless the role sees some customers' credit: the SALES rep exports
    only its own customers (row scope), whose credit it sees."""
    if field.rule in (Rule.CONTACT, Rule.SHIP_TO) and not principal.sees_ship_to() \
            and principal.contact_access() == "none":
        return f"{field.header}: contact data is hidden for your role"
    if field.rule is Rule.CREDIT and not principal.can_see_credit(principal.user_id):
        return f"{field.header}: credit data is restricted to FINANCE, MANAGER, ADMIN and " \
               "the owner"
    if field.rule is Rule.RATES and not principal.can(Perm.RATES_READ):
        return f"{field.header}: what carriers charge is restricted to rates:read"
    return None


def _contact(principal: Principal, value: Any) -> Any:
    access = principal.contact_access()
    if access == "full":
        return value
    return mask(value) if access == "masked" else None


def apply_rule(principal: Principal, field: Field, value: Any, owner_id: int | None) -> Any:
    """The value as the API shows it to this principal (schema/core/guards.py)."""
    rule = field.rule
    if rule is Rule.PLAIN or rule is Rule.RATES:
        return value
    if rule is Rule.CONTACT:
        return _contact(principal, value)
    if rule is Rule.SHIP_TO:
        return value if principal.sees_ship_to() else _contact(principal, value)
    return value if principal.can_see_credit(owner_id) else None  # CREDIT


# Kinds read as the driver gives them (the column type's own conversion skipped) and
# converted straight to the API's text: a datetime comes as text (SQLite) or a naive UTC
# datetime (PostgreSQL), money as a float (SQLite) or a Decimal (PostgreSQL)
RAW_KINDS = frozenset({"money", "decimal", "datetime", "date"})


def _raw_money(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    return "%.2f" % value  # noqa: UP031 - what the column type's own conversion does


def _raw_datetime(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        # SQLite's text, as UTCDateTime writes it: `YYYY-MM-DD HH:MM:SS.ffffff`
        if len(value) == 26 and value[10] == " ":  # = isoformat(), without parsing
            if value.endswith(".000000"):  # isoformat() leaves out zero microseconds
                return f"{value[:10]}T{value[11:19]}+00:00"
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC).isoformat()


def _raw_date(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _gid(type_name: str) -> Callable[[Any], str | None]:
    """`to_global_id(type_name, value)` (app/ids.py), a third of its cost: a row's ids."""
    prefix = f"{type_name}:".encode()

    def encode(value: Any) -> str | None:
        if value is None:
            return None
        raw = b2a_base64(prefix + str(value).encode(), newline=False)
        return raw.translate(_URLSAFE).rstrip(b"=").decode()
    return encode


def _plain(value: Any) -> Any:
    return value


def converter(kind: str) -> Callable[[Any], Any]:
    """The raw value (RAW_KINDS) or the column type's value, as the API writes it."""
    if kind in ("money", "decimal"):  # every decimal declared has two places, as money
        return _raw_money
    if kind == "datetime":
        return _raw_datetime
    if kind == "date":
        return _raw_date
    if kind.startswith("gid:"):
        return _gid(kind[4:])
    return _plain


def chunk_shaper(principal: Principal, fields: list[Field]
                 ) -> Callable[[list[tuple]], list[tuple]]:
    """A function from a chunk of rows read (id, owner id, *values) to the values as the
    API shows them to `principal`: the field rules decided once per job, then each column
    converted as a whole (`map` over it: no per-row Python loop)."""
    steps: list[tuple[Callable[..., Any] | None, bool]] = []  # (conversion, takes the owner)
    for field in fields:
        convert = converter(field.kind)
        if field.rule in (Rule.PLAIN, Rule.RATES) or (
                field.rule in (Rule.CONTACT, Rule.SHIP_TO) and (
                    principal.contact_access() == "full" or (
                        field.rule is Rule.SHIP_TO and principal.sees_ship_to()))):
            steps.append((None if convert is _plain else convert, False))
        elif field.rule is Rule.CREDIT:  # per row: its owner
            steps.append((lambda v, o, f=field, c=convert: c(apply_rule(principal, f, v, o)),
                          True))
        else:  # masked contact data
            steps.append((lambda v, f=field, c=convert: c(apply_rule(principal, f, v, None)),
                          False))

    def shape(found: list[tuple]) -> list[tuple]:
        if not found:
            return []
        _ids, owners, *columns = zip(*found, strict=True)
        out = [column if step is None else
               list(map(step, column, owners)) if by_owner else list(map(step, column))
               for (step, by_owner), column in zip(steps, columns, strict=True)]
        return list(zip(*out, strict=True))

    return shape


def api_value(kind: str, value: Any) -> Any:
    """As the API writes it: global IDs, money with two decimals as a string, ISO times."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "money":
        return str(Decimal(value).quantize(CENT))
    if kind == "decimal":
        return str(value)
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind.startswith("gid:"):
        return to_global_id(kind[4:], value)
    return str(value)


# the GraphQL enum ExportField: every field some source declares
ExportFieldName = StrEnum("ExportFieldName", {name: name for name in FIELD_NAMES})
