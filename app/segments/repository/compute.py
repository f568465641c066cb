"""The RFM recompute in SQL: one INSERT ... SELECT ... ON CONFLICT DO UPDATE computes every
customer's (or a few customers') scores, segment and cadence in the database and writes
them in one statement (docs/architecture.md#customer-segments).

The upsert keeps the segment a customer had before (`previous_segment`) and when it last
changed (`segment_changed_at`, this run's time when it changed now), so the moves of one
run are read back with one indexed query, and each move is seen by exactly one run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    Interval,
    and_,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    true,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.customers.models import Customer
from app.orders.models import Order
from app.orders.repository.customer_views import purchased
from app.persistence.columns import UTCDateTime
from app.segments.models import HIGH_VALUE, CustomerSegment, Segment
from app.segments.scoring import SegmentRules

S = CustomerSegment.__table__.c
_COLUMNS = ("customer_id", "segment", "r_score", "f_score", "m_score", "order_count",
            "monetary", "first_order_at", "last_order_at", "cadence_days", "next_order_at",
            "computed_at", "segment_changed_at")
_VALUES = _COLUMNS[1:11]  # the figures: a row is rewritten only when one of them changed


@dataclass(frozen=True)
class Move:
    customer_id: int
    owner_id: int | None
    from_segment: str
    to_segment: str


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _days_between(dialect: str, earlier: Any, later: Any) -> Any:
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


def _plus_days(dialect: str, moment: Any, days: Any) -> Any:
    if dialect == "sqlite":  # 'YYYY-MM-DD HH:MM:SS', which the DATETIME type reads back
        return func.datetime(func.julianday(moment) + days)
    return moment + days * literal_column("INTERVAL '1 day'", type_=Interval)


def _orders(customer_ids: Sequence[int] | None) -> Any:
    condition = purchased()
    if customer_ids is not None:
        condition = and_(condition, Order.customer_id.in_(list(customer_ids)))
    return condition


def _aggregates(customer_ids: Sequence[int] | None) -> Any:
    return (sa_select(Order.customer_id.label("customer_id"),
                      func.count(Order.id).label("n"),
                      func.sum(Order.total).label("monetary"),
                      func.min(Order.created_at).label("first_at"),
                      func.max(Order.created_at).label("last_at"))
            .where(_orders(customer_ids)).group_by(Order.customer_id).subquery("agg"))


def _cadence(dialect: str, agg: Any) -> Any:
    """The mean days between a customer's consecutive orders: (last - first) / (orders - 1),
    null below two orders. Free from the aggregate; the median of the gaps took two more
    sorts of every order and most of the recompute's time (S8,
    docs/architecture.md#customer-segments)."""
    return case((agg.c.n > 1, _days_between(dialect, agg.c.first_at, agg.c.last_at)
                 / (agg.c.n - 1)), else_=None)


def _steps(value: Any, steps: Sequence[Any]) -> Any:
    """1 below the first step, 2 from it, ... 5 from the fourth."""
    return case(*((value >= step, 5 - i) for i, step in enumerate(reversed(steps))), else_=1)


def _thresholds(agg: Any, rules: SegmentRules, as_of: datetime) -> tuple[Any, Any, Any]:
    recency = case(*((agg.c.last_at >= literal(cut, UTCDateTime), score)
                     for cut, score in rules.recency_cutoffs(as_of)), else_=1)
    return recency, _steps(agg.c.n, rules.frequency), _steps(agg.c.monetary, rules.monetary)


def _quintile_window(value: Any) -> Any:
    """1 + the customer's fifth by rank (ties share the lowest rank, so the same score)."""
    return 1 + (5 * (func.rank().over(order_by=value) - 1)) // func.count().over()


def _quintile_stored(agg: Any, value: Any, stored: Any) -> Any:
    """The same score for one customer against the stored scores of all the others: what
    a full recompute would give it if nobody else changed."""
    below = sa_select(func.count()).where(S.customer_id != agg.c.customer_id,
                                          stored < value).scalar_subquery()
    others = sa_select(func.count()).where(S.customer_id != agg.c.customer_id) \
        .scalar_subquery()
    return 1 + (5 * below) // (others + 1)


def _scores(agg: Any, rules: SegmentRules, as_of: datetime, incremental: bool
            ) -> tuple[Any, Any, Any]:
    if rules.scoring == "thresholds":
        return _thresholds(agg, rules, as_of)
    if incremental:
        return (_quintile_stored(agg, agg.c.last_at, S.last_order_at),
                _quintile_stored(agg, agg.c.n, S.order_count),
                _quintile_stored(agg, agg.c.monetary, S.monetary))
    return (_quintile_window(agg.c.last_at), _quintile_window(agg.c.n),
            _quintile_window(agg.c.monetary))


