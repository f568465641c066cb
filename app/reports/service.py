"""The weekly management report: one read gathering the figures from the domains' own
services (analytics, inventory, tickets, surveys), never SQL of its own
(docs/architecture.md#reports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from app.analytics import service as analytics
from app.analytics.models import AnalyticsFilter, Dimension, Grain, Measure, Source
from app.analytics.rules import Limits
from app.auth.principal import Principal
from app.auth.roles import Role
from app.catalog import repository as catalog_repo
from app.errors import Forbidden
from app.inventory import repository as inventory_repo
from app.inventory import service as inventory
from app.persistence.pagination import PageRequest
from app.reports import render, weeks
from app.reports.models import CarrierRow, IsoWeek, Named, StockAlert, WeeklyReport
from app.surveys import service as surveys
from app.tickets.report import sla_report

READERS = frozenset({Role.MANAGER, Role.ADMIN})
TOP = 5
ALERTS = 20
TREND_WEEKS = 8  # weeks before the report's, in the revenue trend


def check_access(principal: Principal | None) -> None:
    """Managers and admins only: the report names customers and shows every figure."""
    if principal is None or principal.role not in READERS:
        raise Forbidden("the weekly report is for MANAGER and ADMIN")


def weekly(session: Session, principal: Principal, week: IsoWeek, zone: str,
           limits: Limits, now: datetime) -> WeeklyReport:
    check_access(principal)
    monday = week.monday
    w = analytics.window_of(monday, monday + timedelta(days=7), zone)
    none = AnalyticsFilter()
    by_day = {r.period: r.values[Measure.REVENUE] for r in analytics.sales(
        session, principal, Grain.DAY, None, w, none, limits).rows}
    days = [(d, Decimal(by_day.get(d, 0))) for d in
            (monday + timedelta(days=i) for i in range(7))]
    total = analytics.sales(session, principal, None, None, w, none, limits).rows
    revenue = Decimal(total[0].values[Measure.REVENUE]) if total else Decimal(0)
    orders = int(total[0].values[Measure.PURCHASES]) if total else 0
    trend_w = analytics.window_of(monday - timedelta(weeks=TREND_WEEKS),
                                  monday + timedelta(days=7), zone)
    by_week = {r.period: r.values[Measure.REVENUE] for r in analytics.sales(
        session, principal, Grain.WEEK, None, trend_w, none, limits).rows}
    weeks = [(d, Decimal(by_week.get(d, 0))) for d in
             (monday - timedelta(weeks=TREND_WEEKS - i) for i in range(TREND_WEEKS + 1))]
    products = analytics.sales(session, principal, None, Dimension.PRODUCT, w, none,
                               limits).rows
    top_products = sorted(
        (Named(r.keys[0].label, Decimal(r.values[Measure.REVENUE]),
               int(r.values[Measure.UNITS] or 0)) for r in products),
        key=lambda n: (-n.value, n.label))[:TOP]
    top_customers = [Named(c.name, spend, n) for c, spend, n in
                     analytics.top_customers(session, principal, w, TOP, ())]
    shipped = analytics.aggregate(
        session, principal, Source.SHIPMENTS,
        (Measure.SHIPMENTS, Measure.DELIVERED, Measure.ON_TIME_RATE), (Dimension.CARRIER,),
        None, w, none, limits).rows
    carriers = sorted((CarrierRow(r.keys[0].label, int(r.values[Measure.SHIPMENTS] or 0),
                                  int(r.values[Measure.DELIVERED] or 0),
                                  None if r.values[Measure.ON_TIME_RATE] is None
                                  else float(r.values[Measure.ON_TIME_RATE]))
                       for r in shipped), key=lambda c: c.carrier)
    # tickets and surveys take aware UTC instants, as their GraphQL fields pass them
    start, end = _aware(w.start), _aware(w.end)
    return WeeklyReport(
        week=week, zone=zone, first_day=monday, end_day=monday + timedelta(days=7),
        revenue=revenue, orders=orders, days=days, weeks=weeks, top_products=top_products,
        top_customers=top_customers, stock_alerts=_stock_alerts(session, principal),
        carriers=carriers,
        tickets=sla_report(session, principal, start, end, _aware(now)).overall,
        satisfaction=surveys.satisfaction(session, start, end, None).total)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _stock_alerts(session: Session, principal: Principal) -> list[StockAlert]:
    """Levels below their safety stock now (the inventory list's own filter), fewest on
    hand first."""
    page = inventory.list_stock_levels(
        session, principal, inventory_repo.StockLevelFilter(below_safety_stock=True),
        inventory_repo.StockLevelSort.ON_HAND_ASC, PageRequest(first=ALERTS))
    levels = page.items
    products = catalog_repo.products_by_ids(session, [lv.product_id for lv in levels])
    houses = inventory_repo.warehouses_by_ids(session, [lv.warehouse_id for lv in levels])
    out = []
    for lv in levels:
        p, h = products.get(lv.product_id), houses.get(lv.warehouse_id)
        out.append(StockAlert(p.name if p else str(lv.product_id), p.sku if p else "",
                              h.name if h else str(lv.warehouse_id),
                              lv.on_hand - lv.reserved, lv.safety_stock))
    return out


def weekly_page(session: Session, principal: Principal, week: str | None, lang: str,
                zone: str, limits: Limits, now: datetime) -> str:
    """The report of `week` (YYYY-Www; default the last complete week in `zone`) as one
    HTML page in `lang` (zh or en)."""
    check_access(principal)
    iso = weeks.parse(week) if week else weeks.last_complete(now, zone)
    return render.html(weekly(session, principal, iso, zone, limits, now), lang, now)
