"""Reviewing what carrier webhooks delivered (`carrierWebhookEvents`,
`carrierWebhookEventReview`) over HTTP against the real app: events for unknown tracking
numbers and invalid ones are kept and listed, reviewing is recorded, and only
carriers:write (LOGISTICS, MANAGER, ADMIN) sees or reviews them."""

from __future__ import annotations

from tests.shipping import support as s
from tests.shipping import webhook_support as w
from tests.shipping.quote_support import ERRORS, ROLES
from tests.support import unique

EVENTS = """query($f: CarrierWebhookEventFilter, $first: Int, $after: String) {
  carrierWebhookEvents(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id eventId trackingNumber status result message payload occurredAt receivedAt
            reviewedAt carrier { code } shipment { number status } } } }"""
REVIEW = f"""mutation($id: ID!) {{ carrierWebhookEventReview(id: $id) {{
  carrierWebhookEvent {{ id reviewedAt }} {ERRORS} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { ... on CarrierWebhookEvent { eventId result } } }"""


async def test_unknown_numbers_and_invalid_events_are_kept_for_review(api, factory, runner):
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    lost = w.event(unique("SF-NOBODY-"), "IN_TRANSIT", 1, note="carrier's own field")
    bad = w.event(shipment.tracking_number, "TELEPORTED", 1)
    fine = w.event(shipment.tracking_number, "PICKED_UP", 2)
    answer = await w.post(api, hooked, [lost, bad, fine])
    assert w.results(answer) == [(lost["eventId"], "UNKNOWN_TRACKING_NUMBER"),
                                 (bad["eventId"], "INVALID"), (fine["eventId"], "ACCEPTED")]
    token = factory.user("LOGISTICS").token
    carrier = s.gid("Carrier", hooked.carrier.id)
    to_review = (await api.ok(EVENTS, {"f": {"carrierId": carrier, "reviewed": False,
                                             "result": "UNKNOWN_TRACKING_NUMBER"}},
                              token))["carrierWebhookEvents"]
    assert to_review["totalCount"] == 1
    kept = to_review["nodes"][0]
    assert (kept["eventId"], kept["trackingNumber"], kept["status"], kept["result"]) == (
        lost["eventId"], lost["trackingNumber"], "IN_TRANSIT", "UNKNOWN_TRACKING_NUMBER")
    assert kept["payload"] == lost and kept["shipment"] is None
    assert kept["carrier"] == {"code": hooked.carrier.code} and kept["reviewedAt"] is None
    everything = (await api.ok(EVENTS, {"f": {"carrierId": carrier}}, token))[
        "carrierWebhookEvents"]["nodes"]
    assert [n["eventId"] for n in everything] == [fine["eventId"], bad["eventId"],
                                                  lost["eventId"]]  # newest first, then id
    invalid = everything[1]
    assert invalid["result"] == "INVALID" and "status must be one of" in invalid["message"]
    assert invalid["shipment"] == {"number": shipment.number, "status": "PICKED_UP"}
    by_number = (await api.ok(EVENTS, {"f": {"trackingNumber": lost["trackingNumber"]}},
                              token))["carrierWebhookEvents"]["nodes"]
    assert [n["id"] for n in by_number] == [kept["id"]]

    reviewed = (await api.ok(REVIEW, {"id": kept["id"]}, token))["carrierWebhookEventReview"]
    assert reviewed["userErrors"] == [] and reviewed["carrierWebhookEvent"]["reviewedAt"]
    again = (await api.ok(REVIEW, {"id": kept["id"]}, factory.user("MANAGER").token))[
        "carrierWebhookEventReview"]
    assert again["carrierWebhookEvent"]["reviewedAt"] == \
        reviewed["carrierWebhookEvent"]["reviewedAt"]
    left = (await api.ok(EVENTS, {"f": {"carrierId": carrier, "reviewed": False}}, token))[
        "carrierWebhookEvents"]["nodes"]
    assert kept["id"] not in [n["id"] for n in left] and len(left) == 2
    assert (await api.ok(NODE, {"id": kept["id"]}, token))["node"] == {
        "eventId": lost["eventId"], "result": "UNKNOWN_TRACKING_NUMBER"}


async def test_only_carriers_write_reviews(api, factory):
    hooked = w.hooked_carrier(factory)
    lost = w.event(unique("SF-NOBODY-"), "IN_TRANSIT", 1)
    await w.post(api, hooked, [lost])
    logistics = factory.user("LOGISTICS").token
    kept = (await api.ok(EVENTS, {"f": {"trackingNumber": lost["trackingNumber"]}},
                         logistics))["carrierWebhookEvents"]["nodes"][0]
    customer = factory.customer()
    for role in ROLES:
        token = factory.user(role, customer_id=customer.id if role == "CUSTOMER" else None
                             ).token
        listed = await api.gql(EVENTS, {"f": {"trackingNumber": lost["trackingNumber"]}},
                               token)
        node = (await api.gql(NODE, {"id": kept["id"]}, token))["data"]["node"]
        review = await api.gql(REVIEW, {"id": kept["id"]}, token)
        if role in ("LOGISTICS", "MANAGER", "ADMIN"):
            assert not listed.get("errors") and node is not None, role
            continue
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        assert review["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        assert node is None, role
    missing = (await api.ok(REVIEW, {"id": s.gid("CarrierWebhookEvent", 987654321)},
                            logistics))["carrierWebhookEventReview"]
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
    foreign = (await api.ok(REVIEW, {"id": s.gid("Carrier", hooked.carrier.id)}, logistics))[
        "carrierWebhookEventReview"]
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]


async def test_the_review_list_runs_the_same_statements_for_any_page(api, factory, db):
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    token = factory.user("ADMIN").token
    variables = {"f": {"carrierId": s.gid("Carrier", hooked.carrier.id)}, "first": 50}

    async def statements_after(n: int) -> int:
        await w.post(api, hooked, [w.event(unique("SF-NOBODY-"), "IN_TRANSIT", 1)
                                   for _ in range(n)]
                     + [w.event(shipment.tracking_number, "TELEPORTED", 1)])
        db.counter.reset()
        data = await api.ok(EVENTS, variables, token)
        assert all(n["carrier"] for n in data["carrierWebhookEvents"]["nodes"])
        return db.counter.count

    few, many = await statements_after(2), await statements_after(12)
    # the page, its total, the carriers, the shipments
    assert few == many <= 4, (few, many)
