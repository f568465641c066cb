"""Every aggregate against the hand-computed fixture (tests/analytics/fixture.py), on
whichever backend the suite runs (docs/architecture.md#analytics)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.analytics import service
from app.analytics.models import AnalyticsFilter, Dimension, Grain, Measure, Source
from app.analytics.rules import Limits
from app.analytics.timezones import window
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import DomainError, Forbidden
from tests.analytics.fixture import NOW

M = Measure
MANAGER = Principal(user_id=0, role=Role.MANAGER)
ANALYST = Principal(user_id=0, role=Role.ANALYST)
Q1 = window(date(2025, 1, 1), date(2025, 4, 1), "Asia/Shanghai")


def read(runner, fn, *args):  # noqa: ANN001, ANN201
    return runner.read_sync(fn, args, {})


def sales(runner, fx, principal=MANAGER, grain=Grain.MONTH, by=None, w=Q1,  # noqa: ANN001, ANN201
          flt=None):
    flt = flt or AnalyticsFilter(regions=(fx.region,))
    result = read(runner, service.sales, principal, grain, by, w, flt, Limits())
    return [(*([r.period] if grain else []), *(k.key for k in r.keys), r.values[M.REVENUE],
             r.values[M.PURCHASES], r.values[M.UNITS]) for r in result.rows], result


def test_revenue_by_month_cuts_months_in_shanghai_and_nets_returns(runner, fx) -> None:  # noqa: ANN001
    rows, result = sales(runner, fx)
    # January: order 1 (100, 2 units). February: order 2 (17:00Z on 31 January, 200 less
    # 50 credited, 3 of 4 units kept) and order 3 (300, 3 units); the cancelled one not.
    # March: order 5 (400, 4 units); the order of 20:00Z on 31 March is April there.
    assert rows == [(date(2025, 1, 1), Decimal("100.00"), 1, 2),
                    (date(2025, 2, 1), Decimal("450.00"), 2, 6),
                    (date(2025, 3, 1), Decimal("400.00"), 1, 4)]
    assert result.rows[1].values[M.AVERAGE_ORDER_VALUE] == Decimal("225.00")
    # priced before it ran: a count on SQLite, the planner's estimate on PostgreSQL
    assert result.rows_scanned == 4 and result.rows_estimated >= 1


def test_revenue_by_product_and_by_channel(runner, fx) -> None:  # noqa: ANN001
    rows, _ = sales(runner, fx, grain=None, by=Dimension.PRODUCT)
    p1, p2 = fx.products["P1"], fx.products["P2"]
    assert sorted(rows) == sorted([(p1, Decimal("650.00"), 3, 9),
                                   (p2, Decimal("300.00"), 1, 3)])
    rows, _ = sales(runner, fx, grain=Grain.MONTH, by=Dimension.CHANNEL)
    assert rows == [(date(2025, 1, 1), "WEB", Decimal("100.00"), 1, 2),
                    (date(2025, 2, 1), "MOBILE", Decimal("300.00"), 1, 3),
                    (date(2025, 2, 1), "WEB", Decimal("150.00"), 1, 3),
                    (date(2025, 3, 1), "WEB", Decimal("400.00"), 1, 4)]


def test_month_boundaries_across_daylight_saving_time(runner, fx) -> None:  # noqa: ANN001
    flt = AnalyticsFilter(regions=(fx.ny_region,))
    ny = window(date(2025, 2, 1), date(2025, 5, 1), "America/New_York")
    rows, _ = sales(runner, fx, w=ny, flt=flt)
    # 04:30Z on 1 March is 23:30 on 28 February (UTC-5); 04:30Z on 1 April is 00:30 on
    # 1 April (UTC-4 since 9 March): a fixed offset would put it in March
    assert [(r[0], r[1]) for r in rows] == [(date(2025, 2, 1), Decimal("10.00")),
                                            (date(2025, 3, 1), Decimal("60.00")),
                                            (date(2025, 4, 1), Decimal("80.00"))]
    shanghai = window(date(2025, 3, 1), date(2025, 5, 1), "Asia/Shanghai")
    rows, _ = sales(runner, fx, w=shanghai, flt=flt)
    assert [(r[0], r[1]) for r in rows] == [(date(2025, 3, 1), Decimal("30.00")),
                                            (date(2025, 4, 1), Decimal("120.00"))]
    weeks, _ = sales(runner, fx, grain=Grain.WEEK, w=ny, flt=flt)
    assert [r[0] for r in weeks] == [date(2025, 2, 24), date(2025, 3, 31)]
    quarters, _ = sales(runner, fx, grain=Grain.QUARTER, w=ny, flt=flt)
    assert [(r[0], r[1]) for r in quarters] == [(date(2025, 1, 1), Decimal("70.00")),
                                                (date(2025, 4, 1), Decimal("80.00"))]


def test_a_sales_rep_aggregates_its_own_customers_only(runner, fx) -> None:  # noqa: ANN001
    rep = Principal(user_id=fx.reps[0].id, role=Role.SALES)
    own, _ = sales(runner, fx, principal=rep, grain=None)
    mine = AnalyticsFilter(customer_ids=(fx.customers["A"], fx.customers["B"]))
    expected, _ = sales(runner, fx, grain=None, flt=mine)
    assert own == expected == [(Decimal("550.00"), 3, 8)]
    everything, _ = sales(runner, fx, principal=rep, grain=None, flt=AnalyticsFilter())
    assert everything == own  # nobody else's customers, whatever the filter


def test_the_group_by_refuses_personal_dimensions_to_masked_roles(runner, fx) -> None:  # noqa: ANN001
    w, flt = Q1, AnalyticsFilter(regions=(fx.region,))
    with pytest.raises(Forbidden, match="CUSTOMER_EMAIL"):
        read(runner, service.aggregate, ANALYST, Source.ORDERS, (M.ORDERS,),
             (Dimension.CUSTOMER_EMAIL,), None, w, flt, Limits())
    result = read(runner, service.aggregate, MANAGER, Source.ORDERS, (M.ORDERS,),
                  (Dimension.CUSTOMER_EMAIL,), None, w, flt, Limits())
    assert [(r.keys[0].label, r.values[M.ORDERS]) for r in result.rows] == [
        ("c@example.com", 6)]
    with pytest.raises(DomainError, match="no dimension CARRIER"):
        read(runner, service.aggregate, MANAGER, Source.ORDERS, (M.ORDERS,),
             (Dimension.CARRIER,), None, w, flt, Limits())


def test_small_groups_are_suppressed_for_masked_roles(runner, fx) -> None:  # noqa: ANN001
    flt = AnalyticsFilter(regions=(fx.region,))
    ask = (Source.ORDERS, (M.REVENUE, M.PURCHASES), (Dimension.CHANNEL,), None, Q1, flt)
    # WEB: customers A, C and D (a draft); MOBILE: B alone
    result = read(runner, service.aggregate, ANALYST, *ask, Limits(min_group_size=2))
    assert [(r.keys[0].key, r.values[M.REVENUE]) for r in result.rows] == [
        ("WEB", Decimal("650.00"))]
    assert result.suppressed_groups == 1
    result = read(runner, service.aggregate, ANALYST, *ask, Limits())
    assert result.rows == [] and result.suppressed_groups == 2
    result = read(runner, service.aggregate, MANAGER, *ask, Limits())
    assert len(result.rows) == 2 and result.suppressed_groups == 0


def test_on_time_rate_by_carrier(runner, fx) -> None:  # noqa: ANN001
    flt = AnalyticsFilter(carrier_ids=tuple(fx.carriers.values()))
    measures = (M.SHIPMENTS, M.DELIVERED, M.ON_TIME_RATE, M.AVERAGE_TRANSIT_HOURS,
                M.EXCEPTION_RATE, M.FAILED_ATTEMPT_RATE)
    result = read(runner, service.aggregate, MANAGER, Source.SHIPMENTS, measures,
                  (Dimension.CARRIER,), None, Q1, flt, Limits())
    got = {r.keys[0].key: [r.values[m] for m in measures] for r in result.rows}
    # K1: one of the two delivered with a promise on time (the other reached the 14th local);
    # transit (48 + 88.5) / 2; one of three with a failed attempt
    assert got == {fx.carriers["K1"]: [3, 2, 0.5, 68.25, 0.0, 0.333333],
                   fx.carriers["K2"]: [1, 1, None, 24.0, 1.0, 0.0]}
    with pytest.raises(Forbidden):
        read(runner, service.aggregate, Principal(user_id=0, role=Role.FINANCE),
             Source.SHIPMENTS, measures, (), None, Q1, flt, Limits())


def test_new_returning_repurchase_lifetime_value_and_top_customers(runner, fx) -> None:  # noqa: ANN001
    w = window(date(2025, 2, 1), date(2025, 4, 1), "Asia/Shanghai")
    s = read(runner, service.customer_summary, MANAGER, w, (fx.region,))
    # buyers in Feb-Mar: A (first bought in January: returning), B and C (new); by the end:
    # A, B, C bought (E's order is April there), A twice; (100 + 150 + 300 + 400) / 3
    assert (s.buyers, s.new, s.returning, s.customers, s.repeat) == (3, 2, 1, 3, 1)
    assert s.repurchase_rate == 0.333333 and s.lifetime_value == Decimal("316.67")
    top = read(runner, service.top_customers, MANAGER, Q1, 2, (fx.region,))
    assert [(c.id, spend, n) for c, spend, n in top] == [
        (fx.customers["C"], Decimal("400.00"), 1), (fx.customers["B"], Decimal("300.00"), 1)]


def test_time_in_status_percentiles_and_the_bottleneck(runner, fx) -> None:  # noqa: ANN001
    w = window(date(2019, 6, 1), date(2019, 7, 1), "UTC")
    rows = read(runner, service.status_durations, MANAGER, w, False)
    got = {r.status: (r.transitions, r.average_hours, r.p50_hours, r.p90_hours, r.bottleneck)
           for r in rows}
    # PENDING_REVIEW 1, 4, 3 h: p50 the 2nd of 3 sorted (3), p90 the 3rd (4)
    assert got == {"PENDING_REVIEW": (3, 2.6667, 3.0, 4.0, False),
                   "CONFIRMED": (2, 3.0, 2.0, 4.0, False),
                   "SCHEDULED": (2, 17.0, 10.0, 24.0, True)}
    by_warehouse = read(runner, service.status_durations, MANAGER, w, True)
    assert {r.warehouse_id for r in by_warehouse} == {None}  # no allocations in the fixture


def test_cancellation_and_rejection_reasons(runner, fx) -> None:  # noqa: ANN001
    w = window(date(2019, 6, 1), date(2019, 7, 1), "UTC")
    assert read(runner, service.close_reasons, MANAGER, w, Limits()) == [
        ("CANCELLED", "Too expensive", 2), ("REJECTED", "Credit check", 1)]
    assert read(runner, service.close_reasons, ANALYST, w, Limits()) == [
        ("CANCELLED", "(other)", 2), ("REJECTED", "(other)", 1)]


def test_turnover_cover_dead_stock_stockouts_and_reservation_ages(runner, fx) -> None:  # noqa: ANN001
    w = window(date(2019, 2, 1), date(2019, 3, 1), "UTC")
    now = NOW.replace(tzinfo=None)
    rows = {r.key: r for r in read(runner, service.inventory, MANAGER, w, "PRODUCT", now)}
    p3, p4 = rows[fx.stock_products["P3"]], rows[fx.stock_products["P4"]]
    # 15 shipped over an average of (10 + 0) / 2; out of stock from the 10th to the 12th
    # (48 h) and from the 20th to the window's end (216 h)
    assert (p3.opening, p3.closing, p3.shipped, p3.on_hand, p3.turnover, p3.days_of_cover,
            p3.dead, p3.stockouts, p3.stockout_hours) == (10, 0, 15, 0, 3.0, 0.0, False, 2,
                                                          264.0)
    assert (p4.shipped, p4.on_hand, p4.turnover, p4.days_of_cover, p4.dead,
            p4.stockouts) == (0, 7, 0.0, None, True, 0)
    keeper = Principal(user_id=0, role=Role.WAREHOUSE, warehouse_ids=frozenset({fx.warehouse}))
    ages = read(runner, service.reservation_ages, keeper, w, now)
    assert ages == [("UNDER_1_DAY", 0, 0), ("DAYS_1_TO_3", 1, 3), ("DAYS_3_TO_7", 0, 0),
                    ("DAYS_7_TO_30", 1, 2), ("OVER_30_DAYS", 0, 0)]


def test_bad_windows_and_zones_are_clear_errors() -> None:
    with pytest.raises(DomainError, match="unknown time zone"):
        window(date(2025, 1, 1), date(2025, 2, 1), "Mars/Olympus")
    with pytest.raises(DomainError, match="after"):
        window(date(2025, 2, 1), date(2025, 1, 1), "UTC")


def test_limits_refuse_before_or_instead_of_a_huge_answer(runner, fx) -> None:  # noqa: ANN001
    flt = AnalyticsFilter(regions=(fx.region,))
    ask = (Source.ORDERS, (M.ORDERS,), (Dimension.CHANNEL,), None, Q1, flt)
    with pytest.raises(DomainError, match="would scan about"):
        read(runner, service.aggregate, MANAGER, *ask, Limits(max_scan_rows=0))
    with pytest.raises(DomainError, match="more than 1 groups"):
        read(runner, service.aggregate, MANAGER, *ask, Limits(max_rows=1))
    with pytest.raises(DomainError, match="at most 3"):
        read(runner, service.aggregate, MANAGER, Source.ORDERS, (M.ORDERS,),
             (Dimension.CHANNEL, Dimension.STATUS, Dimension.TIER, Dimension.REGION), None,
             Q1, flt, Limits())
