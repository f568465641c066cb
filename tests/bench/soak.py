"""Soak: `make soak` (not in CI) or `python -m tests.bench.soak [--seconds N]` (default
SOAK_SECONDS, else 600). Mixed traffic against the benchmark's real server on a copy of
dataset S (tests/bench/server.py, store.py): the SPA's orders page, orders placed, approved
and cancelled (the cancel gives the stock back, so it runs for hours), the analyst's deep
query, signed carrier webhook batches and 1,000 subscribers to every order's status
changes. Every report interval (SOAK_REPORT_SECONDS, default 60) it prints, per operation,
requests, errors and p50 / p99, the subscribers' deliveries and the server's RSS (its
process and the SQLite writer's). At the end: errors (target 0), deliveries missed (every
subscriber must receive every status change committed), the stock ledger, and RSS growth
from the first report after the warm-up (2 minutes) to the end (target under 5%). Exit status 1
when a target is missed. docs/architecture.md#soak."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sqlite3
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import uvloop

from tests.bench import load, queries, store, ws
from tests.bench.context import QUICK, BenchContext
from tests.bench.dataset import MANAGER_ID, SIZES, spread_product_ids
from tests.bench.report import machine
from tests.bench.scenarios import s6_webhooks
from tests.bench.scenarios.s3_orders import Placer
from tests.bench.scenarios.s4_subscribers import SUBSCRIPTION
from tests.bench.server import Server

CANCEL = """mutation SoakCancel($id: ID!) { orderCancel(id: $id, reason: "soak") {
  order { status } userErrors { code message } } }"""
# pauses between one client's requests: a steady mix well under the machine's capacity
# (a soak looks for leaks and errors over time, not for throughput; S1-S6 measure that)
PAUSES = {"spa orders page": 0.05, "order place+approve+cancel": 0.2,
          "analyst deep query": 0.5, "carrier webhook (100 events)": 1.0}
# RSS grows while caches fill (parsed documents, compiled statements, the pools): the
# growth target is measured from the first report at or after this many seconds
WARM_UP_SECONDS = 120.0
MAX_RSS_GROWTH = 0.05


@dataclass
class Window:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deliveries: int = 0


@dataclass
class Soak:
    window: Window = field(default_factory=Window)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_errors: dict[str, str] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deliveries: list[int] = field(default_factory=list)  # per subscriber
    rows: list[dict] = field(default_factory=list)  # one per interval

    def record(self, op: str, seconds: float, error: str | None) -> None:
        self.window.latencies[op].append(seconds)
        self.requests[op] += 1
        if error is not None:
            self.window.errors[op] += 1
            self.errors[op] += 1
            self.first_errors.setdefault(op, error[:300])

    def delivered(self, sub: ws.Subscriber, _now: float, _payload: bytes) -> None:
        self.window.deliveries += 1
        self.deliveries[sub.index] += 1


def _problem(resp: load.Response, root: str | None = None) -> str | None:
    """What went wrong with a GraphQL answer (an error, a userError), else None."""
    if resp.status != 200:
        return f"HTTP {resp.status}: {resp.body[:200]!r}"
    body = orjson.loads(resp.body)
    if body.get("errors"):
        return str(body["errors"])[:300]
    if root is not None and (body["data"][root] or {}).get("userErrors"):
        return f"{root}: {body['data'][root]['userErrors']}"
    return None


async def _loop(soak: Soak, op: str, stop: asyncio.Event, port: int, step) -> None:  # noqa: ANN001
    conn = await load.Connection(port).open()
    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                error = await step(conn)
            except (OSError, asyncio.IncompleteReadError) as exc:  # the connection broke
                error = f"{type(exc).__name__}: {exc}"
                await conn.close()
            soak.record(op, time.perf_counter() - started, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PAUSES[op])
    finally:
        await conn.close()


def _workers(ctx: BenchContext, soak: Soak, stop: asyncio.Event, secret: str,
             parcels: list[str]) -> list:
    page = load.graphql(queries.ORDERS_PAGE, {"first": 10}, ctx.admin)
    deep = load.graphql(queries.ANALYST_DEEP, {"customers": 20, "orders": 10}, ctx.analyst)
    placer = Placer(ctx, "graphql", spread_product_ids(ctx.size))
    rng = random.Random(27)
    batches = s6_webhooks.Batches(f"/webhooks/carriers/{s6_webhooks.CARRIER_CODE}", secret,
                                  parcels, "soak")

    async def spa(conn: load.Connection) -> str | None:
        return _problem(await conn.request(page))

    async def analyst(conn: load.Connection) -> str | None:
        return _problem(await conn.request(deep))

    async def order(conn: load.Connection) -> str | None:
        create, approve = placer.requests(rng)
        resp = await conn.request(create)
        if problem := _problem(resp, "orderCreate"):
            return problem
        oid = orjson.loads(resp.body)["data"]["orderCreate"]["order"]["id"]
        if problem := _problem(await conn.request(approve(oid)), "orderApprove"):
            return problem
        return _problem(await conn.request(load.graphql(CANCEL, {"id": oid}, ctx.admin)),
                        "orderCancel")

    async def webhook(conn: load.Connection) -> str | None:
        resp = await conn.request(batches(0))
        if resp.status != 200:
            return f"HTTP {resp.status}: {resp.body[:200]!r}"
        results = {r["result"] for r in orjson.loads(resp.body)["results"]}
        return None if results <= {"ACCEPTED", "DUPLICATE"} else str(results)

    steps = {"spa orders page": spa, "order place+approve+cancel": order,
             "analyst deep query": analyst, "carrier webhook (100 events)": webhook}
    return [_loop(soak, op, stop, ctx.port, step) for op, step in steps.items()]


def _pct(values: list[float], q: float) -> float:
    return load.Sample(latencies=values).pct(q) if values else float("nan")


async def _report(ctx: BenchContext, soak: Soak, interval: float, stop: asyncio.Event,
                  started: float) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        window, soak.window = soak.window, Window()
        row = {"t": round(time.perf_counter() - started), "rss_mb": round(ctx.server.rss_mb(), 1),
               **_memory(ctx.server), "full_gc": await _full_collections(ctx.port),
               "deliveries": window.deliveries, "ops": {
                   op: {"n": len(lat), "errors": window.errors[op],
                        "p50_ms": round(_pct(lat, 0.5), 1), "p99_ms": round(_pct(lat, 0.99), 1)}
                   for op in PAUSES if (lat := window.latencies.get(op))}}
        soak.rows.append(row)
        ops = "; ".join(f"{op} n={o['n']} err={o['errors']} p50={o['p50_ms']} "
                        f"p99={o['p99_ms']} ms" for op, o in row["ops"].items())
        print(f"[{row['t']:>5} s] RSS {row['rss_mb']} MB (anonymous {row['anon_mb']}, "
              f"SQLite writer process {row['writer_mb']}; full collections so far "
              f"{row['full_gc']}), deliveries {row['deliveries']}; "
              f"{ops}", flush=True)


async def _full_collections(port: int) -> int:
    """The server's full (generation 2) collections so far, from its /metrics: with the
    server's thresholds (schema/asgi.py GC_THRESHOLDS) they are rare, and cyclic garbage
    waits for them in RSS."""
    conn = await load.Connection(port).open()
    try:
        text = (await conn.request(load.get("/metrics"))).body.decode()
    finally:
        await conn.close()
    for line in text.splitlines():
        if line.startswith('python_gc_collections_total{generation="2"}'):
            return int(float(line.split()[-1]))
    return -1


def _memory(server: Server) -> dict[str, float]:
    """Where the RSS is: anonymous memory (the heap: a leak grows it) of all the server's
    processes, and the SQLite writer process's whole RSS (its page cache fills up to
    SQLite's cache_size per connection)."""
    anon = server._status("RssAnon") / 1024  # noqa: SLF001  the same /proc reading
    writer = 0
    for pid in server.pids()[1:]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    writer += int(line.split()[1])
    return {"anon_mb": round(anon, 1), "writer_mb": round(writer / 1024, 1)}


