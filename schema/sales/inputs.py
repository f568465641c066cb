"""Input types of leads, opportunities and pipeline stages, and their translation into
service arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.ids import parse_id
from app.sales import conversion
from app.sales import opportunities as opp_service
from app.sales import repository as repo
from schema.core.writes import provided
from schema.sales.types import LeadSource, LeadStatus

LeadSort = strawberry.enum(repo.LeadSort, name="LeadSort")
OpportunitySort = strawberry.enum(repo.OpportunitySort, name="OpportunitySort")


@strawberry.input
class LeadFilter:
    status: list[LeadStatus] | None = None  # type: ignore[valid-type]
    source: list[LeadSource] | None = None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Matches name or company.")
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class LeadCreateInput:
    name: str
    company: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    source: LeadSource | None = None  # type: ignore[valid-type]
    notes: str | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The sales rep (a User ID); SALES: only themselves.")


@strawberry.input
class LeadUpdateInput:
    name: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    source: LeadSource | None = strawberry.UNSET  # type: ignore[valid-type]
    notes: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Reassign: MANAGER and ADMIN.")
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT if the lead changed.")


@strawberry.input
class OpportunityLineInput:
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal | None = strawberry.field(default=None,
                                                  description="Default: the catalog price.")


@strawberry.input
class OpportunityCreateInput:
    name: str
    customer_id: strawberry.ID | None = None
    lead_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="An open stage; default the first.")
    amount: Decimal | None = strawberry.field(default=None,
                                              description="Default: the lines' total.")
    currency: str = "CNY"
    probability: int | None = strawberry.field(default=None,
                                               description="Percent; default the stage's.")
    expected_close_date: date | None = None
    competitor: str | None = None
    lines: list[OpportunityLineInput] | None = None


@strawberry.input
class OpportunityUpdateInput:
    name: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Reassign: MANAGER and ADMIN.")
    amount: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    expected_close_date: date | None = strawberry.UNSET
    competitor: str | None = strawberry.UNSET
    lines: list[OpportunityLineInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the lines (the amount follows them "
        "unless given).")
    expected_version: int | None = strawberry.UNSET


@strawberry.input(description="The opportunity created with the conversion (its customer and "
                  "lead are the conversion's).")
class LeadConvertOpportunityInput:
    name: str
    stage_id: strawberry.ID | None = None
    amount: Decimal | None = None
    currency: str = "CNY"
    expected_close_date: date | None = None
    competitor: str | None = None
    lines: list[OpportunityLineInput] | None = None


@strawberry.input
class LeadConvertInput:
    id: strawberry.ID
    customer_name: str | None = strawberry.field(
        default=None, description="Default: the lead's company, else its name.")
    opportunity: LeadConvertOpportunityInput | None = None


@strawberry.input
class OpportunityFilter:
    stage_id: list[strawberry.ID] | None = None
    owner_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    lead_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Matches name or competitor.")
    open: bool | None = strawberry.field(default=None,
                                         description="true: only those not won or lost.")
    expected_close_after: date | None = None
    expected_close_before: date | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class PipelineStageUpdateInput:
    name: str | None = None
    probability: int | None = None
    position: int | None = None
    is_active: bool | None = None


def _opt(raw: str | None, kind: str, field: str) -> int | None:
    return parse_id(raw, kind, field) if raw else None


def lead_filter_from(flt: LeadFilter | None) -> repo.LeadFilter:
    if flt is None:
        return repo.LeadFilter()
    return repo.LeadFilter(
        statuses=tuple(s.value for s in flt.status or ()),
        sources=tuple(s.value for s in flt.source or ()),
        owner_id=_opt(flt.owner_id, "User", "ownerId"), search=flt.search,
        created_after=flt.created_after, created_before=flt.created_before)


def lead_data_from(inp: LeadCreateInput | LeadUpdateInput, *,
                   creating: bool = False) -> dict[str, Any]:
    data = provided(inp)
    if creating:
        data = {k: v for k, v in data.items() if v is not None}
    data.pop("expected_version", None)
    if data.get("source") is not None:
        data["source"] = data["source"].value
    if "owner_id" in data:
        data["owner_id"] = _opt(data["owner_id"], "User", "ownerId")
    return data


def lines_from(lines: list[OpportunityLineInput] | None) -> tuple[opp_service.LineDraft, ...]:
    return tuple(opp_service.LineDraft(
        parse_id(ln.product_id, "Product", f"lines.{i}.productId"), ln.quantity, ln.unit_price)
        for i, ln in enumerate(lines or ()))


def opportunity_draft_from(inp: OpportunityCreateInput | LeadConvertOpportunityInput
                           ) -> opp_service.OpportunityDraft:
    return opp_service.OpportunityDraft(
        name=inp.name, customer_id=_opt(getattr(inp, "customer_id", None), "Customer",
                                        "customerId"),
        lead_id=_opt(getattr(inp, "lead_id", None), "Lead", "leadId"),
        owner_id=_opt(getattr(inp, "owner_id", None), "User", "ownerId"),
        stage_id=_opt(inp.stage_id, "PipelineStage", "stageId"), amount=inp.amount,
        currency=inp.currency, probability=getattr(inp, "probability", None),
        expected_close_date=inp.expected_close_date, competitor=inp.competitor or "",
        lines=lines_from(inp.lines))


def opportunity_changes_from(inp: OpportunityUpdateInput) -> dict[str, Any]:
    data = provided(inp)
    data.pop("expected_version", None)
    if "owner_id" in data:
        data["owner_id"] = _opt(data["owner_id"], "User", "ownerId")
    if "lines" in data:
        data["lines"] = lines_from(data["lines"]) if data["lines"] is not None else None
    return data


def conversion_from(inp: LeadConvertInput) -> conversion.ConversionRequest:
    return conversion.ConversionRequest(
        lead_id=parse_id(inp.id, "Lead"), customer_name=inp.customer_name,
        opportunity=opportunity_draft_from(inp.opportunity) if inp.opportunity else None)


def opportunity_filter_from(flt: OpportunityFilter | None) -> repo.OpportunityFilter:
    if flt is None:
        return repo.OpportunityFilter()
    return repo.OpportunityFilter(
        stage_ids=tuple(parse_id(s, "PipelineStage", "stageId") for s in flt.stage_id or ()),
        owner_id=_opt(flt.owner_id, "User", "ownerId"),
        customer_id=_opt(flt.customer_id, "Customer", "customerId"),
        lead_id=_opt(flt.lead_id, "Lead", "leadId"), search=flt.search,
        open_only=bool(flt.open), close_after=flt.expected_close_after,
        close_before=flt.expected_close_before, created_after=flt.created_after,
        created_before=flt.created_before)
