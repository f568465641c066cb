"""The export worker in a running server (app/events/runtime.py): a queued export runs by
itself, its progress arrives on `exportJobEvents`, and the file downloads; another user's
subscription to the job is refused as if it did not exist (docs/architecture.md#exports)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from app.ids import from_global_id
from app.persistence.db import Database
from tests.orders.support import Kit
from tests.subscriptions.harness import LiveServer, WsClient, http_api, live_settings
from tests.support import Api

EVENTS = """subscription($id: ID!, $since: String) { exportJobEvents(id: $id, since: $since) {
 cursor jobId status rows totalRows job { id status progress } } }"""
CREATE = """mutation { exportCreate(source: ORDERS, fields: [ID, NUMBER, TOTAL], format: CSV) {
 job { id status } userErrors { code message } } }"""


def _before(session, job_id: int) -> str:  # noqa: ANN001
    """The outbox cursor just before the job's first event."""
    from sqlalchemy import select

    from app.events.models import OutboxEvent

    ids = select(OutboxEvent.id, OutboxEvent.payload).where(
        OutboxEvent.topic == "export.job_changed").order_by(OutboxEvent.id.desc()).limit(500)
    found = [i for i, payload in session.execute(ids) if payload["export_job_id"] == job_id]
    assert found, "the job's first event is in the outbox"
    return str(min(found) - 1)


@pytest.fixture(scope="module")
def live(settings, db) -> Iterator[LiveServer]:  # noqa: ANN001
    own = Database(settings.database_url)
    server = LiveServer(live_settings(settings, exports=True, export_chunk_rows=100), own)
    server.start()
    yield server
    server.stop()
    own.dispose()


@pytest.fixture(scope="module")
async def live_api(live: LiveServer, factory) -> AsyncIterator[Api]:  # noqa: ANN001
    client, api = http_api(live.url, factory)
    yield api
    await client.aclose()


async def test_a_queued_export_runs_and_reports_progress(live, live_api, factory,
                                                         runner) -> None:  # noqa: ANN001
    kit = Kit(live_api, factory)
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 100)
    rep, other = factory.user("SALES"), factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    admin = factory.user("ADMIN")
    for quantity in (1, 2):
        await kit.order(admin.token, customer, [(product, quantity)])
    created = (await live_api.ok(CREATE, token=rep.token))["exportCreate"]
    assert created["userErrors"] == []
    job_id = created["job"]["id"]
    # from the job's first event on (the cursor before it: kept, whatever retention did to
    # older events), replayed, then live
    since = runner.read_sync(_before, (from_global_id(job_id)[1],), {})
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("job", EVENTS, {"id": job_id, "since": since})
    statuses = []
    while not statuses or statuses[-1]["status"] not in ("DONE", "FAILED"):
        seen = (await ws.next("job"))["data"]["exportJobEvents"]
        assert seen["jobId"] == job_id
        statuses.append(seen)
    assert [s["status"] for s in statuses][0] == "QUEUED"
    assert statuses[-1]["status"] == "DONE" and statuses[-1]["rows"] == 2
    assert statuses[-1]["job"] == {"id": job_id, "status": "DONE", "progress": 1.0}
    await ws.close()

    intruder = await WsClient.connect(live.ws_url, other.token)
    await intruder.subscribe("job", EVENTS, {"id": job_id})
    refused = await intruder.message("job")
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await intruder.close()

    job = (await live_api.ok('query($id: ID!) { exportJob(id: $id) { downloadUrl } }',
                             {"id": job_id}, token=rep.token))["exportJob"]
    response = await live_api.client.get(job["downloadUrl"])
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "id,number,total" and len(lines) == 3
