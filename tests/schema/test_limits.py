"""Depth and alias limits through HTTP, and the validation cache they must not defeat."""

from __future__ import annotations

from strawberry.extensions.validation_cache import _get_validate_cache

from app.config import get_settings


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
    before = _get_validate_cache(1000).cache_info()
    for _ in range(3):
        await api.ok(query, None, admin.token)
    after = _get_validate_cache(1000).cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses
