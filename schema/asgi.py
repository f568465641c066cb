"""The ASGI application: GraphQL (HTTP + graphql-transport-ws), health and readiness, the
carriers' webhook (docs/architecture.md#carrier-webhooks), export downloads
(docs/architecture.md#exports), the weekly report (docs/architecture.md#reports) and, when on,
GraphiQL's page and files (schema/graphiql.py).

`create_app` is a composition root: it plugs the app into persistence first
(app/composition.py; docs/architecture.md#layers)."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio.to_thread
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app import composition, logs
from app.audit import service as audit_service
from app.auth.budget import RequestBudget
from app.auth.throttle import LoginThrottle
from app.config import Settings, get_settings
from app.events.bus import DomainEvent, EventBus
from app.events.runtime import EventRuntime, build_runtime, make_bus
from app.exports import links as export_links
from app.ids import to_global_id
from app.persistence.db import Database
from app.persistence.sqlite.writers import writers
from app.persistence.storage import storage_failure
from app.persistence.uow import Runner
from app.shipping import inbox, webhooks
from schema import campaign_links, graphiql, readiness, report_pages
from schema.build import schema as default_schema
from schema.core.compression import Compression
from schema.core.context import build_context, principal_from_header
from schema.core.persisted import PersistedQueries, PersistedQueryView
from schema.metrics import Metrics, error_codes, metrics_endpoint, operation_name
from schema.subscriptions.fanout import FanOut
from schema.subscriptions.transport import WebSocketAuthMixin

log = logging.getLogger("crm.http")
request_log = logging.getLogger("crm.request")
SLOW_SECONDS = 1.0  # an operation slower than this is logged at INFO (docs/architecture.md#logs)
MAX_BODY_BYTES = 1_000_000


@dataclass
class AppState:
    """Everything one process holds; nothing here is needed by another process."""

    settings: Settings
    db: Database
    bus: EventBus
    runner: Runner = field(init=False)
    events: EventRuntime = field(init=False)  # outbox relay + notification dispatcher
    extras: dict[str, Any] = field(default_factory=dict)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    request_budget: RequestBudget = field(init=False)
    metrics: Metrics | None = field(init=False)
    # aggregates read here: a read replica when CRM_ANALYTICS_DATABASE_URL is set
    # (docs/deployment.md), else the app's own database
    analytics_runner: Runner = field(init=False)
    analytics_db: Database | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.metrics = Metrics(self.db) if self.settings.metrics else None
        self.request_budget = RequestBudget(self.settings.request_rate,
                                            self.settings.request_burst)
        self.runner = Runner(self.db, publish=self.publish, settings=self.settings)
        self.analytics_runner = self.runner
        if self.settings.analytics_database_url:
            self.analytics_db = Database(self.settings.analytics_database_url,
                                         keyring=self.settings.keyring,
                                         limits=self.settings.db_limits)
            self.analytics_runner = Runner(self.analytics_db, settings=self.settings)
        self.events = build_runtime(self.settings, self.db, self.bus)

    async def publish(self, events: list[DomainEvent]) -> None:
        await self.events.publish(events)  # never raises: the relay retries


async def _audit_denials(context: Any) -> None:
    """Audit the refused mutations of a request; a failure to do so is logged, and the
    answer the caller gets stays the refusal."""
    try:
        await context.runner.write(
            audit_service.record_denials, context.denials, context.client_address,
            principal=context.principal, request_id=context.request_id)
    except Exception:
        log.exception("could not audit refused calls (request %s)", context.request_id)


class GraphQLApp(WebSocketAuthMixin, PersistedQueryView, GraphQL):
    def __init__(self, state: AppState, **kwargs: Any) -> None:
        super().__init__(default_schema, **kwargs)
        self.state = state
        self.fanout = FanOut(default_schema)  # shared subscription execution
        self.persisted_queries = PersistedQueries()
        self.persisted_queries.pin_directory()
        self.persisted_queries.pin_manifest()
        self.persisted_only = state.settings.persisted_only

    async def get_context(self, request: Request | WebSocket, response: Any) -> Any:
        auth = request.headers.get("authorization") if isinstance(request, Request) else None
        return build_context(request, self.state.settings, self.state.runner, auth,
                             services=self.state)

    async def execute_operation(self, request: Any, request_adapter: Any, request_data: Any,
                                context: Any, root_value: Any, sub_response: Any) -> Any:
        """The operation, with its log context and metrics (docs/architecture.md#metrics,
        #logs)."""
        metrics = self.state.metrics
        name = operation_name(request_data)
        principal = context.principal
        bound = logs.bind(context.request_id, name,
                          principal.user_id if principal is not None else None)
        started = metrics.start() if metrics is not None else time.perf_counter()
        result, codes = None, ()
        try:
            result = await super().execute_operation(request, request_adapter, request_data,
                                                     context, root_value, sub_response)
            codes = error_codes(getattr(result, "errors", None))
            return result
        except Exception as exc:  # strawberry's HTTP errors (405, 400) and anything else
            codes = (f"HTTP_{getattr(exc, 'status_code', 500)}",)
            raise
        finally:
            try:
                if context.denials:  # docs/architecture.md#the-policy-table
                    await _audit_denials(context)
            finally:
                _finish(metrics, started, name, codes)
                logs.unbind(bound)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our page on local files instead of strawberry's CDN one (schema/graphiql.py)."""
        return graphiql.page(request, self.state.settings)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """A JSON object (or a list, which the batch check refuses), else strawberry's 400
        "Unable to parse request body as JSON": invalid UTF-8, NaN or Infinity (not JSON),
        nesting past orjson's 1,024 levels and a body that is a string, a number or null
        are the client's mistakes, never a 500."""
        body = orjson.loads(data)  # its JSONDecodeError is the stdlib's: strawberry's 400
        if not isinstance(body, dict | list):
            raise json.JSONDecodeError("the body must be a JSON object", "", 0)
        if isinstance(body, dict) and not isinstance(body.get("operationName"), str | None):
            raise json.JSONDecodeError("operationName must be a string", "", 0)
        return body


def _finish(metrics: Metrics | None, started: Any, name: Any, codes: Any) -> None:
    if metrics is not None:
        elapsed = metrics.finish(started, metrics.operation(name), codes)
    else:
        elapsed = time.perf_counter() - started
    level = logging.INFO if codes or elapsed >= SLOW_SECONDS else logging.DEBUG
    if request_log.isEnabledFor(level):
        request_log.log(level, "graphql operation: %.1f ms%s", elapsed * 1000,
                        f", errors {' '.join(codes)}" if codes else "", extra={
            "duration_ms": round(elapsed * 1000, 2), "error_codes": list(codes)})


# The collector's thresholds for a server process (CPython's default: 700, 10, 10). A
# request or an event fanned out to thousands of subscribers allocates tens of thousands of
# short-lived tracked objects; with the default, many survive into the oldest generation and
# trigger full passes over every live object (measured with 10,000 subscribers: a 1 s pass
# every 2 s, last delivery p99 1.55 s; with 1,000: 100-220 ms passes, the S4 p99 outliers).
# A larger young generation lets them die first: no pass over 20 ms in S3 and S4, 10,000
# subscribers' p99 0.34 s, memory unchanged (481 MB).
GC_THRESHOLDS = (50_000, 20, 100)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse oversized request bodies: by their Content-Length before they are read, and,
    whatever the framing (chunked, or a Content-Length that lies), on the bytes actually
    received: past MAX_BODY_BYTES the request is answered 413 and never executed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            await _too_large(scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _too_large(scope, receive, send)


GRAPHQL_RESPONSE = "application/graphql-response+json"


class ResponseMedia:
    """GraphQL over HTTP's `application/graphql-response+json` for clients that ask for it
    (Accept): that content type, and a request error (nothing executed: a parse, validation
    or variable error, every error without a path) is a 400 without `data`. Clients that
    accept `application/json` keep the classic answer (200, `data: null`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = dict(scope.get("headers") or []).get(b"accept", b"")
        if scope["type"] != "http" or scope.get("path") != "/graphql" or \
                GRAPHQL_RESPONSE.encode() not in accept:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                await _reanswer(start, b"".join(chunks), send)

        await self.app(scope, receive, held)


async def _reanswer(start: Message, body: bytes, send: Send) -> None:
    status, headers = start["status"], list(start.get("headers") or [])
    kind = dict(headers).get(b"content-type", b"")
    if b"json" in kind and status == 200:
        try:
            result = orjson.loads(body)
        except orjson.JSONDecodeError:
            result = None
        if isinstance(result, dict) and result.get("data") is None and result.get("errors") \
                and all(not e.get("path") for e in result["errors"]):
            status = 400
            body = orjson.dumps({k: v for k, v in result.items() if k != "data"})
        headers = [(k, v) for k, v in headers if k not in (b"content-type", b"content-length")]
        headers += [(b"content-type", f"{GRAPHQL_RESPONSE}; charset=utf-8".encode()),
                    (b"content-length", str(len(body)).encode())]
    await send({**start, "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Budget:
    """The per-principal request budget (app/auth/budget.py) on `/graphql` over HTTP: the
    signed-in account (its verified token; verification is cached) or, anonymous or with
    a bad token, the client address. Over budget: 429 THROTTLED with Retry-After."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/graphql" \
                or self.state.settings.request_rate <= 0:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization")
        principal, _ = principal_from_header(self.state.settings,
                                             header.decode("latin-1") if header else None)
        client = (scope.get("client") or ("?", 0))[0]
        key = f"user:{principal.user_id}" if principal else f"client:{client}"
        wait = self.state.request_budget.take(key)
        if not wait:
            await self.app(scope, receive, send)
            return
        if self.state.metrics is not None:
            self.state.metrics.error("THROTTLED")
        seconds = max(1, math.ceil(wait))
        await JSONResponse(
            {"errors": [{"message": f"too many requests: try again in {seconds} s",
                         "extensions": {"code": "THROTTLED", "retryAfterSeconds": seconds}}]},
            status_code=429, headers={"retry-after": str(seconds)})(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"errors": [{"message": f"request body too large (at most "
                                               f"{MAX_BODY_BYTES} bytes)",
                                    "extensions": {"code": "BAD_REQUEST"}}]},
                       status_code=413)(scope, receive, send)


async def _capped_body(request: Request, limit: int) -> bytes:
    """The body, or WebhookRejected(413) past `limit` bytes: by its Content-Length before
    reading, and while reading one sent without it (chunked)."""
    length = request.headers.get("content-length")
    too_large = webhooks.WebhookRejected(413, "PAYLOAD_TOO_LARGE",
                                         f"the body is at most {limit} bytes")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def carrier_webhook(request: Request) -> Response:
    """`POST /webhooks/carriers/{code}`: a carrier's signed batch of tracking events, one
    result per event; a refused request (404, 401, 413, 400) writes nothing."""
    try:
        body = await _capped_body(request, webhooks.MAX_BODY_BYTES)
        results = await inbox.receive(
            request.app.state.crm.runner, request.path_params["code"],
            request.headers.get("x-timestamp"), request.headers.get("x-signature"), body)
    except webhooks.WebhookRejected as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}},
                            status_code=exc.status)
    except Exception as exc:
        storage = storage_failure(exc)  # disk full, read-only: the carrier retries later
        if storage is None:
            raise
        log.warning("carrier webhook refused: %s: %s", storage.code, exc)
        return JSONResponse({"error": {"code": storage.code, "message": storage.message}},
                            status_code=503, headers={"retry-after": "30"})
    return JSONResponse({"results": [_event_result(r) for r in results]})


