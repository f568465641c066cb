"""S7: abuse within the limits. `/healthz` and the SPA's orders page
(frontend-contract/operations/orders-page.graphql, its default 50 orders), one client each,
first alone, then while 4 clients send the most expensive queries the limits let through,
in the same run; p99 of both, and the ratio (the security issue's "no request within the
limits can stall others"; docs/architecture.md#time-budget).

The abusive queries, each checked to be accepted (no limit refuses it) before measuring:
the largest pages the cost budget allows, several at once through aliases; the analyst's
deep query as large as the budget allows; a fragment-heavy document just under
`CRM_MAX_EXPANDED_FIELDS`, its text new every time (a comment) so that no cache helps;
slow searches (a substring no order number has, counted over the whole table). Bounded by a
time limit per phase and a request count; loopback only.

Profiling: CRM_BENCH_S7_ONLY="big pages" (a name below) sends only that query;
CRM_BENCH_STALLS=1 adds where the server's event loop was held to the notes
(tests/bench/stalls.py).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path

from app.config import PROJECT_ROOT
from tests.bench import load, queries
from tests.bench.context import BenchContext
from tests.bench.report import Scenario

ABUSERS = 4
TARGET_P99_MS = 200.0
SPA_ORDERS_PAGE = Path(PROJECT_ROOT, "frontend-contract", "operations",
                       "orders-page.graphql").read_text()

_ORDER = """
  id number status paymentStatus createdAt promisedDate total { amount currency }
  customer { id name tier email phone }
  lines { id sku name quantity lineTotal { amount currency }
          product { id name stockLevels { available onHand reserved warehouse { id code } } } }
  shipments { id number status trackingNumber carrier { name } trackingEvents { status } }
"""
# two pages of 100 different orders (two sorts) with every relation: just under the
# cost budget
BIG_PAGES = "query AbuseBigPages {" + "".join(
    f" p{i}: orders(first: 100, sort: {sort}) {{ edges {{ node {{ {_ORDER} }} }} }}"
    for i, sort in enumerate(("CREATED_AT_ASC", "TOTAL_DESC"))) + " }"
# no order number contains it: the LIKE reads the whole table, and so does the count
SLOW_SEARCH = """
query AbuseSearch($q: String!) {
  orders(first: 100, filter: {search: $q}) { totalCount edges { node { id number } } }
  customers(first: 100, filter: {search: $q}) { totalCount edges { node { id name } } }
  a: orders(first: 100, filter: {search: $q}, sort: TOTAL_DESC) { totalCount }
}
"""


def _fragments(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels copies of the innermost's fields."""
    parts = ["fragment F0 on Order { id number status paymentStatus total { amount } }"]
    for i in range(1, levels + 1):
        parts.append(f"fragment F{i} on Order {{ ...F{i - 1} ...F{i - 1} }}")
    return "\n".join(parts)


# 2**9 = 512 copies of 7 fields per order: 3,584 selections (5,000 allowed), 50 orders: a
# cost of ~154,000 (200,000 allowed)
FRAGMENTS = ("query AbuseFragments { orders(first: 50) { edges { node { ...F9 } } } }\n"
             + _fragments(9))


def _abusive(ctx: BenchContext) -> list[tuple[str, bytes | None, object]]:
    """(name, fixed request or None, maker of the n-th request)."""
    deep = {"customers": 20, "orders": 20}  # cost ~180,000 of the 200,000 allowed
    only = os.environ.get("CRM_BENCH_S7_ONLY")  # one abusive query's share, for profiling
    return [abuse for abuse in [
        ("big pages", load.graphql(BIG_PAGES, {}, ctx.admin), None),
        ("deep analyst", load.graphql(queries.ANALYST_DEEP, deep, ctx.analyst), None),
        ("fragments", None,
         lambda n: load.graphql(f"# {n} {time.perf_counter_ns()}\n{FRAGMENTS}", {}, ctx.admin)),
        ("slow search", load.graphql(SLOW_SEARCH, {"q": "no-such-order-zz"}, ctx.admin), None),
    ] if only is None or abuse[0] == only]


async def _check_accepted(ctx: BenchContext, abusive: list) -> dict[str, float]:
    """Each abusive query runs whole within the limits (no limit refuses it): its latency
    alone, ms."""
    conn = await load.Connection(ctx.port).open()
    alone: dict[str, float] = {}
    try:
        for name, fixed, make in abusive:
            raw = fixed if fixed is not None else make(0)
            started = time.perf_counter()
            resp = await conn.request(raw)
            alone[name] = (time.perf_counter() - started) * 1000
            if load.is_error(resp):
                raise RuntimeError(f"abusive query {name!r} refused or failed: "
                                   f"{resp.body[:300]!r}")
    finally:
        await conn.close()
    return alone


