"""The rows an export reads: each source's statement is its list's own (the repository's
`filtered(principal, filter)`: the same row scope and the same filter), narrowed to the
declared columns and read in keyset chunks by id, so memory stays flat and a resumed job
continues after the last id it wrote (docs/architecture.md#exports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, null, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from app.auth.principal import Principal
from app.customers import repository as customers
from app.exports.fields import RAW_KINDS, SOURCES, Field
from app.exports.models import ExportSource
from app.followups import repository as follow_ups
from app.inventory.repository import movements
from app.orders.models import Order, OrderLine
from app.orders.repository import orders
from app.shipping.repository import shipments


@dataclass(frozen=True)
class SourceFilter:
    """The export's filter, as stored with the job (JSON-safe)."""

    created_after: datetime | None = None
    created_before: datetime | None = None
    statuses: tuple[str, ...] = ()
    customer_id: int | None = None
    warehouse_id: int | None = None
    search: str | None = None


def source_statement(session: Session, principal: Principal, source: ExportSource,
              flt: SourceFilter) -> Any:
    """The list's statement of `source` for this principal and filter."""
    period = {"created_after": flt.created_after, "created_before": flt.created_before}
    if source in (ExportSource.ORDERS, ExportSource.ORDER_LINES):
        stmt = orders.filtered(principal, orders.OrderFilter(
            statuses=flt.statuses, customer_id=flt.customer_id, search=flt.search, **period))
        if source is ExportSource.ORDERS:
            return stmt
        # the lines of the orders the caller's order list shows
        return select(OrderLine).where(OrderLine.order_id.in_(
            stmt.with_only_columns(Order.id)))
    if source is ExportSource.CUSTOMERS:
        return customers.filtered(session, principal, customers.CustomerFilter(
            search=flt.search, status=flt.statuses[0] if flt.statuses else None, **period))
    if source is ExportSource.SHIPMENTS:
        return shipments.filtered(principal, shipments.ShipmentFilter(
            statuses=flt.statuses or None, warehouse_id=flt.warehouse_id, **period))
    if source is ExportSource.DELIVERY_FOLLOW_UPS:  # customerId: the goods' consignor
        return follow_ups.filtered(principal, follow_ups.FollowUpFilter(
            consignor_id=flt.customer_id, statuses=flt.statuses or None,
            opened_after=flt.created_after, opened_before=flt.created_before))
    return movements.filtered(principal, movements.MovementFilter(
        warehouse_id=flt.warehouse_id, kinds=flt.statuses or None, **period))


def narrowed(stmt: Any, model: Any, columns: list[Any]) -> Any:
    """`columns` of `model` under the list statement's conditions."""
    out = select(*columns).select_from(model)
    return out.where(stmt.whereclause) if stmt.whereclause is not None else out


def count_rows(session: Session, principal: Principal, source: ExportSource,
               flt: SourceFilter) -> int:
    model = SOURCES[source].model
    stmt = narrowed(source_statement(session, principal, source, flt), model, [func.count()])
    return int(session.execute(stmt).scalar_one())


def read_chunk(session: Session, principal: Principal, source: ExportSource,
               flt: SourceFilter, fields: list[Field], after_id: int, limit: int
               ) -> list[tuple]:
    """Up to `limit` rows after id `after_id`, by id: (id, owner id or None, *fields), the
    values of RAW_KINDS as the driver gives them (app/exports/fields.py converts them: the
    column types' own conversion would cost as much again)."""
    spec = SOURCES[source]
    owner = spec.owner if spec.owner is not None else null()
    columns = [spec.model.id, owner, *(type_coerce(f.column, NullType()).label(f.header)
                                       if f.kind in RAW_KINDS else f.column for f in fields)]
    stmt = narrowed(source_statement(session, principal, source, flt), spec.model, columns)
    stmt = stmt.where(spec.model.id > after_id).order_by(spec.model.id).limit(limit)
    # Core, not the ORM's execution: plain rows, no ORM loading step per row
    return session.connection().execute(stmt).all()
