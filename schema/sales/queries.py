"""`leads`, `lead`, `opportunities`, `opportunity`, `pipelineStages` and `salesFunnel`:
parse, call one service, map the result."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.ids import parse_id
from app.sales import funnel as funnel_service
from app.sales import opportunities as opp_service
from app.sales import service
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.sales.inputs import (
    LeadFilter,
    LeadSort,
    OpportunityFilter,
    OpportunitySort,
    lead_filter_from,
    opportunity_filter_from,
)
from schema.sales.types import (
    Lead,
    Opportunity,
    PipelineStage,
    SalesFunnel,
    SalesFunnelGroup,
    funnel_row,
)


@strawberry.type
class SalesQuery:
    @strawberry.field(description="Leads the caller may see (SALES: their own).")
    async def leads(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: LeadFilter | None = None,
        sort: LeadSort | None = None,  # type: ignore[valid-type]
    ) -> Connection[Lead]:
        sort = sort or LeadSort.CREATED_AT_DESC  # null: the list's default order
        page = await run_read(info, service.list_leads, current_principal(info),
                              lead_filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, Lead.from_row)

    @strawberry.field(description="One lead; null when missing or out of scope.")
    async def lead(self, info: strawberry.Info, id: strawberry.ID) -> Lead | None:
        return await lookup(info, id, "Lead")

    @strawberry.field(description="Opportunities the caller may see (SALES: their own).")
    async def opportunities(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: OpportunityFilter | None = None,
        sort: OpportunitySort | None = None,  # type: ignore[valid-type]
    ) -> Connection[Opportunity]:
        sort = sort or OpportunitySort.CREATED_AT_DESC  # null: the list's default order
        page = await run_read(info, opp_service.list_opportunities, current_principal(info),
                              opportunity_filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, Opportunity.from_row)

    @strawberry.field(description="One opportunity; null when missing or out of scope.")
    async def opportunity(self, info: strawberry.Info, id: strawberry.ID) -> Opportunity | None:
        return await lookup(info, id, "Opportunity")

    @strawberry.field(description="The pipeline's stages in their order.")
    async def pipeline_stages(self, info: strawberry.Info) -> list[PipelineStage]:
        rows = await run_read(info, opp_service.list_stages)
        return [PipelineStage.from_row(r) for r in rows]

    @strawberry.field(description="The funnel of the opportunities created from `from` to `to` "
                      "(both included), in `currency`: count, amount, weighted amount, win "
                      "rate per group; by STAGE also stage-to-stage conversion and average "
                      "days in stage. SALES: their own opportunities.")
    async def sales_funnel(
        self, info: strawberry.Info,
        from_: Annotated[date, strawberry.argument(name="from")], to: date,
        owner_id: strawberry.ID | None = None,
        group_by: SalesFunnelGroup = SalesFunnelGroup.STAGE,  # type: ignore[valid-type]
        currency: str = "CNY",
    ) -> SalesFunnel:
        owner = parse_id(owner_id, "User", "ownerId") if owner_id else None
        result = await run_read(info, funnel_service.sales_funnel, current_principal(info),
                                from_, to, owner, group_by, currency)
        group = result.group
        return SalesFunnel(group_by=group, currency=result.currency,
                           rows=[funnel_row(f, group, result.currency) for f in result.rows],
                           total=funnel_row(result.total, group, result.currency))