async def _paced(ctx: BenchContext, raw: bytes, every: float, seconds: float,
                 count: int) -> load.Sample:
    """One client sending `raw` every `every` seconds (or as soon as the last answered, if
    later): a user's latency, not the server's throughput."""
    sample = load.Sample()
    conn = await load.Connection(ctx.port).open()
    started = time.perf_counter()
    try:
        for n in range(count):
            slot = started + n * every
            now = time.perf_counter()
            if now - started > seconds:
                break
            if slot > now:
                await asyncio.sleep(slot - now)
            sent = time.perf_counter()
            resp = await conn.request(raw)
            sample.latencies.append(time.perf_counter() - sent)
            if load.is_error(resp):
                sample.errors += 1
                sample.first_error = sample.first_error or resp.body[:300].decode(
                    errors="replace")
    finally:
        await conn.close()
    sample.elapsed = time.perf_counter() - started
    return sample


async def _victims(ctx: BenchContext, seconds: float) -> dict[str, load.Sample]:
    """`/healthz` every 10 ms and the orders page every 100 ms, side by side."""
    health, page = await asyncio.gather(
        _paced(ctx, load.get("/healthz"), 0.01, seconds, 10_000),
        _paced(ctx, load.graphql(SPA_ORDERS_PAGE, {}, ctx.admin), 0.1, seconds, 1_000))
    return {"healthz": health, "orders page": page}


async def _abuse(ctx: BenchContext, abusive: list, stop: asyncio.Event,
                 sent: dict[str, load.Sample]) -> None:
    """ABUSERS clients, each cycling through the abusive queries until `stop`."""
    async def client(first: int) -> None:
        conn = await load.Connection(ctx.port).open()
        n = itertools.count()
        try:
            for i in itertools.count(first):
                if stop.is_set():
                    return
                name, fixed, make = abusive[i % len(abusive)]
                started = time.perf_counter()
                resp = await conn.request(fixed if fixed is not None else make(next(n)))
                sample = sent[name]
                sample.latencies.append(time.perf_counter() - started)
                if load.is_error(resp):
                    sample.errors += 1
                    sample.first_error = sample.first_error or resp.body[:300].decode(
                        errors="replace")
        finally:
            await conn.close()

    await asyncio.gather(*(client(i) for i in range(ABUSERS)))


async def _stalls(ctx: BenchContext) -> list:
    conn = await load.Connection(ctx.port).open()
    try:
        return (await conn.request(load.get("/baseline/_stalls"))).json()
    finally:
        await conn.close()


async def run(ctx: BenchContext) -> list[Scenario]:
    seconds = 4.0 if ctx.budget.quick else 15.0
    abusive = _abusive(ctx)
    alone = await _check_accepted(ctx, abusive)
    await _victims(ctx, 0.5)  # warm-up
    calm = await _victims(ctx, seconds)
    stalls = os.environ.get("CRM_BENCH_STALLS") == "1"  # tests/bench/stalls.py
    if stalls:
        await _stalls(ctx)
    stop = asyncio.Event()
    sent = {name: load.Sample() for name, _, _ in abusive}
    abusers = asyncio.ensure_future(_abuse(ctx, abusive, stop, sent))
    try:
        await asyncio.sleep(0.5)  # every abuser under way
        busy = await _victims(ctx, seconds)
    finally:
        stop.set()
        await abusers
    s = Scenario(f"S7 {ABUSERS} abusive clients within the limits", ctx.database, ctx.size.name)
    if stalls:
        s.notes += [f"loop held {ms:.0f} ms at {where}" for where, ms in await _stalls(ctx)]
    for name in ("healthz", "orders page"):
        c, b = calm[name], busy[name]
        s.figures.update({
            f"{name} p50 / p99 ms, alone": f"{c.p50:.1f} / {c.p99:.1f}",
            f"{name} p50 / p99 ms, under abuse": f"{b.p50:.1f} / {b.p99:.1f}",
            f"{name} p99 ratio (abuse / alone)": b.p99 / c.p99,
            f"{name} requests (alone, under abuse)": f"{c.count}, {b.count}",
        })
        s.target(f"{name} p99 ms under abuse", b.p99, TARGET_P99_MS, "<")
        s.target(f"{name} errors", c.errors + b.errors, 0, "==")
    for name, sample in sent.items():
        s.figures[f"abusive {name}: alone ms; under load p50 ms, requests, errors"] = (
            f"{alone[name]:.0f}; {sample.p50:.0f}, {sample.count}, {sample.errors}")
        if sample.first_error:
            s.notes.append(f"abusive {name} first error: {sample.first_error[:200]}")
    s.notes.append(f"{seconds:g}s per phase; /healthz every 10 ms, the orders page every 100 ms, "
                   f"{ABUSERS} abusive clients cycling through {len(abusive)} queries")
    return [s]
