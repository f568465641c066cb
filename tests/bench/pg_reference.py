"""S3's reference on PostgreSQL: order placement and approval hand-written on psycopg.

The statements and rows are floor_db.RawSql's (the order workflow's: the order, its lines,
history, allocations, conditional stock updates, movements, audit, outbox and sync change
rows), run on plain psycopg connections of its own (prepared statements, one transaction per
step, a thread per connection) with no SQLAlchemy, no unit of work and no GraphQL; the events
go to the app's bus after commit as the app's do. Mounted at /baseline/pg-order-create and
/baseline/pg-order-approve (JSON in and out like the service baseline's), so S3 prints
GraphQL and the service baseline beside it (docs/architecture.md#measuring).
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import psycopg
from sqlalchemy.dialects import sqlite
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.ids import from_global_id, to_global_id
from tests.bench.dataset import ADMIN_ID
from tests.bench.floor_db import STOCK, RawSql, Refused, _exposure

CONNECTIONS = 10  # the app's pool size
_MARK = re.compile(r"\?")


# approval's row locks, as the app takes them on PostgreSQL (app/orders/transitions.py):
# the order, the customer (credit decisions one at a time), the stock levels in key order
_LOCKED = ("SELECT * FROM sales_order WHERE id = ?", "SELECT * FROM customer WHERE id = ?")
_STOCK_HEAD = STOCK.split("{}")[0]


class _Cursor:
    """RawSql's DB-API use (qmark, lastrowid) on a psycopg cursor, prepared statements."""

    def __init__(self, cur: psycopg.Cursor, locking: bool) -> None:
        self.cur, self.lastrowid, self.locking = cur, None, locking

    @property
    def description(self) -> Any:
        return self.cur.description

    def execute(self, sql: str, args: Any = ()) -> _Cursor:
        if self.locking and sql in _LOCKED:
            sql += " FOR UPDATE"
        elif self.locking and sql.startswith(_STOCK_HEAD):
            sql += " FOR UPDATE OF s"
        sql = _MARK.sub("%s", sql)
        if sql.startswith("INSERT INTO sales_order ") and "RETURNING" not in sql:
            self.cur.execute(sql + " RETURNING id", args, prepare=True)
            self.lastrowid = self.cur.fetchone()[0]
        else:
            self.cur.execute(sql, args, prepare=True)
        return self

    def executemany(self, sql: str, rows: list) -> None:
        self.cur.executemany(_MARK.sub("%s", sql), rows)

    def fetchone(self) -> Any:
        return self.cur.fetchone()

    def fetchall(self) -> list:
        return self.cur.fetchall()


class PgReference:
    def __init__(self, database_url: str, publish: Any) -> None:
        self.url = database_url.replace("postgresql+psycopg://", "postgresql://")
        self.publish = publish
        self.pool = ThreadPoolExecutor(CONNECTIONS, thread_name_prefix="pg-reference")
        self.local = threading.local()
        self.sql = RawSql(ADMIN_ID, _exposure(sqlite.dialect()))

    def _conn(self) -> psycopg.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.closed:
            conn = self.local.conn = psycopg.connect(self.url, prepare_threshold=0)
        return conn

    def _step(self, step: str, *args: Any) -> tuple[dict | None, list, Any]:
        conn = self._conn()
        try:
            with conn.transaction(), conn.cursor() as cur:
                order, events = getattr(self.sql, step)(_Cursor(cur, step == "approve"),
                                                        *args)
            return order, events, None
        except Refused as refused:
            return None, [], refused

    async def run(self, step: str, *args: Any) -> dict:
        loop = asyncio.get_running_loop()
        order, events, refused = await loop.run_in_executor(self.pool, self._step, step, *args)
        if refused is not None:
            return {"order": None, "userErrors": [{"code": refused.code,
                                                   "message": refused.message}]}
        if events:
            await self.publish(events)
        return {"order": {"id": to_global_id("Order", order["id"]), "number": order["number"],
                          "status": order["status"]}, "userErrors": []}

    def routes(self) -> list[Route]:
        async def create(request: Request) -> Response:
            body = orjson.loads(await request.body())
            out = await self.run("create", int(body["customerId"]), [
                (int(ln["productId"]), int(ln["quantity"])) for ln in body["lines"]])
            return Response(orjson.dumps({"data": out}), media_type="application/json")

        async def approve(request: Request) -> Response:
            body = orjson.loads(await request.body())
            out = await self.run("approve", from_global_id(body["id"])[1])
            return Response(orjson.dumps({"data": out}), media_type="application/json")

        return [Route("/baseline/pg-order-create", create, methods=["POST"]),
                Route("/baseline/pg-order-approve", approve, methods=["POST"])]
