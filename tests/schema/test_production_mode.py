"""In production, introspection, GraphiQL and field suggestions are off unless configured
(CRM_INTROSPECTION, CRM_GRAPHIQL, CRM_SUGGESTIONS); in development they are on."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from app.config import ConfigError, load_settings
from schema.asgi import create_app
from schema.core.persisted import CONTRACT_OPERATIONS, sha256_hex
from tests.support import Api

TYPO = "{ customrs(first: 1) { totalCount } }"
SCHEMA = "{ __schema { queryType { name } } }"


async def test_production_hides_the_schema_the_ide_and_suggestions(settings, db, factory):
    locked = replace(settings, introspection=False, graphiql=False, suggestions=False)
    admin = factory.user("ADMIN")
    transport = httpx.ASGITransport(app=create_app(settings=locked, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, factory)
        refused = await api.gql(SCHEMA, None, admin.token)
        assert "introspection" in refused["errors"][0]["message"].lower()
        assert (await api.ok("{ __typename }", None, admin.token)) == {"__typename": "Query"}
        typo = await api.gql(TYPO, None, admin.token)
        assert "Cannot query field 'customrs'" in typo["errors"][0]["message"]
        assert "Did you mean" not in typo["errors"][0]["message"]
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()


async def test_development_keeps_them(api, factory):
    admin = factory.user("ADMIN")
    assert (await api.ok(SCHEMA, None, admin.token))["__schema"]["queryType"]["name"] == \
        "Query"
    assert "Did you mean 'customers'" in (await api.gql(TYPO, None, admin.token))[
        "errors"][0]["message"]
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" in page.text.lower()


def test_the_flags_follow_the_environment():
    base = {"CRM_JWT_SECRET": "x" * 40, "CRM_DATABASE_URL": "sqlite:///x.db"}
    prod = load_settings({**base, "CRM_ENV": "production"})
    assert (prod.introspection, prod.graphiql, prod.suggestions) == (False, False, False)
    opened = load_settings({**base, "CRM_ENV": "production", "CRM_INTROSPECTION": "1"})
    assert opened.introspection and not opened.graphiql
    assert load_settings(base).graphiql
    with pytest.raises(ConfigError):
        load_settings({**base, "CRM_GRAPHIQL": "yes"})


ME_DOCUMENT = (CONTRACT_OPERATIONS / "me.graphql").read_text(encoding="utf-8")


async def test_persisted_only_runs_the_contract_operations_alone(settings, db, factory):
    """CRM_PERSISTED_ONLY: the pinned documents, by hash or in full;
    any other document is refused before parsing, and APQ learns nothing."""
    strict = replace(settings, persisted_only=True)
    admin = factory.user("ADMIN")
    transport = httpx.ASGITransport(app=create_app(settings=strict, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, factory)
        full = await api.ok(ME_DOCUMENT, None, admin.token)
        assert full["me"]["role"] == "ADMIN"
        pinned = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(ME_DOCUMENT)}}
        by_hash = await client.post("/graphql", json={"extensions": pinned},
                                    headers={"authorization": f"Bearer {admin.token}"})
        assert by_hash.json()["data"]["me"]["role"] == "ADMIN"
        other = "{ __typename }"
        learned = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(other)}}
        for body in ({"query": other}, {"query": other, "extensions": learned},
                     {"extensions": learned}):
            refused = (await client.post("/graphql", json=body)).json()
            assert refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
            assert refused["data"] is None


def test_persisted_only_is_switched_on_by_hand():
    """Off by default, in production too: it refuses every subscription until the apps'
    subscription documents are in the contract (docs/deployment.md)."""
    base = {"CRM_JWT_SECRET": "s" * 40}
    assert load_settings(base).persisted_only is False
    assert load_settings({**base, "CRM_ENV": "production"}).persisted_only is False
    assert load_settings({**base, "CRM_ENV": "production", "CRM_PERSISTED_ONLY": "1"}
                         ).persisted_only is True
