"""Opportunities: create, update, move through the pipeline's stages (keeping each stay),
a won opportunity's draft order, and the stages' configuration
(docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.catalog import repository as catalog
from app.customers import repository as customers
from app.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    Forbidden,
    NotFound,
    ValidationFailed,
    Validator,
)
from app.events import topics
from app.orders import service as orders
from app.orders.models import Order, OrderChannel
from app.orders.pricing import LineRequest
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.sales import repository as repo
from app.sales.models import LeadStatus, Opportunity, OpportunityStageChange, PipelineStage
from app.sales.service import owner_for
from app.sales.workflow import OpportunityAction, authorize_opportunity

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_LINES = 200
MAX_QUANTITY = 1_000_000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineDraft:
    product_id: int
    quantity: int
    unit_price: Decimal | None = None  # None: the catalog price


@dataclass(frozen=True)
class OpportunityDraft:
    name: str
    customer_id: int | None = None
    lead_id: int | None = None
    owner_id: int | None = None
    stage_id: int | None = None  # None: the first open stage
    amount: Decimal | None = None  # None: the lines' total
    currency: str = "CNY"
    probability: int | None = None  # None: the stage's
    expected_close_date: date | None = None
    competitor: str = ""
    lines: tuple[LineDraft, ...] = ()


def _validate_lines(v: Validator, lines: tuple[LineDraft, ...]) -> None:
    v.check(len(lines) <= MAX_LINES, "lines", f"at most {MAX_LINES} lines")
    seen: set[int] = set()
    for i, line in enumerate(lines):
        v.check(1 <= line.quantity <= MAX_QUANTITY, ["lines", str(i), "quantity"],
                f"quantity must be 1 to {MAX_QUANTITY}")
        if line.unit_price is not None:
            v.check(Decimal(0) <= line.unit_price <= MAX_AMOUNT, ["lines", str(i), "unitPrice"],
                    "unit price must be >= 0")
        v.check(line.product_id not in seen, ["lines", str(i), "productId"],
                "this product is already on the opportunity")
        seen.add(line.product_id)


def _validate(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    if creating or "name" in data:
        v.check(1 <= len((data.get("name") or "").strip()) <= 200, "name",
                "name is required (at most 200 characters)")
    if data.get("currency") is not None:
        v.check(bool(CURRENCY_RE.match(data["currency"])), "currency",
                "currency is a three-letter ISO code")
    if data.get("amount") is not None:
        v.check(Decimal(0) <= data["amount"] <= MAX_AMOUNT, "amount", "amount must be >= 0")
    if data.get("probability") is not None:
        v.check(0 <= data["probability"] <= 100, "probability", "probability is 0 to 100")
    if data.get("competitor") is not None:
        v.check(len(data["competitor"]) <= 200, "competitor", "at most 200 characters")
    if data.get("lines") is not None:
        _validate_lines(v, tuple(data["lines"]))
    v.raise_if_any()


def _priced(session: Session, lines: tuple[LineDraft, ...]) -> list[tuple[int, int, Decimal]]:
    """(product, quantity, unit price) of each line, the catalog's price by default."""
    products = catalog.products_by_ids(session, [ln.product_id for ln in lines])
    errors = [NotFound("product not found", field=["lines", str(i), "productId"])
              for i, ln in enumerate(lines) if ln.product_id not in products]
    if errors:
        raise ValidationFailed(errors)
    return [(ln.product_id, ln.quantity, ln.unit_price if ln.unit_price is not None
             else products[ln.product_id].price) for ln in lines]


def _total(lines: list[tuple[int, int, Decimal]]) -> Decimal:
    return sum((Decimal(q) * p for _, q, p in lines), Decimal(0)).quantize(CENT)


def _party(uow: UnitOfWork, draft: OpportunityDraft) -> tuple[int | None, Any]:
    """The customer id and the lead (either may be None, not both), both in scope."""
    if draft.customer_id is None and draft.lead_id is None:
        raise DomainError("give the customer or the lead", field=["customerId"])
    lead = None
    if draft.lead_id is not None:
        lead = repo.get_visible_lead(uow.session, uow.principal, draft.lead_id)
        if lead is None:
            raise NotFound("lead not found", field=["leadId"])
        if lead.status == LeadStatus.DISQUALIFIED.value:
            raise DomainError("the lead is disqualified", field=["leadId"],
                              code=ErrorCode.INVALID_TRANSITION)
    customer_id = draft.customer_id if draft.customer_id is not None else (
        lead.customer_id if lead is not None else None)
    if draft.customer_id is not None and customers.get_visible(
            uow.session, uow.principal, draft.customer_id) is None:
        raise NotFound("customer not found", field=["customerId"])
    return customer_id, lead


