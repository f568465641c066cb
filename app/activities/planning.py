"""Visit plans, key-contact maintenance plans and sales targets: one function per step,
and the reads that compute their progress (docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.activities import periods
from app.activities import repository as repo
from app.activities.models import (
    ContactPlan,
    SalesTarget,
    SubjectType,
    TargetMetric,
    TargetPeriod,
    VisitPlan,
)
from app.activities.service import check_assignee, resolve_subject
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import DomainError, ErrorCode, NotFound, Validator
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, flush_unique, snapshot

MAX_MONEY = Decimal("999999999999.99")


def set_visit_plan(uow: UnitOfWork, user_id: int | None, week_start: date,
                   planned_visits: int, notes: str | None) -> VisitPlan:
    """A rep's planned visits for a week (one plan per rep and week: set again, it is
    replaced). SALES plan their own weeks; managers anyone's."""
    v = Validator()
    v.check(week_start.weekday() == 0, "weekStart", "weekStart must be a Monday")
    v.check(0 <= planned_visits <= 500, "plannedVisits", "plannedVisits is 0 to 500")
    v.check(len(notes or "") <= 2000, "notes", "notes are at most 2000 characters")
    v.raise_if_any()
    session = uow.session
    user = check_assignee(session, uow.principal, user_id)
    plan = repo.visit_plan_of(session, user, week_start)
    before = snapshot(plan)
    if plan is None:
        plan = VisitPlan(user_id=user, week_start=week_start)
        session.add(plan)
    plan.planned_visits, plan.updated_at = planned_visits, utcnow()
    if notes is not None:
        plan.notes = notes
    flush_unique(session, DomainError("this week's plan was just set; reload and retry",
                                      field=["weekStart"], code=ErrorCode.DUPLICATE))
    uow.audit("visit_plan.set", "VisitPlan", plan.id, before=before, after=snapshot(plan))
    return plan


def set_contact_plan(uow: UnitOfWork, subject_type: str, subject_id: int, every_days: int,
                     assignee_id: int | None, first_due_on: date | None,
                     active: bool = True) -> ContactPlan:
    """"Contact every N days" on a customer or a contact: the periodic check makes a TASK
    for the assignee when `next_due_on` comes (app/activities/checks.py). One plan per
    subject: set again, it is replaced."""
    v = Validator()
    v.check(subject_type in (SubjectType.CUSTOMER.value, SubjectType.CONTACT.value),
            "subjectId", "a contact plan is on a customer or a contact")
    v.check(1 <= every_days <= 366, "everyDays", "everyDays is 1 to 366")
    v.raise_if_any()
    session, principal = uow.session, uow.principal
    customer_id = resolve_subject(session, principal, subject_type, subject_id)
    assignee = check_assignee(session, principal, assignee_id)
    plan = repo.contact_plan_of(session, subject_type, subject_id)
    if plan is not None and principal.owner_scope is not None \
            and plan.assignee_id != principal.user_id:
        raise NotFound("contact plan not found", field=["subjectId"])
    before = snapshot(plan)
    today = utcnow().date()
    if plan is None:
        plan = ContactPlan(subject_type=subject_type, subject_id=subject_id,
                           customer_id=customer_id, assignee_id=assignee,
                           every_days=every_days, next_due_on=today)
        session.add(plan)
    plan.assignee_id, plan.every_days, plan.active = assignee, every_days, active
    plan.next_due_on = first_due_on or (today + timedelta(days=every_days)
                                        if before is None else plan.next_due_on)
    plan.updated_at = utcnow()
    flush_unique(session, DomainError("a plan was just set for this subject; reload",
                                      field=["subjectId"], code=ErrorCode.DUPLICATE))
    uow.audit("contact_plan.set", "ContactPlan", plan.id, before=before, after=snapshot(plan))
    return plan


def _check_target(period: str, period_start: date, metric: str, target: Decimal) -> None:
    v = Validator()
    v.check(period in TargetPeriod.__members__, "period", "period is MONTH or QUARTER")
    v.check(metric in TargetMetric.__members__, "metric",
            "metric is REVENUE, NEW_CUSTOMERS or VISITS")
    v.check(periods.is_period_start(period, period_start), "periodStart",
            "periodStart is the first day of a month (MONTH) or of a quarter (QUARTER)")
    if v.check(target.is_finite(), "target", "target must be a number"):
        v.check(Decimal(0) <= target <= MAX_MONEY, "target", "target must be >= 0")
        if metric != TargetMetric.REVENUE.value:
            v.check(target == target.to_integral_value(), "target", "a count is whole")
    v.raise_if_any()


