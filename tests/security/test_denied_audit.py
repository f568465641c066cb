"""Refused mutations are audited (outcome DENIED: actor, operation, target, reason, request
id, client address) and `auditLog` filters by outcome; a refused query is not a change and
writes nothing (docs/architecture.md#the-policy-table)."""

from __future__ import annotations

from app.ids import to_global_id

LOG = """query($f: AuditFilter) { auditLog(filter: $f, first: 50) { edges { node {
  action outcome reason requestId clientAddress entityType entityId actorRole
  actor { id } } } } }"""
CREATE_USER = """mutation { userCreate(input: {email: "x@example.com", password: "password123",
  role: SALES, fullName: "X"}) { user { id } } }"""
APPROVE = "mutation($id: ID!) { orderApprove(id: $id) { order { id } } }"
REASSIGN = """mutation($id: ID!, $owner: ID!) { customerUpdate(id: $id, input: {ownerId: $owner})
  { userErrors { code message } } }"""


async def _denied(api, admin_token: str, request_id: str) -> list[dict]:
    data = await api.ok(LOG, {"f": {"outcome": "DENIED", "requestId": request_id}},
                        admin_token)
    return [e["node"] for e in data["auditLog"]["edges"]]


async def test_a_refused_mutation_is_audited_with_who_what_why_and_where(api, factory):
    admin, rep = factory.user("ADMIN"), factory.user("SALES")
    response = await api.client.post(
        "/graphql", json={"query": CREATE_USER},
        headers={"authorization": f"Bearer {rep.token}", "x-request-id": "deny-1"})
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    [row] = await _denied(api, admin.token, "deny-1")
    assert row == {"action": "Mutation.userCreate", "outcome": "DENIED",
                   "reason": "requires permission users:manage", "requestId": "deny-1",
                   "clientAddress": "127.0.0.1", "entityType": "Operation", "entityId": None,
                   "actorRole": "SALES", "actor": {"id": rep.gid}}
    # the refused call created nothing; the log's SUCCESS rows do not include the attempt
    assert (await api.ok(LOG, {"f": {"outcome": "SUCCESS", "requestId": "deny-1"}},
                         admin.token))["auditLog"]["edges"] == []


async def test_an_anonymous_attempt_names_its_target(api, factory):
    admin = factory.user("ADMIN")
    target = to_global_id("Order", 4242)
    response = await api.client.post("/graphql", json={"query": APPROVE,
                                                       "variables": {"id": target}},
                                     headers={"x-request-id": "deny-anon"})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    [row] = await _denied(api, admin.token, "deny-anon")
    assert (row["action"], row["entityType"], row["entityId"], row["actor"],
            row["actorRole"], row["reason"]) == (
        "Mutation.orderApprove", "Order", target, None, None, "authentication required")


async def test_a_refusal_by_the_services_own_rule_is_audited(api, factory):
    admin, rep, other = factory.user("ADMIN"), factory.user("SALES"), factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    cid = to_global_id("Customer", customer.id)
    response = await api.client.post(
        "/graphql", json={"query": REASSIGN, "variables": {"id": cid, "owner": other.gid}},
        headers={"authorization": f"Bearer {rep.token}", "x-request-id": "deny-rule"})
    errors = response.json()["data"]["customerUpdate"]["userErrors"]
    assert [e["code"] for e in errors] == ["FORBIDDEN"]
    [row] = await _denied(api, admin.token, "deny-rule")
    assert (row["action"], row["entityType"], row["entityId"], row["reason"]) == (
        "Mutation.customerUpdate", "Customer", cid, "sales reps cannot reassign customers")


async def test_a_flood_of_refusals_in_one_request_writes_one_row(api, factory):
    """Mutations run one after another and their payloads are non-null: the first refusal
    ends the request (and the log holds at most MAX_DENIALS rows per request anyway)."""
    admin, rep = factory.user("ADMIN"), factory.user("SALES")
    calls = " ".join(f"a{i}: userUpdate(id: \"{rep.gid}\", input: {{fullName: \"x\"}}) "
                     "{ user { id } }" for i in range(25))
    response = await api.client.post(
        "/graphql", json={"query": f"mutation {{ {calls} }}"},
        headers={"authorization": f"Bearer {rep.token}", "x-request-id": "deny-flood"})
    body = response.json()
    assert body["data"] is None and [e["path"] for e in body["errors"]] == [["a0"]]
    rows = await _denied(api, admin.token, "deny-flood")
    assert [(r["action"], r["entityId"]) for r in rows] == [("Mutation.userUpdate", rep.gid)]


async def test_a_refused_query_writes_nothing(api, factory):
    admin, rep = factory.user("ADMIN"), factory.user("SALES")
    response = await api.client.post(
        "/graphql", json={"query": "{ users(first: 1) { edges { node { id } } } }"},
        headers={"authorization": f"Bearer {rep.token}", "x-request-id": "deny-query"})
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _denied(api, admin.token, "deny-query") == []
