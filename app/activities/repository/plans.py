"""SQL for weekly visit plans and key-contact maintenance plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import false, update
from sqlmodel import Session, select

from app.activities.models import ContactPlan, VisitPlan
from app.auth.principal import Principal
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    in_period,
    paginate,
    sort_table,
    where,
)


class VisitPlanSort(StrEnum):
    WEEK_START_DESC = "WEEK_START_DESC"
    WEEK_START_ASC = "WEEK_START_ASC"


_SORTS = sort_table(VisitPlanSort, {"WEEK_START": VisitPlan.week_start})


@dataclass(frozen=True)
class VisitPlanFilter:
    user_id: int | None = None
    week_from: date | None = None
    week_to: date | None = None  # exclusive


def scope_visit_plans(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """SALES see their own plans; customers none."""
    if principal.customer_scope is not None:
        return stmt.where(false())
    if principal.owner_scope is not None:
        stmt = stmt.where(VisitPlan.user_id == principal.owner_scope)
    return stmt


def visit_plan_of(session: Session, user_id: int, week_start: date) -> VisitPlan | None:
    return session.exec(select(VisitPlan).where(VisitPlan.user_id == user_id,
                                                VisitPlan.week_start == week_start)).first()


def visit_plan_visible(session: Session, principal: Principal, plan_id: int
                       ) -> VisitPlan | None:
    return session.exec(scope_visit_plans(select(VisitPlan).where(VisitPlan.id == plan_id),
                                          principal)).first()


def contact_plan_visible(session: Session, principal: Principal, plan_id: int
                         ) -> ContactPlan | None:
    return session.exec(scope_contact_plans(
        select(ContactPlan).where(ContactPlan.id == plan_id), principal)).first()


def list_visit_plans(session: Session, principal: Principal, flt: VisitPlanFilter,
                     sort: VisitPlanSort, page: PageRequest) -> Page[VisitPlan]:
    stmt = where(scope_visit_plans(select(VisitPlan), principal),
                 equal(VisitPlan.user_id, flt.user_id),
                 in_period(VisitPlan.week_start, flt.week_from, flt.week_to))
    return paginate(session, stmt, _SORTS[sort], page, VisitPlan.id)


def scope_contact_plans(stmt, principal: Principal):  # noqa: ANN001, ANN201
    if principal.customer_scope is not None:
        return stmt.where(false())
    if principal.owner_scope is not None:
        stmt = stmt.where(ContactPlan.assignee_id == principal.owner_scope)
    return stmt


def contact_plan_of(session: Session, subject_type: str, subject_id: int
                    ) -> ContactPlan | None:
    return session.exec(select(ContactPlan).where(
        ContactPlan.subject_type == subject_type, ContactPlan.subject_id == subject_id)).first()


def contact_plans_by_customer(session: Session, ids: Sequence[int]
                              ) -> dict[int, list[ContactPlan]]:
    stmt = select(ContactPlan).where(ContactPlan.customer_id.in_(list(ids))).order_by(
        ContactPlan.customer_id, ContactPlan.id)
    out: dict[int, list[ContactPlan]] = {}
    for row in session.exec(stmt):
        out.setdefault(row.customer_id, []).append(row)
    return out


def due_contact_plans(session: Session, today: date, limit: int) -> list[ContactPlan]:
    stmt = (select(ContactPlan).where(ContactPlan.active, ContactPlan.next_due_on <= today)
            .order_by(ContactPlan.next_due_on, ContactPlan.id).limit(limit))
    return list(session.exec(stmt).all())


def claim_contact_plan(session: Session, plan_id: int, due_on: date, next_due_on: date
                       ) -> bool:
    """Move a plan from `due_on` to `next_due_on` if nobody did: the run that moves it
    creates the period's task, so two runs racing make it once."""
    stmt = (update(ContactPlan)
            .where(ContactPlan.id == plan_id, ContactPlan.next_due_on == due_on,
                   ContactPlan.active)
            .values(next_due_on=next_due_on)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1