def set_sales_target(uow: UnitOfWork, user_id: int | None, period: str, period_start: date,
                     metric: str, target: Decimal) -> SalesTarget:
    """A rep's target (or, without a user, the team's: every SALES user together) for a
    month or quarter; set again, it is replaced."""
    _check_target(period, period_start, metric, target)
    session = uow.session
    if user_id is not None:
        user = repo.active_user(session, user_id)
        if user is None or user.role != Role.SALES.value:
            raise NotFound("sales rep not found", field=["userId"])
    scope_key = f"user:{user_id}" if user_id is not None else "team"
    row = repo.target_of(session, scope_key, period, period_start, metric)
    before = snapshot(row)
    if row is None:
        row = SalesTarget(user_id=user_id, scope_key=scope_key, period=period,
                          period_start=period_start, metric=metric,
                          created_by_id=None if uow.principal.is_system
                          else uow.principal.user_id)
        session.add(row)
    row.target, row.updated_at = target, utcnow()
    flush_unique(session, DomainError("this target was just set; reload and retry",
                                      field=["periodStart"], code=ErrorCode.DUPLICATE))
    uow.audit("sales_target.set", "SalesTarget", row.id, before=before, after=snapshot(row))
    return row


# Reads ------------------------------------------------------------------------------

def get_visit_plan(session: Session, principal: Principal, plan_id: int) -> Any:
    return repo.visit_plan_visible(session, principal, plan_id)


def get_contact_plan(session: Session, principal: Principal, plan_id: int) -> Any:
    return repo.contact_plan_visible(session, principal, plan_id)


def get_target(session: Session, principal: Principal, target_id: int) -> Any:
    return repo.target_visible(session, principal, target_id)


def list_visit_plans(session: Session, principal: Principal, flt: repo.VisitPlanFilter,
                     sort: repo.VisitPlanSort, page: Any) -> Any:
    return repo.list_visit_plans(session, principal, flt, sort, page)


def visit_progress(session: Session, keys: Sequence[tuple[int, date, str]]
                   ) -> dict[tuple[int, date, str], int]:
    """Completed VISIT activities of each (rep, week, business time zone): one statement
    for all keys, counted into weeks here."""
    if not keys:
        return {}
    timezone = keys[0][2]
    first, last = min(k[1] for k in keys), max(k[1] for k in keys) + timedelta(days=7)
    start, end = periods.utc_bounds(first, last, timezone)
    found = repo.done_visits(session, sorted({k[0] for k in keys}), start, end)
    out = {}
    for key in keys:
        low, high = periods.utc_bounds(key[1], key[1] + timedelta(days=7), key[2])
        out[key] = sum(1 for r in found if r.assignee_id == key[0]
                       and low <= r.completed_at < high)
    return out


def list_targets(session: Session, principal: Principal, flt: repo.SalesTargetFilter,
                 sort: repo.SalesTargetSort, page: Any) -> Any:
    return repo.list_targets(session, principal, flt, sort, page)


def progress_spec(target: Any, timezone: str) -> repo.ProgressSpec:
    start, end = periods.utc_bounds(target.period_start,
                                    periods.period_end(target.period, target.period_start),
                                    timezone)
    return repo.ProgressSpec(target.id, target.metric, target.user_id, start, end)


def target_progress(session: Session, keys: Sequence[tuple[int, str, int | None, str, date,
                                                              str]]) -> dict[tuple, Decimal]:
    """Achieved values of targets keyed (id, metric, user, period, start, time zone), in
    one SQL statement (app/activities/repository/targets.py `progress`)."""
    specs = {}
    for key in keys:
        tid, metric, user_id, period, start, timezone = key
        low, high = periods.utc_bounds(start, periods.period_end(period, start), timezone)
        specs[key] = repo.ProgressSpec(tid, metric, user_id, low, high)
    found = repo.progress(session, list(specs.values()))
    return {key: found.get(spec.target_id, Decimal("0.00")) for key, spec in specs.items()}