def _open_stage(session: Session, stage_id: int | None) -> PipelineStage:
    stage = repo.stage_by_id(session, stage_id) if stage_id is not None \
        else repo.first_open_stage(session)
    if stage is None or not stage.is_active:
        raise NotFound("stage not found", field=["stageId"])
    if stage.is_won or stage.is_lost:
        raise DomainError("a new opportunity starts in an open stage (move it to close it)",
                          field=["stageId"], code=ErrorCode.INVALID_TRANSITION)
    return stage


def _enter(uow: UnitOfWork, opp: Opportunity, stage: PipelineStage,
           from_stage: PipelineStage | None) -> None:
    now = utcnow()
    uow.session.add(OpportunityStageChange(
        opportunity_id=opp.id, from_stage_id=from_stage.id if from_stage else None,
        stage_id=stage.id, entered_at=now, actor_id=uow.actor_id))
    uow.emit(topics.OPPORTUNITY_STAGE_CHANGED, opportunity_id=opp.id, owner_id=opp.owner_id,
             from_stage=from_stage.code if from_stage else None, to_stage=stage.code,
             at=now.isoformat())


def create_opportunity(uow: UnitOfWork, draft: OpportunityDraft) -> Opportunity:
    if not uow.principal.can(Perm.OPPORTUNITIES_WRITE):
        raise Forbidden("requires permission opportunities:write")
    _validate({"name": draft.name, "currency": draft.currency, "amount": draft.amount,
               "probability": draft.probability, "competitor": draft.competitor,
               "lines": draft.lines}, creating=True)
    customer_id, lead = _party(uow, draft)
    owner = owner_for(uow, draft.owner_id, lead.owner_id if lead is not None else None)
    stage = _open_stage(uow.session, draft.stage_id)
    lines = _priced(uow.session, draft.lines)
    opp = Opportunity(
        name=draft.name.strip(), customer_id=customer_id,
        lead_id=lead.id if lead is not None else None, owner_id=owner, stage_id=stage.id,
        probability=stage.probability if draft.probability is None else draft.probability,
        source=lead.source if lead is not None else "OTHER",
        amount=draft.amount if draft.amount is not None else _total(lines),
        currency=draft.currency, expected_close_date=draft.expected_close_date,
        competitor=draft.competitor.strip())
    uow.session.add(opp)
    uow.session.flush()
    repo.replace_lines(uow.session, opp.id, lines)
    _enter(uow, opp, stage, None)
    uow.audit("opportunity.create", "Opportunity", opp.id, after=snapshot(opp))
    return opp


def _load(uow: UnitOfWork, opportunity_id: int) -> tuple[Opportunity, PipelineStage]:
    opp = repo.lock_opportunity(uow.session, uow.principal, opportunity_id)
    if opp is None:
        raise NotFound("opportunity not found", field=["id"])
    return opp, repo.stage_by_id(uow.session, opp.stage_id)


def update_opportunity(uow: UnitOfWork, opportunity_id: int, data: dict[str, Any],
                       expected_version: int | None = None) -> Opportunity:
    _validate(data, creating=False)
    opp, stage = _load(uow, opportunity_id)
    authorize_opportunity(OpportunityAction.UPDATE, opp, stage, uow.principal)
    if expected_version is not None and expected_version != opp.version:
        raise Conflict(f"opportunity changed (version {opp.version}); reload and retry",
                       field=["expectedVersion"])
    before = snapshot(opp)
    if "owner_id" in data:
        opp.owner_id = owner_for(uow, data.pop("owner_id"), opp.owner_id)
    if data.get("lines") is not None:
        lines = _priced(uow.session, tuple(data.pop("lines")))
        repo.replace_lines(uow.session, opp.id, lines)
        if data.get("amount") is None:
            opp.amount = _total(lines)
    for key in ("name", "amount", "currency", "probability", "competitor"):
        if data.get(key) is not None:
            setattr(opp, key, data[key].strip() if isinstance(data[key], str) else data[key])
    if "expected_close_date" in data:
        opp.expected_close_date = data["expected_close_date"]
    opp.version += 1
    opp.updated_at = utcnow()
    uow.session.add(opp)
    uow.audit("opportunity.update", "Opportunity", opp.id, before=before, after=snapshot(opp))
    return opp