def segment_case(r: Any, f: Any, m: Any, rules: SegmentRules) -> Any:
    """app/segments/scoring.py `segment_of`, as SQL."""
    high_value = (f >= rules.value_min_score) | (m >= rules.value_min_score)
    return case(
        (and_(r >= rules.vip_min_score, f >= rules.vip_min_score, m >= rules.vip_min_score),
         Segment.VIP.value),
        (and_(r <= rules.at_risk_max_recency, high_value), Segment.AT_RISK.value),
        (r <= rules.at_risk_max_recency, Segment.LOST.value),
        (high_value, Segment.REGULAR.value), else_=Segment.POTENTIAL.value)


def scored(session: Session, rules: SegmentRules, as_of: datetime,
           customer_ids: Sequence[int] | None = None) -> Any:
    """The SELECT of the rows to write, in `_COLUMNS` order."""
    dialect = _dialect(session)
    agg = _aggregates(customer_ids)
    r, f, m = _scores(agg, rules, as_of, customer_ids is not None)
    inner = (sa_select(agg.c.customer_id, r.label("r"), f.label("f"), m.label("m"), agg.c.n,
                       agg.c.monetary, agg.c.first_at, agg.c.last_at,
                       _cadence(dialect, agg).cast(Float).label("cadence"))
             .subquery("scored"))
    now = literal(as_of, UTCDateTime)
    return sa_select(
        inner.c.customer_id, segment_case(inner.c.r, inner.c.f, inner.c.m, rules),
        inner.c.r, inner.c.f, inner.c.m, inner.c.n, inner.c.monetary, inner.c.first_at,
        inner.c.last_at, inner.c.cadence,
        _plus_days(dialect, inner.c.last_at, inner.c.cadence), now, now,
    ).where(true())  # SQLite: INSERT ... SELECT ... ON CONFLICT needs a WHERE to parse


def _upsert(session: Session, select_rows: Any) -> None:
    """Insert new rows, update changed ones: a row whose figures are what they were is left
    as it is, computed_at included (most rows of a periodic run; S8)."""
    table = CustomerSegment.__table__
    insert = (sqlite.insert if _dialect(session) == "sqlite" else postgresql.insert)(table)
    stmt = insert.from_select(list(_COLUMNS), select_rows)
    new = stmt.excluded
    changed = S.segment != new.segment
    stmt = stmt.on_conflict_do_update(index_elements=["customer_id"], set_={
        **{name: new[name] for name in _COLUMNS if name not in (
            "customer_id", "segment_changed_at")},
        "previous_segment": case((changed, S.segment), else_=S.previous_segment),
        "segment_changed_at": case((changed, new.computed_at), else_=S.segment_changed_at),
    }, where=or_(*(S[name].is_distinct_from(new[name]) for name in _VALUES)))
    session.execute(stmt)


def _prune(session: Session, customer_ids: Sequence[int] | None) -> int:
    """Rows of customers without purchases any more (every order cancelled)."""
    bought = sa_select(Order.id).where(Order.customer_id == S.customer_id, purchased())
    stmt = delete(CustomerSegment).where(~bought.exists())
    if customer_ids is not None:
        stmt = stmt.where(CustomerSegment.customer_id.in_(list(customer_ids)))
    return session.execute(stmt).rowcount


def _scored_count(session: Session, customer_ids: Sequence[int] | None) -> int:
    stmt = sa_select(func.count()).select_from(CustomerSegment)
    if customer_ids is not None:
        stmt = stmt.where(S.customer_id.in_(list(customer_ids)))
    return session.execute(stmt).scalar() or 0


def churn_moves(session: Session, as_of: datetime,
                customer_ids: Sequence[int] | None = None) -> list[Move]:
    """High-value customers this run moved to AT_RISK, with their owners."""
    stmt = (sa_select(S.customer_id, Customer.owner_id, S.previous_segment, S.segment)
            .join(Customer, Customer.id == S.customer_id)
            .where(S.segment_changed_at == literal(as_of, UTCDateTime),
                   S.segment == Segment.AT_RISK.value, S.previous_segment.in_(HIGH_VALUE))
            .order_by(S.customer_id))
    if customer_ids is not None:
        stmt = stmt.where(S.customer_id.in_(list(customer_ids)))
    return [Move(*row) for row in session.execute(stmt)]


def recompute(session: Session, rules: SegmentRules, as_of: datetime,
              customer_ids: Sequence[int] | None = None) -> tuple[int, list[Move]]:
    """Score every customer with purchases (or only `customer_ids`) as of `as_of`; rows
    written and the churn moves it made."""
    _upsert(session, scored(session, rules, as_of, customer_ids))
    _prune(session, customer_ids)
    return _scored_count(session, customer_ids), churn_moves(session, as_of, customer_ids)
