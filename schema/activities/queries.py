"""`activities`, `activity`, `myAgenda`, `visitPlans`, `salesTargets`: parse, call one
service, map the result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.activities import planning, service
from app.errors import DomainError
from schema.activities.inputs import (
    ActivityFilter,
    ActivitySort,
    SalesTargetFilter,
    SalesTargetSort,
    VisitPlanFilter,
    VisitPlanSort,
    activity_filter_from,
    target_filter_from,
    visit_plan_filter_from,
)
from schema.activities.types import Activity, SalesTarget, VisitPlan
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.loading.prefetch import read_connection


@strawberry.type
class ActivityQuery:
    @strawberry.field(description="Activities you may see (SALES: their own), soonest due "
                      "first by default.")
    async def activities(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ActivityFilter | None = None, sort: ActivitySort | None = None,
    ) -> Connection[Activity]:
        sort = sort or ActivitySort.DUE_AT_ASC  # null: the list's default order
        page = await read_connection(info, "Activity", service.list_activities,
                                     current_principal(info), activity_filter_from(filter),
                                     sort, page_request(info, first, after, last, before))
        return to_connection(page, Activity.from_row)

    @strawberry.field(description="One activity; null when missing or out of your scope.")
    async def activity(self, info: strawberry.Info, id: strawberry.ID) -> Activity | None:
        return await lookup(info, id, "Activity")

    @strawberry.field(description="Your own activities due in [from, to), and your open ones "
                      "overdue before it, soonest first.")
    async def my_agenda(
        self, info: strawberry.Info,
        from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> Connection[Activity]:
        if to <= from_:
            raise DomainError("`to` must be after `from`", field=["to"])
        page = await read_connection(info, "Activity", service.my_agenda,
                                     current_principal(info), from_, to,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Activity.from_row)

    @strawberry.field(description="Weekly visit plans (SALES: their own), newest week first.")
    async def visit_plans(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: VisitPlanFilter | None = None, sort: VisitPlanSort | None = None,
    ) -> Connection[VisitPlan]:
        sort = sort or VisitPlanSort.WEEK_START_DESC  # null: the list's default order
        page = await read_connection(info, "VisitPlan", planning.list_visit_plans,
                                     current_principal(info), visit_plan_filter_from(filter),
                                     sort, page_request(info, first, after, last, before))
        return to_connection(page, VisitPlan.from_row)

    @strawberry.field(description="Sales targets (SALES: their own), newest period first.")
    async def sales_targets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: SalesTargetFilter | None = None, sort: SalesTargetSort | None = None,
    ) -> Connection[SalesTarget]:
        sort = sort or SalesTargetSort.PERIOD_START_DESC  # null: the list's default order
        page = await read_connection(info, "SalesTarget", planning.list_targets,
                                     current_principal(info), target_filter_from(filter),
                                     sort, page_request(info, first, after, last, before))
        return to_connection(page, SalesTarget.from_row)
