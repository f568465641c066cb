"""`GET /readyz`: whether this process can serve, for a load balancer
(docs/architecture.md#faults, docs/deployment.md).

* the database answers `SELECT 1` within the pool and connect timeouts: else 503,
  `"status": "unavailable"` (every request would fail: take the process out of rotation);
* with `CRM_REDIS_URL`, Redis answers and the bus's channel subscription is up: else 200,
  `"status": "degraded"`, `"bus": "unreachable"`: mutations, queries and this process's
  own subscriptions keep working, events wait in the outbox for the other processes, so
  the process stays in rotation (every process sees the same Redis: taking them all out
  would turn a degraded service into an outage).

`"background"` says which periodic jobs this process runs: `"all"` (no election: one
process, SQLite), `"leader"` or `"follower"` (several processes on PostgreSQL;
docs/architecture.md#one-leader-for-the-background-jobs). It never changes the status.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("crm.http")


async def _database(state: Any) -> str:
    """The dialect's name, or "unreachable"."""
    limits = state.db.limits
    # the ping waits at most for a pool connection, then for a new one; the thread is left
    # to finish on its own if the answer has to go first
    bound = limits.pool_timeout_seconds + limits.connect_timeout_seconds + 1
    try:
        with anyio.fail_after(bound):
            await anyio.to_thread.run_sync(state.db.ping, abandon_on_cancel=True)
    except Exception as exc:  # readiness reports any database failure
        log.warning("readiness check: the database failed: %s", exc)
        return "unreachable"
    return state.db.dialect


async def _bus(state: Any) -> str:
    """"in-process", "redis", "postgres", or "unreachable"."""
    bus = state.bus
    if not hasattr(bus, "ping"):
        return "in-process"
    kind = getattr(bus, "kind", "redis")
    if bus.connected and await bus.ping():
        return kind
    log.warning("readiness check: the %s bus is unreachable (events wait in the outbox)", kind)
    return "unreachable"


def background(state: Any) -> str:
    """"all", "leader" or "follower" (see above)."""
    if state.events.leadership is None:
        return "all"
    return "leader" if state.events.leading else "follower"


async def readyz(request: Request) -> Response:
    state = request.app.state.crm
    database, bus = await _database(state), await _bus(state)
    if database == "unreachable":
        status, code = "unavailable", 503
    elif bus == "unreachable":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JSONResponse({"status": status, "database": database, "bus": bus,
                         "background": background(state)}, status_code=code)
