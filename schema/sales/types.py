"""GraphQL types of leads, pipeline stages, opportunities and the sales funnel
(docs/architecture.md#leads-and-the-sales-funnel).

Relations to rows with a row scope of their own (a lead's customer and opportunities, an
opportunity's lead, customer and order) answer only what the caller may see of them, as
`node(id)` would: a manager may have reassigned one side to another rep."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.sales import models as m
from app.sales import opportunities as opp_service
from app.sales import repository as repo
from app.sales import service
from app.sales import workflow as wf
from app.sales.repository import FunnelGroup
from schema.core.guards import CONTACT_RULE, contact_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.catalog.types import Product
    from schema.customers.types import Customer
    from schema.orders.types import Order

register_loader("lead_by_id", repo.lead_rows_by_ids)
register_loader("opportunity_by_id", repo.opportunity_rows_by_ids)
register_loader("opportunities_by_lead", repo.opportunities_by_lead, default=[])
register_loader("opportunity_lines_by_opportunity", repo.lines_by_opportunity, default=[])
register_loader("stage_history_by_opportunity", repo.history_by_opportunity, default=[])
register_loader("pipeline_stage_by_id", repo.stages_by_ids)

LeadSource = strawberry.enum(m.LeadSource, name="LeadSource")
LeadStatus = strawberry.enum(m.LeadStatus, name="LeadStatus")
LeadDisqualifyReason = strawberry.enum(m.DisqualifyReason, name="LeadDisqualifyReason")
LeadAction = strawberry.enum(wf.LeadAction, name="LeadAction")
OpportunityAction = strawberry.enum(wf.OpportunityAction, name="OpportunityAction")
SalesFunnelGroup = strawberry.enum(FunnelGroup, name="SalesFunnelGroup")


def _sees(info: Any, owner_id: int | None) -> bool:
    """Whether the caller's row scope (SALES: their own) reaches a row of `owner_id`."""
    scope = current_principal(info).owner_scope
    return scope is None or owner_id == scope


async def _customer(info: Any, customer_id: int | None) -> Any:
    if customer_id is None:
        return None
    row = await info.context.loaders.load("customer_by_id", customer_id)
    return object_type("Customer").from_row(row) if row and _sees(info, row.owner_id) else None


def _owner(info: Any, owner_id: int | None) -> Any:
    return info.context.loaders.one("user_by_id", owner_id, object_type("User"))


@strawberry.type(description="Whether the caller may take a lead step now, and why not.")
class LeadActionState:
    action: LeadAction  # type: ignore[valid-type]
    enabled: bool
    reason: str | None


@strawberry.type(description="Whether the caller may take an opportunity step now, and why "
                 "not.")
class OpportunityActionState:
    action: OpportunityAction  # type: ignore[valid-type]
    enabled: bool
    reason: str | None


@strawberry.type(description="A funnel stage; its probability is the default of the "
                 "opportunities that enter it.")
class PipelineStage(Node):
    code: str
    name: str
    position: int
    probability: int = strawberry.field(description="Percent.")
    is_won: bool
    is_lost: bool
    is_active: bool

    @classmethod
    def from_row(cls, row: m.PipelineStage) -> PipelineStage:
        return cls(id=gid("PipelineStage", row.id), code=row.code, name=row.name,
                   position=row.position, probability=row.probability, is_won=row.is_won,
                   is_lost=row.is_lost, is_active=row.is_active)


async def _stage(info: Any, stage_id: int | None) -> PipelineStage | None:
    if stage_id is None:
        return None
    row = await info.context.loaders.load("pipeline_stage_by_id", stage_id)
    return PipelineStage.from_row(row) if row else None


@strawberry.type(description="A person or company that may buy: worked from NEW to "
                 "CONVERTED (a customer) or DISQUALIFIED.")
