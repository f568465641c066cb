"""User administration over GraphQL: users, userCreate, userUpdate (users:manage, ADMIN)."""

from __future__ import annotations

from sqlmodel import select

from app.audit.models import AuditRecord
from tests.auth.test_auth_api import LOGIN, REFRESH
from tests.orders.support import Kit, gid, pk
from tests.support import unique

FIELDS = "user { id email fullName role isActive language warehouseIds } " \
         "userErrors { field code message }"
CREATE = f"""mutation($input: UserCreateInput!) {{ userCreate(input: $input) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UserUpdateInput!) {{
  userUpdate(id: $id, input: $input) {{ {FIELDS} }} }}"""
USERS = """query($filter: UserFilter, $sort: UserSort) { users(filter: $filter, sort: $sort,
  first: 50) { totalCount nodes { id email role isActive } } }"""


async def _create(api, token: str, **fields) -> dict:  # noqa: ANN001, ANN003
    values = {"email": f"{unique('staff')}@example.com", "password": "s3cret-pass",
              "role": "WAREHOUSE", **fields}
    return (await api.ok(CREATE, {"input": values}, token))["userCreate"]


async def test_admin_creates_finds_and_changes_a_user(api, factory):
    admin = factory.user("ADMIN")
    kit = Kit(api, factory)
    north, south = kit.warehouse(), kit.warehouse()
    north_id, south_id = gid("Warehouse", north.id), gid("Warehouse", south.id)
    made = await _create(api, admin.token, fullName="王库管", language="en",
                         warehouseIds=[north_id])
    assert made["userErrors"] == []
    user = made["user"]
    assert (user["role"], user["language"], user["warehouseIds"]) == ("WAREHOUSE", "en",
                                                                       [north_id])
    login = (await api.ok(LOGIN, {"e": user["email"], "p": "s3cret-pass"}))["login"]
    assert login["userErrors"] == []

    found = (await api.ok(USERS, {"filter": {"search": user["email"][:12],
                                             "roles": ["WAREHOUSE"], "isActive": True}},
                          admin.token))["users"]
    assert user["id"] in [n["id"] for n in found["nodes"]]

    moved = (await api.ok(UPDATE, {"id": user["id"], "input": {
        "warehouseIds": [south_id, south_id], "fullName": "王主管"}}, admin.token))["userUpdate"]
    assert moved["userErrors"] == []
    assert (moved["user"]["warehouseIds"], moved["user"]["fullName"]) == ([south_id], "王主管")
    # the next refresh carries the new warehouse
    refreshed = (await api.ok(REFRESH, {"t": login["refreshToken"]}))["refreshToken"]
    me = await api.ok("{ me { warehouseIds } }", token=refreshed["accessToken"])
    assert me["me"]["warehouseIds"] == [south_id]

    audit = factory.runner.read_sync(lambda s: list(s.exec(select(AuditRecord).where(
        AuditRecord.entity_type == "User", AuditRecord.entity_id == pk(user["id"]),
        AuditRecord.action.in_(["user.create", "user.update"])).order_by(AuditRecord.id))),
        (), {})
    created, updated = audit
    assert (created.action, created.after["language"], created.actor_id) == (
        "user.create", "en", admin.id)
    assert (updated.before["warehouse_ids"], updated.after["warehouse_ids"],
            updated.actor_id) == ([north.id], [south.id], admin.id)
    assert "password_hash" not in updated.before and "password_hash" not in created.after

    off = (await api.ok(UPDATE, {"id": user["id"], "input": {"isActive": False}},
                        admin.token))["userUpdate"]
    assert off["user"]["isActive"] is False
    dead = (await api.ok(REFRESH, {"t": refreshed["refreshToken"]}))["refreshToken"]
    assert dead["userErrors"][0]["code"] == "INVALID_TOKEN"
    refused = (await api.ok(LOGIN, {"e": user["email"], "p": "s3cret-pass"}))["login"]
    assert refused["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_bad_changes_are_user_errors_and_change_nothing(api, factory):
    admin = factory.user("ADMIN")
    target = factory.user("SALES")
    cases = [
        (admin.gid, {"isActive": False}, ["isActive"]),
        (admin.gid, {"role": "SALES"}, ["role"]),
        (target.gid, {"role": "CUSTOMER"}, ["customerId"]),
        (target.gid, {"warehouseIds": [gid("Warehouse", 10**9)]}, ["warehouseIds"]),
        (target.gid, {"warehouseIds": ["bad"]}, ["warehouseIds"]),
        (target.gid, {"language": "fr", "fullName": "x"}, None),
        (gid("User", 10**9), {"fullName": "nobody"}, ["id"]),
    ]
    for user_id, change, field in cases:
        result = (await api.ok(UPDATE, {"id": user_id, "input": change},
                               admin.token))["userUpdate"]
        assert result["user"] is None, change
        assert result["userErrors"], change
        if field is not None:
            assert result["userErrors"][0]["field"] == field, (change, result)
    # a NUL byte is refused before any resolver runs, with where it is (schema/core/strings)
    nul = await api.gql(UPDATE, {"id": target.gid, "input": {"fullName": "x\x00"}},
                        admin.token)
    assert nul["errors"][0]["extensions"] == {"code": "INVALID",
                                              "field": ["variables", "input", "fullName"]}
    users = (await api.ok(USERS, {"filter": {"search": target.email}}, admin.token))["users"]
    assert users["nodes"] == [{"id": target.gid, "email": target.email, "role": "SALES",
                               "isActive": True}]
    twice = await _create(api, admin.token, email=target.email)
    assert twice["userErrors"][0]["code"] == "DUPLICATE"
    customer_without = await _create(api, admin.token, role="CUSTOMER")
    assert customer_without["userErrors"][0]["field"] == ["customerId"]
    both_bad = await _create(api, admin.token, customerId="bad", warehouseIds=["bad"])
    assert [e["field"] for e in both_bad["userErrors"]] == [["customerId"], ["warehouseIds"]]
    both_bad = (await api.ok(UPDATE, {"id": target.gid, "input": {
        "customerId": "bad", "warehouseIds": [gid("Warehouse", 1), "bad"]}},
        admin.token))["userUpdate"]
    assert [e["field"] for e in both_bad["userErrors"]] == [["customerId"], ["warehouseIds"]]


async def test_only_user_managers_administer_users(api, factory):
    manager = factory.user("MANAGER")
    body = await api.gql(USERS, {}, manager.token)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    made = await api.gql(CREATE, {"input": {"email": "x@example.com", "password": "s3cret-pass",
                                            "role": "ADMIN"}}, manager.token)
    assert made["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    changed = await api.gql(UPDATE, {"id": manager.gid, "input": {"role": "ADMIN"}},
                            manager.token)
    assert changed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # a user sees its own account, but not the admin-only warehouse assignment
    own = await api.gql("query($id: ID!) { node(id: $id) { ... on User { email warehouseIds } } }",
                        {"id": manager.gid}, manager.token)
    assert own["data"]["node"] == {"email": manager.email, "warehouseIds": None}
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"

