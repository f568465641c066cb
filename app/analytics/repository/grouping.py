"""The group-by: one statement per question over a declared source
(app/analytics/repository/sources.py), grouped in the database; Python only reads the groups
(docs/architecture.md#analytics)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, literal, literal_column, text
from sqlmodel import Session, select

from app.analytics.models import (
    AggregateRow,
    AnalyticsFilter,
    Dimension,
    Grain,
    GroupKey,
    Measure,
    Source,
    Window,
)
from app.analytics.repository import service_sources, sources
from app.analytics.repository.localtime import Dialect, as_date
from app.analytics.repository.sources import NONE, Dim, SourceSql
from app.auth.principal import Principal
from app.errors import DomainError

CENT = Decimal("0.01")
MONEY = frozenset({Measure.REVENUE, Measure.AVERAGE_ORDER_VALUE, Measure.DISCOUNTS})
COUNTS = frozenset({Measure.ORDERS, Measure.PURCHASES, Measure.UNITS, Measure.CUSTOMERS,
                    Measure.LINES, Measure.SHIPMENTS, Measure.DELIVERED, Measure.MOVEMENTS,
                    Measure.UNITS_IN, Measure.UNITS_OUT, Measure.NET_UNITS, Measure.TICKETS,
                    Measure.RESOLVED, Measure.RESPONSE_BREACHED, Measure.RESOLUTION_BREACHED,
                    Measure.SURVEYS, Measure.ANSWERED})

REGISTRY = {**sources.REGISTRY, **service_sources.REGISTRY}
MINUTES = frozenset({Measure.AVERAGE_FIRST_RESPONSE_MINUTES, Measure.AVERAGE_RESOLUTION_MINUTES})
_SAMPLE = Window("UTC", datetime(2000, 1, 1), datetime(2000, 1, 2), date(2000, 1, 1),
                 date(2000, 1, 2))


@dataclass(frozen=True)
class Question:
    source: Source
    measures: tuple[Measure, ...]
    dimensions: tuple[Dimension, ...]
    grain: Grain | None
    window: Window
    filter: AnalyticsFilter
    purchases_only: bool = False  # sales: purchases only (see sources.py for the rule)
    max_rows: int = 1000
    count_customers: bool = True  # distinct customers per group (the small-group rule)


def source_of(session: Session, question: Question) -> tuple[SourceSql, Dialect]:
    dialect = Dialect(session.get_bind().dialect.name, question.window)
    return REGISTRY[question.source](dialect, question.purchases_only), dialect


def declared(source: Source) -> tuple[frozenset[Measure], dict[Dimension, Dim], set[str]]:
    """What a source offers: measures, dimensions, filter fields (built for a sample window:
    only the names are read)."""
    sql = REGISTRY[source](Dialect("postgresql", _SAMPLE), False)
    return frozenset(sql.measures), sql.dimensions, set(sql.filters)


def _joined(stmt: Any, sql: SourceSql, needed: set[str]) -> Any:
    for name, (table, on) in sql.joins.items():
        if name in needed and on is not None:
            stmt = (stmt.join(table, on) if name in sql.base_joins
                    else stmt.outerjoin(table, on))
    return stmt


def _where(stmt: Any, sql: SourceSql, q: Question, principal: Principal) -> Any:
    stmt = stmt.where(sql.time >= q.window.start, sql.time < q.window.end, *sql.conditions)
    for name, values in vars(q.filter).items():
        if values:
            column, _joins = sql.filters[name]
            stmt = stmt.where(column.in_(list(values)))
    return sql.scope(stmt, principal)


def _needed(sql: SourceSql, q: Question) -> set[str]:
    needed = set(sql.base_joins)
    for d in q.dimensions:
        needed.update(sql.dimensions[d].joins)
    for name, values in vars(q.filter).items():
        if values:
            needed.update(sql.filters[name][1])
    # a join's own dependencies come first in `joins`; customer needs the order on lines
    if needed & {"customer", "segment", "rep"} and "order" in sql.joins:
        needed.add("order")
    if needed & {"segment", "rep"}:
        needed.add("customer")
    return needed


def grouped(session: Session, principal: Principal, q: Question) -> tuple[list[AggregateRow],
                                                                            int]:
    """The groups (at most `max_rows`; more is an error) and the rows they were made of."""
    sql, dialect = source_of(session, q)
    columns: list[Any] = []
    group_by: list[Any] = []
    if q.grain is not None:
        columns.append(dialect.bucket(sql.time, q.grain).label("period"))
        # by its name: the expression repeated with its own parameters is computed twice
        # per row on SQLite (not recognised as the selected one)
        group_by.append(literal_column("period"))
    for i, d in enumerate(q.dimensions):
        dim = sql.dimensions[d]
        columns += [dim.key.label(f"k{i}"), dim.label.label(f"l{i}")]
        group_by.append(dim.key)
        if not dim.personal and not dim.looked_up and dim.label is not dim.key:
            group_by.append(dim.label)
    columns += [sql.measures[m].label(f"m{i}") for i, m in enumerate(q.measures)]
    columns.append(func.count().label("scanned"))
    people = sql.customer is not None and q.count_customers
    if people:  # a sort of the rows by customer: only for roles the rule applies to
        columns.append(func.count(sql.customer.distinct()).label("people"))
    stmt = _joined(select(*columns).select_from(sql.fact), sql, _needed(sql, q))
    stmt = _where(stmt, sql, q, principal)
    if group_by:
        stmt = stmt.group_by(*group_by).order_by(*group_by)
    rows = session.exec(stmt.limit(q.max_rows + 1)).all()
    if len(rows) > q.max_rows:
        raise DomainError(f"more than {q.max_rows} groups: narrow the window or the filter, "
                          "or ask for fewer dimensions", field=["dimensions"])
    out = [_row(r, q, people) for r in rows if r.scanned or group_by]
    return out, sum(r.scanned for r in rows)


def _row(r: Any, q: Question, people: bool) -> AggregateRow:
    keys = [GroupKey(d, getattr(r, f"k{i}"), _label(getattr(r, f"l{i}")))
            for i, d in enumerate(q.dimensions)]
    values = {m: _value(m, getattr(r, f"m{i}")) for i, m in enumerate(q.measures)}
    return AggregateRow(as_date(r.period) if q.grain is not None else None, keys, values,
                        r.people if people else None)


def _label(value: Any) -> str:
    return NONE if value is None or value == "" else str(value)


def _value(measure: Measure, value: Any) -> Any:
    if measure in MONEY:
        return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP) if value is not None \
            or measure is not Measure.AVERAGE_ORDER_VALUE else None
    if measure in COUNTS:
        return int(value or 0)
    if measure in MINUTES:  # as the SLA report; SQLite's julianday leaves 19.999999
        return None if value is None else round(float(value), 1)
    return None if value is None else round(float(value), 6)


def estimate(session: Session, principal: Principal, q: Question) -> int:
    """The rows the question would scan, before it runs (its price:
    docs/architecture.md#analytics): on SQLite counted over the window's index (5-13 ms on
    dataset S); on PostgreSQL the planner's estimate (EXPLAIN, about a millisecond: the
    count took 34 ms there, an index-only scan fetching the heap)."""
    sql, _dialect = source_of(session, q)
    pg = session.get_bind().dialect.name == "postgresql"
    stmt = select(literal(1) if pg else func.count()).select_from(sql.fact)
    if sql.time.class_ is not sql.fact:  # lines: the window is their orders'
        stmt = _joined(stmt, sql, set(sql.base_joins))
    # the window alone (an index range): an upper bound of the rows the conditions keep
    stmt = sql.scope(stmt.where(sql.time >= q.window.start, sql.time < q.window.end),
                     principal)
    if not pg:
        return int(session.exec(stmt).one())
    compiled = stmt.compile(dialect=session.get_bind().dialect,
                            compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
