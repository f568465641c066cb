"""S4: 1,000 and 10,000 subscribers of orderStatusChanged (graphql-transport-ws) receive
every order status event; the baseline is a hand-written WebSocket fan-out on the same bus.

Each event is an orderHold / orderRelease of one order, sent over HTTP; the clock starts
when the mutation is sent (before the commit, so the figure is an upper bound) and stops at
the last subscriber's frame."""

from __future__ import annotations

import asyncio
import resource
import time

from sqlalchemy import create_engine, pool, text

from app.ids import to_global_id as gid
from app.persistence.db import normalize_url
from tests.bench import load, ws
from tests.bench.context import BenchContext
from tests.bench.dataset import MANAGER_ID
from tests.bench.report import Scenario

SUBSCRIPTION = ("subscription BenchStatus { orderStatusChanged { orderId "
                "transition { fromStatus toStatus } } }")
HOLD = """mutation BenchHold($id: ID!) { orderHold(id: $id, reason: "基准测试暂停") {
  order { status } userErrors { code message } } }"""
RELEASE = """mutation BenchRelease($id: ID!) { orderRelease(id: $id) {
  order { status } userErrors { code message } } }"""


def _pending_order(url: str) -> int:
    engine = create_engine(normalize_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        oid = conn.execute(text("SELECT id FROM sales_order WHERE status = 'PENDING_REVIEW' "
                                "ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    return oid


class Deliveries:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.done = asyncio.Event()
        self.expected = 0

    def reset(self, expected: int) -> None:
        self.times, self.expected = [], expected
        self.done.clear()

    def __call__(self, _sub: ws.Subscriber, now: float, _payload: bytes) -> None:
        self.times.append(now)
        if len(self.times) >= self.expected:
            self.done.set()


async def _trigger(ctx: BenchContext, conn: load.Connection, order_gid: str, n: int) -> None:
    raw = load.graphql(HOLD if n % 2 == 0 else RELEASE, {"id": order_gid}, ctx.admin)
    resp = await conn.request(raw)
    if load.is_error(resp) or b'"userErrors":[]' not in resp.body:
        raise RuntimeError(f"status change failed: {resp.body[:300]!r}")


async def _measure(ctx: BenchContext, target: str, count: int, order_gid: str) -> dict:
    path = "/graphql" if target == "graphql" else "/baseline/ws"
    token = ctx.token(MANAGER_ID, "MANAGER")
    got = Deliveries()
    ctx.server.reset_peak()
    started = time.perf_counter()
    subs = await ws.connect_many(ctx.port, count, lambda _i: token, SUBSCRIPTION, got,
                                 path=path, timeout=180, parallel=200)
    connect_s = time.perf_counter() - started
    conn = await load.Connection(ctx.port).open()
    lasts, all_lat, missing = [], [], 0
    try:
        for n in range(ctx.budget.s4_events + 1):  # event 0 proves every subscription is live
            got.reset(count)
            t0 = time.perf_counter()
            await _trigger(ctx, conn, order_gid, ctx.events_sent)
            ctx.events_sent += 1
            try:
                await asyncio.wait_for(got.done.wait(), 30 if n == 0 else 5)
            except TimeoutError:
                missing += count - len(got.times)
            if n and got.times:
                lat = [(t - t0) * 1000 for t in got.times]
                lasts.append(max(lat))
                all_lat += lat
        rss = ctx.server.rss_mb()
        peak = ctx.server.peak_rss_mb()
    finally:
        await conn.close()
        for sub in subs:
            sub.close()
        await ctx.server.settle()
    return {"connect s": connect_s, "last": load.Sample(latencies=[x / 1000 for x in lasts]),
            "all": load.Sample(latencies=[x / 1000 for x in all_lat]), "missing": missing,
            "rss": rss, "peak": peak,
            "errors": sum(len(s.errors) for s in subs)}


def _figures(ctx: BenchContext, g: dict, b: dict | None) -> dict:
    out = {"events": ctx.budget.s4_events,
           "graphql last delivery p50 / p99 ms": f"{g['last'].p50:.1f} / {g['last'].p99:.1f}",
           "graphql all deliveries p50 / p99 ms": f"{g['all'].p50:.1f} / {g['all'].p99:.1f}",
           "graphql connect time s": g["connect s"],
           "graphql server RSS MB (connected)": g["rss"],
           "graphql peak server RSS MB": g["peak"],
           "graphql missing deliveries": g["missing"],
           "graphql subscriber errors": g["errors"],
           "peak server RSS MB": g["peak"]}
    if b is not None:
        out.update({
            "baseline last delivery p50 / p99 ms":
                f"{b['last'].p50:.1f} / {b['last'].p99:.1f}",
            "last delivery p99 ratio to baseline": g["last"].p99 / b["last"].p99,
            "baseline connect time s": b["connect s"],
            "baseline peak server RSS MB": b["peak"],
            "baseline missing deliveries": b["missing"]})
    return out


async def run(ctx: BenchContext) -> list[Scenario]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    order_gid = gid("Order", _pending_order(ctx.database_url))
    ctx.events_sent = 0
    out = []
    counts = ctx.budget.s4_subscribers
    if ctx.budget.quick and not ctx.first_database:
        counts = tuple(c for c in counts if c <= 1000)
    for count in counts:
        g = await _measure(ctx, "graphql", count, order_gid)
        b = None
        if count <= 1000 or not ctx.budget.quick:
            b = await _measure(ctx, "baseline", count, order_gid)
        s = Scenario(f"S4 {count:,} subscribers of orderStatusChanged", ctx.database,
                     ctx.size.name)
        s.figures.update(_figures(ctx, g, b))
        if b is None:
            s.notes.append("quick run: no baseline run at this size (see --full)")
        if count <= 1000:
            s.target("last delivery p99 ms (from mutation sent)", g["last"].p99, 150)
        else:
            s.target("peak server RSS MB with all subscribed", g["peak"], 1536)
        s.target("missing deliveries", g["missing"], 0, "==")
        out.append(s)
        s.notes.append("subscribers share one operation, variables and scope (MANAGER), so "
                       "the fan-out runs it once per event")
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return out
