"""The funnel's aggregates, computed by the database: one grouped statement for the
opportunities' counts and amounts, one for the stage history's flow and stays
(docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import case, exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.sales.models import Opportunity, OpportunityStageChange, PipelineStage
from app.sales.repository.leads import owned_by


class FunnelGroup(StrEnum):
    STAGE = "STAGE"
    OWNER = "OWNER"
    SOURCE = "SOURCE"


_KEYS = {FunnelGroup.STAGE: Opportunity.stage_id, FunnelGroup.OWNER: Opportunity.owner_id,
         FunnelGroup.SOURCE: Opportunity.source}


@dataclass(frozen=True)
class FunnelRow:
    key: Any
    count: int
    amount: Decimal
    probability_amount: Decimal  # sum of amount x probability (percent): weighted x 100
    won: int
    lost: int


@dataclass(frozen=True)
class StageFlow:
    stage_id: int
    reached: int  # opportunities that ever entered the stage
    advanced: int  # ... and later entered a further stage other than a lost one
    avg_seconds: float | None  # the stays that ended


def _population(principal: Principal, start: datetime, end: datetime, owner_id: int | None,
                currency: str) -> Any:
    """The ids of the opportunities the funnel counts: created in [start, end), in
    `currency`, in the caller's scope, of `owner_id` if given."""
    stmt = select(Opportunity.id).where(Opportunity.created_at >= start,
                                        Opportunity.created_at < end,
                                        Opportunity.currency == currency)
    if owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    return owned_by(stmt, principal, Opportunity.owner_id)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def funnel_rows(session: Session, principal: Principal, group: FunnelGroup, start: datetime,
                end: datetime, owner_id: int | None, currency: str) -> list[FunnelRow]:
    key = _KEYS[group]
    stmt = (select(key.label("key"), func.count(Opportunity.id),
                   func.coalesce(func.sum(Opportunity.amount), 0),
                   func.coalesce(func.sum(Opportunity.amount * Opportunity.probability), 0),
                   func.coalesce(func.sum(case((PipelineStage.is_won, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((PipelineStage.is_lost, 1), else_=0)), 0))
            .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
            .where(Opportunity.id.in_(_population(principal, start, end, owner_id, currency)))
            .group_by(key))
    return [FunnelRow(k, int(n), _decimal(amount), _decimal(weighted), int(won), int(lost))
            for k, n, amount, weighted, won, lost in session.exec(stmt).all()]


def stage_flow(session: Session, principal: Principal, start: datetime, end: datetime,
               owner_id: int | None, currency: str) -> list[StageFlow]:
    """Per stage: how many of the counted opportunities reached it, how many of those went
    on to a further stage (by position) that is not a lost one, and their average stay."""
    stay, later = aliased(OpportunityStageChange), aliased(OpportunityStageChange)
    here, there = aliased(PipelineStage), aliased(PipelineStage)
    went_on = exists(select(later.id).join(there, there.id == later.stage_id).where(
        later.opportunity_id == stay.opportunity_id, later.id != stay.id,
        later.entered_at >= stay.entered_at, there.position > here.position, ~there.is_lost))
    stmt = (select(stay.stage_id, func.count(func.distinct(stay.opportunity_id)),
                   func.count(func.distinct(case((went_on, stay.opportunity_id)))),
                   func.avg(stay.seconds_in_stage))
            .join(here, here.id == stay.stage_id)
            .where(stay.opportunity_id.in_(_population(principal, start, end, owner_id,
                                                        currency)))
            .group_by(stay.stage_id))
    return [StageFlow(sid, int(reached), int(advanced),
                      None if avg is None else float(avg))
            for sid, reached, advanced, avg in session.exec(stmt).all()]
