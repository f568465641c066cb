"""The app the benchmark serves: the real `schema.asgi.create_app()` plus, beside /graphql,
the hand-written baseline endpoints (tests/bench/baseline.py) on the same engines and, at
/floor, strawberry alone with constant resolvers (tests/bench/floor.py), and on SQLite at
/floor-db, the same resolvers over hand-written SQL (tests/bench/floor_db.py).

With CRM_BENCH_SQL_COUNT=1 every HTTP response carries `x-sql-count`: the SQL statements
(transaction control excluded) run on behalf of that request, and `x-sql-control` the
BEGIN / COMMIT / ROLLBACK round trips (SQLAlchemy's transaction events on the engines),
and `x-sql-pipelined` the statements that went in one round trip with others (psycopg's
pipeline mode: app/persistence/fast/pg.py `prefetch`), so the request's round trips are
count + control - pipelined.
The counter lives here, in the benchmark, so the production hot path carries nothing when
benchmarks are not running.
`POST /baseline/_instruments {"on": false}` takes the counter and the phase timer out of the
running server (S3's timed runs, where they cost ~10% of its throughput) and `{"on": true}`
puts them back.
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Iterator

import orjson
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from app.persistence.db import Database
from app.persistence.fast import pg
from schema.asgi import create_app
from tests.bench.dataset import ADMIN_ID
from tests.bench.floor_db import RawOrders

_statements: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "bench_sql_count", default=None)
_controls: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "bench_sql_control", default=None)
_pipelined: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "bench_sql_pipelined", default=None)
_CONTROL = ("BEGIN", "COMMI", "ROLLB", "SAVEP", "RELEA")
LAST_SQL: list[str] = []  # the statements of the last counted request (GET /baseline/_sql)


def _count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
    counter = _statements.get()
    if counter is not None and statement.lstrip()[:5].upper() not in _CONTROL:
        counter[0] += 1
        if len(counter) < 200:
            counter.append(statement)


def _count_control(*_args) -> None:  # noqa: ANN002
    """A BEGIN, COMMIT or ROLLBACK on the engines (the driver's, which SQLAlchemy does not
    pass through before_cursor_execute): a round trip each, counted in x-sql-control."""
    controls = _controls.get()
    if controls is not None:
        controls[0] += 1


def _count_pipelined(saved: int) -> None:
    """Statements that shared a round trip with the first of their pipeline."""
    pipelined = _pipelined.get()
    if pipelined is not None:
        pipelined[0] += saved


def _count_remote(statements: list[str]) -> None:
    """Statements the SQLite writer process ran for this request
    (app/persistence/sqlite/process.py)."""
    for statement in statements:
        _count(None, None, statement)


class SqlCountHeader:
    """Counts per request through a context variable: worker threads (anyio) and
    dataloader batches inherit the request's context, concurrent requests do not mix."""

    enabled = True  # Instruments turns it off and on

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not SqlCountHeader.enabled:
            await self.app(scope, receive, send)
            return
        counter, controls, pipelined = [0], [0], [0]
        token, control_token = _statements.set(counter), _controls.set(controls)
        pipelined_token = _pipelined.set(pipelined)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                headers.append((b"x-sql-count", str(counter[0]).encode()))
                headers.append((b"x-sql-control", str(controls[0]).encode()))
                headers.append((b"x-sql-pipelined", str(pipelined[0]).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _statements.reset(token)
            _controls.reset(control_token)
            _pipelined.reset(pipelined_token)
            if scope["path"] == "/graphql":
                LAST_SQL[:] = counter[1:]


class PhaseTimer(SchemaExtension):
    """Server time in the parse and validate phases (cache lookups included), first in the
    extension list so it wraps the caches. Read and reset at GET /baseline/_phases."""

    totals: dict[str, float] = {"operations": 0, "parse": 0.0, "validate": 0.0}

    def on_parse(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.totals["parse"] += time.perf_counter() - started
        self.totals["operations"] += 1

    def on_validate(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.totals["validate"] += time.perf_counter() - started

    @classmethod
    def take(cls) -> dict[str, float]:
        out = dict(cls.totals)
        cls.totals.update(operations=0, parse=0.0, validate=0.0)
        return out


class Instruments:
    """The benchmark's own instruments in the server: the statement counter (when counting)
    and the phase timer, on at start. Off, the server runs as production does: no statement
    listener on the engines (SQLAlchemy then dispatches to an empty listener list), no extra
    schema extension."""

    def __init__(self, db: Database, schema, counting: bool) -> None:  # noqa: ANN001
        self.db, self.schema, self.counting = db, schema, counting
        self.on = False
        self.switch(True)

    def switch(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        if self.counting:
            SqlCountHeader.enabled = on
            for engine in {self.db.write_engine, self.db.read_engine}:
                (event.listen if on else event.remove)(engine, "before_cursor_execute", _count)
                for name in ("begin", "commit", "rollback"):
                    (event.listen if on else event.remove)(engine, name, _count_control)
            listeners = self.db.remote_statement_listeners
            listeners.append(_count_remote) if on else listeners.remove(_count_remote)
            trips = pg.ROUND_TRIP_LISTENERS
            trips.append(_count_pipelined) if on else trips.remove(_count_pipelined)
        others = tuple(e for e in self.schema.extensions if e is not PhaseTimer)
        self.schema.extensions = (PhaseTimer, *others) if on else others

    async def endpoint(self, request: Request) -> Response:
        self.switch(bool((await request.json())["on"]))
        return Response(orjson.dumps({"on": self.on}), media_type="application/json")


def _campaign_sender(state: object):  # noqa: ANN202
    """`POST /baseline/_campaign-send`: the campaign sender's pass in the server, as its
    background worker runs it (S9: the order path while a campaign is planned)."""
    from app.campaigns.jobs import send_due

    async def endpoint(_request: Request) -> Response:
        queued = await send_due(state.runner)
        return Response(orjson.dumps({"queued": queued}), media_type="application/json")

    return endpoint


def create_bench_app() -> Starlette:
    from schema.build import schema
    from tests.bench.baseline import create_baseline
    from tests.bench.floor import create_floor

    app = create_app()
    state = app.state.crm
    counting = os.environ.get("CRM_BENCH_SQL_COUNT") == "1"
    instruments = Instruments(state.db, schema, counting)
    if counting:
        app.add_middleware(SqlCountHeader)
    app.router.routes.insert(0, Mount("/baseline", app=create_baseline(state)))
    app.router.routes.insert(0, Route("/baseline/_instruments", instruments.endpoint,
                                      methods=["POST"]))
    app.router.routes.insert(0, Route("/floor", endpoint=create_floor(), methods=["POST"]))
    if os.environ.get("CRM_BENCH_STALLS") == "1":
        _watch_stalls(app)
    app.router.routes.insert(0, Route("/baseline/_campaign-send", _campaign_sender(state),
                                      methods=["POST"]))
    app.router.routes.insert(0, Route("/baseline/_gc", _full_collection, methods=["POST"]))
    if state.db.is_sqlite:
        raw = RawOrders(state.runner, actor_id=ADMIN_ID, publish=state.publish)
        app.router.routes.insert(0, Route("/floor-db", methods=["POST"],
                                          endpoint=create_floor(raw)))
    else:  # S3's psycopg reference (tests/bench/pg_reference.py)
        from tests.bench.pg_reference import PgReference

        reference = PgReference(os.environ["CRM_DATABASE_URL"], state.publish)
        for route in reversed(reference.routes()):
            app.router.routes.insert(0, route)
    return app


async def _full_collection(_request: Request) -> Response:
    """A full collection now (the soak's last question, tests/bench/soak.py): how many
    tracked objects there were and how many were unreachable garbage."""
    import gc

    from starlette.responses import JSONResponse

    before = len(gc.get_objects())
    collected = gc.collect()
    return JSONResponse({"tracked_before": before, "unreachable": collected,
                         "tracked_after": len(gc.get_objects())})


def _watch_stalls(app: Starlette) -> None:
    """tests/bench/stalls.py: the watch starts with the server, GET /baseline/_stalls reads it."""
    import asyncio

    from starlette.responses import JSONResponse

    from tests.bench.stalls import StallWatch

    watch = StallWatch()
    tasks: list = []

    async def stalls(_request: Request) -> Response:
        if not tasks:
            tasks.append(asyncio.ensure_future(watch.heartbeat()))
            return JSONResponse([])
        return JSONResponse(watch.report())

    app.router.routes.insert(0, Route("/baseline/_stalls", stalls))