def _status_events(path: str, after: int) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT COUNT(*) FROM outbox_event WHERE topic = "
                            "'order.status_changed' AND id > ?", (after,)).fetchone()[0]


def _last_event(path: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox_event").fetchone()[0]


async def _missed(soak: Soak, path: str, after: int, limit: float = 60.0) -> int:
    """Deliveries still missing once the traffic has stopped (waited for up to `limit`)."""
    expected = _status_events(path, after)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        missing = sum(max(0, expected - got) for got in soak.deliveries)
        if not missing:
            return 0
        await asyncio.sleep(0.5)
    return sum(max(0, expected - got) for got in soak.deliveries)


async def soak(seconds: float, interval: float, subscribers: int) -> int:
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}; "
          f"calibration loop {info['python_loop_ms']} ms (1M additions, best of 5); "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    url = store.sqlite_copy("S", log=print)
    path = url.removeprefix("sqlite:///")
    with Server(url) as server:
        ctx = BenchContext(server=server, database="sqlite", database_url=url,
                           size=SIZES["S"], budget=QUICK)
        secret, parcels = await s6_webhooks._setup(ctx)  # noqa: SLF001  the same setup as S6
        result = Soak(deliveries=[0] * subscribers)
        first_event = _last_event(path)
        token = ctx.token(MANAGER_ID, "MANAGER")
        subs = await ws.connect_many(ctx.port, subscribers, lambda _i: token, SUBSCRIPTION,
                                     result.delivered, timeout=180, parallel=100)
        for i, sub in enumerate(subs):
            sub.index = i
        print(f"{subscribers} subscribers connected; {seconds:.0f} s of traffic, a report "
              f"every {interval:.0f} s", flush=True)
        stop = asyncio.Event()
        started = time.perf_counter()
        tasks = [asyncio.ensure_future(w) for w in _workers(ctx, result, stop, secret, parcels)]
        reporter = asyncio.ensure_future(_report(ctx, result, interval, stop, started))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks, reporter)
        missed = await _missed(result, path, first_event)
        rss_before = ctx.server.rss_mb()
        collected = await load.fetch_json(ctx.port, "/baseline/_gc", {})
        print(f"after the traffic: RSS {rss_before:.1f} MB; a full collection found "
              f"{collected['unreachable']:,} unreachable of {collected['tracked_before']:,} "
              f"tracked objects; RSS then {ctx.server.rss_mb():.1f} MB", flush=True)
        sub_errors = sum(len(s.errors) for s in subs)
        for sub in subs:
            sub.close()
    return _summary(result, missed, sub_errors, store.ledger_mismatches(url), info)


