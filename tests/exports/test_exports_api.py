"""Bulk exports over HTTP (docs/architecture.md#exports): an export's rows equal the list's
rows for the same filter and role (SALES: its own customers; ANALYST: contact data masked),
a field the role may not see is refused, the download link is refused when forged, expired,
for another job or shown with another principal's token, a job failed mid-way resumes to the
same file, and CSV, JSONL and Parquet read back. The jobs run as the server's worker runs
them (`run_pending`), in this test's event loop."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import replace
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from sqlalchemy import event

from app.config import export_dir
from app.exports import jobs, links
from app.exports.jobs import Interrupted
from app.ids import to_global_id
from tests.orders.support import Kit

ORDER_FIELDS = ["ID", "NUMBER", "STATUS", "CUSTOMER_ID", "TOTAL", "SUBTOTAL", "SHIP_PHONE",
                "SHIP_RECIPIENT", "SHIP_ADDRESS", "CREATED_AT", "PRIORITY"]
ORDER_KEYS = ["id", "number", "status", "customerId", "total", "subtotal", "shipPhone",
              "shipRecipient", "shipAddress", "createdAt", "priority"]
ORDERS_QUERY = """query($f: OrderFilter, $after: String) { orders(first: 100, after: $after,
 filter: $f) { pageInfo { hasNextPage endCursor } edges { node { id number status
 customer { id } total { amount } subtotal { amount } shipPhone shipRecipient shipAddress
 createdAt priority } } } }"""
CUSTOMERS_QUERY = """query($after: String) { customers(first: 100, after: $after) {
 pageInfo { hasNextPage endCursor } edges { node { id code name email phone } } } }"""
CREATE = """mutation($s: ExportSource!, $f: [ExportField!]!, $fmt: ExportFormat!,
 $filter: ExportFilter) { exportCreate(source: $s, fields: $f, format: $fmt, filter: $filter) {
 job { id status source format fields progress rows totalRows downloadUrl }
 userErrors { code field message } } }"""
JOB = """query($id: ID!) { exportJob(id: $id) { id status progress rows totalRows error
 downloadUrl expiresAt finishedAt } }"""


@pytest.fixture(scope="module")
async def world(api, factory):  # noqa: ANN001, ANN201
    """Two reps with two customers each, three orders per customer."""
    kit = Kit(api, factory)
    product = kit.product("12.50")
    warehouse = kit.warehouse()
    kit.stock(product, warehouse, 1000)
    admin = factory.user("ADMIN")
    reps, customers = [], {}
    for _ in range(2):
        rep = factory.user("SALES")
        reps.append(rep)
        for _ in range(2):
            customer = kit.customer(owner_id=rep.id, phone="13912345678",
                                    email="buyer@example.com")
            customers.setdefault(rep.id, []).append(customer)
            for quantity in (1, 2, 3):
                await kit.order(admin.token, customer, [(product, quantity)], shipTo={
                    "recipient": "王小明", "address": "上海市浦东新区 100 号",
                    "phone": "13700001234", "region": "华东"})
    return {"reps": reps, "customers": customers, "admin": admin}


def _settings(settings, chunk: int = 2):  # noqa: ANN001, ANN202
    # one COPY stream on PostgreSQL, so the chunks are those of the Python path
    return replace(settings, export_chunk_rows=chunk, export_copy_chunk_rows=chunk,
                   export_copy_streams=1)


async def _create(api, token: str, source: str, fields: list[str], fmt: str = "JSONL",  # noqa: ANN001
                  flt: dict | None = None) -> dict:
    data = await api.ok(CREATE, {"s": source, "f": fields, "fmt": fmt, "filter": flt},
                        token=token)
    return data["exportCreate"]


async def _run(runner, settings, **kw) -> list[str]:  # noqa: ANN001
    return await jobs.run_pending(runner, _settings(settings), **kw)


async def _finished(api, runner, settings, token: str, *args, **kw) -> dict:  # noqa: ANN001
    payload = await _create(api, token, *args, **kw)
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["job"]["status"] == "QUEUED"
    await _run(runner, settings)
    job = (await api.ok(JOB, {"id": payload["job"]["id"]}, token=token))["exportJob"]
    assert job["status"] == "DONE", job
    return job


async def _download(api, job: dict, token: str | None = None):  # noqa: ANN001, ANN202
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await api.client.get(job["downloadUrl"], headers=headers)


async def _api_orders(api, token: str, flt: dict | None = None) -> list[dict]:  # noqa: ANN001
    out, after = [], None
    while True:
        page = (await api.ok(ORDERS_QUERY, {"f": flt, "after": after}, token=token))["orders"]
        for edge in page["edges"]:
            n = edge["node"]
            out.append({"id": n["id"], "number": n["number"], "status": n["status"],
                        "customerId": n["customer"]["id"], "total": n["total"]["amount"],
                        "subtotal": n["subtotal"]["amount"], "shipPhone": n["shipPhone"],
                        "shipRecipient": n["shipRecipient"], "shipAddress": n["shipAddress"],
                        "createdAt": n["createdAt"], "priority": n["priority"]})
        if not page["pageInfo"]["hasNextPage"]:
            return sorted(out, key=lambda r: r["id"])
        after = page["pageInfo"]["endCursor"]


def _jsonl(body: bytes) -> list[dict]:
    return sorted((orjson.loads(line) for line in body.splitlines() if line),
                  key=lambda r: r["id"])


async def test_sales_export_equals_its_orders_list(api, runner, settings, world) -> None:  # noqa: ANN001
    rep = world["reps"][0]
    job = await _finished(api, runner, settings, rep.token, "ORDERS", ORDER_FIELDS)
    assert job["rows"] == job["totalRows"] == 6 and job["progress"] == 1.0
    response = await _download(api, job, rep.token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    exported = _jsonl(response.content)
    assert exported == await _api_orders(api, rep.token)
    mine = {to_global_id("Customer", c.id) for c in world["customers"][rep.id]}
    assert {r["customerId"] for r in exported} == mine


async def test_analyst_export_is_masked_as_the_api_masks(api, runner, settings, world,
                                                         factory) -> None:  # noqa: ANN001
    analyst = factory.user("ANALYST")
    customer = world["customers"][world["reps"][1].id][0]
    flt = {"customerId": to_global_id("Customer", customer.id)}
    job = await _finished(api, runner, settings, analyst.token, "ORDERS", ORDER_FIELDS,
                          "CSV", flt)
    response = await _download(api, job, analyst.token)
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8")))
    assert reader.fieldnames == ORDER_KEYS
    rows = [{k: (int(v) if k == "priority" else v) for k, v in r.items()} for r in reader]
    listed = await _api_orders(api, analyst.token, {"customerId": flt["customerId"]})
    assert listed[0]["shipPhone"] == "137****1234"  # masked, and so exported
    # CSV has no null: an empty cell
    assert sorted(rows, key=lambda r: r["id"]) == [
        {k: "" if v is None else v for k, v in r.items()} for r in listed]
    # customers: e-mail and phone masked exactly as `customers` shows them to ANALYST
    job = await _finished(api, runner, settings, analyst.token, "CUSTOMERS",
                          ["ID", "CODE", "NAME", "EMAIL", "PHONE"], "JSONL",
                          {"search": customer.code})
    exported = _jsonl((await _download(api, job)).content)
    assert exported == [{"id": to_global_id("Customer", customer.id), "code": customer.code,
                         "name": customer.name, "email": "b***@example.com",
                         "phone": "139****5678"}]


async def test_a_field_the_role_may_not_see_is_refused(api, factory, world) -> None:  # noqa: ANN001
    analyst = factory.user("ANALYST")
    payload = await _create(api, analyst.token, "CUSTOMERS", ["ID", "CREDIT_LIMIT"])
    assert payload["job"] is None
    [error] = payload["userErrors"]
    assert error["code"] == "FORBIDDEN" and error["field"] == ["fields", "1"]
    assert "CREDIT_LIMIT" in error["message"]
    sales = world["reps"][0]
    payload = await _create(api, sales.token, "SHIPMENTS", ["ID", "COST"])
    assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    assert "COST" in payload["userErrors"][0]["message"]
    payload = await _create(api, analyst.token, "ORDERS", ["ID", "EMAIL"])
    assert payload["userErrors"][0]["code"] == "INVALID"
    customer = factory.user("CUSTOMER", customer_id=world["customers"][sales.id][0].id)
    body = await api.gql(CREATE, {"s": "ORDERS", "f": ["ID"], "fmt": "CSV"},
                         token=customer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_download_link_is_refused_unless_it_is_yours(api, runner, settings, world,
                                                                factory) -> None:  # noqa: ANN001
    rep, other = world["reps"]
    job = await _finished(api, runner, settings, rep.token, "ORDERS", ["ID"], "CSV")
    second = await _finished(api, runner, settings, other.token, "ORDERS", ["ID"], "CSV")
    url = job["downloadUrl"]
    path, _, token = url.partition("?token=")
    # forged: another secret, or a tampered signature
    forged, _ = links.sign(replace(settings, jwt_secret="y" * 48), int(_pk(job["id"])), rep.id,
                           None)
    for bad in (forged, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), "", "x"):
        response = await api.client.get(f"{path}?token={bad}")
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "INVALID_TOKEN"
    # expired
    old, _ = links.sign(settings, int(_pk(job["id"])), rep.id, None,
                        now=int(time.time()) - 7200)
    response = await api.client.get(f"{path}?token={old}")
    assert response.status_code == 403 and "expired" in response.json()["error"]["message"]
    # for another job: this job's token on the other job's path
    other_path = second["downloadUrl"].partition("?token=")[0]
    response = await api.client.get(f"{other_path}?token={token}")
    assert response.status_code == 403
    # with another principal's bearer token
    response = await _download(api, job, other.token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    # the other rep's own link to a job not its own: signed for it, still not its job
    theirs, _ = links.sign(settings, int(_pk(job["id"])), other.id, None)
    response = await api.client.get(f"{path}?token={theirs}")
    assert response.status_code == 404
    # a bad bearer token is refused too, and the owner's link works
    response = await api.client.get(url, headers={"authorization": "Bearer nonsense"})
    assert response.status_code == 403
    assert (await _download(api, job, rep.token)).status_code == 200
    assert (await _download(api, job)).status_code == 200


def _pk(global_id: str) -> int:
    from app.ids import from_global_id

    return from_global_id(global_id)[1]


@pytest.mark.parametrize("fmt", ["CSV", "JSONL", "PARQUET"])
async def test_a_failed_job_resumes_to_the_same_file(api, runner, settings, world,
                                                     fmt: str) -> None:  # noqa: ANN001
    admin = world["admin"]
    customer_ids = [to_global_id("Customer", c.id) for cs in world["customers"].values()
                    for c in cs]
    fields = ["ID", "NUMBER", "TOTAL", "CUSTOMER_ID", "SHIP_PHONE", "CREATED_AT", "PRIORITY"]
    whole = []
    for cid in customer_ids[:1]:
        whole = await _finished(api, runner, settings, admin.token, "ORDERS", fields, fmt,
                                {"customerId": cid})
    reference = (await _download(api, whole, admin.token)).content
    payload = await _create(api, admin.token, "ORDERS", fields, fmt,
                            {"customerId": customer_ids[0]})
    job_id = payload["job"]["id"]

    def crash(chunk: int) -> None:
        if chunk == 2:  # the second chunk is on disk but not recorded: a crash mid-way
            raise Interrupted("simulated crash")

    assert await _run(runner, settings, after_chunk=crash) == ["FAILED"]
    failed = (await api.ok(JOB, {"id": job_id}, token=admin.token))["exportJob"]
    assert failed["status"] == "FAILED" and failed["rows"] == 2 and failed["downloadUrl"] is None
    assert failed["error"] == "simulated crash"
    resumed = await api.ok("mutation($id: ID!) { exportResume(id: $id) { job { status } "
                           "userErrors { code } } }", {"id": job_id}, token=admin.token)
    assert resumed["exportResume"] == {"job": {"status": "QUEUED"}, "userErrors": []}
    assert await _run(runner, settings) == ["DONE"]
    done = (await api.ok(JOB, {"id": job_id}, token=admin.token))["exportJob"]
    body = (await _download(api, done, admin.token)).content
    if fmt == "PARQUET":
        table = pq.read_table(io.BytesIO(body))
        assert table.equals(pq.read_table(io.BytesIO(reference)))
        assert table.num_rows == 3 and pq.ParquetFile(io.BytesIO(body)).num_row_groups == 2
        assert table.column("priority").type == "int64"
    assert body == reference
    again = await api.ok("mutation($id: ID!) { exportResume(id: $id) { userErrors { code } } }",
                         {"id": job_id}, token=admin.token)
    assert again["exportResume"]["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_formats_read_back(api, runner, settings, world) -> None:  # noqa: ANN001
    rep = world["reps"][1]
    expected = await _api_orders(api, rep.token)
    keys = ["id", "number", "total", "createdAt"]
    want = [{k: r[k] for k in keys} for r in expected]
    fields = ["ID", "NUMBER", "TOTAL", "CREATED_AT"]
    got = {}
    for fmt in ("CSV", "JSONL", "PARQUET"):
        job = await _finished(api, runner, settings, rep.token, "ORDERS", fields, fmt)
        got[fmt] = (await _download(api, job, rep.token)).content
    assert sorted(csv.DictReader(io.StringIO(got["CSV"].decode())),
                  key=lambda r: r["id"]) == want
    assert _jsonl(got["JSONL"]) == want
    assert sorted(pq.read_table(io.BytesIO(got["PARQUET"])).to_pylist(),
                  key=lambda r: r["id"]) == want


async def test_list_cancel_and_other_users_jobs(api, runner, settings, world, factory) -> None:  # noqa: ANN001
    rep, other = world["reps"]
    payload = await _create(api, rep.token, "CUSTOMERS", ["ID", "NAME"])
    job_id = payload["job"]["id"]
    # not the other rep's: missing, as a foreign id is
    assert (await api.ok(JOB, {"id": job_id}, token=other.token))["exportJob"] is None
    cancel = "mutation($id: ID!) { exportCancel(id: $id) { job { status } userErrors { code } } }"
    data = await api.ok(cancel, {"id": job_id}, token=other.token)
    assert data["exportCancel"]["userErrors"][0]["code"] == "NOT_FOUND"
    listed = await api.ok("{ exportJobs(first: 50) { edges { node { id status } } } }",
                          token=rep.token)
    ids = [e["node"]["id"] for e in listed["exportJobs"]["edges"]]
    assert job_id in ids
    theirs = await api.ok("{ exportJobs(first: 50) { edges { node { id } } } }",
                          token=other.token)
    assert job_id not in [e["node"]["id"] for e in theirs["exportJobs"]["edges"]]
    admin = await api.ok("{ exportJobs(first: 100, filter: {statuses: [QUEUED]}) "
                         "{ edges { node { id } } } }", token=world["admin"].token)
    assert job_id in [e["node"]["id"] for e in admin["exportJobs"]["edges"]]
    data = await api.ok(cancel, {"id": job_id}, token=rep.token)
    assert data["exportCancel"] == {"job": {"status": "CANCELLED"}, "userErrors": []}
    assert await _run(runner, settings) == []  # nothing queued any more
    assert not list(Path(export_dir()).glob(f"{_pk(job_id)}.*"))


async def test_housekeeping_deletes_files_past_their_retention(api, runner, settings, db,
                                                               world) -> None:  # noqa: ANN001
    from datetime import timedelta

    from app.events.housekeeping import Housekeeping
    from app.persistence.columns import utcnow

    rep = world["reps"][0]
    job = await _finished(api, runner, settings, rep.token, "ORDERS", ["ID"], "CSV")
    assert (await _download(api, job, rep.token)).status_code == 200
    keeper = Housekeeping(db, settings)
    assert await keeper._exports(utcnow()) == 0  # within its retention: kept
    assert await keeper._exports(utcnow() + timedelta(hours=25)) >= 1
    response = await _download(api, job, rep.token)
    assert response.status_code == 404, response.text
    assert not list(Path(export_dir()).glob(f"{_pk(job['id'])}.*"))
    gone = (await api.ok(JOB, {"id": job["id"]}, token=rep.token))["exportJob"]
    assert gone["status"] == "EXPIRED" and gone["downloadUrl"] is None


def _replica_url(url: str) -> str:
    """The same database under another URL: a replica stand-in the worker opens itself."""
    if url.startswith("sqlite:///"):
        head, _, tail = url.removeprefix("sqlite:///").rpartition("/")
        return f"sqlite:///{head}/./{tail}"
    return url + ("&" if "?" in url else "?") + "application_name=crm-export-replica"


async def test_exports_read_their_rows_from_the_replica(api, runner, settings, world,  # noqa: ANN001
                                                        monkeypatch) -> None:
    """CRM_ANALYTICS_DATABASE_URL: the rows come through the replica's engine, the job's
    state through the runner (docs/architecture.md#exports)."""
    seen: list[str] = []
    opened = jobs.replica

    def watched(config):  # noqa: ANN001, ANN202
        replica = opened(config)
        assert replica is not None and replica.url != runner.db.url
        event.listen(replica.read_engine, "before_cursor_execute",
                     lambda *args: seen.append(args[2]))
        return replica

    monkeypatch.setattr(jobs, "replica", watched)
    rep = world["reps"][0]
    payload = await _create(api, rep.token, "ORDERS", ORDER_FIELDS)
    with_replica = replace(settings, analytics_database_url=_replica_url(settings.database_url))
    assert await _run(runner, with_replica) == ["DONE"]
    job = (await api.ok(JOB, {"id": payload["job"]["id"]}, token=rep.token))["exportJob"]
    assert job["status"] == "DONE" and job["rows"] == 6
    assert any("FROM sales_order" in sql for sql in seen)
