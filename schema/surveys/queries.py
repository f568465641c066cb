"""`surveys`, `survey(token)` (public: the answer page) and `satisfaction`: parse, call
one service, map the result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.surveys import service
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection
from schema.surveys.inputs import SurveyFilter, SurveySort, survey_filter_from
from schema.surveys.types import (
    SatisfactionGroupBy,
    SatisfactionReport,
    Survey,
    SurveyForm,
    figures_from,
)

TOKEN = "The token of the survey link (its `token` parameter)."


@strawberry.type
class SurveyQuery:
    @strawberry.field(description="Satisfaction surveys, newest first by default.")
    async def surveys(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: SurveyFilter | None = None, sort: SurveySort | None = None,
    ) -> Connection[Survey]:
        sort = sort or SurveySort.SENT_AT_DESC  # null: the list's default order
        page = await read_connection(info, "Survey", service.list_surveys,
                                     current_principal(info), survey_filter_from(filter),
                                     sort, page_request(info, first, after, last, before))
        return to_connection(page, Survey.from_row)

    @strawberry.field(description="The survey a link opens, for the public answer page (no "
                      "sign-in); null for a forged or unknown link. An answered or expired "
                      "survey says so in `status` and `message`.")
    async def survey(self, info: strawberry.Info,
                     token: Annotated[str, strawberry.argument(description=TOKEN)]
                     ) -> SurveyForm | None:
        form = await run_read(info, service.survey_for_token, info.context.settings,
                              token[:2048])
        return SurveyForm.from_form(form) if form else None

    @strawberry.field(description="Response rate, CSAT and NPS of the surveys sent in "
                      "[from, to), in total and per group (AGENT: the TICKET surveys' "
                      "agents).")
    async def satisfaction(
        self, info: strawberry.Info,
        from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime,
        group_by: SatisfactionGroupBy | None = None,  # type: ignore[valid-type]
    ) -> SatisfactionReport:
        grouping = group_by.value if group_by else None
        report = await run_read(info, service.satisfaction, from_, to, group_by)
        return SatisfactionReport(
            from_=from_, to=to, group_by=group_by, total=figures_from(report.total, None),
            groups=[figures_from(g, grouping) for g in report.groups])
