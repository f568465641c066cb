"""Analytics root fields: parse, call one service on the analytics database, map
(docs/architecture.md#analytics)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import strawberry

from app.analytics import service
from app.analytics.models import AggregateResult, Dimension, Grain, Measure, Source
from app.analytics.repository.grouping import declared
from schema.analytics.inputs import AnalyticsFilterInput, filter_from, limits_from, window_from
from schema.analytics.types import (
    Aggregate,
    AggregateRow,
    AnalyticsDimension,
    AnalyticsGrain,
    AnalyticsMeasure,
    AnalyticsMeta,
    AnalyticsSource,
    CloseReason,
    CustomerAnalytics,
    CustomerSpend,
    DeliveryAnalytics,
    DeliveryDimension,
    DeliveryRow,
    InventoryDimension,
    InventoryRow,
    MeasureValue,
    ReservationAge,
    SalesAnalytics,
    SalesDimension,
    SalesRow,
    StatusDuration,
    customer_spend,
    duration,
    group_of,
    inventory_row,
)
from schema.core.cost import charge
from schema.core.permissions import current_principal
from schema.core.scalars import money
from schema.core.writes import run_analytics

M = Measure
ZONE = ("IANA time zone of the window and the periods (e.g. America/New_York); default "
        "CRM_ANALYTICS_TIME_ZONE (Asia/Shanghai).")
FROM = "The first local day of the window (included)."
TO = "The local day the window ends before (excluded)."
FromArg = Annotated[date, strawberry.argument(name="from", description=FROM)]
ToArg = Annotated[date, strawberry.argument(description=TO)]
ZoneArg = Annotated[str | None, strawberry.argument(description=ZONE)]


def _meta(info: strawberry.Info, result: AggregateResult, zone: str) -> AnalyticsMeta:
    charge(info, result.rows_estimated, result.rows_scanned)
    return AnalyticsMeta(time_zone=zone, rows_scanned=result.rows_scanned,
                         suppressed_groups=result.suppressed_groups)


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="Revenue, orders, units and average order value by period "
                      "and/or one dimension, computed in the database; the definitions are "
                      "SalesRow's.")
    async def sales_analytics(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        grain: AnalyticsGrain | None = None,  # type: ignore[valid-type]
        by: SalesDimension | None = None,
        time_zone: ZoneArg = None,
        filter: AnalyticsFilterInput | None = None,  # noqa: A002
    ) -> SalesAnalytics:
        settings = info.context.settings
        w = window_from(settings, from_, to, time_zone)
        dim = Dimension(by.value) if by else None
        result = await run_analytics(
            info, service.sales, current_principal(info), Grain(grain.value) if grain else None,
            dim, w, filter_from(filter), limits_from(settings))
        source = Source.ORDER_LINES if dim in service.LINE_DIMENSIONS else Source.ORDERS
        dims = declared(source)[1]
        rows = [SalesRow(
            period=r.period, group=group_of(r.keys[0], dims) if r.keys else None,
            revenue=money(r.values[M.REVENUE]), orders=r.values[M.PURCHASES],
            units=r.values[M.UNITS], average_order_value=money(r.values[M.AVERAGE_ORDER_VALUE]))
            for r in result.rows]
        return SalesAnalytics(rows=rows, meta=_meta(info, result, w.zone))

    @strawberry.field(description="On-time rate, transit time, exceptions and failed "
                      "attempts of the shipments picked up in the window, by period and/or "
                      "carrier, warehouse or destination region.")
    async def delivery_analytics(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        grain: AnalyticsGrain | None = None,  # type: ignore[valid-type]
        by: DeliveryDimension | None = None,
        time_zone: ZoneArg = None,
        filter: AnalyticsFilterInput | None = None,  # noqa: A002
    ) -> DeliveryAnalytics:
        settings = info.context.settings
        w = window_from(settings, from_, to, time_zone)
        measures = (M.SHIPMENTS, M.DELIVERED, M.ON_TIME_RATE, M.AVERAGE_TRANSIT_HOURS,
                    M.EXCEPTION_RATE, M.FAILED_ATTEMPT_RATE)
        dims = (Dimension(by.value),) if by else ()
        result = await run_analytics(
            info, service.aggregate, current_principal(info), Source.SHIPMENTS, measures, dims,
            Grain(grain.value) if grain else None, w, filter_from(filter),
            limits_from(settings))
        declared_dims = declared(Source.SHIPMENTS)[1]
        rows = [DeliveryRow(
            period=r.period, group=group_of(r.keys[0], declared_dims) if r.keys else None,
            shipments=r.values[M.SHIPMENTS], delivered=r.values[M.DELIVERED],
            on_time_rate=r.values[M.ON_TIME_RATE],
            average_transit_hours=r.values[M.AVERAGE_TRANSIT_HOURS],
            exception_rate=r.values[M.EXCEPTION_RATE],
            failed_attempt_rate=r.values[M.FAILED_ATTEMPT_RATE]) for r in result.rows]
        return DeliveryAnalytics(rows=rows, meta=_meta(info, result, w.zone))

    @strawberry.field(description=(
        "The group-by: `measures` of `source` per combination of `dimensions` (at most 3) "
        "and period, from a declared list (frontend-contract/README.md#analytics). Row "
        "scope as the lists; a personal-data dimension (CUSTOMER_EMAIL, CUSTOMER_PHONE, "
        "SHIP_PHONE, AGENT) is refused for roles that see it masked or hidden, and for them "
        "groups "
        "of fewer customers than CRM_ANALYTICS_MIN_GROUP_SIZE are left out."))
    async def aggregate(
        self, info: strawberry.Info,
        source_: Annotated[AnalyticsSource, strawberry.argument(name="source")],  # type: ignore
        measures: list[AnalyticsMeasure],  # type: ignore[valid-type]
        from_: FromArg,
        to: ToArg,
        dimensions: list[AnalyticsDimension] | None = None,  # type: ignore[valid-type]
        grain: AnalyticsGrain | None = None,  # type: ignore[valid-type]
        time_zone: ZoneArg = None,
        filter: AnalyticsFilterInput | None = None,  # noqa: A002
    ) -> Aggregate:
        settings = info.context.settings
        w = window_from(settings, from_, to, time_zone)
        src = Source(source_.value)
        asked = tuple(M(m.value) for m in measures)
        dims = tuple(Dimension(d.value) for d in dimensions or ())
        result = await run_analytics(
            info, service.aggregate, current_principal(info), src, asked, dims,
            Grain(grain.value) if grain else None, w, filter_from(filter),
            limits_from(settings))
        declared_dims = declared(src)[1]
        rows = [AggregateRow(
            period=r.period, groups=[group_of(k, declared_dims) for k in r.keys],
            values=[MeasureValue(measure=m, value=None if v is None else float(v))
                    for m, v in r.values.items()]) for r in result.rows]
        return Aggregate(rows=rows, meta=_meta(info, result, w.zone))

    @strawberry.field(description="New and returning buyers, repurchase rate and lifetime "
                      "value (CustomerAnalytics).")
    async def customer_analytics(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        time_zone: ZoneArg = None,
        regions: list[str] | None = None,
    ) -> CustomerAnalytics:
        w = window_from(info.context.settings, from_, to, time_zone)
        s = await run_analytics(info, service.customer_summary, current_principal(info), w,
                                tuple(regions or ()))
        return CustomerAnalytics(
            buyers=s.buyers, new_customers=s.new, returning_customers=s.returning,
            customers=s.customers, repeat_customers=s.repeat,
            repurchase_rate=s.repurchase_rate, lifetime_value=money(s.lifetime_value))

    @strawberry.field(description="The customers with the most revenue in the window "
                      "(SalesRow's definition), most first.")
    async def top_customers(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        first: int = 10,
        time_zone: ZoneArg = None,
        regions: list[str] | None = None,
    ) -> list[CustomerSpend]:
        w = window_from(info.context.settings, from_, to, time_zone)
        rows = await run_analytics(info, service.top_customers, current_principal(info), w,
                                   first, tuple(regions or ()))
        return [customer_spend(r) for r in rows]

    @strawberry.field(description="Time orders spend in each status, and the bottleneck.")
    async def order_status_durations(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        by_warehouse: bool = False,
        time_zone: ZoneArg = None,
    ) -> list[StatusDuration]:
        w = window_from(info.context.settings, from_, to, time_zone)
        rows = await run_analytics(info, service.status_durations, current_principal(info), w,
                                   by_warehouse)
        return [duration(d) for d in rows]

    @strawberry.field(description="Why orders were cancelled or rejected.")
    async def order_close_reasons(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        time_zone: ZoneArg = None,
    ) -> list[CloseReason]:
        settings = info.context.settings
        w = window_from(settings, from_, to, time_zone)
        rows = await run_analytics(info, service.close_reasons, current_principal(info), w,
                                   limits_from(settings))
        return [CloseReason(status=s, reason=r, orders=n) for s, r, n in rows]

    @strawberry.field(description="Turnover, days of cover, dead stock and stockouts "
                      "(InventoryRow).")
    async def inventory_analytics(
        self, info: strawberry.Info,
        from_: FromArg,
        to: ToArg,
        by: InventoryDimension | None = None,
        time_zone: ZoneArg = None,
    ) -> list[InventoryRow]:
        w = window_from(info.context.settings, from_, to, time_zone)
        group = by.value if by else "PRODUCT"
        rows = await run_analytics(info, service.inventory, current_principal(info), w, group,
                                   _now())
        return [inventory_row(r, group) for r in rows]

    @strawberry.field(description="Units reserved for open orders by age: how long stock "
                      "has been held for orders not yet shipped.")
    async def reservation_ages(self, info: strawberry.Info) -> list[ReservationAge]:
        now = _now()
        w = window_from(info.context.settings, now.date(), date.fromordinal(
            now.date().toordinal() + 1), "UTC")
        rows = await run_analytics(info, service.reservation_ages, current_principal(info), w,
                                   now)
        return [ReservationAge(bucket=b, orders=o, units=u) for b, o, u in rows]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