def move_opportunity(uow: UnitOfWork, opportunity_id: int, stage_id: int,
                     lost_reason: str | None = None) -> Opportunity:
    """Into another stage: the current stay ends, a new one begins; the probability becomes
    the stage's; a WON or LOST stage closes the opportunity (LOST with a reason)."""
    opp, current = _load(uow, opportunity_id)
    authorize_opportunity(OpportunityAction.MOVE, opp, current, uow.principal)
    target = repo.stage_by_id(uow.session, stage_id)
    if target is None or not target.is_active:
        raise NotFound("stage not found", field=["stageId"])
    if target.id == current.id:
        raise DomainError(f"the opportunity is already in {current.code}", field=["stageId"],
                          code=ErrorCode.INVALID_TRANSITION)
    reason = (lost_reason or "").strip()
    if target.is_lost and not 1 <= len(reason) <= 2000:
        raise DomainError("a lost opportunity needs its reason (at most 2000 characters)",
                          field=["lostReason"])
    before, now = snapshot(opp), utcnow()
    repo.close_stay(uow.session, opp.id, now)
    opp.stage_id, opp.probability, opp.stage_entered_at = target.id, target.probability, now
    opp.lost_reason = reason if target.is_lost else None
    opp.closed_at = now if target.is_won or target.is_lost else None
    opp.version += 1
    opp.updated_at = now
    uow.session.add(opp)
    _enter(uow, opp, target, current)
    uow.audit("opportunity.move", "Opportunity", opp.id, before=before, after=snapshot(opp))
    return opp


def _discount(catalog_price: Decimal, offered: Decimal) -> Decimal | None:
    """The offered price as a line discount off the catalog (None: at or above it)."""
    if catalog_price <= 0 or offered >= catalog_price:
        return None
    return (1 - offered / catalog_price).quantize(Decimal("0.0001"))


def create_order(uow: UnitOfWork, opportunity_id: int) -> Opportunity:
    """A won opportunity's lines become a DRAFT order for its customer, through the order
    intake (app/orders/service.py), at the prices offered."""
    opp, stage = _load(uow, opportunity_id)
    lines = repo.lines_of(uow.session, opp.id)
    authorize_opportunity(OpportunityAction.CREATE_ORDER, opp, stage, uow.principal,
                          has_lines=bool(lines))
    products = catalog.products_by_ids(uow.session, [ln.product_id for ln in lines])
    order: Order = orders.create_order(uow, orders.OrderDraft(
        customer_id=opp.customer_id, channel=OrderChannel.SALES_REP.value,
        notes=f"Opportunity: {opp.name}"[:4000],
        lines=tuple(LineRequest(ln.product_id, ln.quantity,
                                _discount(products[ln.product_id].price, ln.unit_price))
                    for ln in lines)))
    before = snapshot(opp)
    opp.order_id = order.id
    opp.updated_at = utcnow()
    opp.version += 1
    uow.session.add(opp)
    uow.audit("opportunity.create_order", "Opportunity", opp.id, before=before,
              after=snapshot(opp))
    return opp


# Stages -----------------------------------------------------------------------------------

def update_stage(uow: UnitOfWork, stage_id: int, data: dict[str, Any]) -> PipelineStage:
    if not uow.principal.can(Perm.PIPELINE_CONFIGURE):
        raise Forbidden("requires permission pipeline:configure")
    stage = repo.stage_by_id(uow.session, stage_id)
    if stage is None:
        raise NotFound("stage not found", field=["id"])
    v = Validator()
    if data.get("name") is not None:
        v.check(1 <= len(data["name"].strip()) <= 100, "name", "name is 1 to 100 characters")
    if data.get("probability") is not None:
        v.check(0 <= data["probability"] <= 100, "probability", "probability is 0 to 100")
    if data.get("position") is not None:
        v.check(0 <= data["position"] <= 1000, "position", "position is 0 to 1000")
    if data.get("is_active") is False:
        v.check(not (stage.is_won or stage.is_lost), "isActive",
                "the won and lost stages stay active")
    v.raise_if_any()
    before = snapshot(stage)
    for key in ("name", "probability", "position", "is_active"):
        if data.get(key) is not None:
            setattr(stage, key, data[key].strip() if key == "name" else data[key])
    uow.session.add(stage)
    uow.audit("pipeline_stage.update", "PipelineStage", stage.id, before=before,
              after=snapshot(stage))
    return stage


# Reads ------------------------------------------------------------------------------------

def get_opportunity(session: Session, principal: Principal,
                    opportunity_id: int) -> Opportunity | None:
    return repo.get_visible_opportunity(session, principal, opportunity_id)


def list_opportunities(session: Session, principal: Principal, flt: repo.OpportunityFilter,
                       sort: repo.OpportunitySort, page: Any) -> Any:
    return repo.list_opportunities(session, principal, flt, sort, page)


def list_stages(session: Session) -> list[PipelineStage]:
    return repo.stages(session)
