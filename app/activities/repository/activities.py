"""SQL for activities: the row scope, lists, the agenda and the overdue claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, false, not_, or_, update
from sqlmodel import Session, select

from app.activities.models import Activity, ActivityKind, ActivityStatus
from app.auth.models import User
from app.auth.principal import Principal
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)


class ActivitySort(StrEnum):
    DUE_AT_ASC = "DUE_AT_ASC"
    DUE_AT_DESC = "DUE_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


_SORTS = sort_table(ActivitySort, {"DUE_AT": Activity.due_at,
                                   "CREATED_AT": Activity.created_at})


@dataclass(frozen=True)
class ActivityFilter:
    assignee_id: int | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    customer_id: int | None = None
    kinds: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = None  # OPEN and due before `now`
    now: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """SALES work their own activities (assigned to them); customers see none."""
    if principal.customer_scope is not None:
        return stmt.where(false())
    if principal.owner_scope is not None:
        stmt = stmt.where(Activity.assignee_id == principal.owner_scope)
    return stmt


def overdue_condition(now: datetime) -> Any:
    return and_(Activity.status == ActivityStatus.OPEN.value, Activity.due_at < now)


def get_visible(session: Session, principal: Principal, activity_id: int, *,
                for_update: bool = False) -> Activity | None:
    stmt = scope(select(Activity).where(Activity.id == activity_id), principal)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def list_activities(session: Session, principal: Principal, flt: ActivityFilter,
                    sort: ActivitySort, page: PageRequest) -> Page[Activity]:
    overdue = None
    if flt.overdue is not None and flt.now is not None:
        cond = overdue_condition(flt.now)
        overdue = cond if flt.overdue else not_(cond)
    stmt = where(scope(select(Activity), principal),
                 equal(Activity.assignee_id, flt.assignee_id),
                 equal(Activity.subject_type, flt.subject_type),
                 equal(Activity.subject_id, flt.subject_id),
                 equal(Activity.customer_id, flt.customer_id),
                 one_of(Activity.kind, flt.kinds), one_of(Activity.status, flt.statuses),
                 in_period(Activity.due_at, flt.due_after, flt.due_before), overdue)
    return paginate(session, stmt, _SORTS[sort], page, Activity.id)


def agenda(session: Session, principal: Principal, start: datetime, end: datetime,
           page: PageRequest) -> Page[Activity]:
    """The principal's own activities due in [start, end), and the open ones overdue before
    it, soonest first."""
    stmt = scope(select(Activity), principal).where(
        Activity.assignee_id == principal.user_id, Activity.due_at < end,
        or_(Activity.due_at >= start, Activity.status == ActivityStatus.OPEN.value))
    return paginate(session, stmt, _SORTS[ActivitySort.DUE_AT_ASC], page, Activity.id)


def activities_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Activity]:
    """Unscoped, for loaders whose keys came from a scoped query (the timeline)."""
    return {a.id: a for a in session.exec(select(Activity).where(Activity.id.in_(list(ids))))}


def claim_overdue(session: Session, now: datetime, limit: int) -> list[Any]:
    """Mark up to `limit` overdue activities alerted, and return them: one conditional
    UPDATE, so of two runs racing each row is claimed by exactly one (PostgreSQL re-checks
    `overdue_alerted_at IS NULL` on the locked row; SQLite has one writer)."""
    candidates = (select(Activity.id).where(overdue_condition(now),
                                            Activity.overdue_alerted_at.is_(None))
                  .order_by(Activity.due_at, Activity.id).limit(limit))
    stmt = (update(Activity)
            .where(Activity.id.in_(candidates.scalar_subquery()), overdue_condition(now),
                   Activity.overdue_alerted_at.is_(None))
            .values(overdue_alerted_at=now)
            .returning(Activity.id, Activity.assignee_id, Activity.customer_id,
                       Activity.subject_type, Activity.subject_id, Activity.kind,
                       Activity.title, Activity.due_at)
            .execution_options(synchronize_session=False))
    return sorted(session.execute(stmt).all(), key=lambda r: r.id)


def done_visits(session: Session, user_ids: Sequence[int], start: datetime,
                end: datetime) -> list[Any]:
    """(assignee_id, completed_at) of the completed VISIT activities of `user_ids` in
    [start, end): one statement for every plan of a page."""
    stmt = select(Activity.assignee_id, Activity.completed_at).where(
        Activity.kind == ActivityKind.VISIT.value,
        Activity.status == ActivityStatus.DONE.value,
        Activity.assignee_id.in_(list(user_ids)),
        Activity.completed_at >= start, Activity.completed_at < end)
    return list(session.exec(stmt).all())


def active_user(session: Session, user_id: int) -> User | None:
    return session.exec(select(User).where(User.id == user_id, User.is_active)).first()
