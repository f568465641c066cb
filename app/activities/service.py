"""Activities: one function per step (create, update, complete), and the reads the API
uses (docs/architecture.md#activities-plans-and-targets). Plans and targets:
app/activities/planning.py; the periodic checks: app/activities/checks.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.activities import repository as repo
from app.activities.models import Activity, ActivityKind, ActivityStatus, SubjectType
from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.customers import repository as customers
from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    Validator,
)
from app.orders import repository as orders
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot

_KINDS = set(ActivityKind.__members__)
_EDITABLE = {"kind", "title", "notes", "due_at", "assignee_id", "outcome"}


def _validate(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    if creating or "title" in data:
        title = (data.get("title") or "").strip()
        v.check(1 <= len(title) <= 200, "title", "title is required (at most 200 characters)")
    if data.get("kind") is not None:
        v.check(data["kind"] in _KINDS, "kind", "kind must be one of " + ", ".join(_KINDS))
    for key, limit in (("notes", 4000), ("outcome", 2000)):
        if data.get(key) is not None:
            v.check(len(data[key]) <= limit, key, f"{key} is at most {limit} characters")
    if creating and not data.get("done") and data.get("kind") not in (None, "NOTE"):
        v.check(data.get("due_at") is not None, "dueAt", "an open activity needs a due time")
    if "due_at" in data and not creating:
        v.check(data["due_at"] is not None, "dueAt", "dueAt cannot be cleared")
    v.raise_if_any()


def resolve_subject(session: Session, principal: Principal, subject_type: str,
                    subject_id: int) -> int | None:
    """The customer a subject belongs to, checked against the principal's scope: a subject
    out of scope is NOT_FOUND like a missing one. Leads and opportunities are a generic
    (type, id) pair here (their tables live with the pipeline) and have no customer."""
    missing = NotFound(f"{subject_type.lower()} not found", field=["subjectId"])
    if subject_type == SubjectType.CUSTOMER.value:
        if customers.get_visible(session, principal, subject_id) is None:
            raise missing
        return subject_id
    if subject_type == SubjectType.CONTACT.value:
        contact = customers.contacts_by_ids(session, [subject_id]).get(subject_id)
        if contact is None or customers.get_visible(session, principal,
                                                    contact.customer_id) is None:
            raise missing
        return contact.customer_id
    if subject_type == SubjectType.ORDER.value:
        order = orders.get_visible(session, principal, subject_id)
        if order is None:
            raise missing
        return order.customer_id
    if subject_id <= 0:
        raise missing
    return None


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([DomainError(message, field=[field])])


def check_assignee(session: Session, principal: Principal, assignee_id: int | None,
                   perm: Perm = Perm.ACTIVITIES_WRITE) -> int:
    """SALES work their own (an assignee other than themselves is FORBIDDEN); managers
    assign to any active user who holds `perm`."""
    if assignee_id is None and principal.is_system:
        raise _invalid("assigneeId", "assigneeId is required")
    if assignee_id is None or assignee_id == principal.user_id:
        return principal.user_id
    if principal.role is Role.SALES:
        raise Forbidden("sales reps work their own activities", field=["assigneeId"])
    user = repo.active_user(session, assignee_id)
    if user is None:
        raise NotFound("user not found", field=["assigneeId"])
    if not Principal(user_id=user.id, role=Role(user.role)).can(perm):
        raise _invalid("assigneeId", f"a {user.role} user cannot be assigned this")
    return user.id


def create_activity(uow: UnitOfWork, data: dict[str, Any]) -> Activity:
    _validate(data, creating=True)
    session, principal = uow.session, uow.principal
    customer_id = resolve_subject(session, principal, data["subject_type"],
                                  data["subject_id"])
    assignee = check_assignee(session, principal, data.get("assignee_id"))
    now = utcnow()
    kind = data.get("kind") or ActivityKind.TASK.value
    done = bool(data.get("done")) or kind == ActivityKind.NOTE.value
    activity = Activity(
        kind=kind, subject_type=data["subject_type"], subject_id=data["subject_id"],
        customer_id=customer_id, title=data["title"].strip(), notes=data.get("notes") or "",
        outcome=data.get("outcome") or "", due_at=data.get("due_at") or now,
        assignee_id=assignee, created_by_id=None if principal.is_system else principal.user_id,
        contact_plan_id=data.get("contact_plan_id"),
        status=ActivityStatus.DONE.value if done else ActivityStatus.OPEN.value,
        completed_at=now if done else None, created_at=now, updated_at=now)
    session.add(activity)
    session.flush()
    uow.audit("activity.create", "Activity", activity.id, after=snapshot(activity))
    return activity


def _load(uow: UnitOfWork, activity_id: int) -> Activity:
    activity = repo.get_visible(uow.session, uow.principal, activity_id, for_update=True)
    if activity is None:
        raise NotFound("activity not found", field=["id"])
    return activity


def update_activity(uow: UnitOfWork, activity_id: int, data: dict[str, Any],
                    expected_version: int | None = None) -> Activity:
    _validate(data, creating=False)
    activity = _load(uow, activity_id)
    if expected_version is not None and expected_version != activity.version:
        raise Conflict(f"activity changed (version {activity.version}); reload and retry",
                       field=["expectedVersion"])
    if activity.status != ActivityStatus.OPEN.value and data.keys() - {"notes", "outcome"}:
        raise InvalidTransition("activity", activity.status, "reschedule or reassign")
    before, due_before = snapshot(activity), activity.due_at
    if "assignee_id" in data:
        data["assignee_id"] = check_assignee(uow.session, uow.principal, data["assignee_id"])
    for key, value in data.items():
        if key in _EDITABLE and value is not None:
            setattr(activity, key, value.strip() if key == "title" else value)
    if activity.due_at != due_before:
        activity.overdue_alerted_at = None  # a new due time can be missed again, once
    activity.version += 1
    activity.updated_at = utcnow()
    uow.session.flush()
    uow.audit("activity.update", "Activity", activity.id, before=before,
              after=snapshot(activity))
    return activity


def complete_activity(uow: UnitOfWork, activity_id: int, outcome: str | None,
                      expected_version: int | None = None) -> Activity:
    _validate({"outcome": outcome}, creating=False)
    activity = _load(uow, activity_id)
    if expected_version is not None and expected_version != activity.version:
        raise Conflict(f"activity changed (version {activity.version}); reload and retry",
                       field=["expectedVersion"])
    if activity.status != ActivityStatus.OPEN.value:
        raise InvalidTransition("activity", activity.status, "complete")
    before = snapshot(activity)
    now = utcnow()
    activity.status, activity.completed_at = ActivityStatus.DONE.value, now
    if outcome is not None:
        activity.outcome = outcome
    activity.version += 1
    activity.updated_at = now
    uow.session.flush()
    uow.audit("activity.complete", "Activity", activity.id, before=before,
              after=snapshot(activity))
    return activity


# Reads ------------------------------------------------------------------------------

def get_activity(session: Session, principal: Principal, activity_id: int) -> Activity | None:
    return repo.get_visible(session, principal, activity_id)


def list_activities(session: Session, principal: Principal, flt: repo.ActivityFilter,
                    sort: repo.ActivitySort, page: Any) -> Any:
    return repo.list_activities(session, principal, flt, sort, page)


def my_agenda(session: Session, principal: Principal, start: datetime, end: datetime,
              page: Any) -> Any:
    """The caller's own activities due in [start, end), and the open ones overdue before
    it, soonest first."""
    return repo.agenda(session, principal, start, end, page)


def activities_by_ids(session: Session, ids: Any) -> dict[int, Activity]:
    """For loaders whose keys came from a scoped read (the timeline's activity entries)."""
    return repo.activities_by_ids(session, ids)


def timeline_pages(session: Session, keys: Any) -> dict[Any, Any]:
    """Timeline pages keyed (customer id, principal, page request): one statement each,
    whatever the page size. The customer is the parent object, already in scope."""
    return {key: repo.customer_timeline(session, key[1], key[0], None, key[2])
            for key in keys}
