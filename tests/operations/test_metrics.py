"""`/metrics`: Prometheus text that the Prometheus parser reads, counting requests,
errors by code and SQL statements; who may read it (docs/architecture.md#metrics)."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from schema.asgi import create_app

ME = "query OpsMe { me { role user { email } } }"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample by (name, sorted labels), read by the Prometheus text parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def scrape(api) -> dict[tuple[str, tuple], float]:  # noqa: ANN001
    response = await api.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_parse_and_count_requests(api, factory):  # noqa: ANN001
    user = factory.user("ADMIN")
    before = await scrape(api)
    for _ in range(3):
        await api.ok(ME, token=user.token)
    unsigned = await api.gql(ME)  # not signed in: UNAUTHENTICATED
    assert unsigned["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    after = await scrape(api)

    count = "crm_graphql_request_duration_seconds_count"
    assert value(after, count, operation="OpsMe") - value(before, count, operation="OpsMe") == 4
    assert value(after, "crm_graphql_request_duration_seconds_sum", operation="OpsMe") > 0
    errors = "crm_graphql_errors_total"
    assert value(after, errors, code="UNAUTHENTICATED") \
        - value(before, errors, code="UNAUTHENTICATED") == 1
    statements = "crm_graphql_sql_statements_count"
    assert value(after, statements) - value(before, statements) == 4
    # `me` reads its user: at least one statement per signed-in request
    assert value(after, "crm_graphql_sql_statements_sum") \
        - value(before, "crm_graphql_sql_statements_sum") >= 3
    for gauge in ("crm_outbox_unpublished_events", "crm_outbox_oldest_unpublished_seconds",
                  "crm_sqlite_writer_queue_depth", "crm_subscriptions_active"):
        assert (gauge, ()) in after, gauge
    assert ("crm_notifications_backlog", (("channel", "EMAIL"),)) in after
    assert any(name == "crm_outbox_consumer_lag_events" for name, _ in after)


async def test_operation_names_are_bounded(api, factory):  # noqa: ANN001
    user = factory.user("ADMIN")
    await api.gql("query { me { role } }", token=user.token)
    bad = await api.raw('query Weird { me { role } }', token=user.token,
                        operationName="no such name!")
    assert bad.status_code == 400  # no such operation in the document
    found = await scrape(api)
    count = "crm_graphql_request_duration_seconds_count"
    assert value(found, count, operation="anonymous") >= 1
    assert value(found, count, operation="other") >= 1
    assert not any(dict(labels).get("operation") == "no such name!" for _, labels in found)


@pytest.fixture
async def make_client(settings, db):  # noqa: ANN001, ANN201
    clients: list[httpx.AsyncClient] = []

    def make(client_host: str = "127.0.0.1", **overrides) -> httpx.AsyncClient:  # noqa: ANN003
        app = create_app(settings=replace(settings, **overrides), db=db)
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def test_loopback_only_without_a_token(make_client):  # noqa: ANN001
    assert (await make_client("127.0.0.1").get("/metrics")).status_code == 200
    assert (await make_client("::1").get("/metrics")).status_code == 200
    assert (await make_client("10.1.2.3").get("/metrics")).status_code == 403


async def test_token_from_anywhere(make_client):  # noqa: ANN001
    token = "m" * 32
    client = make_client("10.1.2.3", metrics_token=token)
    assert (await client.get("/metrics")).status_code == 403
    wrong = await client.get("/metrics", headers={"authorization": "Bearer " + "x" * 32})
    assert wrong.status_code == 403
    ok = await client.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert "crm_graphql_request_duration_seconds" in ok.text
    # with a token, loopback needs it too
    assert (await make_client("127.0.0.1", metrics_token=token).get("/metrics")).status_code \
        == 403


async def test_off(make_client):  # noqa: ANN001
    client = make_client(metrics=False)
    assert (await client.get("/metrics")).status_code == 404
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.json()["data"] == {"__typename": "Query"}
