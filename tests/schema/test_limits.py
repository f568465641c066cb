"""Depth and alias limits through HTTP, and the validation cache they must not defeat."""

from __future__ import annotations

from dataclasses import replace

import httpx

from app.config import get_settings
from schema.asgi import create_app
from schema.core.extensions import _validate
from tests.support import Api


async def test_too_deep_query_is_refused(api, factory):
    admin = factory.user("ADMIN")
    depth = get_settings().max_query_depth
    inner = "id"
    for _ in range(depth + 1):  # customer -> owner ... nests one level each time
        inner = f"edges {{ node {{ id }} }} totalCount pageInfo {{ hasNextPage }} " \
                f"x: customers(first: 1) {{ {inner} }}"
    body = await api.gql(f"{{ customers(first: 1) {{ {inner} }} }}", None, admin.token)
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(api, factory):
    admin = factory.user("ADMIN")
    count = get_settings().max_aliases + 1
    query = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(count)) + " }"
    body = await api.gql(query, None, admin.token)
    assert body.get("data") is None
    assert "aliases" in body["errors"][0]["message"]


async def test_a_repeated_query_is_validated_once(api, factory):
    admin = factory.user("ADMIN")
    query = "query ValidatedOnce { me { role permissions } }"
    await api.ok(query, None, admin.token)
    before = _validate.cache_info()
    for _ in range(3):
        await api.ok(query, None, admin.token)
    after = _validate.cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses


async def test_an_app_applies_the_limits_of_its_own_settings(settings, db, factory):
    """Limits come from the settings the app was built with, not from the environment."""
    tight = replace(settings, max_query_depth=3, max_aliases=1, max_tokens=40,
                    max_query_cost=5)
    env = get_settings()
    assert (env.max_query_depth, env.max_aliases, env.max_tokens, env.max_query_cost) > (
        3, 1, 40, 5)
    admin = factory.user("ADMIN")
    transport = httpx.ASGITransport(app=create_app(settings=tight, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, factory)
        assert (await api.ok("{ me { role } }", None, admin.token))["me"]["role"] == "ADMIN"
        refused = {  # each query breaks one limit only
            "{ customers(first: 1) { edges { node { orders(first: 1) { totalCount } } } } }":
                "exceeds maximum operation depth of 3",
            "{ a: me { role } b: me { role } }": "2 aliases found. Allowed: 1",
            "{ me { " + " ".join(["role"] * 40) + " } }": "more than 40 tokens",
            "{ customers(first: 50) { edges { node { id } } } }": "exceeds the budget of 5",
        }
        for query, message in refused.items():
            body = await api.gql(query, None, admin.token)
            assert body.get("data") is None and message in body["errors"][0]["message"], body


def _doubling(levels: int) -> str:
    """Fragments that each spread the next twice: tiny as text, 2^levels fields expanded."""
    parts = ["fragment F0 on Query { __typename }"]
    parts += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}"
              for i in range(1, levels + 1)]
    return f"query Boom {{ ...F{levels} }} " + " ".join(parts)


async def test_fragments_that_explode_are_refused_before_validation(api, factory):
    """The security issue's finding: a ~700-byte anonymous query of doubling fragments
    froze the server for seconds (validation and execution expand it)."""
    query = _doubling(40)
    assert len(query) < 2000
    body = await api.gql(query, None)  # anonymous
    assert body.get("data") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert str(get_settings().max_expanded_fields) in error["message"]
    # within the budget, fragments work as ever
    fine = await api.gql(_doubling(8), None, factory.user("ADMIN").token)
    assert fine["data"] == {"__typename": "Query"} and "errors" not in fine


async def test_several_operations_need_an_operation_name(api, factory):
    token = factory.user("ADMIN").token
    document = "query A { __typename } query B { me { role } }"
    body = await api.gql(document, None, token)
    assert body.get("data") is None
    assert "operation name" in body["errors"][0]["message"]
    response = await api.client.post("/graphql", json={"query": document,
                                                       "operationName": "B"},
                                     headers={"authorization": f"Bearer {token}"})
    assert response.json()["data"] == {"me": {"role": "ADMIN"}}
