"""Campaigns over GraphQL: MARKETING and MANAGER create, schedule and cancel; ANALYST reads
the lists and reports; SALES and CUSTOMER are refused; templates and links are checked
when saved; the report (docs/architecture.md#campaigns)."""

from __future__ import annotations

from app.campaigns.jobs import send_due_sync
from tests.campaigns.support import audience
from tests.support import unique

FIELDS = "id name status channel links ratePerMinute filter { regions } segmentId version"
CREATE = ("mutation($i: CampaignCreateInput!) { campaignCreate(input: $i) { "
          f"campaign {{ {FIELDS} }} userErrors {{ field message code }} }} }}")
SCHEDULE = ("mutation($i: CampaignScheduleInput!) { campaignSchedule(input: $i) { "
            "campaign { id status scheduledAt } userErrors { message code } } }")
CANCEL = ("mutation($id: ID!) { campaignCancel(id: $id) { campaign { id status } "
          "userErrors { message code } } }")
UPDATE = ("mutation($i: CampaignUpdateInput!) { campaignUpdate(input: $i) { "
          "campaign { id name version } userErrors { field message code } } }")
STATS = ("query($id: ID!) { campaignStats(id: $id) { recipients delivered opened clicked "
         "unsubscribed failed pending sent openRate clickRate attributedOrders "
         "attributedRevenue { amount currency } } }")


def _input(region: str, **extra: object) -> dict:
    return {"name": unique("Spring sale "), "channel": "EMAIL",
            "subjectZh": "春季促销", "subjectEn": "Spring sale",
            "bodyZh": "{{name}}，您好！{{link:https://shop.example.com/spring}}",
            "bodyEn": "Hi {{name}}! {{link:https://shop.example.com/spring}}",
            "filter": {"regions": [region]}, **extra}


async def test_marketing_runs_a_campaign_and_analyst_reads_its_report(camp_api, factory,  # noqa: ANN001
                                                                      camp_runner) -> None:  # noqa: ANN001
    marketing = factory.user("MARKETING")
    region, _ids = audience(factory, 3)
    data = await camp_api.ok(CREATE, {"i": _input(region, ratePerMinute=600)},
                             token=marketing.token)
    created = data["campaignCreate"]
    assert created["userErrors"] == []
    campaign = created["campaign"]
    assert campaign["status"] == "DRAFT" and campaign["links"] == [
        "https://shop.example.com/spring"]
    assert campaign["filter"] == {"regions": [region]} and campaign["ratePerMinute"] == 600
    data = await camp_api.ok(UPDATE, {"i": {"id": campaign["id"], "name": "春季促销 2026",
                                            "expectedVersion": 1}}, token=marketing.token)
    assert data["campaignUpdate"]["campaign"]["version"] == 2
    data = await camp_api.ok(SCHEDULE, {"i": {"id": campaign["id"]}}, token=marketing.token)
    assert data["campaignSchedule"]["campaign"]["status"] == "SCHEDULED"
    data = await camp_api.ok(UPDATE, {"i": {"id": campaign["id"], "name": "late"}},
                             token=marketing.token)
    assert data["campaignUpdate"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    send_due_sync(camp_runner)
    analyst = factory.user("ANALYST")
    data = await camp_api.ok(STATS, {"id": campaign["id"]}, token=analyst.token)
    assert data["campaignStats"]["recipients"] == 3
    assert data["campaignStats"]["pending"] == 3 and data["campaignStats"]["openRate"] is None
    data = await camp_api.ok(
        'query($id: ID!) { campaigns(first: 5, filter: {status: [DONE], search: "春季"}) { '
        "edges { node { id name status stats { recipients } } } } "
        "node(id: $id) { ... on Campaign { name audience } } }", {"id": campaign["id"]},
        token=analyst.token)
    names = {e["node"]["id"]: e["node"] for e in data["campaigns"]["edges"]}
    assert names[campaign["id"]]["stats"]["recipients"] == 3
    assert data["node"] == {"name": "春季促销 2026", "audience": 3}
    body = await camp_api.gql(CREATE, {"i": _input(region)}, token=analyst.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_sales_and_customer_are_refused(camp_api, factory) -> None:  # noqa: ANN001
    region, ids = audience(factory, 1)
    manager = factory.user("MANAGER")
    data = await camp_api.ok(CREATE, {"i": _input(region)}, token=manager.token)
    cid = data["campaignCreate"]["campaign"]["id"]
    for user in (factory.user("SALES"), factory.user("CUSTOMER", customer_id=ids[0]),
                 factory.user("CUSTOMER_SERVICE")):
        for query, variables in ((CREATE, {"i": _input(region)}), (CANCEL, {"id": cid}),
                                 (STATS, {"id": cid}),
                                 ("query($id: ID!) { campaign(id: $id) { id } }", {"id": cid}),
                                 ("{ campaigns(first: 1) { totalCount } }", None)):
            body = await camp_api.gql(query, variables, token=user.token)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (user.role, query)
        data = await camp_api.ok(f'{{ node(id: "{cid}") {{ id }} }}', token=user.token)
        assert data["node"] is None
    body = await camp_api.gql(STATS, {"id": cid})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_templates_and_links_are_checked_when_saved(camp_api, factory) -> None:  # noqa: ANN001
    marketing = factory.user("MARKETING")
    region, _ = audience(factory, 0)
    cases = [({"bodyZh": "您好 {{nmae}}"}, "unknown variable"),
             ({"bodyEn": "{{link:https://evil.com/x}}"}, "links may go to"),
             ({"bodyZh": "{{link://shop.example.com.evil.com}}"}, "http:// or https://"),
             ({"bodyEn": "Hi {{name}"}, "unbalanced"),
             ({"bodyEn": "{{ name.__class__ }}"}, "unknown variable"),
             ({"subjectEn": ""}, "needs a subject"),
             ({"ratePerMinute": 0}, "rate per minute"),
             ({"segmentId": "U2VnbWVudDox"}, "one of them")]
    for change, message in cases:
        data = await camp_api.ok(CREATE, {"i": _input(region, **change)}, token=marketing.token)
        payload = data["campaignCreate"]
        assert payload["campaign"] is None, change
        assert any(message in e["message"] for e in payload["userErrors"]), (change, payload)
    data = await camp_api.ok("{ campaigns(first: 100) { edges { node { filter { regions } } } } }",
                             token=marketing.token)
    assert all(e["node"]["filter"]["regions"] != [region] for e in data["campaigns"]["edges"]
               if e["node"]["filter"])


async def test_cancel_a_scheduled_campaign(camp_api, factory) -> None:  # noqa: ANN001
    marketing = factory.user("MARKETING")
    region, _ = audience(factory, 1)
    data = await camp_api.ok(CREATE, {"i": _input(region)}, token=marketing.token)
    cid = data["campaignCreate"]["campaign"]["id"]
    data = await camp_api.ok(CANCEL, {"id": cid}, token=marketing.token)
    assert data["campaignCancel"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    await camp_api.ok(SCHEDULE, {"i": {"id": cid, "at": "2030-01-01T00:00:00Z"}},
                      token=marketing.token)
    data = await camp_api.ok(CANCEL, {"id": cid}, token=marketing.token)
    assert data["campaignCancel"]["campaign"]["status"] == "CANCELLED"
    missing = "Q2FtcGFpZ246OTk5OTk5"  # Campaign:999999
    data = await camp_api.ok(CANCEL, {"id": missing}, token=marketing.token)
    assert data["campaignCancel"]["userErrors"][0]["code"] == "NOT_FOUND"
