"""SQL for opportunities, their lines and stage history, and the pipeline stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.persistence.fast import rows
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    grouped,
    in_period,
    in_range,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.sales.models import Opportunity, OpportunityLine, OpportunityStageChange, PipelineStage
from app.sales.repository.leads import owned_by


class OpportunitySort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    AMOUNT_DESC = "AMOUNT_DESC"
    EXPECTED_CLOSE_DATE_ASC = "EXPECTED_CLOSE_DATE_ASC"


_SORTS = sort_table(OpportunitySort, {
    "CREATED_AT": Opportunity.created_at, "UPDATED_AT": Opportunity.updated_at,
    "AMOUNT": Opportunity.amount, "EXPECTED_CLOSE_DATE": Opportunity.expected_close_date})


@dataclass(frozen=True)
class OpportunityFilter:
    stage_ids: tuple[int, ...] = ()
    owner_id: int | None = None
    customer_id: int | None = None
    lead_id: int | None = None
    search: str | None = None
    open_only: bool = False
    close_after: date | None = None
    close_before: date | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def scope_opportunities(stmt, principal: Principal):  # noqa: ANN001, ANN201
    return owned_by(stmt, principal, Opportunity.owner_id)


def get_visible_opportunity(session: Session, principal: Principal,
                            opportunity_id: int) -> Opportunity | None:
    stmt = select(Opportunity).where(Opportunity.id == opportunity_id)
    return session.exec(scope_opportunities(stmt, principal)).first()


def lock_opportunity(session: Session, principal: Principal,
                     opportunity_id: int) -> Opportunity | None:
    stmt = select(Opportunity).where(Opportunity.id == opportunity_id).with_for_update()
    return session.exec(scope_opportunities(stmt, principal)).first()


def list_opportunities(session: Session, principal: Principal, flt: OpportunityFilter,
                       sort: OpportunitySort, page: PageRequest) -> Page[Opportunity]:
    open_stage = None
    if flt.open_only:
        closed = select(PipelineStage.id).where(PipelineStage.is_won | PipelineStage.is_lost)
        open_stage = Opportunity.stage_id.not_in(closed)
    stmt = where(scope_opportunities(select(Opportunity), principal),
                 one_of(Opportunity.stage_id, flt.stage_ids or None),
                 equal(Opportunity.owner_id, flt.owner_id),
                 equal(Opportunity.customer_id, flt.customer_id),
                 equal(Opportunity.lead_id, flt.lead_id),
                 contains(flt.search, Opportunity.name, Opportunity.competitor), open_stage,
                 in_range(Opportunity.expected_close_date, flt.close_after, flt.close_before),
                 in_period(Opportunity.created_at, flt.created_after, flt.created_before))
    return paginate(session, stmt, _SORTS[sort], page, Opportunity.id)


def opportunity_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return rows.by_id(session, Opportunity, ids)


def opportunities_by_lead(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    stmt = select(Opportunity).where(Opportunity.lead_id.in_(list(ids))).order_by(
        Opportunity.lead_id, Opportunity.id)
    return grouped(session.exec(stmt), "lead_id")


# Lines and history --------------------------------------------------------------------

def lines_by_opportunity(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    stmt = select(OpportunityLine).where(OpportunityLine.opportunity_id.in_(list(ids))) \
        .order_by(OpportunityLine.opportunity_id, OpportunityLine.id)
    return grouped(session.exec(stmt), "opportunity_id")


def lines_of(session: Session, opportunity_id: int) -> list[OpportunityLine]:
    return lines_by_opportunity(session, [opportunity_id]).get(opportunity_id, [])


def replace_lines(session: Session, opportunity_id: int,
                  lines: Sequence[tuple[int, int, Any]]) -> None:
    """The opportunity's lines become `lines`: (product id, quantity, unit price)."""
    session.execute(delete(OpportunityLine).where(
        OpportunityLine.opportunity_id == opportunity_id))
    if lines:
        session.execute(insert(OpportunityLine), [
            {"opportunity_id": opportunity_id, "product_id": p, "quantity": q, "unit_price": u}
            for p, q, u in lines])


def history_by_opportunity(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    stmt = select(OpportunityStageChange).where(
        OpportunityStageChange.opportunity_id.in_(list(ids))).order_by(
        OpportunityStageChange.opportunity_id, OpportunityStageChange.entered_at,
        OpportunityStageChange.id)
    return grouped(session.exec(stmt), "opportunity_id")


def close_stay(session: Session, opportunity_id: int, left_at: datetime) -> None:
    """End the opportunity's current stay (the one not left yet), with its length."""
    stmt = select(OpportunityStageChange).where(
        OpportunityStageChange.opportunity_id == opportunity_id,
        OpportunityStageChange.left_at.is_(None))
    for stay in session.exec(stmt):
        stay.left_at = left_at
        stay.seconds_in_stage = max(int((left_at - stay.entered_at).total_seconds()), 0)
        session.add(stay)


# Stages -------------------------------------------------------------------------------

def stages(session: Session) -> list[PipelineStage]:
    return list(session.exec(select(PipelineStage).order_by(PipelineStage.position,
                                                            PipelineStage.id)))


def active_stages(session: Session) -> list[PipelineStage]:
    return [s for s in stages(session) if s.is_active]


def stage_by_id(session: Session, stage_id: int) -> PipelineStage | None:
    return session.get(PipelineStage, stage_id)


def stages_by_ids(session: Session, ids: Sequence[int]) -> dict[int, PipelineStage]:
    found = session.exec(select(PipelineStage).where(PipelineStage.id.in_(list(ids))))
    return {s.id: s for s in found}


def first_open_stage(session: Session) -> PipelineStage | None:
    stmt = select(PipelineStage).where(PipelineStage.is_active, ~PipelineStage.is_won,
                                       ~PipelineStage.is_lost).order_by(
        PipelineStage.position, PipelineStage.id).limit(1)
    return session.exec(stmt).first()


def attach_customer(session: Session, lead_id: int, customer_id: int) -> list[int]:
    """The lead's opportunities without a customer get the one it was converted to; their
    ids."""
    return list(session.execute(update(Opportunity).where(
        Opportunity.lead_id == lead_id, Opportunity.customer_id.is_(None)).values(
        customer_id=customer_id).returning(Opportunity.id)
        .execution_options(synchronize_session="fetch")).scalars())
