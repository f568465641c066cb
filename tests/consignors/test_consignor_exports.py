"""Exports of the consignor screens (docs/architecture.md#consignor-reports): the follow-up
list as an export source (the list's rows and scope), and a consignor's report as CSV
(`GET /reports/consignor`) equal to `consignorReport`, with its refusals."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

from app.exports import jobs
from tests.consignors import follow_up_support as f
from tests.shipping import support as s

CREATE = """mutation($s: ExportSource!, $f: [ExportField!]!, $fmt: ExportFormat!,
 $filter: ExportFilter) { exportCreate(source: $s, fields: $f, format: $fmt, filter: $filter) {
 job { id status } userErrors { code field message } } }"""
JOB = """query($id: ID!) { exportJob(id: $id) { id status rows downloadUrl } }"""
REPORT = """query($c: ID!, $from: Date!, $to: Date!) {
  consignorReport(consignorId: $c, from: $from, to: $to) { shipments failed failedRate
    unitsShipped closingOnHand freightBilled { currency amount } } }"""


async def _export(api, runner, settings, token, fields, flt) -> bytes:  # noqa: ANN001
    created = (await api.ok(CREATE, {"s": "DELIVERY_FOLLOW_UPS", "f": fields, "fmt": "JSONL",
                                      "filter": flt}, token))["exportCreate"]
    assert created["userErrors"] == [], created["userErrors"]
    await jobs.run_pending(runner, replace(settings, export_chunk_rows=2))
    job = (await api.ok(JOB, {"id": created["job"]["id"]}, token))["exportJob"]
    assert job["status"] == "DONE", job
    return (await api.client.get(job["downloadUrl"],
                                 headers={"authorization": f"Bearer {token}"})).content


async def test_follow_up_export_equals_the_list(api, runner, settings, factory):  # noqa: ANN001
    manager = factory.user("MANAGER")
    a, b = f.consignor(factory), f.consignor(factory)
    for owner, reason in ((a, "REFUSED"), (a, "LOST"), (a, "OTHER"), (b, "DAMAGED")):
        p = f.parcel(factory, owner)
        out = (await api.ok(f.RECORD, {"shipmentId": p.gid, "reason": reason},
                            manager.token))["deliveryFollowUpRecord"]
        assert out["userErrors"] == []
    flt = {"customerId": s.gid("Customer", a.id), "statuses": ["OPEN"]}
    body = await _export(api, runner, settings, manager.token,
                         ["ID", "CONSIGNOR_ID", "REASON", "STATUS"], flt)
    rows = [json.loads(line) for line in body.decode().splitlines()]
    listed = (await api.ok(f.LIST, {"filter": {"consignorId": s.gid("Customer", a.id)},
                                    "first": 50}, manager.token))["deliveryFollowUps"]["nodes"]
    assert sorted(r["id"] for r in rows) == sorted(n["id"] for n in listed)
    assert sorted(r["reason"] for r in rows) == ["LOST", "OTHER", "REFUSED"]
    assert {(r["consignorId"], r["status"]) for r in rows} == {
        (s.gid("Customer", a.id), "OPEN")}
    wrong = (await api.ok(CREATE, {"s": "DELIVERY_FOLLOW_UPS", "f": ["ID"], "fmt": "CSV",
                                   "filter": {"search": "x"}}, manager.token))["exportCreate"]
    assert [e["field"] for e in wrong["userErrors"]] == [["filter", "search"]]


async def test_report_csv_equals_the_query(api, factory):  # noqa: ANN001
    manager = factory.user("MANAGER")
    a = f.consignor(factory)
    p = f.parcel(factory, a, quantity=2, stock=9)
    window = {"from": "2025-02-28", "to": "2025-03-02"}  # the parcels' pickup is T0 + 1h
    ours = (await api.ok(REPORT, {"c": s.gid("Customer", a.id), **window}, manager.token)
            )["consignorReport"]
    params = {"consignorId": s.gid("Customer", a.id), **window}
    auth = {"authorization": f"Bearer {manager.token}"}
    response = await api.client.get("/reports/consignor", params=params, headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    figures = dict(csv.reader(io.StringIO(response.text)))
    assert figures["figure"] == "value" and figures["consignorId"] == params["consignorId"]
    assert (figures["shipments"], figures["failed"], figures["failedRate"]) == (
        str(ours["shipments"]), str(ours["failed"]), str(ours["failedRate"]))
    assert ours["shipments"] == 1 and ours["failed"] == 1
    assert figures["unitsShipped"] == "0"  # its dispatch is dated now: after the window
    assert figures["freightBilled." + ours["freightBilled"][0]["currency"]] == \
        ours["freightBilled"][0]["amount"]
    assert p.shipment.id
    refusals = [
        ({}, None, 401), (params, factory.user("CUSTOMER", customer_id=a.id).token, 403),
        (params, factory.user("SALES").token, 404),
        ({**params, "from": "yesterday"}, manager.token, 400),
        ({**params, "consignorId": "nonsense"}, manager.token, 404),
    ]
    for query, token, status in refusals:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        answer = await api.client.get("/reports/consignor", params=query, headers=headers)
        assert answer.status_code == status, (query, answer.text)
        assert "error" in answer.json()
