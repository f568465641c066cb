"""A consignor's report and its consignee feedback: thin resolvers over the service's reads
(docs/architecture.md#consignor-reports)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.consignor_reports import service
from app.ids import parse_id
from schema.consignor_reports.types import ConsigneeFeedback, ConsignorReport
from schema.core.permissions import current_principal
from schema.core.writes import run_read

_FROM = strawberry.argument(name="from", description="The first day (business time zone).")
_TO = strawberry.argument(description="The last day, included; at most 366 days after "
                          "from.")
_SCOPE = (" Requires consignor_reports:read; a customer sign-in asks about itself only, SALES "
          "about the consignors it owns; another answers NOT_FOUND.")


@strawberry.type
class ConsignorReportQuery:
    @strawberry.field(description=(
        "A consignor's on-time and failed-delivery rates, stock turnover and days of cover "
        "of its goods, freight billed and feedback counts over a window." + _SCOPE))
    async def consignor_report(
        self, info: strawberry.Info, consignor_id: strawberry.ID,
        from_: Annotated[date, _FROM], to: Annotated[date, _TO],
    ) -> ConsignorReport:
        pk = parse_id(consignor_id, "Customer", "consignorId")
        row = await run_read(info, service.consignor_report, current_principal(info), pk,
                             from_, to, info.context.settings.business_timezone)
        return ConsignorReport.from_row(row)

    @strawberry.field(description=(
        "Consignee complaints and satisfaction about a consignor's delivery orders in a "
        "window, newest first (at most `first`, 200), consignee data masked." + _SCOPE))
    async def consignor_feedback(
        self, info: strawberry.Info, consignor_id: strawberry.ID,
        from_: Annotated[date, _FROM], to: Annotated[date, _TO], first: int | None = None,
    ) -> list[ConsigneeFeedback]:
        pk = parse_id(consignor_id, "Customer", "consignorId")
        rows = await run_read(info, service.consignor_feedback, current_principal(info), pk,
                              from_, to, info.context.settings.business_timezone,
                              first or service.MAX_FEEDBACK)
        return [ConsigneeFeedback.from_row(r) for r in rows]
