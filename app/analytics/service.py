"""Analytics: one function per question, each a read (`fn(session, ...)`) computing in the
database (app/analytics/repository/) and applying the rules (rules.py)
(docs/architecture.md#analytics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from app.analytics import rules
from app.analytics.models import (
    AggregateResult,
    AnalyticsFilter,
    Dimension,
    Grain,
    Measure,
    Source,
    Window,
)
from app.analytics.repository import customers as customer_sql
from app.analytics.repository import flow as flow_sql
from app.analytics.repository import inventory as inventory_sql
from app.analytics.repository.grouping import Question, declared, estimate, grouped
from app.analytics.rules import Limits
from app.analytics.timezones import window
from app.auth.principal import Principal
from app.errors import DomainError

CENT = Decimal("0.01")
LINE_DIMENSIONS = frozenset({Dimension.PRODUCT, Dimension.CATEGORY})


def window_of(first: date, end: date, zone: str) -> Window:
    return window(first, end, zone)


def aggregate(session: Session, principal: Principal, source: Source,
              measures: tuple[Measure, ...], dimensions: tuple[Dimension, ...],
              grain: Grain | None, w: Window, flt: AnalyticsFilter, limits: Limits,
              purchases_only: bool = False) -> AggregateResult:
    """The group-by: checked, priced (rows in the window, counted first), grouped in SQL,
    small groups suppressed for roles that see personal data masked."""
    rules.check_source(principal, source)
    offered, dims, supported = declared(source)
    asked = {k for k, v in vars(flt).items() if v}
    rules.check_question(principal, source, measures, dimensions, offered,
                         {d: dims[d].personal for d in dims}, asked, supported)
    q = Question(source, measures, dimensions, grain, w, flt, purchases_only,
                 limits.max_rows, rules.suppresses(principal))
    rows_estimated = estimate(session, principal, q)
    if rows_estimated > limits.max_scan_rows:
        raise DomainError(f"this aggregate would scan about {rows_estimated} rows, over the "
                          f"limit of {limits.max_scan_rows}: narrow the window",
                          field=["from"])
    rows, scanned = grouped(session, principal, q)
    kept, suppressed = rules.shown(rows, principal, limits.min_group_size)
    return AggregateResult(kept, scanned, rows_estimated, suppressed)


def sales(session: Session, principal: Principal, grain: Grain | None,
          by: Dimension | None, w: Window, flt: AnalyticsFilter, limits: Limits
          ) -> AggregateResult:
    """Revenue, purchases, units and average order value of purchases, by period and/or
    one dimension (products and categories per line). The average is revenue / purchases
    here, not a second SUM per row in SQL (S10)."""
    lines = by in LINE_DIMENSIONS
    count = Measure.ORDERS if lines else Measure.PURCHASES  # lines: distinct orders
    result = aggregate(session, principal, Source.ORDER_LINES if lines else Source.ORDERS,
                       (Measure.REVENUE, count, Measure.UNITS), (by,) if by else (), grain,
                       w, flt, limits, purchases_only=True)
    for row in result.rows:
        n = row.values.pop(count)
        row.values[Measure.PURCHASES] = n
        row.values[Measure.AVERAGE_ORDER_VALUE] = (
            (row.values[Measure.REVENUE] / n).quantize(CENT, ROUND_HALF_UP) if n else None)
    return result


@dataclass(frozen=True)
class CustomerSummary:
    buyers: int
    new: int
    returning: int
    customers: int  # with a purchase by the window's end
    repeat: int  # of which two or more
    repurchase_rate: float | None
    lifetime_value: Decimal | None  # average revenue per customer by the window's end


def customer_summary(session: Session, principal: Principal, w: Window,
                     regions: tuple[str, ...]) -> CustomerSummary:
    row = customer_sql.summary(session, principal, w, regions)
    customers = int(row.customers or 0)
    value = Decimal(str(row.revenue or 0))
    repeat = int(row.repeat_buyers or 0)
    return CustomerSummary(
        int(row.buyers or 0), int(row.new_buyers or 0), int(row.returning_buyers or 0),
        customers, repeat, round(repeat / customers, 6) if customers else None,
        (value / customers).quantize(CENT, ROUND_HALF_UP) if customers else None)


def top_customers(session: Session, principal: Principal, w: Window, first: int,
                  regions: tuple[str, ...]) -> list[tuple[Any, Decimal, int]]:
    if not 1 <= first <= 100:
        raise DomainError("first must be between 1 and 100", field=["first"])
    return [(c, Decimal(str(spend)).quantize(CENT, ROUND_HALF_UP), int(n))
            for c, spend, n in customer_sql.top_by_spend(session, principal, w, first,
                                                         regions)]


@dataclass(frozen=True)
class StatusDuration:
    status: str
    warehouse_id: int | None
    warehouse: str | None
    transitions: int
    average_hours: float
    p50_hours: float
    p90_hours: float
    bottleneck: bool = False


def status_durations(session: Session, principal: Principal, w: Window,
                     by_warehouse: bool) -> list[StatusDuration]:
    """Time in each status; the bottleneck is the (warehouse and) status with the longest
    p90 among the work statuses (not DRAFT or closed ones: those wait on people outside)."""
    rows = [StatusDuration(r.status, r.warehouse, r.name, int(r.transitions),
                           round(float(r.avg), 4), round(float(r.p50), 4),
                           round(float(r.p90), 4))
            for r in flow_sql.status_durations(session, principal, w, by_warehouse)]
    work = [r for r in rows if r.status in _WORK]
    if work:
        worst = max(work, key=lambda r: (r.p90_hours, r.transitions))
        rows = [StatusDuration(**{**vars(r), "bottleneck": r is worst}) for r in rows]
    return rows


_WORK = {"PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "PARTIALLY_SHIPPED",
         "SHIPPED", "ON_HOLD"}


def close_reasons(session: Session, principal: Principal, w: Window, limits: Limits
                  ) -> list[tuple[str, str, int]]:
    """(status, reason, orders); for roles that see personal data masked, a reason given
    for fewer than the minimum of customers is counted under "(other)" (free text may name
    someone)."""
    out: dict[tuple[str, str], int] = {}
    for r in flow_sql.close_reasons(session, principal, w):
        reason = r.reason or "(none)"
        if rules.suppresses(principal) and r.people < limits.min_group_size:
            reason = "(other)"
        out[(r.status, reason)] = out.get((r.status, reason), 0) + int(r.orders)
    return [(s, reason, n) for (s, reason), n in
            sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass(frozen=True)
class StockFigures:
    key: Any
    label: str
    opening: int
    closing: int
    shipped: int
    on_hand: int
    turnover: float | None  # shipped / average of opening and closing
    days_of_cover: float | None  # on hand now / units shipped per day in the window
    dead: bool  # on hand now, nothing shipped in the window
    stockouts: int
    stockout_hours: float


def inventory(session: Session, principal: Principal, w: Window, by: str, now: datetime
              ) -> list[StockFigures]:
    days = (w.end - w.start).total_seconds() / 86400
    levels = inventory_sql.on_hand(session, principal, by)
    outs = {} if by == "CATEGORY" else {
        r.key: r for r in inventory_sql.stockouts(session, principal, w, by, now)}
    out = []
    for r in inventory_sql.flows(session, principal, w, by):
        shipped, opening, closing = int(r.shipped or 0), int(r.opening or 0), int(r.closing or 0)
        held = int(levels.get(r.key, 0) or 0)
        average = (opening + closing) / 2
        so = outs.get(r.key)
        out.append(StockFigures(
            r.key, str(r.label or ""), opening, closing, shipped, held,
            round(shipped / average, 4) if average > 0 else None,
            round(held / (shipped / days), 2) if shipped else None, held > 0 and not shipped,
            int(so.stockouts or 0) if so else 0, round(float(so.hours or 0), 4) if so else 0.0))
    return out


def reservation_ages(session: Session, principal: Principal, w: Window, now: datetime
                     ) -> list[tuple[str, int, int]]:
    found = {r.bucket: (int(r.orders), int(r.units or 0))
             for r in inventory_sql.reservation_ages(session, principal, w, now)}
    names = [name for _h, name in inventory_sql.AGE_BUCKETS] + ["OVER_30_DAYS"]
    return [(name, *found.get(name, (0, 0))) for name in names]
