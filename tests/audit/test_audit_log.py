"""auditLog: ADMIN reads who changed what, when, before and after; nobody else can."""

from __future__ import annotations

LOG = """query($filter: AuditFilter, $first: Int, $after: String, $sort: AuditSort) {
  auditLog(filter: $filter, first: $first, after: $after, sort: $sort) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id action actorRole entityType entityId before after createdAt requestId
            actor { id email } } } }"""
CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { message } } }"""
UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) {
  customerUpdate(id: $id, input: $input) { customer { id } userErrors { message } } }"""


async def _customer_with_history(api, token: str) -> str:  # noqa: ANN001
    created = (await api.ok(CREATE, {"input": {"name": "审计客户", "region": "华东"}},
                            token))["customerCreate"]
    assert created["userErrors"] == []
    cid = created["customer"]["id"]
    for tier in ("GOLD", "PLATINUM"):
        updated = await api.ok(UPDATE, {"id": cid, "input": {"tier": tier}}, token)
        assert updated["customerUpdate"]["userErrors"] == []
    return cid


async def test_admin_reads_an_objects_history_page_by_page(api, factory):
    admin, manager = factory.user("ADMIN"), factory.user("MANAGER")
    cid = await _customer_with_history(api, manager.token)
    log = (await api.ok(LOG, {"filter": {"entityId": cid}}, admin.token))["auditLog"]
    assert log["totalCount"] == 3
    newest, middle, oldest = log["nodes"]
    assert [n["action"] for n in log["nodes"]] == [
        "customer.update", "customer.update", "customer.create"]
    assert all(n["entityType"] == "Customer" and n["entityId"] == cid for n in log["nodes"])
    assert all(n["actor"] == {"id": manager.gid, "email": manager.email}
               and n["actorRole"] == "MANAGER" for n in log["nodes"])
    assert oldest["before"] is None and oldest["after"]["name"] == "审计客户"
    assert (middle["before"]["tier"], middle["after"]["tier"]) == (oldest["after"]["tier"],
                                                                   "GOLD")
    assert (newest["before"]["tier"], newest["after"]["tier"]) == ("GOLD", "PLATINUM")

    first = (await api.ok(LOG, {"filter": {"entityId": cid}, "first": 2, "sort":
                                "CREATED_AT_ASC"}, admin.token))["auditLog"]
    assert [n["id"] for n in first["nodes"]] == [oldest["id"], middle["id"]]
    assert first["pageInfo"]["hasNextPage"]
    rest = (await api.ok(LOG, {"filter": {"entityId": cid}, "first": 2, "sort":
                               "CREATED_AT_ASC", "after": first["pageInfo"]["endCursor"]},
                         admin.token))["auditLog"]
    assert [n["id"] for n in rest["nodes"]] == [newest["id"]]
    assert not rest["pageInfo"]["hasNextPage"]

    only = (await api.ok(LOG, {"filter": {"entityId": cid, "actions": ["customer.create"],
                                          "actorId": manager.gid}}, admin.token))["auditLog"]
    assert [n["id"] for n in only["nodes"]] == [oldest["id"]]
    by_request = (await api.ok(LOG, {"filter": {"requestId": newest["requestId"]}},
                               admin.token))["auditLog"]
    assert [n["id"] for n in by_request["nodes"]] == [newest["id"]]
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on AuditRecord { action } } }",
                        {"id": newest["id"]}, admin.token)
    assert node["node"] == {"action": "customer.update"}


async def test_nobody_but_audit_readers_sees_the_log(api, factory):
    admin = factory.user("ADMIN")
    cid = await _customer_with_history(api, admin.token)
    [record] = (await api.ok(LOG, {"filter": {"entityId": cid}, "first": 1},
                             admin.token))["auditLog"]["nodes"]
    for role in ("MANAGER", "SALES", "FINANCE", "ANALYST", "WAREHOUSE"):
        user = factory.user(role)
        body = await api.gql(LOG, {"filter": {"entityId": cid}}, user.token)
        assert body["data"] is None, role
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        node = await api.ok("query($id: ID!) { node(id: $id) { id } }", {"id": record["id"]},
                            user.token)
        assert node["node"] is None, role
    anonymous = await api.gql(LOG, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_filters_are_clear_errors(api, factory):
    admin = factory.user("ADMIN")
    cases = [({"entityId": "not-an-id"}, "NOT_FOUND", ["filter", "entityId"]),
             ({"entityId": factory.user("SALES").gid, "entityType": "Order"}, "INVALID",
              ["filter", "entityId"]),
             ({"actorId": "bm9wZToxMjM"}, "NOT_FOUND", ["filter", "actorId"]),
             ({"actions": [f"a{i}" for i in range(51)]}, "INVALID", ["filter", "actions"])]
    for flt, code, field in cases:
        body = await api.gql(LOG, {"filter": flt}, admin.token)
        assert body["data"] is None, flt
        error = body["errors"][0]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field), body
    too_many = await api.gql(LOG, {"first": 101}, admin.token)
    assert too_many["errors"][0]["extensions"]["field"] == ["first"]
