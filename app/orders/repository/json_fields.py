"""Orders and their lines as PostgreSQL builds their JSON, and the orders list's page for a
compiled read (app/persistence/json_sql.py; docs/architecture.md#compiled-reads).

Only fields shown to every caller as stored are here: the ship-to fields (masked per role)
and the computed ones are left to the resolvers, so an operation selecting them is not
compiled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select

from app.orders.models import Order
from app.orders.repository.orders import SORTS, OrderSort, scope
from app.persistence import json_sql as j
from app.persistence.fast.statements import ScopeParams
from app.persistence.pagination import Keyset, decode_cursor

_plain = ("number", "status", "channel", "external_id", "payment_status", "payment_method",
          "currency", "ship_region", "notes", "hold_reason", "close_reason", "priority",
          "rating", "feedback", "version")

ORDER = j.JsonType("Order", {
    "id": j.gid("Order"),
    **{name: j.column(name) for name in _plain},
    **{name: j.money(name) for name in ("subtotal", "discount_total", "shipping_total", "total",
                                        "paid_total")},
    "refunded_total": j.money("refunded_total"),
    **{name: j.day(name) for name in ("promised_date", "scheduled_date")},
    **{name: j.time(name) for name in ("created_at", "updated_at", "confirmed_at", "shipped_at",
                                       "delivered_at", "completed_at")},
}, {
    "customer": j.Relation("Customer", "customer",
                           lambda order, c: f"{c}.id = {order}.customer_id"),
    "lines": j.Relation("OrderLine", "order_line",
                        lambda order, line: f"{line}.order_id = {order}.id", many=True,
                        order=lambda line: f"{line}.id"),
    "shipments": j.Relation("Shipment", "shipment",
                            lambda order, s: f"{s}.order_id = {order}.id", many=True,
                            order=lambda s: f"{s}.created_at, {s}.id", warehouse_cut=True),
})


def _order_currency(line: j.Row) -> str:
    return f"{line.parent}.currency"


ORDER_LINE = j.JsonType("OrderLine", {
    "id": j.gid("OrderLine"),
    "discount_rate": j.decimal("discount_rate"),
    **{name: j.column(name) for name in ("sku", "name", "quantity",
                                         "quantity_shipped", "quantity_delivered",
                                         "quantity_returned")},
    "unit_price": j.money("unit_price", _order_currency),
    "line_total": j.money("line_total", _order_currency),
}, {
    "product": j.Relation("Product", "product", lambda line, p: f"{p}.id = {line}.product_id"),
})

_KEYSET = Keyset.of(SORTS[OrderSort.CREATED_AT_DESC], Order.id)
_PAGES: dict[tuple, tuple[str, dict]] = {}


def page_select(principal: Any, after: str | None) -> tuple[str, dict[str, Any]]:
    """The orders list's rows for `first`/`after` in its default order (newest first), as
    the list reads them: the principal's scope (`scope`, the list's own), then the rows
    after the cursor, at most `%(probe)s` of them. (SQL, parameters); a cursor that does
    not decode raises the list's DomainError."""
    customer, owner = principal.customer_scope, principal.owner_scope
    kind = (customer is not None, owner is not None, after is not None)
    built = _PAGES.get(kind)
    if built is None:
        stmt = scope(select(Order), ScopeParams(kind[0], kind[1]))
        if after is not None:
            stmt = stmt.where(_KEYSET.after_values([bindparam("after_created"),
                                                    bindparam("after_id")]))
        stmt = stmt.order_by(*_KEYSET.order_by()).limit(bindparam("probe"))
        built = _PAGES[kind] = j.compiled(stmt)
    sql, params = built
    params = dict(params)
    if customer is not None:
        params["customer_scope"] = customer
    if owner is not None:
        params["owner_scope"] = owner
    if after is not None:
        created, pk = decode_cursor(after, [c for c, _ in _KEYSET.columns], "after")
        params["after_created"] = _naive(created)
        params["after_id"] = pk
    return sql, params


def _naive(value: datetime) -> datetime:
    """The column holds naive UTC (app/persistence/columns.py)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def order_by(row: j.Row, reverse: bool = False) -> str:
    """The page's order (`page_select`'s), or its reverse."""
    way = "ASC" if reverse else "DESC"
    return f"{row}.created_at {way}, {row}.id {way}"


def cursor(row: j.Row) -> str:
    """A row's cursor, as the list writes it (`Keyset.cursors`)."""
    return j.cursor([f"{row}.created_at", f"{row}.id"])


def page_json(session: Any, sql: str, params: dict[str, Any]) -> str:
    """The JSON text a compiled read's statement builds."""
    return session.connection().exec_driver_sql(sql, params).scalar()