def _summary(result: Soak, missed: int, sub_errors: int, ledger: list, info: dict) -> int:
    rows = result.rows
    # a short run (SOAK_SECONDS) warms up for its first quarter
    warm = [r for r in rows if r["t"] >= min(WARM_UP_SECONDS, rows[-1]["t"] / 4)] if rows else []
    base = warm[0]["rss_mb"] if warm else 0
    last = rows[-1]["rss_mb"] if rows else 0
    growth = (last - base) / base if base else 0.0
    errors = sum(result.errors.values())
    print("\n== soak summary ==")
    print(f"calibration loop {info['python_loop_ms']} ms; requests "
          + ", ".join(f"{op} {n}" for op, n in result.requests.items()))
    print(f"errors {errors} (target 0) " + (str(dict(result.errors)) if errors else ""))
    for op, first in result.first_errors.items():
        print(f"  first error of {op}: {first}")
    print(f"subscriber deliveries missed {missed}, subscriber errors {sub_errors} (target 0)")
    print(f"stock ledger mismatches {len(ledger)} (target 0)")
    print(f"server RSS after warm-up ({warm[0]['t'] if warm else 0} s) {base} MB, at the end "
          f"{last} MB: growth {growth * 100:+.1f}% (target under {MAX_RSS_GROWTH * 100:.0f}%)")
    ok = not errors and not missed and not sub_errors and not ledger \
        and growth < MAX_RSS_GROWTH
    print("soak: " + ("all targets met" if ok else "TARGET MISSED"))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float,
                        default=float(os.environ.get("SOAK_SECONDS") or 600))
    parser.add_argument("--report-seconds", type=float,
                        default=float(os.environ.get("SOAK_REPORT_SECONDS") or 60))
    parser.add_argument("--subscribers", type=int,
                        default=int(os.environ.get("SOAK_SUBSCRIBERS") or 1000))
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(soak(args.seconds, args.report_seconds, args.subscribers))


if __name__ == "__main__":
    sys.exit(main())
