"""The group-by's service sources over HTTP (docs/architecture.md#analytics): TICKETS (SLA
figures per priority, in the window's time zone, merged duplicates left out) and SURVEYS
(response rate, CSAT and NPS per kind), against hand-computed figures; AGENT refused for
ANALYST, small groups suppressed for it, CUSTOMER refused. The rows live in June 2018 in a
region of their own, before anything else the suite writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from app.ids import to_global_id
from app.surveys.models import Survey
from app.tickets.models import Ticket
from tests.support import unique

TICKETS = """query($d: [AnalyticsDimension!], $r: [String!], $z: String) {
  aggregate(source: TICKETS, measures: [TICKETS, RESOLVED, RESPONSE_BREACHED,
            RESOLUTION_BREACHED, BREACH_RATE, AVERAGE_FIRST_RESPONSE_MINUTES,
            AVERAGE_RESOLUTION_MINUTES], dimensions: $d, from: "2018-06-01",
            to: "2018-07-01", timeZone: $z, filter: {regions: $r}) {
    rows { groups { dimension key label } values { measure value } }
    meta { rowsScanned suppressedGroups } } }"""
SURVEYS = """query($r: [String!]) {
  aggregate(source: SURVEYS, measures: [SURVEYS, ANSWERED, RESPONSE_RATE, AVERAGE_CSAT, NPS],
            dimensions: [KIND], from: "2018-06-01", to: "2018-07-01", filter: {regions: $r}) {
    rows { groups { key } values { measure value } } } }"""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _ticket(uow: Any, customer: int, priority: str, created: str, *, status: str = "RESOLVED",
            responded: int | None = None, resolved: int | None = None,
            assignee: int | None = None, merged_into: int | None = None) -> int:
    start = _at(created)
    minutes = lambda m: None if m is None else start + timedelta(minutes=m)  # noqa: E731
    return uow.session.execute(insert(Ticket.__table__).values(
        number=unique("T-"), kind="INQUIRY", status=status, channel="PHONE",
        priority=priority, subject="analytics", customer_id=customer, tier="STANDARD",
        assignee_id=assignee, created_at=start, updated_at=start,
        first_response_due_at=start + timedelta(minutes=60),
        resolution_due_at=start + timedelta(minutes=240),
        first_responded_at=minutes(responded), resolved_at=minutes(resolved),
        merged_into_id=merged_into).returning(Ticket.__table__.c.id)).scalar_one()


def _survey(uow: Any, customer: int, kind: str, sent: str, csat: int | None = None,
            nps: int | None = None, agent: int | None = None) -> None:
    start = _at(sent)
    answered = csat is not None or nps is not None
    uow.session.execute(insert(Survey.__table__).values(
        subject_kind=kind, subject_key=unique("analytics:"), customer_id=customer,
        agent_user_id=agent, nonce=unique("n"), sent_at=start,
        expires_at=start + timedelta(days=14), answered_at=start if answered else None,
        csat=csat, nps=nps, low_score=False))


def _write(uow: Any, customers: list[int], agent: int) -> None:
    a, b, c = customers
    # HIGH: answered in 30 and 90 minutes (due in 60: one late), resolved in 120 and 300
    # (due in 240: one late)
    _ticket(uow, a, "HIGH", "2018-06-01T00:00:00", responded=30, resolved=120, assignee=agent)
    _ticket(uow, b, "HIGH", "2018-06-02T00:00:00", responded=90, resolved=300, assignee=agent)
    # NORMAL: one never answered nor resolved, long past due (both breached); one opened at
    # 17:00Z on 31 May, 01:00 on 1 June in Shanghai, answered in 10, resolved in 20
    open_one = _ticket(uow, c, "NORMAL", "2018-06-03T00:00:00", status="NEW")
    _ticket(uow, a, "NORMAL", "2018-05-31T17:00:00", status="CLOSED", responded=10,
            resolved=20)
    # a duplicate merged into the open one: not counted
    _ticket(uow, b, "NORMAL", "2018-06-04T00:00:00", status="CLOSED", merged_into=open_one)
    _survey(uow, a, "DELIVERY", "2018-06-01T00:00:00", csat=5, nps=10)  # promoter
    _survey(uow, b, "DELIVERY", "2018-06-02T00:00:00", csat=4, nps=8)  # passive
    _survey(uow, a, "TICKET", "2018-06-03T00:00:00", csat=2, nps=3, agent=agent)  # detractor
    _survey(uow, c, "TICKET", "2018-06-04T00:00:00", agent=agent)  # not answered


@pytest.fixture(scope="module")
def world(factory):  # noqa: ANN001, ANN201
    region = unique("AnaSvc")
    customers = [factory.customer(region=region).id for _ in range(3)]
    agent = factory.user("CUSTOMER_SERVICE")
    factory.write(_write, customers, agent.id)
    return {"region": region, "agent": agent}


def _by_key(data: dict) -> dict[str, dict[str, Any]]:
    return {row["groups"][0]["key"]: {v["measure"]: v["value"] for v in row["values"]}
            for row in data["aggregate"]["rows"]}


async def test_ticket_sla_by_priority(api, factory, world) -> None:  # noqa: ANN001
    manager = factory.user("MANAGER")
    data = await api.ok(TICKETS, {"d": ["PRIORITY"], "r": [world["region"]]}, manager.token)
    assert _by_key(data) == {
        "HIGH": {"TICKETS": 2, "RESOLVED": 2, "RESPONSE_BREACHED": 1,
                 "RESOLUTION_BREACHED": 1, "BREACH_RATE": 0.5,
                 "AVERAGE_FIRST_RESPONSE_MINUTES": 60.0, "AVERAGE_RESOLUTION_MINUTES": 210.0},
        "NORMAL": {"TICKETS": 2, "RESOLVED": 1, "RESPONSE_BREACHED": 1,
                   "RESOLUTION_BREACHED": 1, "BREACH_RATE": 0.5,
                   "AVERAGE_FIRST_RESPONSE_MINUTES": 10.0,
                   "AVERAGE_RESOLUTION_MINUTES": 20.0}}
    assert data["aggregate"]["meta"] == {"rowsScanned": 4, "suppressedGroups": 0}
    # June cut at UTC: the ticket of 17:00Z on 31 May is May's
    utc = await api.ok(TICKETS, {"d": ["PRIORITY"], "r": [world["region"]], "z": "UTC"},
                       manager.token)
    assert _by_key(utc)["NORMAL"]["TICKETS"] == 1


async def test_ticket_roles(api, factory, world) -> None:  # noqa: ANN001
    manager = factory.user("MANAGER")
    data = await api.ok(TICKETS, {"d": ["AGENT"], "r": [world["region"]]}, manager.token)
    agents = {r["groups"][0]["key"]: r["values"][0]["value"]
              for r in data["aggregate"]["rows"]}
    assert agents.pop(to_global_id("User", world["agent"].id)) == 2  # the two HIGH ones
    assert list(agents.values()) == [2]  # unassigned
    analyst = factory.user("ANALYST")
    body = await api.gql(TICKETS, {"d": ["AGENT"], "r": [world["region"]]}, analyst.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "personal data" in body["errors"][0]["message"]
    data = await api.ok(TICKETS, {"d": ["PRIORITY"], "r": [world["region"]]}, analyst.token)
    # groups of two customers would show their own figures: suppressed for ANALYST
    assert data["aggregate"]["rows"] == []
    assert data["aggregate"]["meta"]["suppressedGroups"] == 2
    customer = factory.user("CUSTOMER", customer_id=factory.customer().id)
    body = await api.gql(TICKETS, {"d": ["PRIORITY"], "r": [world["region"]]},
                         customer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_satisfaction_by_kind(api, factory, world) -> None:  # noqa: ANN001
    manager = factory.user("MANAGER")
    data = await api.ok(SURVEYS, {"r": [world["region"]]}, manager.token)
    # DELIVERY: 2 sent, 2 answered, CSAT (5 + 4) / 2, NPS 100 x (1 promoter - 0) / 2
    # TICKET: 2 sent, 1 answered, CSAT 2, NPS 100 x (0 - 1 detractor) / 1
    assert _by_key(data) == {
        "DELIVERY": {"SURVEYS": 2, "ANSWERED": 2, "RESPONSE_RATE": 1.0, "AVERAGE_CSAT": 4.5,
                     "NPS": 50.0},
        "TICKET": {"SURVEYS": 2, "ANSWERED": 1, "RESPONSE_RATE": 0.5, "AVERAGE_CSAT": 2.0,
                   "NPS": -100.0}}
