"""A slow database (docs/architecture.md#faults): a statement past
CRM_DB_STATEMENT_TIMEOUT_MS answers TIMEOUT, writes nothing and gives its connection back;
a request that finds no free pool connection within CRM_DB_POOL_TIMEOUT_SECONDS answers
SERVICE_UNAVAILABLE instead of waiting. The slowness is a lock the test holds on the
test's own cluster."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.conftest import error_code, server_env
from tests.faults.services import AppServer, PgCluster, faults_only
from tests.faults.test_postgres_restart import wait_for
from tests.orders.support import gid

pytestmark = faults_only

POOL = 2
STATEMENT_TIMEOUT_MS = 4000

UPDATE = """mutation($id: ID!, $name: String!) {
  customerUpdate(id: $id, input: {name: $name}) { customer { name } userErrors { code } } }"""
PRODUCTS = "{ products(first: 1) { totalCount } }"


@pytest.fixture(scope="module")
def server(pg_cluster: PgCluster) -> Iterator[AppServer]:
    """A pool of two connections, no overflow, a short pool timeout; no request budget, so
    that what cancels a statement is the connection's own statement timeout."""
    app = AppServer(server_env(
        pg_cluster.url, CRM_DB_POOL_SIZE=str(POOL), CRM_DB_MAX_OVERFLOW="0",
        CRM_DB_POOL_TIMEOUT_SECONDS="1", CRM_DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
        CRM_REQUEST_TIMEOUT_MS="0",
        # the relay and the planner would take pool connections too: rarely here
        CRM_OUTBOX_RELAY_SECONDS="30"))
    app.start()
    try:
        yield app
    finally:
        app.stop()


@contextlib.contextmanager
def customer_locked(cluster: PgCluster) -> Iterator[object]:
    """The customer table locked by another session until the block ends."""
    with cluster.connect() as conn:
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE customer IN ACCESS EXCLUSIVE MODE")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")


def waiting_on_lock(cluster: PgCluster) -> int:
    """The app's sessions waiting for a lock."""
    with cluster.connect() as conn:
        return conn.execute("""SELECT count(*) FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()""").fetchone()[0]


def idle_in_transaction(cluster: PgCluster) -> int:
    with cluster.connect() as conn:
        return conn.execute("""SELECT count(*) FROM pg_stat_activity
            WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()""").fetchone()[0]


async def post(http: httpx.AsyncClient, token: str, query: str, **variables: object) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_statement_past_its_timeout_answers_timeout_and_frees_its_connection(
        pg_cluster, cluster_factory, server):  # noqa: ANN001
    customer = cluster_factory.customer(name="慢 Slow Ltd")
    token = cluster_factory.user("ADMIN").token
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        with customer_locked(pg_cluster):
            body = await post(http, token, UPDATE, id=gid("Customer", customer.id),
                              name="changed")
        assert error_code(body) == "TIMEOUT", body
        assert (body.get("data") or {}).get("customerUpdate") is None

        # nothing written, and the connection went back to the pool: more requests than
        # the pool has connections all get one
        for _ in range(POOL * 3):
            assert not (await post(http, token, PRODUCTS)).get("errors")
        again = await post(http, token, "query($id: ID!) { node(id: $id) { "
                           "... on Customer { name } } }", id=gid("Customer", customer.id))
        assert again["data"]["node"]["name"] == "慢 Slow Ltd"
    assert idle_in_transaction(pg_cluster) == 0


async def test_no_free_pool_connection_answers_service_unavailable(
        pg_cluster, cluster_factory, server):  # noqa: ANN001
    customer = cluster_factory.customer(name="Busy Ltd")
    token = cluster_factory.user("ADMIN").token
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        with customer_locked(pg_cluster):
            # both pool connections wait for the lock
            held = [asyncio.create_task(post(http, token, UPDATE,
                                             id=gid("Customer", customer.id), name=f"n{i}"))
                    for i in range(POOL)]
            await wait_for("both connections waiting for the lock",
                           lambda: waiting_on_lock(pg_cluster) >= POOL, timeout=30)
            refused = await post(http, token, PRODUCTS)
        updated = await asyncio.gather(*held)
        assert error_code(refused) == "SERVICE_UNAVAILABLE", refused
        # the lock went before their statement timeout: both went through
        for body in updated:
            assert not body.get("errors") and body["data"]["customerUpdate"]["userErrors"] == []
        # and the pool serves again
        assert not (await post(http, token, PRODUCTS)).get("errors")
