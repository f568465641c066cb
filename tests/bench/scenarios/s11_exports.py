"""S11: a bulk export of the dataset's orders through the API (exportCreate as ANALYST, the
export worker running it in a server of its own with CRM_EXPORTS=1, polled until DONE)
in rows/s, against a hand-written dump of the same columns in the same run on the same
database (PostgreSQL: COPY ... TO STDOUT through psycopg; SQLite: a plain cursor loop
writing CSV). Target: the export at least 0.3x the dump's rate. And the server's memory
growth while it exports (peak RSS during the export less RSS before it): under 50 MB,
whatever the size (docs/architecture.md#exports)."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from tests.bench.context import BenchContext
from tests.bench.report import Scenario
from tests.bench.server import Server

FIELDS = ["ID", "NUMBER", "STATUS", "CUSTOMER_ID", "TOTAL", "CREATED_AT"]
COLUMNS = "id, number, status, customer_id, total, created_at"
CREATE = """mutation($f: [ExportField!]!) { exportCreate(source: ORDERS, fields: $f,
 format: CSV) { job { id } userErrors { message } } }"""
JOB = "query($id: ID!) { exportJob(id: $id) { status rows error downloadUrl } }"


async def _gql(client: httpx.AsyncClient, token: str, query: str, variables: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"authorization": f"Bearer {token}"})
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


async def _export(client: httpx.AsyncClient, token: str) -> tuple[float, int, int]:
    """(seconds from exportCreate to DONE, rows, bytes downloaded)."""
    started = time.perf_counter()
    payload = (await _gql(client, token, CREATE, {"f": FIELDS}))["exportCreate"]
    assert payload["job"], payload["userErrors"]
    while True:
        job = (await _gql(client, token, JOB, {"id": payload["job"]["id"]}))["exportJob"]
        if job["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    assert job["status"] == "DONE", job
    size = 0
    async with client.stream("GET", job["downloadUrl"]) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            size += len(chunk)
    return elapsed, job["rows"], size


def _dump(database: str, url: str, target: Path) -> tuple[float, int]:
    """The hand-written dump of the same columns: (seconds, rows)."""
    started = time.perf_counter()
    rows = 0
    if database == "postgresql":
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn, \
                conn.cursor() as cur, open(target, "wb") as out:
            with cur.copy(f"COPY (SELECT {COLUMNS} FROM sales_order ORDER BY id) TO STDOUT "
                          "WITH (FORMAT csv, HEADER)") as copy:
                for data in copy:
                    out.write(data)
            rows = cur.rowcount if cur.rowcount and cur.rowcount > 0 else 0
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            with open(target, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(COLUMNS.split(", "))
                for row in conn.execute(f"SELECT {COLUMNS} FROM sales_order ORDER BY id"):
                    writer.writerow(row)
                    rows += 1
        finally:
            conn.close()
    return time.perf_counter() - started, rows


async def run(ctx: BenchContext) -> list[Scenario]:
    quick = ctx.budget.quick
    rounds = 1 if quick else 3
    with Server(ctx.database_url, env={"CRM_EXPORTS": "1"},
                log_path=ctx.server.log_path.with_name("server-s11.log")) as server, \
            tempfile.TemporaryDirectory(prefix="crm-s11-") as tmp:
        async with httpx.AsyncClient(base_url=server.base, timeout=600) as client:
            await _export(client, ctx.analyst)  # warm-up: caches, modules, the first file
            await server.settle()
            export_s, dump_s, growth = [], [], []
            rows = dumped = size = 0
            for _ in range(rounds):
                before = server.rss_mb()
                server.reset_peak()
                seconds, rows, size = await _export(client, ctx.analyst)
                growth.append(server.peak_rss_mb() - before)
                export_s.append(seconds)
                seconds, dumped = await asyncio.to_thread(_dump, ctx.database,
                                                          ctx.database_url,
                                                          Path(tmp) / "dump.csv")
                dump_s.append(seconds)
    export_rate, dump_rate = rows / min(export_s), (dumped or rows) / min(dump_s)
    s = Scenario(f"S11 export of {rows:,} orders (CSV)", ctx.database, ctx.size.name)
    s.figures.update({"export rows/s": export_rate, "export s (best)": min(export_s),
                      "hand-written dump rows/s": dump_rate, "dump s (best)": min(dump_s),
                      "ratio (export / dump)": export_rate / dump_rate,
                      "server RSS growth MB (max)": max(growth), "file MB": size / 2**20,
                      "rounds": rounds})
    s.target("export rate / hand-written dump", export_rate / dump_rate, 0.3, ">=")
    s.target("server memory growth during the export MB", max(growth), 50.0)
    return [s]