async def export_download(request: Request) -> Response:
    """`GET /exports/{id}?token=...`: a finished export's file, for the principal its signed
    link was issued to (a bearer token, when sent, must be that principal's); refused with
    403 / 404 and a JSON error, never a 500 (app/exports/links.py)."""
    state = request.app.state.crm
    bearer, error = principal_from_header(state.settings, request.headers.get("authorization"))
    try:
        if error is not None:
            raise export_links.LinkRefused(403, "INVALID_TOKEN", error)
        found = await export_links.resolve(state.runner, state.settings,
                                           request.path_params["id"],
                                           request.query_params.get("token"), bearer)
    except export_links.LinkRefused as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}},
                            status_code=exc.status)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)


def _event_result(r: inbox.EventResult) -> dict[str, str]:
    out = {"eventId": r.event_id, "result": str(r.result)}
    if r.shipment_id is not None:
        out["shipmentId"] = to_global_id("Shipment", r.shipment_id)
    if r.message:
        out["message"] = r.message
    return out


def create_served_app() -> Starlette:
    """`crm serve`'s factory, run in each worker process: its logging, then the app."""
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)


def create_app(settings: Settings | None = None, db: Database | None = None,
               bus: EventBus | None = None) -> Starlette:
    composition.install()  # before any unit of work: the tables, the audit and outbox hooks
    settings = settings or get_settings()
    db = db or Database(settings.database_url, keyring=settings.keyring,
                        limits=settings.db_limits)
    state = AppState(settings=settings, db=db,
                     bus=bus or make_bus(settings))
    graphql = GraphQLApp(
        state,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allowed_origins=settings.allowed_origins,
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    state.extras["fanout"] = graphql.fanout

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if state.db.is_sqlite and state.settings.sqlite_writer == "process":
            writers(state.db).process.start()  # not with the first write (~0.6 s to start)
        await state.events.start()  # bus listener, outbox recovery, notification sending
        for hook in state.extras.get("on_startup", []):
            await hook(state)
        # What start-up built (modules, schema, engines) lives as long as the process:
        # keep it out of the collector's full passes, which large responses trigger.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            for hook in state.extras.get("on_shutdown", []):
                await hook(state)
            await state.events.stop()
            await anyio.to_thread.run_sync(writers(state.db).close)  # finish queued writes
            if state.analytics_db is not None:
                state.analytics_db.dispose()
            await state.bus.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readiness.readyz),
            Route("/metrics", metrics_endpoint),
            Route("/webhooks/carriers/{code}", carrier_webhook, methods=["POST"]),
            Route("/exports/{id}", export_download, methods=["GET"]),
            *graphiql.routes(settings),
            *campaign_links.routes(),  # tracking: open pixel, click, unsubscribe
            *report_pages.routes(),  # GET /reports/weekly
        ],
        middleware=[Middleware(Compression, minimum_size=settings.compress_min_bytes),
                    Middleware(BodyLimit), Middleware(Budget, state=state),
                    Middleware(ResponseMedia)],
        lifespan=lifespan,
    )
    app.state.crm = state
    return app
