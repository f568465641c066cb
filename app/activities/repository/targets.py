"""SQL for sales targets: the row scope, lists, progress (one statement for a page of
targets) and the behind-pace claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Numeric, cast, false, func, literal, or_, union_all, update
from sqlmodel import Session, select

from app.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    SalesTarget,
    TargetMetric,
)
from app.auth.models import User
from app.auth.principal import Principal
from app.auth.roles import Role
from app.customers.models import Customer
from app.orders.models import Order, OrderStatus
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    in_period,
    paginate,
    sort_table,
    where,
)

# what counts as revenue: orders approved (confirmed_at in the period) and not cancelled
# or rejected since; attributed to the customer's current owner
NOT_REVENUE = (OrderStatus.DRAFT.value, OrderStatus.PENDING_REVIEW.value,
               OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value)


class SalesTargetSort(StrEnum):
    PERIOD_START_DESC = "PERIOD_START_DESC"
    PERIOD_START_ASC = "PERIOD_START_ASC"


_SORTS = sort_table(SalesTargetSort, {"PERIOD_START": SalesTarget.period_start})


@dataclass(frozen=True)
class SalesTargetFilter:
    user_id: int | None = None
    team: bool | None = None  # True: team targets only; False: reps' only
    period: str | None = None
    metric: str | None = None
    starts_from: date | None = None
    starts_before: date | None = None


@dataclass(frozen=True)
class ProgressSpec:
    """What one target's progress counts: its metric, over a rep (or, None, every SALES
    user) and a period in UTC."""

    target_id: int
    metric: str
    user_id: int | None
    start: datetime
    end: datetime


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """SALES see their own targets (not the team's); customers none."""
    if principal.customer_scope is not None:
        return stmt.where(false())
    if principal.owner_scope is not None:
        stmt = stmt.where(SalesTarget.user_id == principal.owner_scope)
    return stmt


def get_visible(session: Session, principal: Principal, target_id: int) -> SalesTarget | None:
    return session.exec(scope(select(SalesTarget).where(SalesTarget.id == target_id),
                              principal)).first()


def target_of(session: Session, scope_key: str, period: str, period_start: date,
              metric: str) -> SalesTarget | None:
    return session.exec(select(SalesTarget).where(
        SalesTarget.scope_key == scope_key, SalesTarget.period == period,
        SalesTarget.period_start == period_start, SalesTarget.metric == metric)).first()


def list_targets(session: Session, principal: Principal, flt: SalesTargetFilter,
                 sort: SalesTargetSort, page: PageRequest) -> Page[SalesTarget]:
    team = None
    if flt.team is not None:
        team = SalesTarget.user_id.is_(None) if flt.team else SalesTarget.user_id.is_not(None)
    stmt = where(scope(select(SalesTarget), principal),
                 equal(SalesTarget.user_id, flt.user_id), team,
                 equal(SalesTarget.period, flt.period), equal(SalesTarget.metric, flt.metric),
                 in_period(SalesTarget.period_start, flt.starts_from, flt.starts_before))
    return paginate(session, stmt, _SORTS[sort], page, SalesTarget.id)


def current_targets(session: Session, today: date, earliest: date) -> list[SalesTarget]:
    """Targets whose period may contain `today` (starting between `earliest` and today),
    not yet alerted today."""
    stmt = select(SalesTarget).where(
        SalesTarget.period_start <= today, SalesTarget.period_start >= earliest,
        SalesTarget.target > 0,
        or_(SalesTarget.pace_alerted_on.is_(None), SalesTarget.pace_alerted_on < today))
    return list(session.exec(stmt.order_by(SalesTarget.id)).all())


def claim_pace_alert(session: Session, target_id: int, today: date) -> bool:
    """At most one behind-pace alert per target and day, whoever runs the check."""
    stmt = (update(SalesTarget)
            .where(SalesTarget.id == target_id,
                   or_(SalesTarget.pace_alerted_on.is_(None),
                       SalesTarget.pace_alerted_on < today))
            .values(pace_alerted_on=today)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def _reps(user_id: int | None) -> Any:
    if user_id is not None:
        return [user_id]
    return select(User.id).where(User.role == Role.SALES.value).scalar_subquery()


def _in(column: Any, user_id: int | None) -> Any:
    return column == user_id if user_id is not None else column.in_(_reps(None))


def _branch(spec: ProgressSpec) -> Any:
    tid = literal(spec.target_id).label("target_id")
    if spec.metric == TargetMetric.REVENUE.value:
        return (select(tid, cast(func.coalesce(func.sum(Order.total), 0), Numeric(14, 2))
                       .label("value"))
                .select_from(Order).join(Customer, Customer.id == Order.customer_id)
                .where(_in(Customer.owner_id, spec.user_id),
                       Order.status.not_in(NOT_REVENUE),
                       Order.confirmed_at >= spec.start, Order.confirmed_at < spec.end))
    if spec.metric == TargetMetric.NEW_CUSTOMERS.value:
        return (select(tid, cast(func.count(Customer.id), Numeric(14, 2)).label("value"))
                .where(_in(Customer.owner_id, spec.user_id),
                       Customer.created_at >= spec.start, Customer.created_at < spec.end))
    return (select(tid, cast(func.count(Activity.id), Numeric(14, 2)).label("value"))
            .where(_in(Activity.assignee_id, spec.user_id),
                   Activity.kind == ActivityKind.VISIT.value,
                   Activity.status == ActivityStatus.DONE.value,
                   Activity.completed_at >= spec.start, Activity.completed_at < spec.end))


def progress(session: Session, specs: Sequence[ProgressSpec]) -> dict[int, Decimal]:
    """Each target's achieved value, computed in SQL: one UNION ALL statement of one
    aggregate per target, whatever the number of targets."""
    if not specs:
        return {}
    branches = [_branch(s) for s in specs]
    stmt = branches[0] if len(branches) == 1 else union_all(*branches)
    out = {}
    for row in session.execute(stmt).all():
        out[row.target_id] = Decimal(str(row.value or 0)).quantize(Decimal("0.01"))
    return out