class Lead(Node):
    name: str
    company: str
    title: str
    source: LeadSource  # type: ignore[valid-type]
    status: LeadStatus  # type: ignore[valid-type]
    disqualify_reason: LeadDisqualifyReason | None  # type: ignore[valid-type]
    disqualify_note: str
    notes: str
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    _row: strawberry.Private[Any]

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def email(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._row.email)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def phone(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._row.phone)

    @strawberry.field(description="The sales rep working the lead.")
    def owner(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _owner(info, self._row.owner_id)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="The customer it was converted to (if the caller may see it).")
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return await _customer(info, self._row.customer_id)

    @strawberry.field(extensions=requires(Perm.OPPORTUNITIES_READ),
                      description="Its opportunities the caller may see.")
    async def opportunities(self, info: strawberry.Info) -> list[Opportunity]:
        rows = await info.context.loaders.load("opportunities_by_lead", self._row.id)
        return [Opportunity.from_row(r) for r in rows if _sees(info, r.owner_id)]

    @strawberry.field(description="Every step, whether the caller may take it now and why not.")
    def available_actions(self, info: strawberry.Info) -> list[LeadActionState]:
        return [LeadActionState(action=s.action, enabled=s.enabled, reason=s.reason)
                for s in wf.lead_actions(self._row.status, current_principal(info))]

    @classmethod
    def from_row(cls, row: Any) -> Lead:
        return cls(id=gid("Lead", row.id), name=row.name, company=row.company, title=row.title,
                   source=row.source, status=row.status,
                   disqualify_reason=row.disqualify_reason,
                   disqualify_note=row.disqualify_note, notes=row.notes,
                   converted_at=row.converted_at, created_at=row.created_at,
                   updated_at=row.updated_at, version=row.version, _row=row)


@strawberry.type(description="A product of interest: quantity and the price offered.")
class OpportunityLine:
    quantity: int
    unit_price: Money
    line_total: Money
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        row = await info.context.loaders.load("product_by_id", self._product_id)
        return object_type("Product").from_row(row) if row else None


@strawberry.type(description="A stay of the opportunity in a stage.")
class OpportunityStageChange:
    entered_at: datetime
    left_at: datetime | None = strawberry.field(description="Null: it is still there.")
    days_in_stage: float | None = strawberry.field(description="Of a stay that ended.")
    _row: strawberry.Private[Any]

    @strawberry.field
    async def from_stage(self, info: strawberry.Info) -> PipelineStage | None:
        return await _stage(info, self._row.from_stage_id)

    @strawberry.field
    async def stage(self, info: strawberry.Info) -> PipelineStage | None:
        return await _stage(info, self._row.stage_id)

    @strawberry.field
    def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _owner(info, self._row.actor_id)


@strawberry.type(description="A possible sale to a customer (or a lead) moving through the "
                 "pipeline's stages.")
class Opportunity(Node):
    name: str
    currency: str
    probability: int = strawberry.field(description="Percent: the stage's unless set.")
    expected_close_date: date | None
    competitor: str
    lost_reason: str | None
    stage_entered_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    _row: strawberry.Private[Any]

    @strawberry.field
    def amount(self) -> Money:
        return money(self._row.amount, self._row.currency)

    @strawberry.field(description="amount x probability.")
    def weighted_amount(self) -> Money:
        return money(Decimal(self._row.amount) * self._row.probability / 100,
                     self._row.currency)

    @strawberry.field
    async def stage(self, info: strawberry.Info) -> PipelineStage | None:
        return await _stage(info, self._row.stage_id)

    @strawberry.field(description="The sales rep working the opportunity.")
    def owner(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _owner(info, self._row.owner_id)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="The customer (if the caller may see it).")
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return await _customer(info, self._row.customer_id)

    @strawberry.field(extensions=requires(Perm.LEADS_READ),
                      description="The lead it came from (if the caller may see it).")
    async def lead(self, info: strawberry.Info) -> Lead | None:
        if self._row.lead_id is None:
            return None
        row = await info.context.loaders.load("lead_by_id", self._row.lead_id)
        return Lead.from_row(row) if row and _sees(info, row.owner_id) else None

    @strawberry.field(description="Products of interest.")
    async def lines(self, info: strawberry.Info) -> list[OpportunityLine]:
        rows = await info.context.loaders.load("opportunity_lines_by_opportunity", self._row.id)
        currency = self._row.currency
        return [OpportunityLine(quantity=r.quantity, unit_price=money(r.unit_price, currency),
                                line_total=money(r.unit_price * r.quantity, currency),
                                _product_id=r.product_id) for r in rows]

    @strawberry.field(description="Every stay in a stage, oldest first.")
    async def stage_history(self, info: strawberry.Info) -> list[OpportunityStageChange]:
        rows = await info.context.loaders.load("stage_history_by_opportunity", self._row.id)
        return [OpportunityStageChange(
            entered_at=r.entered_at, left_at=r.left_at, _row=r,
            days_in_stage=None if r.seconds_in_stage is None
            else round(r.seconds_in_stage / 86400, 2)) for r in rows]

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="The draft order made from it once won.")
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        if self._row.order_id is None or await _customer(info, self._row.customer_id) is None:
            return None
        row = await info.context.loaders.load("order_by_id", self._row.order_id)
        return object_type("Order").from_row(row) if row else None

    @strawberry.field(description="Every step, whether the caller may take it now and why not.")
    async def available_actions(self, info: strawberry.Info) -> list[OpportunityActionState]:
        stage = await info.context.loaders.load("pipeline_stage_by_id", self._row.stage_id)
        lines = await info.context.loaders.load("opportunity_lines_by_opportunity",
                                                self._row.id)
        states = wf.opportunity_actions(self._row, stage, current_principal(info), bool(lines))
        return [OpportunityActionState(action=s.action, enabled=s.enabled, reason=s.reason)
                for s in states]

    @classmethod
    def from_row(cls, row: Any) -> Opportunity:
        return cls(id=gid("Opportunity", row.id), name=row.name, currency=row.currency,
                   probability=row.probability, expected_close_date=row.expected_close_date,
                   competitor=row.competitor, lost_reason=row.lost_reason,
                   stage_entered_at=row.stage_entered_at, closed_at=row.closed_at,
                   created_at=row.created_at, updated_at=row.updated_at, version=row.version,
                   _row=row)


