"""Leads and opportunities through the API (docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from app.ids import to_global_id
from app.persistence.uow import UnitOfWork
from app.sales.models import OpportunityStageChange, PipelineStage
from tests.support import Api

LEAD_FIELDS = """id name company status source email phone version
  owner { id } availableActions { action enabled reason }"""
WARNINGS = "warnings { field kind message lead { id } customer { id } }"
ERRORS = "userErrors { field message code }"
LEAD_CREATE = f"""mutation($input: LeadCreateInput!) {{ leadCreate(input: $input) {{
  lead {{ {LEAD_FIELDS} }} {WARNINGS} {ERRORS} }} }}"""
LEAD_STEP = """mutation($id: ID!) {{ {name}(id: $id) {{ lead {{ id status }} {errors} }} }}"""
OPP_FIELDS = """id name probability amount { amount currency } weightedAmount { amount }
  stage { code } owner { id } lostReason order { id status }
  stageHistory { stage { code } fromStage { code } enteredAt leftAt }
  availableActions { action enabled reason }"""
OPP_CREATE = f"""mutation($input: OpportunityCreateInput!) {{ opportunityCreate(input: $input) {{
  opportunity {{ {OPP_FIELDS} }} {ERRORS} }} }}"""
OPP_MOVE = f"""mutation($id: ID!, $stage: ID!, $reason: String) {{
  opportunityMove(id: $id, stageId: $stage, lostReason: $reason) {{
  opportunity {{ {OPP_FIELDS} }} {ERRORS} }} }}"""
STAGES = "{ pipelineStages { id code probability } }"


def step(name: str) -> str:
    return LEAD_STEP.format(name=name, errors=ERRORS)


async def stage_ids(api: Api, token: str) -> dict[str, str]:
    data = await api.ok(STAGES, token=token)
    return {s["code"]: s["id"] for s in data["pipelineStages"]}


async def lead(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    payload = (await api.ok(LEAD_CREATE, {"input": fields}, token))["leadCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def opportunity(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    payload = (await api.ok(OPP_CREATE, {"input": fields}, token))["opportunityCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["opportunity"]


async def move(api: Api, token: str, opp_id: str, stage: str,
               reason: str | None = None) -> dict[str, Any]:
    payload = (await api.ok(OPP_MOVE, {"id": opp_id, "stage": stage, "reason": reason},
                            token))["opportunityMove"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["opportunity"]


def set_stay(uow: UnitOfWork, opportunity_pk: int, code: str, seconds: int) -> None:
    """Date a finished stay (module-level: the SQLite writer process runs it by name): the
    test's clock, moved, for exact averages."""
    stage = uow.session.exec(select(PipelineStage.id).where(PipelineStage.code == code)).one()
    uow.session.execute(update(OpportunityStageChange).where(
        OpportunityStageChange.opportunity_id == opportunity_pk,
        OpportunityStageChange.stage_id == stage).values(seconds_in_stage=seconds))


def count_rows(session: Session, model: type, **where: Any) -> int:
    stmt = select(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return len(session.exec(stmt).all())


def gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)
