"""The consignor portal over issue 26's own entry points (docs/architecture.md#consignors):
a CONSIGNOR sign-in reads and syncs its own delivery orders, delivery plans, freight bill,
failed-delivery follow-ups, report and consignee feedback, places delivery orders for itself
only, and gets nothing of another consignor's: each of B's objects and B as a consignor answer
exactly as a missing one would."""

from __future__ import annotations

from datetime import date

from tests.consignors import follow_up_support as f
from tests.consignors.delivery_support import CREATE, Consignor
from tests.orders.support import gid
from tests.sync.test_delta_sync import sync

ORDERS = """{ deliveryOrders(first: 50) { nodes { id reference consignorId } } }"""
PLANS = """{ deliveryPlans(first: 50) { nodes { id consignorId } } }"""
FOLLOW_UPS = """{ deliveryFollowUps(first: 50) { nodes { id consignor { id } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id } }"""
ONE_ORDER = """query($id: ID!) { deliveryOrder(id: $id) { id } }"""
ONE_PLAN = """query($id: ID!) { deliveryPlan(id: $id) { id } }"""
ONE_FOLLOW_UP = """query($id: ID!) { deliveryFollowUp(id: $id) { id } }"""
BILLING = """query($c: ID) { consignorBilling(consignorId: $c) {
  consignorId orderCount total { amount } } }"""
REPORT = """query($c: ID!, $from: Date!, $to: Date!) {
  consignorReport(consignorId: $c, from: $from, to: $to) { shipments failed }
  consignorFeedback(consignorId: $c, from: $from, to: $to) { source } }"""
PLAN = """mutation($input: DeliveryPlanCreateInput!) { deliveryPlanCreate(input: $input) {
  plan { id } userErrors { code } } }"""
RECORD = """mutation($s: ID!) { deliveryFollowUpRecord(shipmentId: $s, reason: FAILED_ATTEMPT) {
  deliveryFollowUp { id } userErrors { code } } }"""
FREIGHT = """mutation($input: ConsignorFreightAgreementSetInput!) {
  consignorFreightAgreementSet(input: $input) { userErrors { code } } }"""
ENTITIES = ["DELIVERY_ORDER", "DELIVERY_PLAN", "DELIVERY_FOLLOW_UP"]


class World:
    """Consignors A and B, each with a delivery order, a plan and a follow-up on a failed
    parcel of its own goods, and a CONSIGNOR sign-in each."""

    def __init__(self, kit) -> None:  # noqa: ANN001
        self.kit = kit
        self.staff = kit.factory.user("MANAGER")
        self.a, self.b = Consignor(kit), Consignor(kit)
        self.user = {c: kit.factory.user("CONSIGNOR", customer_id=c.row.id)
                     for c in (self.a, self.b)}

    async def fill(self, c: Consignor) -> dict[str, str]:
        api, token = self.kit.api, self.staff.token
        freight = (await api.ok(FREIGHT, {"input": {
            "consignorId": c.gid, "basis": "PER_ORDER", "rate": "15.00", "minimumCharge": "0",
            "validFrom": date.today().isoformat()}}, token))["consignorFreightAgreementSet"]
        assert freight["userErrors"] == [], freight
        made = (await api.ok(CREATE, {"input": {"consignorId": c.gid, "order": c.order(
            f"REF-{c.row.id}")}}, token))["deliveryOrderCreate"]
        assert made["userErrors"] == [], made
        plan = (await api.ok(PLAN, {"input": {"consignorId": c.gid, "plan": {
            "routeDays": [1], "validFrom": date.today().isoformat(), "name": "周一补货",
            "consigneeId": gid("Customer", c.consignee.id), "lines": [c.line()]}}}, token)
                )["deliveryPlanCreate"]
        assert plan["userErrors"] == [], plan
        parcel = f.parcel(self.kit.factory, c.row)
        agent = self.kit.factory.user("CUSTOMER_SERVICE")
        follow = (await api.ok(RECORD, {"s": parcel.gid}, agent.token)
                  )["deliveryFollowUpRecord"]
        assert follow["userErrors"] == [], follow
        return {"order": made["result"]["deliveryOrder"]["id"], "plan": plan["plan"]["id"],
                "followUp": follow["deliveryFollowUp"]["id"]}