@strawberry.type(description="One group of the funnel (or its totals).")
class SalesFunnelRow:
    key: str | None = strawberry.field(description="The stage code, owner ID or source; null "
                                       "for the totals and unowned opportunities.")
    count: int = strawberry.field(description="Opportunities in the group now.")
    amount: Money
    weighted_amount: Money = strawberry.field(description="Sum of amount x probability.")
    won: int
    lost: int
    win_rate: float | None = strawberry.field(description="won / (won + lost).")
    reached: int | None = strawberry.field(description="STAGE: opportunities that ever "
                                           "entered the stage.")
    conversion_rate: float | None = strawberry.field(
        description="STAGE: the share of those that went on to a further stage other than a "
        "lost one (null for closing stages).")
    average_days_in_stage: float | None = strawberry.field(
        description="STAGE: the average of the stays in it that ended.")
    stage: PipelineStage | None
    _owner_id: strawberry.Private[int | None]

    @strawberry.field(description="OWNER: the sales rep.")
    def owner(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _owner(info, self._owner_id)


@strawberry.type(description="Opportunities created in a period, grouped; every figure is "
                 "aggregated by the database.")
class SalesFunnel:
    group_by: SalesFunnelGroup  # type: ignore[valid-type]
    currency: str
    rows: list[SalesFunnelRow]
    total: SalesFunnelRow


def funnel_row(figures: Any, group: FunnelGroup, currency: str) -> SalesFunnelRow:
    stage = figures.stage
    key = figures.key
    if group is FunnelGroup.STAGE and stage is not None:
        key = stage.code
    elif group is FunnelGroup.OWNER and key is not None:
        key = gid("User", key)
    return SalesFunnelRow(
        key=key, count=figures.count, amount=money(figures.amount, currency),
        weighted_amount=money(figures.weighted_amount, currency), won=figures.won,
        lost=figures.lost, win_rate=figures.win_rate, reached=figures.reached,
        conversion_rate=figures.conversion_rate,
        average_days_in_stage=figures.average_days_in_stage,
        stage=PipelineStage.from_row(stage) if stage is not None else None,
        _owner_id=figures.key if group is FunnelGroup.OWNER else None)


async def fetch_lead(info: strawberry.Info, pk: int) -> Lead | None:
    principal = current_principal(info)
    if not principal.can(Perm.LEADS_READ):
        return None
    row = await run_read(info, service.get_lead, principal, pk)
    return Lead.from_row(row) if row else None


async def fetch_opportunity(info: strawberry.Info, pk: int) -> Opportunity | None:
    principal = current_principal(info)
    if not principal.can(Perm.OPPORTUNITIES_READ):
        return None
    row = await run_read(info, opp_service.get_opportunity, principal, pk)
    return Opportunity.from_row(row) if row else None


async def fetch_stage(info: strawberry.Info, pk: int) -> PipelineStage | None:
    if not current_principal(info).can(Perm.OPPORTUNITIES_READ):
        return None
    row = await info.context.loaders.load("pipeline_stage_by_id", pk)
    return PipelineStage.from_row(row) if row else None


register_node("Lead", fetch_lead)
register_node("Opportunity", fetch_opportunity)
register_node("PipelineStage", fetch_stage)
register_types(Lead, Opportunity, PipelineStage)
