"""Input types of analytics and their translation into service arguments."""

from __future__ import annotations

from datetime import date

import strawberry

from app.analytics.models import AnalyticsFilter, Window
from app.analytics.rules import Limits
from app.analytics.service import window_of
from app.config import Settings
from app.ids import parse_id


@strawberry.input(description="Narrows an aggregate; every part given must match (an empty "
                  "list: any). Not every source has every part: ask for one it lacks and "
                  "the answer says so.")
class AnalyticsFilterInput:
    regions: list[str] | None = strawberry.field(default=None, description=(
        "The customer's region (shipments: the recipient's)."))
    channels: list[str] | None = None
    customer_ids: list[strawberry.ID] | None = None
    carrier_ids: list[strawberry.ID] | None = None
    warehouse_ids: list[strawberry.ID] | None = None
    product_ids: list[strawberry.ID] | None = None
    categories: list[str] | None = None


def _ids(values: list[strawberry.ID] | None, type_name: str, field: str) -> tuple[int, ...]:
    return tuple(parse_id(v, type_name, field) for v in values or ())


def filter_from(f: AnalyticsFilterInput | None) -> AnalyticsFilter:
    if f is None:
        return AnalyticsFilter()
    return AnalyticsFilter(
        regions=tuple(f.regions or ()), channels=tuple(f.channels or ()),
        customer_ids=_ids(f.customer_ids, "Customer", "customerIds"),
        carrier_ids=_ids(f.carrier_ids, "Carrier", "carrierIds"),
        warehouse_ids=_ids(f.warehouse_ids, "Warehouse", "warehouseIds"),
        product_ids=_ids(f.product_ids, "Product", "productIds"),
        categories=tuple(f.categories or ()))


def window_from(settings: Settings, first: date, end: date, zone: str | None) -> Window:
    """The window [from, to) in `zone` (CRM_ANALYTICS_TIME_ZONE by default); a bad zone or
    window is a DomainError."""
    return window_of(first, end, zone or settings.analytics_time_zone)


def limits_from(settings: Settings) -> Limits:
    return Limits(settings.analytics_min_group_size, settings.analytics_max_rows,
                  settings.analytics_max_scan_rows)
