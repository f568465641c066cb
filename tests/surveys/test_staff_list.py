"""The staff's `surveys` list and `node`: CUSTOMER_SERVICE and MANAGER read comments,
ANALYST reads them masked, SALES, WAREHOUSE and CUSTOMER not at all; filters and a
nullable sort; the statement count does not grow with the page."""

from __future__ import annotations

from app.surveys import service
from tests.orders.support import gid, pk
from tests.surveys.support import LIST, delivered_order, delivery_survey, token_of

NODE = """query($id: ID!) { node(id: $id) { ... on Survey { id csat comment status } } }"""


async def _answered(kit, factory, settings, comment: str):  # noqa: ANN001, ANN202
    order, buyer = await delivered_order(kit)
    row = delivery_survey(factory, order)
    factory.write(service.answer_survey, token_of(factory.runner.settings, row),
                  service.Answer(csat=2, nps=4, comment=comment, tags=("packaging",)))
    return order, buyer, row


async def test_comments_are_personal_data(api, kit, factory, settings):
    order, buyer, row = await _answered(kit, factory, settings, "王先生说包装破损")
    flt = {"filter": {"customerId": gid("Customer", buyer.id)}}
    for role, comment in (("CUSTOMER_SERVICE", "王先生说包装破损"),
                          ("MANAGER", "王先生说包装破损"), ("ANALYST", "***")):
        data = await api.ok(LIST, flt, factory.user(role).token)
        [node] = data["surveys"]["nodes"]
        assert node["comment"] == comment, role
        assert (node["csat"], node["nps"], node["tags"], node["lowScore"]) == (
            2, 4, ["packaging"], True)
        assert node["status"] == "ANSWERED" and node["order"]["number"] == order["number"]
        single = await api.ok(NODE, {"id": node["id"]}, factory.user(role).token)
        assert single["node"]["comment"] == comment
    for role in ("SALES", "WAREHOUSE", "LOGISTICS", "FINANCE"):
        body = await api.gql(LIST, flt, factory.user(role).token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        body = await api.gql(NODE, {"id": gid("Survey", row.id)}, factory.user(role).token)
        assert body["data"]["node"] is None, role  # like a missing one
    customer = factory.user("CUSTOMER", customer_id=buyer.id)  # not even its own
    body = await api.gql(LIST, flt, customer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_filters_and_the_default_sort(api, kit, factory, settings):
    _o1, buyer, answered = await _answered(kit, factory, settings, "ok")
    order, _ = await delivered_order(kit)
    open_ = delivery_survey(factory, order)
    token = factory.user("MANAGER").token
    mine = {pk(gid("Survey", s.id)) for s in (answered, open_)}

    async def ids(flt: dict, sort: str | None = None) -> list[int]:
        query = LIST.replace("surveys(first: 50, filter: $filter)",
                             "surveys(first: 50, filter: $filter, sort: $sort)").replace(
            "query($filter: SurveyFilter)", "query($filter: SurveyFilter, $sort: SurveySort)")
        data = await api.ok(query, {"filter": flt, "sort": sort}, token)
        return [pk(n["id"]) for n in data["surveys"]["nodes"] if pk(n["id"]) in mine]

    assert await ids({"status": ["ANSWERED"], "customerId": gid("Customer", buyer.id)}) == [
        answered.id]
    assert open_.id in await ids({"status": ["SENT"], "subjectKind": ["DELIVERY"]})
    assert await ids({"orderId": gid("Order", open_.order_id)}) == [open_.id]
    assert answered.id in await ids({"lowScore": True})
    assert open_.id not in await ids({"lowScore": True})
    both = {"sentAfter": answered.sent_at.isoformat()}
    assert await ids(both, None) == sorted(mine, reverse=True)  # newest first by default
    assert await ids(both, "SENT_AT_ASC") == sorted(mine)


async def test_the_list_costs_the_same_for_1_and_20_surveys(api, kit, factory, db):
    token = factory.user("MANAGER").token
    query = """query($n: Int) { surveys(first: $n) { edges { node {
      id status csat comment customer { name } order { number } } } } }"""
    for _ in range(3):  # at least 20 surveys in the database
        order, _ = await delivered_order(kit)
        delivery_survey(factory, order)
    counts = []
    for n in (1, 20):
        db.counter.reset()
        await api.ok(query, {"n": n}, token)
        counts.append(db.counter.count)
    # the page, the customers, the orders
    assert counts[0] == counts[1] <= 4, counts
