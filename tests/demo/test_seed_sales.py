"""The demo's leads and pipeline: every rep has leads in every state and a funnel with
history, dated before the demo's "now" (docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import select

from app.sales.models import Lead, Opportunity, OpportunityStageChange
from tests.demo.conftest import NOW
from tests.demo.test_seed import _gql

FUNNEL = """query($from: Date!, $to: Date!) { salesFunnel(from: $from, to: $to) {
  rows { key count reached averageDaysInStage } total { count won lost } } }"""
LOGIN = """mutation { login(email: "sales@demo.local", password: "demo-password") {
  accessToken } }"""


def test_leads_in_every_state_and_a_dated_pipeline(demo):
    def facts(s):  # noqa: ANN001, ANN202
        leads = list(s.exec(select(Lead)))
        return (Counter((lead.owner_id, lead.status) for lead in leads),
                {lead.name for lead in leads}, list(s.exec(select(Opportunity))),
                list(s.exec(select(OpportunityStageChange))))
    states, names, opportunities, stays = demo.runner.read_sync(facts, (), {})
    owners = {owner for owner, _ in states}
    assert len(owners) == 3
    for owner in owners:
        assert {status for o, status in states if o == owner} == {
            "NEW", "CONTACTED", "QUALIFIED", "CONVERTED", "DISQUALIFIED"}
    assert any(ord(c) > 0x4e00 for n in names for c in n)  # Chinese
    assert any(n.isascii() for n in names)  # and English
    assert all(o.created_at <= NOW for o in opportunities)
    assert all(s.left_at is None or s.entered_at <= s.left_at <= NOW for s in stays)
    assert len(stays) > len(opportunities)


async def test_the_sales_reps_funnel_has_figures(demo_api):
    token = (await _gql(demo_api, LOGIN))["login"]["accessToken"]
    data = (await _gql(demo_api, FUNNEL, {"from": (NOW - timedelta(days=182)).date().isoformat(),
                                          "to": NOW.date().isoformat()}, token))["salesFunnel"]
    assert data["total"]["count"] == 12 and data["total"]["won"] and data["total"]["lost"]
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["QUALIFICATION"]["reached"] == 12
    assert rows["QUALIFICATION"]["averageDaysInStage"] > 0
