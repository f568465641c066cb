"""Opportunities through the API: stage history, the funnel's figures on a hand-computed
fixture, the draft order of a won opportunity, stage configuration, and a sales rep's row
scope through every entry point (docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.ids import from_global_id
from tests.orders.support import Kit
from tests.sales.support import (
    ERRORS,
    OPP_FIELDS,
    OPP_MOVE,
    gid,
    lead,
    move,
    opportunity,
    set_stay,
    stage_ids,
)

FUNNEL = """query($from: Date!, $to: Date!, $owner: ID, $group: SalesFunnelGroup!) {
  salesFunnel(from: $from, to: $to, ownerId: $owner, groupBy: $group) { groupBy currency
    rows { key count amount { amount } weightedAmount { amount } won lost winRate reached
           conversionRate averageDaysInStage owner { id } }
    total { count amount { amount } weightedAmount { amount } won lost winRate } } }"""
CREATE_ORDER = f"""mutation($id: ID!) {{ opportunityCreateOrder(id: $id) {{
  opportunity {{ {OPP_FIELDS} }} {ERRORS} }} }}"""
ORDER = """query($id: ID!) { order(id: $id) { status total { amount }
  lines { quantity unitPrice { amount } discountRate lineTotal { amount } } } }"""
READ = """query($id: ID!) { opportunity(id: $id) { id lead { id } customer { id } } }"""
NODE = """query($id: ID!) { node(id: $id) { id } }"""
LISTS = """{ opportunities(first: 100) { nodes { id } } leads(first: 100) { nodes { id } } }"""
STAGE_UPDATE = """mutation($id: ID!, $p: Int) { pipelineStageUpdate(id: $id,
  input: {probability: $p}) { pipelineStage { code probability } userErrors { code } } }"""


def _days(n: float) -> int:
    return int(n * 86400)


def _period() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat()}


async def _fixture(api, factory, kit: Kit) -> tuple:  # noqa: ANN001
    """One rep's four opportunities: A won (Q 1 day, NA 4, P 1.5), B lost (Q 2, NA 6),
    C in NEEDS_ANALYSIS (Q 3), D in QUALIFICATION; C and D came from WEB leads."""
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    stages = await stage_ids(api, rep.token)
    a = await opportunity(api, rep.token, name="A", customerId=gid("Customer", customer.id),
                          amount="1000")
    b = await opportunity(api, rep.token, name="B", customerId=gid("Customer", customer.id),
                          amount="2000")
    web = []
    for name in ("C", "D"):
        made = await lead(api, rep.token, name=f"lead {name}", source="WEB")
        web.append(await opportunity(api, rep.token, name=name, leadId=made["lead"]["id"],
                                     amount=f"{3000 if name == 'C' else 4000}"))
    c, d = web
    for code in ("NEEDS_ANALYSIS", "PROPOSAL", "WON"):
        await move(api, rep.token, a["id"], stages[code])
    await move(api, rep.token, b["id"], stages["NEEDS_ANALYSIS"])
    await move(api, rep.token, b["id"], stages["LOST"], "价格太高")
    await move(api, rep.token, c["id"], stages["NEEDS_ANALYSIS"])
    for opp, code, days in ((a, "QUALIFICATION", 1), (a, "NEEDS_ANALYSIS", 4),
                            (a, "PROPOSAL", 1.5), (b, "QUALIFICATION", 2),
                            (b, "NEEDS_ANALYSIS", 6), (c, "QUALIFICATION", 3)):
        factory.write(set_stay, from_global_id(opp["id"])[1], code, _days(days))
    return rep, customer, stages, (a, b, c, d)


async def test_stage_history_and_funnel_figures(api, factory, kit: Kit):
    rep, _customer, stages, (a, b, _c, _d) = await _fixture(api, factory, kit)
    won = (await api.ok("""query($id: ID!) { opportunity(id: $id) { probability closedAt
      stageHistory { fromStage { code } stage { code } leftAt } } }""", {"id": a["id"]},
        rep.token))["opportunity"]
    history = won["stageHistory"]
    assert [(h["fromStage"] and h["fromStage"]["code"], h["stage"]["code"]) for h in history] == [
        (None, "QUALIFICATION"), ("QUALIFICATION", "NEEDS_ANALYSIS"),
        ("NEEDS_ANALYSIS", "PROPOSAL"), ("PROPOSAL", "WON")]
    assert all(h["leftAt"] for h in history[:-1]) and history[-1]["leftAt"] is None
    assert won["probability"] == 100 and won["closedAt"]
    manager = factory.user("MANAGER")
    args = {**_period(), "owner": rep.gid}
    data = (await api.ok(FUNNEL, {**args, "group": "STAGE"}, manager.token))["salesFunnel"]
    rows = {r["key"]: r for r in data["rows"]}
    figures = {k: (r["count"], r["amount"]["amount"], r["weightedAmount"]["amount"],
                   r["reached"], r["conversionRate"], r["averageDaysInStage"])
               for k, r in rows.items()}
    assert figures == {
        "QUALIFICATION": (1, "4000.00", "400.00", 4, 0.75, 2.0),
        "NEEDS_ANALYSIS": (1, "3000.00", "750.00", 3, 0.3333, 5.0),
        "PROPOSAL": (0, "0.00", "0.00", 1, 1.0, 1.5),
        "NEGOTIATION": (0, "0.00", "0.00", 0, None, None),
        "WON": (1, "1000.00", "1000.00", 1, None, None),
        "LOST": (1, "2000.00", "0.00", 1, None, None)}
    assert data["total"] == {"count": 4, "amount": {"amount": "10000.00"},
                             "weightedAmount": {"amount": "2150.00"}, "won": 1, "lost": 1,
                             "winRate": 0.5}
    by_source = (await api.ok(FUNNEL, {**args, "group": "SOURCE"}, rep.token))["salesFunnel"]
    assert [(r["key"], r["count"], r["amount"]["amount"], r["weightedAmount"]["amount"],
             r["winRate"]) for r in by_source["rows"]] == [
        ("WEB", 2, "7000.00", "1150.00", None), ("OTHER", 2, "3000.00", "1000.00", 0.5)]
    by_owner = (await api.ok(FUNNEL, {**args, "group": "OWNER"}, manager.token))["salesFunnel"]
    assert [(r["key"], r["owner"]["id"], r["count"]) for r in by_owner["rows"]] == [
        (rep.gid, rep.gid, 4)]
    # an analyst reads the aggregates too
    analyst = factory.user("ANALYST")
    seen = (await api.ok(FUNNEL, {**args, "group": "STAGE"}, analyst.token))["salesFunnel"]
    assert seen["total"] == data["total"]
    # closed opportunities stay closed
    again = await api.ok("""mutation($id: ID!, $s: ID!) { opportunityMove(id: $id, stageId: $s)
      { userErrors { code message } } }""", {"id": b["id"], "s": stages["PROPOSAL"]}, rep.token)
    assert again["opportunityMove"]["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_lost_needs_a_reason(api, factory, kit: Kit):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    stages = await stage_ids(api, rep.token)
    opp = await opportunity(api, rep.token, name="no reason",
                            customerId=gid("Customer", customer.id), amount="10")
    data = await api.ok(OPP_MOVE, {"id": opp["id"], "stage": stages["LOST"]}, rep.token)
    assert data["opportunityMove"]["userErrors"][0]["field"] == ["lostReason"]


async def test_a_won_opportunity_becomes_a_draft_order(api, factory, kit: Kit):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    tea, cups = kit.product(price="100.00"), kit.product(price="20.00")
    stages = await stage_ids(api, rep.token)
    opp = await opportunity(api, rep.token, name="茶具套装", customerId=gid("Customer",
                                                                         customer.id),
                            lines=[{"productId": gid("Product", tea.id), "quantity": 3,
                                    "unitPrice": "90.00"},
                                   {"productId": gid("Product", cups.id), "quantity": 10}])
    assert opp["amount"]["amount"] == "470.00"
    actions = {a["action"]: a for a in opp["availableActions"]}
    assert not actions["CREATE_ORDER"]["enabled"]
    data = await api.ok(CREATE_ORDER, {"id": opp["id"]}, rep.token)
    assert data["opportunityCreateOrder"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    await move(api, rep.token, opp["id"], stages["WON"])
    data = (await api.ok(CREATE_ORDER, {"id": opp["id"]}, rep.token))["opportunityCreateOrder"]
    assert data["userErrors"] == []
    order = data["opportunity"]["order"]
    assert order["status"] == "DRAFT"
    placed = (await api.ok(ORDER, {"id": order["id"]}, rep.token))["order"]
    assert placed["total"]["amount"] == "470.00"
    assert [(ln["quantity"], ln["lineTotal"]["amount"]) for ln in placed["lines"]] == [
        (3, "270.00"), (10, "200.00")]
    data = await api.ok(CREATE_ORDER, {"id": opp["id"]}, rep.token)
    assert data["opportunityCreateOrder"]["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_pipeline_stages_are_configured_by_managers(api, factory):
    rep, manager = factory.user("SALES"), factory.user("MANAGER")
    stages = await stage_ids(api, manager.token)
    body = await api.gql(STAGE_UPDATE, {"id": stages["PROPOSAL"], "p": 55}, rep.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    data = await api.ok(STAGE_UPDATE, {"id": stages["PROPOSAL"], "p": 101}, manager.token)
    assert data["pipelineStageUpdate"]["userErrors"][0]["code"] == "INVALID"
    data = await api.ok(STAGE_UPDATE, {"id": stages["PROPOSAL"], "p": 50}, manager.token)
    assert data["pipelineStageUpdate"]["pipelineStage"] == {"code": "PROPOSAL",
                                                            "probability": 50}


async def test_a_sales_rep_never_sees_another_reps_pipeline(api, factory, kit: Kit):
    rep, _customer, stages, opps = await _fixture(api, factory, kit)
    other = factory.user("SALES")
    ids = [o["id"] for o in opps]
    # node, nodes, single queries
    for gid_ in ids:
        assert (await api.ok(NODE, {"id": gid_}, other.token))["node"] is None
        assert (await api.ok(READ, {"id": gid_}, other.token))["opportunity"] is None
    lead_ids = [(await api.ok(READ, {"id": o["id"]}, rep.token))["opportunity"]["lead"]
                for o in opps[2:]]
    lead_ids = [x["id"] for x in lead_ids]
    for lid in lead_ids:
        assert (await api.ok(NODE, {"id": lid}, other.token))["node"] is None
    # lists
    lists = await api.ok(LISTS, token=other.token)
    seen = {n["id"] for n in lists["opportunities"]["nodes"] + lists["leads"]["nodes"]}
    assert not seen & {*ids, *lead_ids}
    # the funnel, even when asked for the other rep by id
    data = (await api.ok(FUNNEL, {**_period(), "owner": rep.gid, "group": "STAGE"},
                         other.token))["salesFunnel"]
    assert data["total"]["count"] == 0 and all(r["reached"] == 0 for r in data["rows"])
    # writes answer NOT_FOUND, like a missing row
    data = await api.ok("""mutation($id: ID!, $s: ID!) { opportunityMove(id: $id, stageId: $s)
      { userErrors { code } } }""", {"id": ids[3], "s": stages["PROPOSAL"]}, other.token)
    assert data["opportunityMove"]["userErrors"][0]["code"] == "NOT_FOUND"
    # nested: a manager hands C to the other rep; its lead and customer stay the first rep's
    manager = factory.user("MANAGER")
    moved = await api.ok("""mutation($id: ID!, $o: ID!) { opportunityUpdate(id: $id,
      input: {ownerId: $o}) { userErrors { code } } }""", {"id": ids[2], "o": other.gid},
        manager.token)
    assert moved["opportunityUpdate"]["userErrors"] == []
    nested = (await api.ok(READ, {"id": ids[2]}, other.token))["opportunity"]
    assert nested == {"id": ids[2], "lead": None, "customer": None}
    back = (await api.ok("""query($id: ID!) { lead(id: $id) { opportunities { id } } }""",
                         {"id": lead_ids[0]}, rep.token))["lead"]
    assert back == {"opportunities": []}