async def test_a_consignor_reads_and_syncs_its_own_delivery_world_only(kit):  # noqa: ANN001
    w = World(kit)
    api = kit.api
    ours, theirs = await w.fill(w.a), await w.fill(w.b)
    me = w.user[w.a].token

    orders = (await api.ok(ORDERS, token=me))["deliveryOrders"]["nodes"]
    assert [(o["id"], o["consignorId"]) for o in orders] == [(ours["order"], w.a.gid)]
    assert [p["id"] for p in (await api.ok(PLANS, token=me))["deliveryPlans"]["nodes"]] == [
        ours["plan"]]
    follow_ups = (await api.ok(FOLLOW_UPS, token=me))["deliveryFollowUps"]["nodes"]
    assert [(x["id"], x["consignor"]["id"]) for x in follow_ups] == [
        (ours["followUp"], w.a.gid)]

    # B's objects answer as missing ones, through node and the single-object queries
    for query, key in ((ONE_ORDER, "order"), (ONE_PLAN, "plan"),
                       (ONE_FOLLOW_UP, "followUp")):
        root = query.split("{ ")[1].split("(")[0]
        assert (await api.ok(query, {"id": ours[key]}, me))[root]["id"] == ours[key]
        assert (await api.ok(query, {"id": theirs[key]}, me))[root] is None
        assert (await api.ok(NODE, {"id": theirs[key]}, me))["node"] is None

    # its own freight bill; B's bill and B's report answer as for a missing consignor
    bill = (await api.ok(BILLING, {"c": None}, me))["consignorBilling"]
    assert (bill["consignorId"], bill["orderCount"], bill["total"]["amount"]) == (
        w.a.gid, 1, "15.00")
    window = {"from": "2025-02-28", "to": "2025-03-02"}  # the test parcels' pickup: T0 + 1h
    report = await api.ok(REPORT, {"c": w.a.gid, **window}, me)
    assert (report["consignorReport"]["shipments"], report["consignorReport"]["failed"]) == (
        1, 1)  # its own failed parcel, not B's
    for query, variables in ((BILLING, {"c": w.b.gid}), (REPORT, {"c": w.b.gid, **window})):
        body = await api.raw(query, variables, me)
        codes = {e["extensions"]["code"] for e in body.json()["errors"]}
        missing = await api.raw(query, {**variables, "c": gid("Customer", 10**8)}, me)
        assert codes == {e["extensions"]["code"] for e in missing.json()["errors"]} == {
            "NOT_FOUND"}, body.text

    # the delta sync of the three: A's own objects, none of B's, not even as removed
    edges, _token = await sync(api, me, ENTITIES, first=2)
    assert {(e["entity"], e["id"]) for e in edges} == {
        ("DELIVERY_ORDER", ours["order"]), ("DELIVERY_PLAN", ours["plan"]),
        ("DELIVERY_FOLLOW_UP", ours["followUp"])}
    staff_edges, _token = await sync(api, w.staff.token, ENTITIES, first=50)
    assert {theirs["order"], theirs["plan"], theirs["followUp"]} <= {
        e["id"] for e in staff_edges}


def _to_a_shop(c: Consignor, reference: str) -> dict:
    """A delivery order to an address of the consignor's choosing (a consignor names only
    consignees already on its own orders or plans)."""
    return {"reference": reference, "lines": [c.line()], "shipTo": {
        "recipient": "李店长", "address": "杭州市 西湖区 文二路 8 号", "phone": "13900002222",
        "region": "East"}}


async def test_a_consignor_places_delivery_orders_for_itself_only(kit):  # noqa: ANN001
    w = World(kit)
    api, me = kit.api, w.user[w.a].token
    own = (await api.ok(CREATE, {"input": {"order": _to_a_shop(w.a, "MY-1")}}, me)
           )["deliveryOrderCreate"]
    assert own["userErrors"] == [] and own["result"]["deliveryOrder"]["consignorId"] == w.a.gid
    for consignor in (w.b.gid, gid("Customer", 10**8)):
        refused = (await api.ok(CREATE, {"input": {"consignorId": consignor,
                                                   "order": _to_a_shop(w.a, "MY-2")}}, me)
                   )["deliveryOrderCreate"]
        assert refused["result"] is None
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"], refused
    assert [o["reference"] for o in (await api.ok(ORDERS, token=me))["deliveryOrders"]
            ["nodes"]] == ["MY-1"]
    assert (await api.ok(ORDERS, token=w.user[w.b].token))["deliveryOrders"]["nodes"] == []
