"""Input types, filters and sorts of activities, plans and targets, and their translation
into service arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.activities import repository as repo
from app.errors import DomainError
from app.ids import from_global_id, parse_id
from app.persistence.columns import utcnow
from schema.activities.types import (
    SUBJECT_TYPES,
    ActivityKind,
    ActivityStatus,
    TargetMetric,
    TargetPeriod,
)
from schema.core.writes import provided

ActivitySort = strawberry.enum(repo.ActivitySort, name="ActivitySort")
VisitPlanSort = strawberry.enum(repo.VisitPlanSort, name="VisitPlanSort")
SalesTargetSort = strawberry.enum(repo.SalesTargetSort, name="SalesTargetSort")

SUBJECT = "A Customer, Contact, Lead, Opportunity or Order ID."


def parse_subject(value: str, field: str = "subjectId") -> tuple[str, int]:
    """(subject type, id) from a global ID of one of SUBJECT_TYPES."""
    try:
        type_name, _ = from_global_id(value)
    except ValueError:
        raise DomainError(f"{field} is not a valid ID", field=[field]) from None
    if type_name not in SUBJECT_TYPES:
        raise DomainError(f"{field} must be a Customer, Contact, Lead, Opportunity or Order "
                          "ID", field=[field])
    return SUBJECT_TYPES[type_name], parse_id(value, type_name, field)


@strawberry.input
class ActivityCreateInput:
    kind: ActivityKind  # type: ignore[valid-type]
    subject_id: strawberry.ID = strawberry.field(description=SUBJECT)
    title: str
    due_at: datetime | None = strawberry.field(
        default=None, description="Required for open activities (not for NOTE or done).")
    notes: str | None = None
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="A User ID; default yourself. SALES assign only "
        "themselves.")
    done: bool = strawberry.field(default=False, description="Log it as done (a call that "
                                  "happened); a NOTE is always done.")
    outcome: str | None = None


@strawberry.input
class ActivityUpdateInput:
    kind: ActivityKind | None = strawberry.UNSET  # type: ignore[valid-type]
    title: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    outcome: str | None = strawberry.UNSET
    due_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="A new due time: its lateness is alerted "
        "again, once.")
    assignee_id: strawberry.ID | None = strawberry.UNSET
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT if the activity changed.")


@strawberry.input
class ActivityFilter:
    assignee_id: strawberry.ID | None = None
    subject_id: strawberry.ID | None = strawberry.field(default=None, description=SUBJECT)
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Activities concerning this customer (its own, its "
        "contacts' and orders').")
    kind: list[ActivityKind] | None = None  # type: ignore[valid-type]
    status: list[ActivityStatus] | None = None  # type: ignore[valid-type]
    due_after: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = strawberry.field(default=None, description="true: open and due "
                                            "before now; false: the others.")


@strawberry.input
class VisitPlanSetInput:
    week_start: date = strawberry.field(description="The Monday of the week.")
    planned_visits: int
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The rep (default yourself; SALES plan only their own).")
    notes: str | None = None


@strawberry.input
class VisitPlanFilter:
    user_id: strawberry.ID | None = None
    week_from: date | None = None
    week_to: date | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.input
class ContactPlanSetInput:
    subject_id: strawberry.ID = strawberry.field(description="A Customer or Contact ID.")
    every_days: int
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default yourself; SALES only themselves.")
    first_due_on: date | None = strawberry.field(
        default=None, description="When the first task is due (default: today + everyDays).")
    active: bool = True


@strawberry.input
class SalesTargetSetInput:
    period: TargetPeriod  # type: ignore[valid-type]
    period_start: date = strawberry.field(description="The first day of the month or quarter.")
    metric: TargetMetric  # type: ignore[valid-type]
    target: Decimal = strawberry.field(description="An amount (REVENUE) or a count.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="A SALES user; null: the team (every SALES user).")


@strawberry.input
class SalesTargetFilter:
    user_id: strawberry.ID | None = None
    team: bool | None = strawberry.field(default=None, description="true: team targets "
                                         "only; false: reps' only.")
    period: TargetPeriod | None = None  # type: ignore[valid-type]
    metric: TargetMetric | None = None  # type: ignore[valid-type]
    starts_from: date | None = None
    starts_before: date | None = None


def _user(value: str | None, field: str) -> int | None:
    return parse_id(value, "User", field) if value else None


def activity_filter_from(flt: ActivityFilter | None) -> repo.ActivityFilter:
    if flt is None:
        return repo.ActivityFilter()
    subject_type, subject_id = parse_subject(flt.subject_id) if flt.subject_id else (None,
                                                                                      None)
    return repo.ActivityFilter(
        assignee_id=_user(flt.assignee_id, "assigneeId"), subject_type=subject_type,
        subject_id=subject_id,
        customer_id=parse_id(flt.customer_id, "Customer", "customerId")
        if flt.customer_id else None,
        kinds=tuple(k.value for k in flt.kind) if flt.kind is not None else None,
        statuses=tuple(s.value for s in flt.status) if flt.status is not None else None,
        due_after=flt.due_after, due_before=flt.due_before, overdue=flt.overdue,
        now=utcnow())


def activity_data_from(inp: ActivityCreateInput | ActivityUpdateInput) -> dict[str, Any]:
    """The fields sent, by service name, with their IDs decoded."""
    data = provided(inp)
    data.pop("expected_version", None)
    if "kind" in data and data["kind"] is not None:
        data["kind"] = data["kind"].value
    if data.get("subject_id") is not None:  # "" too: a clear NOT_FOUND, never a KeyError
        data["subject_type"], data["subject_id"] = parse_subject(data["subject_id"])
    if "assignee_id" in data:
        data["assignee_id"] = _user(data["assignee_id"], "assigneeId")
    return data


def visit_plan_filter_from(flt: VisitPlanFilter | None) -> repo.VisitPlanFilter:
    if flt is None:
        return repo.VisitPlanFilter()
    return repo.VisitPlanFilter(user_id=_user(flt.user_id, "userId"), week_from=flt.week_from,
                                week_to=flt.week_to)


def target_filter_from(flt: SalesTargetFilter | None) -> repo.SalesTargetFilter:
    if flt is None:
        return repo.SalesTargetFilter()
    return repo.SalesTargetFilter(
        user_id=_user(flt.user_id, "userId"), team=flt.team,
        period=flt.period.value if flt.period else None,
        metric=flt.metric.value if flt.metric else None, starts_from=flt.starts_from,
        starts_before=flt.starts_before)
