"""GraphQL types of analytics: the rows of the typed aggregates and of the group-by
(docs/architecture.md#analytics)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.analytics import models as m
from app.analytics import service
from app.analytics.repository.sources import Dim
from schema.core.node import gid
from schema.core.objects import object_type
from schema.core.scalars import Money, money

if TYPE_CHECKING:
    from schema.customers.types import Customer

AnalyticsSource = strawberry.enum(m.Source, name="AnalyticsSource")
AnalyticsGrain = strawberry.enum(m.Grain, name="AnalyticsGrain", description=(
    "Periods in the request's time zone: DAY, WEEK (ISO, from Monday), MONTH, QUARTER."))
AnalyticsMeasure = strawberry.enum(m.Measure, name="AnalyticsMeasure")
AnalyticsDimension = strawberry.enum(m.Dimension, name="AnalyticsDimension")


@strawberry.enum(description="What sales are grouped by besides the period.")
class SalesDimension(Enum):
    PRODUCT = "PRODUCT"
    CATEGORY = "CATEGORY"
    REGION = "REGION"
    CHANNEL = "CHANNEL"
    SEGMENT = "SEGMENT"
    TIER = "TIER"
    SALES_REP = "SALES_REP"


@strawberry.enum(description="What delivery figures are grouped by besides the period.")
class DeliveryDimension(Enum):
    CARRIER = "CARRIER"
    WAREHOUSE = "WAREHOUSE"
    REGION = "REGION"


@strawberry.enum(description="What inventory figures are grouped by.")
class InventoryDimension(Enum):
    PRODUCT = "PRODUCT"
    WAREHOUSE = "WAREHOUSE"
    CATEGORY = "CATEGORY"


@strawberry.type(description="One group's value of a dimension: `key` the group's id (a "
                 "global ID for products, customers, carriers, warehouses and sales reps; "
                 "the value itself otherwise; null for none), `label` what to show.")
class AnalyticsGroup:
    dimension: AnalyticsDimension  # type: ignore[valid-type]
    key: str | None
    label: str


def group_of(key: m.GroupKey, dims: dict[m.Dimension, Dim]) -> AnalyticsGroup:
    entity = dims[key.dimension].entity
    value: Any = key.key
    if value is not None:
        value = gid(entity, int(value)) if entity else str(value)
    return AnalyticsGroup(dimension=key.dimension, key=value, label=key.label)


@strawberry.type(description=(
    "Sales of one period and/or group. Revenue: the orders approved and not cancelled or "
    "rejected (held ones included: the purchases segments count), each order's total (goods "
    "after discounts, plus shipping charged) minus what was credited back (refunded returns "
    "and price reductions for delivery exceptions); by PRODUCT or CATEGORY, the line totals "
    "of the units not returned, before order discounts and shipping. Orders are placed "
    "orders by their creation time, in the request's time zone."))
class SalesRow:
    period: date | None = strawberry.field(description="The local date the period starts on.")
    group: AnalyticsGroup | None
    revenue: Money
    orders: int = strawberry.field(description="Purchases (orders that count, see above).")
    units: int = strawberry.field(description="Units ordered less units returned.")
    average_order_value: Money | None = strawberry.field(description="revenue / orders")


@strawberry.type(description="On-time delivery, transit and exceptions of the shipments "
                 "picked up in a period and/or group, as deliveryPerformance defines them: on "
                 "time when delivered on or before the promised local day (among the delivered "
                 "ones with a promised date).")
class DeliveryRow:
    period: date | None
    group: AnalyticsGroup | None
    shipments: int
    delivered: int
    on_time_rate: float | None
    average_transit_hours: float | None
    exception_rate: float | None
    failed_attempt_rate: float | None


@strawberry.type(description="An aggregate's rows with what they cost.")
class AnalyticsMeta:
    time_zone: str
    rows_scanned: int = strawberry.field(description="Rows the aggregate was computed from.")
    suppressed_groups: int = strawberry.field(description=(
        "Groups left out for counting fewer customers than CRM_ANALYTICS_MIN_GROUP_SIZE "
        "(roles that see personal data masked)."))


@strawberry.type
class SalesAnalytics:
    rows: list[SalesRow]
    meta: AnalyticsMeta


@strawberry.type
class DeliveryAnalytics:
    rows: list[DeliveryRow]
    meta: AnalyticsMeta


@strawberry.type(description="One measure's value in a group (null: nothing to divide by).")
class MeasureValue:
    measure: AnalyticsMeasure  # type: ignore[valid-type]
    value: float | None


@strawberry.type
class AggregateRow:
    period: date | None
    groups: list[AnalyticsGroup]
    values: list[MeasureValue]


@strawberry.type(description="The group-by's answer.")
class Aggregate:
    rows: list[AggregateRow]
    meta: AnalyticsMeta


@strawberry.type(description=(
    "Buyers in the window: new (their first purchase in it) and returning; by the window's "
    "end: customers with a purchase, the share with two or more (repurchase rate) and their "
    "average revenue (lifetime value). Customers due to reorder: customersDueToReorder."))
class CustomerAnalytics:
    buyers: int
    new_customers: int
    returning_customers: int
    customers: int
    repeat_customers: int
    repurchase_rate: float | None
    lifetime_value: Money | None


@strawberry.type(description="A customer's revenue (as SalesRow defines it) in the window.")
class CustomerSpend:
    customer: Annotated[Customer, strawberry.lazy("schema.customers.types")]
    spend: Money
    orders: int


@strawberry.type(description="Hours orders spent in a status they entered in the window and "
                 "have left (from the order history), nearest-rank percentiles; per warehouse "
                 "(the order's first allocation's) when asked. `bottleneck`: the work status "
                 "(and warehouse) with the longest p90.")
class StatusDuration:
    status: str
    warehouse_id: strawberry.ID | None
    warehouse: str | None
    transitions: int
    average_hours: float
    p50_hours: float
    p90_hours: float
    bottleneck: bool


@strawberry.type(description="Orders placed in the window then cancelled or rejected, per "
                 "reason (\"(other)\": a reason given for too few customers to show to "
                 "roles that see personal data masked).")
class CloseReason:
    status: str
    reason: str
    orders: int


@strawberry.type(description=(
    "Stock of a product, warehouse or category over the window, from the movement ledger: "
    "opening and closing balance, units shipped, turnover (shipped / average of opening and "
    "closing), days of cover (on hand now / units shipped per day in the window), dead "
    "(stock on hand, nothing shipped in the window), stockouts begun in the window and the "
    "hours out of stock within it (per product and warehouse, summed)."))
class InventoryRow:
    key: str | None
    label: str
    opening: int
    closing: int
    shipped: int
    on_hand: int
    turnover: float | None
    days_of_cover: float | None
    dead: bool
    stockouts: int
    stockout_hours: float


@strawberry.type(description="Units still reserved for open orders, by the age of the "
                 "order's confirmation.")
class ReservationAge:
    bucket: str
    orders: int
    units: int


def customer_spend(row: tuple[Any, Decimal, int]) -> CustomerSpend:
    customer, spend, orders = row
    return CustomerSpend(customer=object_type("Customer").from_row(customer),
                         spend=money(spend), orders=orders)


def duration(d: service.StatusDuration) -> StatusDuration:
    return StatusDuration(
        status=d.status, warehouse_id=gid("Warehouse", d.warehouse_id)
        if d.warehouse_id is not None else None, warehouse=d.warehouse,
        transitions=d.transitions, average_hours=d.average_hours, p50_hours=d.p50_hours,
        p90_hours=d.p90_hours, bottleneck=d.bottleneck)


def inventory_row(r: service.StockFigures, by: str) -> InventoryRow:
    key = r.key
    if key is not None and by != "CATEGORY":
        key = gid("Warehouse" if by == "WAREHOUSE" else "Product", int(key))
    return InventoryRow(key=None if key is None else str(key), label=r.label,
                        opening=r.opening, closing=r.closing, shipped=r.shipped,
                        on_hand=r.on_hand, turnover=r.turnover, days_of_cover=r.days_of_cover,
                        dead=r.dead, stockouts=r.stockouts, stockout_hours=r.stockout_hours)
