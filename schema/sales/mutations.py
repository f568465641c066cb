"""Lead, opportunity and pipeline-stage mutations and their payloads
`{ <object>, warnings, userErrors }`: parse the input, call one service, map the result."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.sales import conversion, service
from app.sales import opportunities as opp_service
from app.sales.duplicates import Duplicate
from schema.core.errors import UserError, user_errors
from schema.core.objects import object_type
from schema.core.writes import run_write
from schema.sales.inputs import (
    LeadConvertInput,
    LeadCreateInput,
    LeadUpdateInput,
    OpportunityCreateInput,
    OpportunityUpdateInput,
    PipelineStageUpdateInput,
    conversion_from,
    lead_data_from,
    opportunity_changes_from,
    opportunity_draft_from,
)
from schema.sales.types import Lead, LeadDisqualifyReason, Opportunity, PipelineStage

if TYPE_CHECKING:
    from schema.customers.types import Customer


class _MatchKind(StrEnum):
    LEAD = "LEAD"
    CUSTOMER = "CUSTOMER"


DuplicateMatchKind = strawberry.enum(_MatchKind, name="DuplicateMatchKind")


@strawberry.type(description="A lead or customer with the same e-mail, phone or company name: "
                 "a warning, not an error. `lead` / `customer` is null when the match is "
                 "another sales rep's.")
class DuplicateWarning:
    field: str
    kind: DuplicateMatchKind  # type: ignore[valid-type]
    message: str
    lead: Lead | None
    _customer: strawberry.Private[Any]

    @strawberry.field
    def customer(self) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return object_type("Customer").from_row(self._customer) if self._customer else None


def _warnings(found: list[Duplicate]) -> list[DuplicateWarning]:
    return [DuplicateWarning(field=d.field, kind=d.kind, message=d.message,
                             lead=Lead.from_row(d.lead) if d.lead is not None else None,
                             _customer=d.customer) for d in found]


@strawberry.type
class LeadPayload:
    lead: Lead | None = None
    warnings: list[DuplicateWarning] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="What became of one row of an import.")
class LeadImportResult:
    index: int
    lead: Lead | None
    warnings: list[DuplicateWarning]
    user_errors: list[UserError]


@strawberry.type
class LeadImportPayload:
    results: list[LeadImportResult] = strawberry.field(default_factory=list)
    created: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LeadConvertPayload:
    lead: Lead | None = None
    customer: Annotated[Customer, strawberry.lazy("schema.customers.types")] | None = None
    opportunity: Opportunity | None = None
    warnings: list[DuplicateWarning] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OpportunityPayload:
    opportunity: Opportunity | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PipelineStagePayload:
    pipeline_stage: PipelineStage | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _call(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]
                ) -> tuple[Any, list[UserError]]:
    try:
        args = parse()
    except DomainError as exc:
        return None, user_errors(exc)
    return await run_write(info, fn, *args)


async def _lead(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]) -> LeadPayload:
    result, errors = await _call(info, fn, parse)
    if result is None:
        return LeadPayload(user_errors=errors)
    if isinstance(result, service.LeadResult):
        return LeadPayload(lead=Lead.from_row(result.lead), warnings=_warnings(result.warnings))
    return LeadPayload(lead=Lead.from_row(result))


async def _opportunity(info: Any, fn: Callable[..., Any],
                       parse: Callable[[], tuple]) -> OpportunityPayload:
    row, errors = await _call(info, fn, parse)
    return OpportunityPayload(opportunity=Opportunity.from_row(row) if row else None,
                              user_errors=errors)


def _version(inp: Any) -> int | None:
    return inp.expected_version or None


@strawberry.type
class SalesMutation:
    @strawberry.mutation(description="A NEW lead (SALES: their own); duplicates are warnings.")
    async def lead_create(self, info: strawberry.Info, input: LeadCreateInput) -> LeadPayload:
        return await _lead(info, service.create_lead,
                           lambda: (lead_data_from(input, creating=True),))

    @strawberry.mutation(description="Edit a lead not converted or disqualified; ownerId: "
                         "MANAGER and ADMIN reassign.")
    async def lead_update(self, info: strawberry.Info, id: strawberry.ID,
                          input: LeadUpdateInput) -> LeadPayload:
        return await _lead(info, service.update_lead, lambda: (
            parse_id(id, "Lead"), lead_data_from(input), _version(input)))

    @strawberry.mutation(description="Up to 500 leads, each row validated on its own: created "
                         "(with its duplicate warnings) or reported with its userErrors.")
    async def lead_import(self, info: strawberry.Info,
                          rows: list[LeadCreateInput]) -> LeadImportPayload:
        results, errors = await _call(info, service.import_leads, lambda: (
            [lead_data_from(r, creating=True) for r in rows],))
        if results is None:
            return LeadImportPayload(user_errors=errors)
        return LeadImportPayload(created=sum(1 for r in results if r.lead is not None), results=[
            LeadImportResult(index=r.index, lead=Lead.from_row(r.lead) if r.lead else None,
                             warnings=_warnings(r.warnings), user_errors=[
                                 UserError(field=e.field, message=e.message, code=e.code)
                                 for e in r.errors]) for r in results])

    @strawberry.mutation(description="NEW -> CONTACTED.")
    async def lead_mark_contacted(self, info: strawberry.Info,
                                  id: strawberry.ID) -> LeadPayload:
        return await _lead(info, service.mark_contacted, lambda: (parse_id(id, "Lead"),))

    @strawberry.mutation(description="NEW or CONTACTED -> QUALIFIED.")
    async def lead_qualify(self, info: strawberry.Info, id: strawberry.ID) -> LeadPayload:
        return await _lead(info, service.qualify_lead, lambda: (parse_id(id, "Lead"),))

    @strawberry.mutation(description="-> DISQUALIFIED with a reason (a note required for OTHER).")
    async def lead_disqualify(
        self, info: strawberry.Info, id: strawberry.ID,
        reason: LeadDisqualifyReason, note: str | None = None,  # type: ignore[valid-type]
    ) -> LeadPayload:
        return await _lead(info, service.disqualify_lead, lambda: (
            parse_id(id, "Lead"), reason.value, note or ""))

    @strawberry.mutation(description="QUALIFIED -> CONVERTED: the customer, its primary contact "
                         "and optionally an opportunity, in one transaction.")
    async def lead_convert(self, info: strawberry.Info,
                           input: LeadConvertInput) -> LeadConvertPayload:
        result, errors = await _call(info, conversion.convert_lead,
                                     lambda: (conversion_from(input),))
        if result is None:
            return LeadConvertPayload(user_errors=errors)
        return LeadConvertPayload(
            lead=Lead.from_row(result.lead),
            customer=object_type("Customer").from_row(result.customer),
            opportunity=Opportunity.from_row(result.opportunity) if result.opportunity
            else None, warnings=_warnings(result.warnings))

    @strawberry.mutation(description="An opportunity for a customer or a lead (SALES: their "
                         "own), in an open stage.")
    async def opportunity_create(self, info: strawberry.Info,
                                 input: OpportunityCreateInput) -> OpportunityPayload:
        return await _opportunity(info, opp_service.create_opportunity,
                                  lambda: (opportunity_draft_from(input),))

    @strawberry.mutation(description="Edit an open opportunity; ownerId: MANAGER and ADMIN "
                         "reassign.")
    async def opportunity_update(self, info: strawberry.Info, id: strawberry.ID,
                                 input: OpportunityUpdateInput) -> OpportunityPayload:
        return await _opportunity(info, opp_service.update_opportunity, lambda: (
            parse_id(id, "Opportunity"), opportunity_changes_from(input), _version(input)))

    @strawberry.mutation(description="Into another stage (kept in stageHistory); a WON or LOST "
                         "stage closes it, LOST with lostReason.")
    async def opportunity_move(self, info: strawberry.Info, id: strawberry.ID,
                               stage_id: strawberry.ID,
                               lost_reason: str | None = None) -> OpportunityPayload:
        return await _opportunity(info, opp_service.move_opportunity, lambda: (
            parse_id(id, "Opportunity"), parse_id(stage_id, "PipelineStage", "stageId"),
            lost_reason))

    @strawberry.mutation(description="A won opportunity's lines become a DRAFT order for its "
                         "customer (Opportunity.order).")
    async def opportunity_create_order(self, info: strawberry.Info,
                                       id: strawberry.ID) -> OpportunityPayload:
        return await _opportunity(info, opp_service.create_order,
                                  lambda: (parse_id(id, "Opportunity"),))

    @strawberry.mutation(description="Rename, reorder, reweigh or retire a stage.")
    async def pipeline_stage_update(self, info: strawberry.Info, id: strawberry.ID,
                                    input: PipelineStageUpdateInput) -> PipelineStagePayload:
        row, errors = await _call(info, opp_service.update_stage, lambda: (
            parse_id(id, "PipelineStage"), vars(input)))
        return PipelineStagePayload(pipeline_stage=PipelineStage.from_row(row) if row else None,
                                    user_errors=errors)



