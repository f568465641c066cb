"""Prometheus metrics of one server process, through prometheus-client, and `GET /metrics`
(docs/architecture.md#metrics).

Per request (HTTP GraphQL operations, schema/asgi.py `GraphQLApp.execute_operation`): the
latency by operation name, the errors by code, the SQL statements run for it. Live: the
active subscriptions (schema/subscriptions/transport.py). Read when scraped: outbox lag,
notification backlog (app/monitoring.py), the SQLite writer's queue depth, whether this
process leads the periodic background jobs (app/persistence/leader.py).

Each app has a registry of its own (tests build several apps in one process). Operation
names come from clients, so the label takes a GraphQL name only, and at most
`MAX_OPERATIONS` distinct ones; the rest count as `other`.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import anyio.to_thread
from graphql import GraphQLError, OperationDefinitionNode, parse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import monitoring
from app.persistence.counting import REQUEST_STATEMENTS, count_requests
from app.persistence.db import Database
from app.persistence.sqlite.writers import writers

MAX_OPERATIONS = 300
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)


class Metrics:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.registry = registry = CollectorRegistry()
        for collector in (process_collector.ProcessCollector, gc_collector.GCCollector,
                          platform_collector.PlatformCollector):
            collector(registry=registry)
        self.latency = Histogram(
            "crm_graphql_request_duration_seconds", "GraphQL operations over HTTP: parse, "
            "validation and execution, by operation name", ["operation"],
            buckets=LATENCY_BUCKETS, registry=registry)
        self.errors = Counter("crm_graphql_errors", "GraphQL errors by extensions.code",
                              ["code"], registry=registry)
        self.statements = Histogram(
            "crm_graphql_sql_statements", "SQL statements run in this process for one "
            "GraphQL operation (not those of the SQLite writer process)",
            buckets=STATEMENT_BUCKETS, registry=registry)
        # what a SIGTERM lets finish (docs/architecture.md#shutdown)
        self.in_progress = Gauge("crm_graphql_requests_in_progress", "GraphQL operations "
                                 "over HTTP being executed", registry=registry)
        self.subscriptions = Gauge("crm_subscriptions_active", "GraphQL subscriptions "
                                   "running on this process's WebSockets", registry=registry)
        self.unpublished = Gauge("crm_outbox_unpublished_events", "Outbox events written and "
                                 "not yet published", registry=registry)
        self.oldest = Gauge("crm_outbox_oldest_unpublished_seconds", "Age of the oldest "
                            "unpublished outbox event (0: none)", registry=registry)
        self.consumer_lag = Gauge("crm_outbox_consumer_lag_events", "Outbox events a durable "
                                  "consumer has yet to consume", ["consumer"], registry=registry)
        self.notifications = Gauge("crm_notifications_backlog", "Notifications still to "
                                   "send, by channel", ["channel"], registry=registry)
        self.leader = Gauge("crm_background_leader", "1 while this process runs the "
                            "periodic background jobs (always without a leader election)",
                            registry=registry)
        self.writer_depth = Gauge("crm_sqlite_writer_queue_depth", "Writes waiting for the "
                                  "SQLite writer (thread or process), or being written",
                                  registry=registry)
        self._operations: dict[str, str] = {}
        count_requests({db.read_engine, db.write_engine})

    def operation(self, name: Any) -> str:
        """The label for a client's operation name."""
        if not name:
            return "anonymous"
        known = self._operations.get(name)
        if known is not None:
            return known
        label = "other"
        if isinstance(name, str) and _NAME.fullmatch(name) \
                and len(self._operations) < MAX_OPERATIONS:
            label = name
            self._operations[name] = label
        return label

    def start(self) -> tuple[float, list[int], Any]:
        counter = [0]
        self.in_progress.inc()
        return time.perf_counter(), counter, REQUEST_STATEMENTS.set(counter)

    def finish(self, started: tuple[float, list[int], Any], operation: str,
               codes: Iterable[str]) -> float:
        """Record one operation; its duration in seconds."""
        began, counter, token = started
        REQUEST_STATEMENTS.reset(token)
        self.in_progress.dec()
        elapsed = time.perf_counter() - began
        self.latency.labels(operation).observe(elapsed)
        self.statements.observe(counter[0])
        for code in codes:
            self.error(code)
        return elapsed

    def error(self, code: str) -> None:
        self.errors.labels(code if _CODE.fullmatch(code) else "OTHER").inc()

    def refresh(self) -> None:
        """The gauges read when scraped (in a worker thread: it reads the database)."""
        with Session(self.db.read_engine) as session:
            backlog = monitoring.backlog(session)
        self.unpublished.set(backlog.unpublished_events)
        self.oldest.set(backlog.oldest_unpublished_seconds)
        for name, lag in backlog.consumer_lag.items():
            self.consumer_lag.labels(name).set(lag)
        for channel, count in backlog.notifications_due.items():
            self.notifications.labels(channel).set(count)
        self.writer_depth.set(writers(self.db).depth if self.db.is_sqlite else 0)


@lru_cache(maxsize=1000)
def _first_operation(query: str) -> str | None:
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name is not None else None
    return None


def operation_name(request_data: Any) -> str | None:
    """The operation's name: the client's `operationName`, else the document's operation
    (graphql-core requires `operationName` when a document has several)."""
    name = getattr(request_data, "operation_name", None)
    if name is not None or isinstance(request_data, list):
        return name if isinstance(name, str) else None
    query = getattr(request_data, "query", None)
    return _first_operation(query) if isinstance(query, str) else None


def error_codes(errors: Any) -> list[str]:
    """The code of each error: its `extensions.code`; without one, BAD_REQUEST for a request
    error (no path: parse, validation) and UNCLASSIFIED for a field's."""
    codes = []
    for error in errors or ():
        code = (error.extensions or {}).get("code")
        if not isinstance(code, str):
            code = "UNCLASSIFIED" if error.path else "BAD_REQUEST"
        codes.append(code)
    return codes


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(request: Request, token: str | None) -> bool:
    """With CRM_METRICS_TOKEN: `Authorization: Bearer <token>` from anywhere; without:
    loopback clients only."""
    if token is None:
        return _loopback(request)
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())


async def metrics_endpoint(request: Request) -> Response:
    state = request.app.state.crm
    metrics: Metrics | None = state.metrics
    if metrics is None:
        return JSONResponse({"error": "metrics are off (CRM_METRICS=0)"}, status_code=404)
    if not allowed(request, state.settings.metrics_token):
        return JSONResponse({"error": "forbidden"}, status_code=403)
    await anyio.to_thread.run_sync(metrics.refresh)
    metrics.leader.set(1 if state.events.leading else 0)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
