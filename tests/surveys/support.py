"""Helpers for the survey tests: delivered orders through the real services, surveys and
their link tokens, and the GraphQL documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from app.events.models import OutboxEvent
from app.surveys import links, service
from app.surveys.models import Survey
from tests.orders.support import Kit, pk
from tests.returns.support import delivered

ERRORS = "userErrors { field message code }"
ANSWER = """mutation($token: String!, $input: SurveyAnswerInput!) {
  surveyAnswer(token: $token, input: $input) {
    survey { status subjectKind language } """ + ERRORS + " } }"
FORM = """query($token: String!) { survey(token: $token) {
  status subjectKind orderNumber language expiresAt message } }"""
LIST = """query($filter: SurveyFilter) { surveys(first: 50, filter: $filter) {
  totalCount nodes { id status csat nps comment tags lowScore subjectKind
                     order { number } customer { name } } } }"""


async def delivered_order(kit: Kit, **customer: Any) -> tuple[dict, Any]:
    """A DELIVERED order of a new customer (placed by an ADMIN); (order, customer)."""
    admin = kit.factory.user("ADMIN")
    buyer = kit.customer(**customer)
    order, _wh = await delivered(kit, admin.token, buyer, [(kit.product(), 1)])
    return order, buyer


def survey_of(factory: Any, survey_id: int) -> Survey:
    return factory.runner.read_sync(lambda s: s.get(Survey, survey_id), (), {})


def token_of(settings: Any, row: Survey) -> str:
    """The row's link token under `settings`: the app's for answers over the API,
    `factory.runner.settings` for the service called directly (the session's runner may
    have read the environment before the app fixture set its secret)."""
    return links.issue(settings, row.id, row.nonce, row.expires_at)


def delivery_survey(factory: Any, order: dict, now: datetime | None = None) -> Survey:
    row = factory.write(service.create_delivery_survey, pk(order["id"]), now)
    assert row is not None
    return survey_of(factory, row.id)


def answer(csat: int | None = 5, nps: int | None = 9, comment: str | None = None,
           tags: tuple[str, ...] = ()) -> service.Answer:
    return service.Answer(csat=csat, nps=nps, comment=comment, tags=tags)


def events(factory: Any, topic: str, survey_id: int) -> list[dict]:
    def fetch(session: Session) -> list[dict]:
        stmt = select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)
        return [e.payload for e in session.exec(stmt) if e.payload.get("survey_id") ==
                survey_id]
    return factory.runner.read_sync(fetch, (), {})
