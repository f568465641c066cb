"""Activity, plan and target mutations and their payloads `{ <object>, userErrors }`:
parse the input, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.activities import planning, service
from app.errors import DomainError
from app.ids import parse_id
from schema.activities.inputs import (
    ActivityCreateInput,
    ActivityUpdateInput,
    ContactPlanSetInput,
    SalesTargetSetInput,
    VisitPlanSetInput,
    activity_data_from,
    parse_subject,
)
from schema.activities.types import Activity, ContactPlan, SalesTarget, VisitPlan
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write


@strawberry.type
class ActivityPayload:
    activity: Activity | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class VisitPlanPayload:
    visit_plan: VisitPlan | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ContactPlanPayload:
    contact_plan: ContactPlan | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SalesTargetPayload:
    sales_target: SalesTarget | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _user(value: strawberry.ID | None, field: str) -> int | None:
    return parse_id(value, "User", field) if value else None


@strawberry.type
class ActivityMutation:
    @strawberry.mutation(description="Plan or log an activity on a customer, contact, lead, "
                         "opportunity or order.")
    async def activity_create(self, info: strawberry.Info,
                              input: ActivityCreateInput) -> ActivityPayload:
        try:
            data = activity_data_from(input)
        except DomainError as exc:
            return ActivityPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.create_activity, data)
        return ActivityPayload(activity=Activity.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation(description="Edit, reschedule or (managers) reassign an open "
                         "activity; notes and outcome of a done one.")
    async def activity_update(self, info: strawberry.Info, id: strawberry.ID,
                              input: ActivityUpdateInput) -> ActivityPayload:
        try:
            pk = parse_id(id, "Activity")
            data = activity_data_from(input)
        except DomainError as exc:
            return ActivityPayload(user_errors=user_errors(exc))
        version = input.expected_version or None
        row, errors = await run_write(info, service.update_activity, pk, data, version)
        return ActivityPayload(activity=Activity.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation(description="Mark an open activity done, with its outcome.")
    async def activity_complete(self, info: strawberry.Info, id: strawberry.ID,
                                outcome: str | None = None) -> ActivityPayload:
        try:
            pk = parse_id(id, "Activity")
        except DomainError as exc:
            return ActivityPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.complete_activity, pk, outcome)
        return ActivityPayload(activity=Activity.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation(description="Set a rep's planned visits for a week.")
    async def visit_plan_set(self, info: strawberry.Info,
                             input: VisitPlanSetInput) -> VisitPlanPayload:
        try:
            user = _user(input.user_id, "userId")
        except DomainError as exc:
            return VisitPlanPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, planning.set_visit_plan, user, input.week_start,
                                      input.planned_visits, input.notes)
        return VisitPlanPayload(visit_plan=VisitPlan.from_row(row) if row else None,
                                user_errors=errors)

    @strawberry.mutation(description="\"Contact every N days\" on a key customer or contact.")
    async def contact_plan_set(self, info: strawberry.Info,
                               input: ContactPlanSetInput) -> ContactPlanPayload:
        try:
            subject_type, subject_id = parse_subject(input.subject_id)
            assignee = _user(input.assignee_id, "assigneeId")
        except DomainError as exc:
            return ContactPlanPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, planning.set_contact_plan, subject_type,
                                      subject_id, input.every_days, assignee,
                                      input.first_due_on, input.active)
        return ContactPlanPayload(contact_plan=ContactPlan.from_row(row) if row else None,
                                  user_errors=errors)

    @strawberry.mutation(description="Set a rep's or the team's target for a month or "
                         "quarter (replaces the one set before).")
    async def sales_target_set(self, info: strawberry.Info,
                               input: SalesTargetSetInput) -> SalesTargetPayload:
        try:
            user = _user(input.user_id, "userId")
        except DomainError as exc:
            return SalesTargetPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, planning.set_sales_target, user,
                                      input.period.value, input.period_start,
                                      input.metric.value, input.target)
        return SalesTargetPayload(sales_target=SalesTarget.from_row(row) if row else None,
                                  user_errors=errors)
