"""A survey link answers once, expires, and cannot be forged: through the public API
(no sign-in) and the service on a fixture clock; two answers racing store one
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from jose import jwt
from sqlmodel import Session, select

from app.auth.principal import SYSTEM
from app.auth.tokens import issue_access_token
from app.errors import Conflict, DomainError
from app.events import topics
from app.persistence.columns import utcnow
from app.surveys import jobs, links, service
from app.tickets import lifecycle as ticket_lifecycle
from app.tickets import service as ticket_service
from app.tickets.models import Ticket
from tests.orders.support import pk
from tests.surveys.support import (
    ANSWER,
    FORM,
    answer,
    delivered_order,
    delivery_survey,
    events,
    survey_of,
    token_of,
)

GOOD = {"csat": 5, "nps": 10, "comment": "送货很快 fast", "tags": ["delivery", "delivery"]}


async def _answer(api, token: str, inp: dict | None = None) -> dict:  # noqa: ANN001
    data = await api.ok(ANSWER, {"token": token, "input": GOOD if inp is None else inp})
    return data["surveyAnswer"]


async def test_a_link_answers_once_without_signing_in(api, kit, factory, settings):
    order, _ = await delivered_order(kit, language="en")
    row = delivery_survey(factory, order)
    token = token_of(settings, row)

    form = (await api.ok(FORM, {"token": token}))["survey"]
    assert form["status"] == "SENT" and form["orderNumber"] == order["number"]
    assert form["language"] == "en" and form["subjectKind"] == "DELIVERY"

    first = await _answer(api, token)
    assert first["userErrors"] == [] and first["survey"]["status"] == "ANSWERED"
    stored = survey_of(factory, row.id)
    assert (stored.csat, stored.nps, stored.tags) == (5, 10, ["delivery"])
    assert stored.comment == "送货很快 fast" and not stored.low_score

    again = await _answer(api, token, {"csat": 1, "nps": 0})
    assert again["survey"] is None
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [("CONFLICT", ["token"])]
    assert "already been answered" in again["userErrors"][0]["message"]
    assert survey_of(factory, row.id).csat == 5  # unchanged
    assert (await api.ok(FORM, {"token": token}))["survey"]["status"] == "ANSWERED"
    assert len(events(factory, topics.SURVEY_ANSWERED, row.id)) == 1


async def test_a_link_expires(api, kit, factory, settings):
    order, _ = await delivered_order(kit)
    days = settings.survey_valid_days
    row = delivery_survey(factory, order, now=utcnow() - timedelta(days=days + 1))
    token = token_of(settings, row)
    refused = await _answer(api, token)
    assert [(e["code"], e["message"]) for e in refused["userErrors"]] == [
        ("INVALID_TOKEN", "this survey link has expired")]
    form = (await api.ok(FORM, {"token": token}))["survey"]
    assert form["status"] == "EXPIRED" and "expired" in form["message"]
    assert survey_of(factory, row.id).answered_at is None


async def test_expiry_on_a_fixture_clock(kit, factory, settings):
    order, _ = await delivered_order(kit)
    sent = utcnow()
    row = delivery_survey(factory, order, now=sent)
    token = token_of(factory.runner.settings, row)
    late = sent + timedelta(days=settings.survey_valid_days, seconds=1)
    with pytest.raises(DomainError, match="expired"):
        factory.write(service.answer_survey, token, answer(), late)
    just_in_time = sent + timedelta(days=settings.survey_valid_days, seconds=-5)
    done = factory.write(service.answer_survey, token, answer(), just_in_time)
    assert done.answered_at == just_in_time and done.csat == 5


async def test_a_link_cannot_be_forged(api, kit, factory, settings):
    first, _ = await delivered_order(kit)
    second, _ = await delivered_order(kit)
    mine, other = delivery_survey(factory, first), delivery_survey(factory, second)
    token = token_of(settings, mine)
    head, body, signature = token.split(".")
    tampered = ".".join([head, body, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA"
                                                        else "BBBB")])
    claims = jwt.get_unverified_claims(token)
    moved = jwt.encode({**claims, "sub": str(other.id)}, "x" * 40, algorithm="HS256")
    wrong_key = links.issue(replace(settings, survey_secret="y" * 40), mine.id, mine.nonce,
                            mine.expires_at)
    # signed with the right key, but another survey's id with this survey's nonce
    crossed = links.issue(settings, other.id, mine.nonce, other.expires_at)
    unsigned = jwt.encode(claims, "", algorithm="HS256")
    access = issue_access_token(settings, user_id=1, role="ADMIN")[0]
    for forged in (tampered, moved, wrong_key, crossed, unsigned, access, "", "not.a.token",
                   token + "x", "a" * 5000):
        refused = await _answer(api, forged)
        assert [(e["code"], e["message"]) for e in refused["userErrors"]] == [
            ("INVALID_TOKEN", "this survey link is not valid")], forged
        assert (await api.ok(FORM, {"token": forged}))["survey"] is None
    assert survey_of(factory, mine.id).answered_at is None
    assert survey_of(factory, other.id).answered_at is None
    assert (await _answer(api, token))["userErrors"] == []  # the real one still works


async def test_bad_answers_are_refused_whole(api, kit, factory, settings):
    order, _ = await delivered_order(kit)
    row = delivery_survey(factory, order)
    token = token_of(settings, row)
    cases = [({"csat": 6}, ["csat"]), ({"csat": 0, "nps": 11}, ["csat"]),
             ({}, ["csat"]), ({"nps": -1}, ["nps"]), ({"csat": 3, "comment": "x" * 2001},
                                                     ["comment"]),
             ({"csat": 3, "tags": [f"t{i}" for i in range(11)]}, ["tags"])]
    for inp, field in cases:
        refused = await _answer(api, token, inp)
        assert refused["userErrors"][0]["field"] == field, inp
        assert {e["code"] for e in refused["userErrors"]} == {"INVALID"}
    assert survey_of(factory, row.id).answered_at is None


async def test_two_answers_racing_store_one(kit, factory, settings):
    order, _ = await delivered_order(kit)
    row = delivery_survey(factory, order)
    token = token_of(factory.runner.settings, row)

    def run(score: int) -> object:
        try:
            return factory.runner.write_sync(service.answer_survey, token, answer(score),
                                             principal=None)
        except Conflict as exc:
            return exc
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, (1, 5)))
    stored = [r for r in results if not isinstance(r, Conflict)]
    assert len(stored) == 1 and len(results) == 2
    assert survey_of(factory, row.id).csat == stored[0].csat
    assert len(events(factory, topics.SURVEY_ANSWERED, row.id)) == 1


async def test_a_delivery_sends_one_survey_through_the_sender(kit, factory):
    order, buyer = await delivered_order(kit)
    made = jobs.send_pending(factory.runner)
    mine = [s for s in map(lambda i: survey_of(factory, i), made)
            if s.order_id == pk(order["id"])]
    assert len(mine) == 1 and mine[0].customer_id == buyer.id
    assert mine[0].subject_kind == "DELIVERY" and mine[0].subject_key == f"order:{mine[0].order_id}"
    assert jobs.send_pending(factory.runner) == []  # each event applied once
    # the order again (a redelivered event, a second consumer): no second survey
    assert factory.write(service.create_delivery_survey, pk(order["id"])) is None
    [sent] = events(factory, topics.SURVEY_SENT, mine[0].id)
    assert sent["order_id"] == pk(order["id"]) and "token" not in sent


async def test_old_deliveries_get_no_survey(kit, factory, settings):
    order, _ = await delivered_order(kit)
    later = utcnow() + timedelta(days=settings.survey_valid_days + 1)
    assert factory.write(service.create_delivery_survey, pk(order["id"]), later) is None


async def test_a_resolved_ticket_gets_a_survey_and_a_low_score_a_follow_up(factory):
    """The sender's loop with tickets: `ticket.resolved` makes a TICKET survey naming the
    agent (once), and its low answer, `survey.low_score`, opens a COMPLAINT ticket for the
    customer (once)."""
    agent, buyer = factory.user("CUSTOMER_SERVICE"), factory.customer(language="en")
    jobs.send_pending(factory.runner)  # what earlier tests left
    ticket = factory.write(ticket_service.create_ticket, {
        "customer_id": buyer.id, "kind": "INQUIRY", "channel": "PHONE",
        "subject": "Where is my invoice?", "assignee_id": agent.id})
    factory.write(ticket_lifecycle.resolve_ticket, ticket.id, "sent it again")
    [made] = jobs.send_pending(factory.runner)
    row = survey_of(factory, made)
    assert (row.subject_kind, row.ticket_id, row.agent_user_id, row.language) == (
        "TICKET", ticket.id, agent.id, "en")
    assert row.order_id is None and row.subject_key == f"ticket:{ticket.id}"
    assert factory.write(service.create_ticket_survey, ticket.id, buyer.id, agent.id) is None
    with pytest.raises(DomainError, match="no such customer"):
        factory.write(service.create_ticket_survey, ticket.id, 10**9, agent.id)

    token = token_of(factory.runner.settings, row)
    factory.write(service.answer_survey, token, answer(csat=1, nps=2, comment="slow"),
                  principal=SYSTEM)
    assert jobs.send_pending(factory.runner) == []
    assert jobs.send_pending(factory.runner) == []  # each event applied once

    def follow_ups(session: Session) -> list[Ticket]:
        return list(session.exec(select(Ticket).where(
            Ticket.customer_id == buyer.id, Ticket.id != ticket.id)))
    [follow_up] = factory.runner.read_sync(follow_ups, (), {})
    assert (follow_up.kind, follow_up.priority) == ("COMPLAINT", "HIGH")
    assert f"ticket {ticket.id}" in follow_up.subject and "CSAT 1, NPS 2" in \
        follow_up.description
    assert follow_up.assignee_id is not None  # to the least loaded agent
