"""GraphQL types of activities, visit and contact plans, sales targets and the customer
timeline (docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.activities import models as m
from app.activities import periods, planning, service
from app.activities import repository as repo
from app.auth.roles import Perm
from app.persistence.columns import utcnow
from schema.core.guards import ACTIVITY_TEXT_RULE, activity_text
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.customers.types import Customer

ActivityKind = strawberry.enum(m.ActivityKind, name="ActivityKind")
ActivityStatus = strawberry.enum(m.ActivityStatus, name="ActivityStatus")
ActivitySubjectType = strawberry.enum(m.SubjectType, name="ActivitySubjectType")
TargetPeriod = strawberry.enum(m.TargetPeriod, name="TargetPeriod")
TargetMetric = strawberry.enum(m.TargetMetric, name="TargetMetric")
TimelineKind = strawberry.enum(repo.TimelineKind, name="TimelineKind")

# global-ID type names of an activity's subject (leads and opportunities: the pipeline's)
SUBJECT_TYPES = {"Customer": "CUSTOMER", "Contact": "CONTACT", "Lead": "LEAD",
                 "Opportunity": "OPPORTUNITY", "Order": "ORDER"}
_SUBJECT_NAMES = {v: k for k, v in SUBJECT_TYPES.items()}
_ENTRY_TYPES = {"ORDER": "Order", "ORDER_EVENT": "OrderEvent", "SHIPMENT": "Shipment",
                "PAYMENT": "Payment", "RETURN": "ReturnRequest", "ACTIVITY": "Activity",
                "NOTIFICATION": "Notification"}
REVENUE_RULE = ("REVENUE: the total of orders approved in the period (confirmed_at) and not "
                "cancelled or rejected since (CONFIRMED, SCHEDULED, IN_FULFILLMENT, "
                "PARTIALLY_SHIPPED, SHIPPED, DELIVERED, COMPLETED, ON_HOLD), of customers the "
                "rep owns now; NEW_CUSTOMERS: customers the rep owns created in the period; "
                "VISITS: VISIT activities the rep completed in the period. Team targets count "
                "every SALES user. Periods are business days (CRM_BUSINESS_TIMEZONE).")


def _timezone(info: strawberry.Info) -> str:
    return info.context.settings.business_timezone


register_loader("activity_by_id", service.activities_by_ids)
register_loader("visit_progress", planning.visit_progress, default=0)
register_loader("target_progress", planning.target_progress, default=Decimal("0.00"))
register_loader("timeline_page", service.timeline_pages)
register_relation("Activity", "assignee", "user_by_id", "assignee_id")
register_relation("Activity", "customer", "customer_by_id", "customer_id")
register_relation("VisitPlan", "user", "user_by_id", "user_id")
register_relation("SalesTarget", "user", "user_by_id", "user_id")


@strawberry.type(description="A call, e-mail, visit, meeting, note or task on a customer, "
                 "contact, lead, opportunity or order.")
class Activity(Node):
    kind: ActivityKind  # type: ignore[valid-type]
    status: ActivityStatus  # type: ignore[valid-type]
    subject_type: ActivitySubjectType  # type: ignore[valid-type]
    title: str
    due_at: datetime
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    _pk: strawberry.Private[int]
    _subject_id: strawberry.Private[int]
    _customer_id: strawberry.Private[int | None]
    _assignee_id: strawberry.Private[int]
    _notes: strawberry.Private[str]
    _outcome: strawberry.Private[str]

    @strawberry.field(description="The subject's global ID (Customer, Contact, Lead, "
                      "Opportunity or Order).")
    def subject_id(self) -> strawberry.ID:
        return gid(_SUBJECT_NAMES[self.subject_type], self._subject_id)

    @strawberry.field(description="Open and due before now.")
    def overdue(self) -> bool:
        return self.status == m.ActivityStatus.OPEN.value and self.due_at < utcnow()

    @strawberry.field(description=ACTIVITY_TEXT_RULE, directives=visibility(ACTIVITY_TEXT_RULE))
    def notes(self, info: strawberry.Info) -> str | None:
        return activity_text(info, self._notes)

    @strawberry.field(description=ACTIVITY_TEXT_RULE, directives=visibility(ACTIVITY_TEXT_RULE))
    def outcome(self, info: strawberry.Info) -> str | None:
        return activity_text(info, self._outcome)

    @strawberry.field(description="Who works it.")
    def assignee(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._assignee_id, object_type("User"))

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="The customer it concerns (its own, a contact's or an "
                      "order's); null for leads and opportunities or out of your scope.")
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        if self._customer_id is None:
            return None
        row = await info.context.loaders.load("customer_by_id", self._customer_id)
        # a manager may give a rep work on another rep's customer: the rep sees the
        # activity, not the customer (docs/architecture.md#permissions)
        owner = current_principal(info).owner_scope
        if row is None or (owner is not None and row.owner_id != owner):
            return None
        return info.context.loaders.cached(object_type("Customer"), row)

    @classmethod
    def from_row(cls, row: Any) -> Activity:
        return cls(id=gid("Activity", row.id), kind=row.kind, status=row.status,
                   subject_type=row.subject_type, title=row.title, due_at=row.due_at,
                   completed_at=row.completed_at, created_at=row.created_at,
                   updated_at=row.updated_at, version=row.version, _pk=row.id,
                   _subject_id=row.subject_id, _customer_id=row.customer_id,
                   _assignee_id=row.assignee_id, _notes=row.notes, _outcome=row.outcome)


@strawberry.type(description="A rep's planned visits for a week, and the VISIT activities "
                 "completed in it.")
class VisitPlan(Node):
    week_start: date
    planned_visits: int
    notes: str
    updated_at: datetime
    _user_id: strawberry.Private[int]

    @strawberry.field
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @strawberry.field
    def user(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._user_id, object_type("User"))

    @strawberry.field(description="VISIT activities of the rep completed this week "
                      "(business days, CRM_BUSINESS_TIMEZONE).")
    async def completed_visits(self, info: strawberry.Info) -> int:
        return await info.context.loaders.load(
            "visit_progress", (self._user_id, self.week_start, _timezone(info)))

    @strawberry.field(description="completedVisits / plannedVisits (null without a plan).")
    async def progress(self, info: strawberry.Info) -> float | None:
        done = await self.completed_visits(info)
        return round(done / self.planned_visits, 4) if self.planned_visits else None

    @classmethod
    def from_row(cls, row: Any) -> VisitPlan:
        return cls(id=gid("VisitPlan", row.id), week_start=row.week_start,
                   planned_visits=row.planned_visits, notes=row.notes,
                   updated_at=row.updated_at, _user_id=row.user_id)


@strawberry.type(description="\"Contact every N days\" on a key customer or contact: a TASK "
                 "is made for the assignee when nextDueOn comes.")
class ContactPlan(Node):
    subject_type: ActivitySubjectType  # type: ignore[valid-type]
    every_days: int
    next_due_on: date
    active: bool
    _subject_id: strawberry.Private[int]
    _assignee_id: strawberry.Private[int]

    @strawberry.field
    def subject_id(self) -> strawberry.ID:
        return gid(_SUBJECT_NAMES[self.subject_type], self._subject_id)

    @strawberry.field
    def assignee(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._assignee_id, object_type("User"))

    @classmethod
    def from_row(cls, row: Any) -> ContactPlan:
        return cls(id=gid("ContactPlan", row.id), subject_type=row.subject_type,
                   every_days=row.every_days, next_due_on=row.next_due_on, active=row.active,
                   _subject_id=row.subject_id, _assignee_id=row.assignee_id)


@strawberry.type(description="A rep's (or the team's) target for a month or quarter. "
                 + REVENUE_RULE)
class SalesTarget(Node):
    period: TargetPeriod  # type: ignore[valid-type]
    period_start: date
    metric: TargetMetric  # type: ignore[valid-type]
    target: Decimal
    updated_at: datetime
    _pk: strawberry.Private[int]
    _user_id: strawberry.Private[int | None]

    @strawberry.field(description="The last day of the period.")
    def period_end(self) -> date:
        return periods.period_end(self.period, self.period_start) - timedelta(days=1)

    @strawberry.field(description="A team target: every SALES user together.")
    def is_team(self) -> bool:
        return self._user_id is None

    @strawberry.field(description="The rep; null for a team target.")
    def user(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._user_id, object_type("User"))

    @strawberry.field(description="What is achieved so far, computed in SQL. " + REVENUE_RULE)
    async def achieved(self, info: strawberry.Info) -> Decimal:
        return await info.context.loaders.load("target_progress", (
            self._pk, self.metric, self._user_id, self.period, self.period_start,
            _timezone(info)))

    @strawberry.field(description="achieved / target (null for a zero target).")
    async def progress(self, info: strawberry.Info) -> float | None:
        if not self.target:
            return None
        return round(float(await self.achieved(info) / self.target), 4)

    @strawberry.field(description="progress / elapsed fraction of the period: 1 is on pace; "
                      "below CRM_TARGET_PACE_THRESHOLD an alert is raised (once a day). Null "
                      "before the period starts or for a zero target.")
    async def pace(self, info: strawberry.Info) -> float | None:
        start, end = periods.utc_bounds(self.period_start, periods.period_end(
            self.period, self.period_start), _timezone(info))
        elapsed = periods.elapsed_fraction(utcnow(), start, end)
        value = periods.pace(await self.achieved(info), self.target, elapsed)
        return None if value is None else round(value, 4)

    @classmethod
    def from_row(cls, row: Any) -> SalesTarget:
        return cls(id=gid("SalesTarget", row.id), period=row.period,
                   period_start=row.period_start, metric=row.metric, target=row.target,
                   updated_at=row.updated_at, _pk=row.id, _user_id=row.user_id)


@strawberry.type(description="One thing that happened to a customer: an order, an order "
                 "event (note, status change, payment...), a shipment, a payment, a return, an "
                 "activity (yours, for SALES) or a notification sent.")
class TimelineEntry:
    kind: TimelineKind  # type: ignore[valid-type]
    occurred_at: datetime
    title: str
    _entry_id: strawberry.Private[int]
    _detail: strawberry.Private[str | None]

    @strawberry.field(description="The entry's object as a global ID (Order, Shipment, "
                      "Payment, ReturnRequest, Activity, ...).")
    def entry_id(self) -> strawberry.ID:
        return gid(_ENTRY_TYPES[self.kind], self._entry_id)

    @strawberry.field(description="Status, kind, amount, message or channel, by kind. "
                      + ACTIVITY_TEXT_RULE, directives=visibility(ACTIVITY_TEXT_RULE))
    def detail(self, info: strawberry.Info) -> str | None:
        return activity_text(info, self._detail)

    @strawberry.field(description="The activity, for ACTIVITY entries.")
    async def activity(self, info: strawberry.Info) -> Activity | None:
        if self.kind != repo.TimelineKind.ACTIVITY.value:
            return None
        row = await info.context.loaders.load("activity_by_id", self._entry_id)
        return Activity.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Any) -> TimelineEntry:
        return cls(kind=row.kind, occurred_at=row.at, title=row.title or "",
                   _entry_id=row.entry_id, _detail=row.detail)


def _fetch(type_name: str, fn: Any, cls: Any) -> Any:
    async def fetch(info: strawberry.Info, pk: int) -> Any:
        principal = current_principal(info)
        perm = Perm.TARGETS_READ if type_name == "SalesTarget" else Perm.ACTIVITIES_READ
        if not principal.can(perm):
            return None
        row = await run_read(info, fn, principal, pk)
        return cls.from_row(row) if row else None
    return fetch


register_node("Activity", _fetch("Activity", service.get_activity, Activity))
register_node("VisitPlan", _fetch("VisitPlan", planning.get_visit_plan, VisitPlan))
register_node("ContactPlan", _fetch("ContactPlan", planning.get_contact_plan, ContactPlan))
register_node("SalesTarget", _fetch("SalesTarget", planning.get_target, SalesTarget))
register_types(Activity, VisitPlan, ContactPlan, SalesTarget, TimelineEntry)
