"""Automatic persisted queries through HTTP: miss, register, hash-only, GET, mismatch."""

from __future__ import annotations

import hashlib

import orjson

from schema.core.persisted import PersistedQueries

QUERY = "query PersistedCustomers { customers(first: 5) { edges { node { id name } } } }"


def _hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _apq(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def _post(api, body: dict, token: str) -> dict:
    response = await api.client.post("/graphql", json=body,
                                      headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def test_unknown_hash_asks_for_the_query_then_hash_alone_works(api, factory):
    admin = factory.user("ADMIN")
    factory.customer(name="持久化查询客户")
    query = QUERY.replace("first: 5", 'first: 7, filter: {search: "持久化查询"}')
    digest = _hash(query)
    miss = await _post(api, {"extensions": _apq(digest)}, admin.token)
    assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert miss.get("data") is None

    full = await _post(api, {"query": query, "extensions": _apq(digest)}, admin.token)
    assert "errors" not in full
    again = await _post(api, {"extensions": _apq(digest)}, admin.token)
    assert again == full
    assert any(e["node"]["name"] == "持久化查询客户" for e in again["data"]["customers"]["edges"])


async def test_hash_only_over_get(api, factory):
    admin = factory.user("ADMIN")
    query = QUERY.replace("first: 5", "first: 3")
    digest = _hash(query)
    await _post(api, {"query": query, "extensions": _apq(digest)}, admin.token)
    response = await api.client.get(
        "/graphql", params={"extensions": orjson.dumps(_apq(digest)).decode()},
        headers={"authorization": f"Bearer {admin.token}", "accept": "application/json"})
    assert response.status_code == 200, response.text
    assert "customers" in response.json()["data"]


async def test_a_hash_that_does_not_match_the_query_is_refused_and_not_run(api, factory, db):
    admin = factory.user("ADMIN")
    db.counter.reset()
    body = await _post(api, {"query": QUERY, "extensions": _apq(_hash("something else"))},
                       admin.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert body.get("data") is None
    assert db.counter.count == 0


async def test_bad_version_and_malformed_hash_are_refused(api, factory):
    admin = factory.user("ADMIN")
    for ext in ({"persistedQuery": {"version": 2, "sha256Hash": _hash(QUERY)}},
                {"persistedQuery": {"version": 1, "sha256Hash": "短"}},
                {"persistedQuery": "nope"}):
        body = await _post(api, {"extensions": ext}, admin.token)
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_an_invalid_document_is_not_remembered(api, factory):
    admin = factory.user("ADMIN")
    bad = "{ customers(first: 2) { edges { node { noSuchField } } } }"
    first = await _post(api, {"query": bad, "extensions": _apq(_hash(bad))}, admin.token)
    assert first["errors"]
    miss = await _post(api, {"extensions": _apq(_hash(bad))}, admin.token)
    assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_query_without_extensions_is_unaffected(api, factory):
    admin = factory.user("ADMIN")
    body = await _post(api, {"query": QUERY}, admin.token)
    assert "errors" not in body


def test_contract_operations_are_pinned_and_learned_ones_evicted(tmp_path):
    (tmp_path / "orders.graphql").write_text("query Orders { me { id } }", encoding="utf-8")
    store = PersistedQueries(max_entries=2)
    assert store.pin_directory(tmp_path) == 1
    pinned = _hash("query Orders { me { id } }")
    for n in range(3):
        store.learn(_hash(f"q{n}"), f"q{n}")
    assert store.get(pinned) == "query Orders { me { id } }"
    assert store.get(_hash("q0")) is None  # oldest learned one evicted
    assert store.get(_hash("q2")) == "q2"
