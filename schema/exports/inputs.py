"""Input types of exports and their translation into service arguments."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.exports.repository.jobs import ExportJobFilter as _JobFilter
from app.exports.repository.sources import SourceFilter
from app.ids import parse_id
from schema.exports.types import ExportSource, ExportStatus


@strawberry.input(description="Which rows: the source's list filter (each source takes the "
                  "parts its list takes; another is INVALID). `statuses`: order, shipment or "
                  "customer statuses, or movement kinds.")
class ExportFilter:
    created_after: datetime | None = None
    created_before: datetime | None = None
    statuses: list[str] | None = None
    customer_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    search: str | None = None


@strawberry.input
class ExportJobFilter:
    statuses: list[ExportStatus] | None = None  # type: ignore[valid-type]
    source: ExportSource | None = None  # type: ignore[valid-type]


def source_filter_from(f: ExportFilter | None) -> SourceFilter:
    """Raises NOT_FOUND (a DomainError) for an id of another type."""
    if f is None:
        return SourceFilter()
    customer = parse_id(f.customer_id, "Customer", "customerId") if f.customer_id else None
    warehouse = parse_id(f.warehouse_id, "Warehouse", "warehouseId") if f.warehouse_id \
        else None
    search = f.search.strip() if f.search and f.search.strip() else None
    return SourceFilter(created_after=f.created_after, created_before=f.created_before,
                        statuses=tuple(s.strip() for s in f.statuses or () if s.strip()),
                        customer_id=customer, warehouse_id=warehouse, search=search)


def job_filter_from(f: ExportJobFilter | None) -> _JobFilter:
    if f is None:
        return _JobFilter()
    return _JobFilter(statuses=tuple(s.value for s in f.statuses) if f.statuses else None,
                      source=f.source.value if f.source else None)
