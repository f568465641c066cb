"""S3: concurrent order placement and approval (orderCreate + orderApprove per order) with
1 to 64 clients, on products spread over the catalog and on five hot products; GraphQL and
the baseline (the same service calls without GraphQL) alternate per step. At 32 clients the
same documents also go to the floor (tests/bench/floor.py: strawberry alone, constant
resolvers), which bounds what any GraphQL order placement can cost, and on SQLite (after
the last step) to that floor with hand-written SQL under it (tests/bench/floor_db.py: the
workflow's statements on the DB-API in the app's units of work, on the app's SQLite writer,
the writer process by default), an estimate of what a lean write path on strawberry and
SQLite reaches. Afterwards the stock ledger must balance and no level may be oversold."""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson

from app.ids import to_global_id as gid
from tests.bench import load, store
from tests.bench.context import BenchContext
from tests.bench.dataset import hot_product_ids, spread_product_ids
from tests.bench.db_cpu import DatabaseCpu, LockWaits
from tests.bench.report import Scenario

CREATE = """mutation BenchPlace($input: OrderCreateInput!) {
  orderCreate(input: $input) { order { id number status } userErrors { code message } } }"""
MIN_ORDERS = 20  # per step: fewer makes a ratio of two noise samples
APPROVE = """mutation BenchApprove($id: ID!) {
  orderApprove(id: $id) { order { id status } userErrors { code message } } }"""


@dataclass
class Run:
    orders: int = 0
    confirmed: int = 0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    failures: int = 0
    first_failure: str | None = None
    elapsed: float = 0.0
    loop_cpu: float = 0.0  # server CPU seconds: main thread (event loop)
    other_cpu: float = 0.0  # and every other thread (on SQLite mostly the writer)
    transactions: int = 0  # SQLite writer: groups and units run alone, however they ended
    units: int = 0  # and the units of work in them
    db_cpu: float = 0.0  # PostgreSQL: CPU seconds of the database's backends (db_cpu.py)
    lock_waits: float = 0.0  # PostgreSQL: backend-seconds waiting on a lock (sampled)

    def __add__(self, other: Run) -> Run:
        """Two runs of the same target as one (the reference comparison's rounds)."""
        return Run(
            orders=self.orders + other.orders, confirmed=self.confirmed + other.confirmed,
            latencies=self.latencies + other.latencies, outcomes=self.outcomes + other.outcomes,
            failures=self.failures + other.failures,
            first_failure=self.first_failure or other.first_failure,
            elapsed=self.elapsed + other.elapsed, loop_cpu=self.loop_cpu + other.loop_cpu,
            other_cpu=self.other_cpu + other.other_cpu,
            transactions=self.transactions + other.transactions, units=self.units + other.units,
            db_cpu=self.db_cpu + other.db_cpu, lock_waits=self.lock_waits + other.lock_waits)

    def units_per_transaction(self) -> str:
        return f"{self.units / self.transactions:.1f}" if self.transactions else "-"

    def cpu_ms_per_order(self) -> str:
        """Where the server's CPU goes, per order: event loop / the rest (on SQLite mostly
        the writer process) / cores busy (a process's threads share one GIL: one core)."""
        if not self.orders:
            return "-"
        per = 1000 / self.orders
        cores = (self.loop_cpu + self.other_cpu) / self.elapsed if self.elapsed else 0.0
        return f"{self.loop_cpu * per:.2f} / {self.other_cpu * per:.2f} ms, {cores:.2f} cores"

    def cpu_per_order_ms(self) -> float:
        """All server CPU per order. The threads share one GIL, so 500 orders/s leaves
        2 ms of it per order for everything the server does."""
        return 1000 * (self.loop_cpu + self.other_cpu) / self.orders if self.orders else 0.0

    def total_cpu_per_order_ms(self) -> float:
        """Server and PostgreSQL CPU per placed-and-approved order."""
        return 1000 * (self.loop_cpu + self.other_cpu + self.db_cpu) / self.confirmed \
            if self.confirmed else float("nan")

    def cpu_split(self) -> str:
        """Server / PostgreSQL / total CPU ms per placed-and-approved order."""
        if not self.confirmed:
            return "-"
        per = 1000 / self.confirmed
        return (f"{(self.loop_cpu + self.other_cpu) * per:.2f} / {self.db_cpu * per:.2f} / "
                f"{self.total_cpu_per_order_ms():.2f} ms")

    @property
    def rate(self) -> float:
        """Orders placed and approved per second: a refused order (out of stock, over the
        credit limit) costs less and is no placement, so it never counts."""
        return self.confirmed / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        return load.Sample(latencies=self.latencies).pct(q)


def _payload(resp: load.Response, root: str) -> tuple[dict | None, list, str | None]:
    if resp.status != 200:
        return None, [], resp.body[:300].decode(errors="replace")
    body = orjson.loads(resp.body)
    if body.get("errors"):
        return None, [], str(body["errors"])[:300]
    data = body["data"][root] if root in body["data"] else body["data"]
    return data.get("order"), data.get("userErrors") or [], None


class Placer:
    def __init__(self, ctx: BenchContext, target: str, products: list[int]) -> None:
        self.ctx, self.target, self.products = ctx, target, products

    def requests(self, rng: random.Random) -> tuple[bytes, callable]:
        customer = rng.randint(1, self.ctx.size.customers)
        picks = rng.sample(self.products, rng.randint(1, min(3, len(self.products))))
        lines = [(p, rng.randint(1, 3)) for p in picks]
        if self.target in ("graphql", "floor", "floor-db"):
            path = "/" + self.target
            create = load.post(path, {"query": CREATE, "variables": {"input": {
                "customerId": gid("Customer", customer), "submit": True,
                "lines": [{"productId": gid("Product", p), "quantity": q} for p, q in lines]}}},
                self.ctx.admin)
            return create, lambda oid: load.post(path, {"query": APPROVE, "variables": {
                "id": oid}}, self.ctx.admin)
        prefix = "/baseline/pg-" if self.target == "psycopg" else "/baseline/"
        create = load.post(prefix + "order-create", {"customerId": customer, "lines": [
            {"productId": p, "quantity": q} for p, q in lines]})
        return create, lambda oid: load.post(prefix + "order-approve", {"id": oid})

    async def client(self, run: Run, seed: int, deadline: float, limit: int) -> None:
        """Until the deadline and at least MIN_ORDERS placed (hard stop at 3x the time)."""
        rng = random.Random(seed)
        hard = deadline + 2 * (deadline - time.perf_counter())
        conn = await load.Connection(self.ctx.port).open()
        try:
            while run.orders < limit and time.perf_counter() < hard and (
                    time.perf_counter() < deadline or run.orders < MIN_ORDERS):
                run.orders += 1
                await self.place(conn, run, rng)
        finally:
            await conn.close()

    async def place(self, conn: load.Connection, run: Run, rng: random.Random) -> None:
        create, approve = self.requests(rng)
        started = time.perf_counter()
        order, errors, failure = _payload(await conn.request(create), "orderCreate")
        if order is not None:
            order, errors, failure = _payload(await conn.request(approve(order["id"])),
                                              "orderApprove")
        run.latencies.append(time.perf_counter() - started)
        if failure:
            run.failures += 1
            run.first_failure = run.first_failure or failure
        elif order is not None and order["status"] == "CONFIRMED":
            run.confirmed += 1
            run.outcomes["CONFIRMED"] += 1
        else:
            run.outcomes[errors[0]["code"] if errors else "NO_ORDER"] += 1


async def _statements(ctx: BenchContext, target: str, products: list[int], orders: int = 10
                      ) -> tuple[float, float, float]:
    """SQL statements per create and per approve request, and round trips per placed and
    approved order (those statements plus BEGIN / COMMIT / ROLLBACK, less the statements
    that went in one pipeline with others), means over `orders`
    placed one after the other (the counter is on outside the timed runs only)."""
    placer, rng = Placer(ctx, target, products), random.Random(99)
    counts: tuple[list[int], list[int]] = ([], [])
    trips: list[int] = []
    conn = await load.Connection(ctx.port).open()
    try:
        for _ in range(orders):
            create, approve = placer.requests(rng)
            resp = await conn.request(create)
            order, _errors, _failure = _payload(resp, "orderCreate")
            if resp.sql_count is not None:  # None: the server counts nothing (NaN printed)
                counts[0].append(resp.sql_count)
            if order is not None:
                first = (resp.sql_count or 0) + (resp.sql_control or 0) - resp.sql_pipelined
                resp = await conn.request(approve(order["id"]))
                if resp.sql_count is not None:
                    counts[1].append(resp.sql_count)
                    trips.append(first + resp.sql_count + (resp.sql_control or 0)
                                 - resp.sql_pipelined)
    finally:
        await conn.close()
    return tuple(sum(c) / len(c) if c else float("nan") for c in (*counts, trips))


async def instruments(ctx: BenchContext, on: bool) -> None:
    """The benchmark's statement counter and phase timer in the server, on or off."""
    answer = await load.fetch_json(ctx.port, "/baseline/_instruments", {"on": on})
    assert answer == {"on": on}, answer


async def _writer_stats(ctx: BenchContext) -> tuple[int, int]:
    """(transactions, units) of the SQLite writer so far; zeros on PostgreSQL."""
    stats = await load.fetch_json(ctx.port, "/baseline/_writer")
    alone = stats.get("alone", 0)
    return stats.get("groups", 0) + alone, stats.get("grouped_units", 0) + alone


async def place(ctx: BenchContext, target: str, products: list[int], clients: int,
                seconds: float, limit: int, seed: int) -> Run:
    import asyncio

    run = Run()
    placer = Placer(ctx, target, products)
    transactions, units = await _writer_stats(ctx)
    meter = _meter(ctx)
    waits = contextlib.nullcontext() if meter is None else LockWaits(meter)
    db_before = meter.seconds() if meter else 0.0
    loop_cpu, other_cpu = ctx.server.thread_cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds
    with waits:
        await asyncio.gather(*(placer.client(run, seed * 1000 + i, deadline, limit)
                               for i in range(clients)))
    run.elapsed = time.perf_counter() - started
    loop_after, other_after = ctx.server.thread_cpu_seconds()
    run.loop_cpu, run.other_cpu = loop_after - loop_cpu, other_after - other_cpu
    if meter is not None:
        run.db_cpu, run.lock_waits = meter.seconds() - db_before, waits.seconds
    transactions_after, units_after = await _writer_stats(ctx)
    run.transactions, run.units = transactions_after - transactions, units_after - units
    return run


_METERS: dict[str, DatabaseCpu] = {}


def _meter(ctx: BenchContext) -> DatabaseCpu | None:
    """PostgreSQL: one CPU meter per database for the run (its connection lives on)."""
    if ctx.database != "postgresql":
        return None
    if ctx.database_url not in _METERS:
        _METERS[ctx.database_url] = DatabaseCpu(ctx.database_url)
    return _METERS[ctx.database_url]


def _log_offset(ctx: BenchContext) -> int:
    path = ctx.server.log_path
    return path.stat().st_size if path.exists() else 0


def _deadlocks_logged(ctx: BenchContext, offset: int) -> int:
    with ctx.server.log_path.open("rb") as f:
        f.seek(offset)
        return f.read().lower().count(b"deadlock")


async def _floor(ctx: BenchContext, s: Scenario, g: Run, b: Run, products: list[int],
                 seed: int) -> int:
    """At 32 clients: the floor beside GraphQL and the baseline, as CPU per order."""
    budget = ctx.budget
    floor = await place(ctx, "floor", products, 32, budget.s3_seconds_per_step,
                        budget.s3_orders_per_step, seed=seed)
    s.figures["32 clients: server CPU per order, event loop / the rest"] = (
        f"graphql {g.cpu_ms_per_order()}; baseline {b.cpu_ms_per_order()}; "
        f"floor {floor.cpu_ms_per_order()}")
    s.figures["32 clients: floor (strawberry alone, constant resolvers) orders/s"] = floor.rate
    s.figures["32 clients: CPU ms per order, graphql / floor / budget at 500/s"] = (
        f"{g.cpu_per_order_ms():.2f} / {floor.cpu_per_order_ms():.2f} / 2.00")
    return floor.failures


async def _floor_db(ctx: BenchContext, s: Scenario, g: Run, b: Run, products: list[int]
                    ) -> int:
    """SQLite, after the last step (its orders reserve stock too): the floor with
    hand-written SQL under it at 32 clients."""
    budget = ctx.budget
    raw = await place(ctx, "floor-db", products, 32, budget.s3_seconds_per_step,
                      budget.s3_orders_per_step, seed=9)
    s.figures["32 clients: floor + hand-written SQL orders/s, p99 ms"] = \
        f"{raw.rate:,.0f}, {raw.pct(0.99):.1f}"
    s.figures["32 clients: floor + hand-written SQL CPU per order"] = raw.cpu_ms_per_order()
    s.figures["32 clients: floor + hand-written SQL outcomes"] = dict(raw.outcomes)
    s.figures["32 clients: writer units per transaction, graphql / baseline / floor + SQL"] = \
        f"{g.units_per_transaction()} / {b.units_per_transaction()} / {raw.units_per_transaction()}"
    return raw.failures


async def _psycopg(ctx: BenchContext, s: Scenario, g: Run, b: Run, products: list[int],
                   seed: int) -> int:
    """PostgreSQL, at 32 clients: the hand-written psycopg reference
    (tests/bench/pg_reference.py) beside GraphQL and the service baseline, right after them.
    GraphQL and the reference alternate, GraphQL's step then twice the reference then
    GraphQL again, and each side's two rounds count as one: the machine's speed drifts
    within a run, and both sides' rounds are centred on the same moment."""
    budget = ctx.budget
    refs = [await place(ctx, "psycopg", products, 32, budget.s3_seconds_per_step,
                        budget.s3_orders_per_step, seed=seed + i) for i in range(2)]
    ref = refs[0] + refs[1]
    again = await place(ctx, "graphql", products, 32, budget.s3_seconds_per_step,
                        budget.s3_orders_per_step, seed=seed + 2)
    g = g + again
    s.figures["32 clients: orders/s, graphql / baseline / psycopg reference (2 rounds each "
              "but the baseline)"] = (
        f"{g.rate:,.0f} / {b.rate:,.0f} / {ref.rate:,.0f}")
    s.figures["32 clients: CPU per order server / PostgreSQL / total: graphql; baseline; "
              "psycopg"] = f"{g.cpu_split()}; {b.cpu_split()}; {ref.cpu_split()}"
    s.figures["32 clients: lock-wait ms per order (pg_stat_activity sampled every 10 ms), "
              "graphql / baseline / psycopg"] = " / ".join(
        f"{1000 * r.lock_waits / r.confirmed:.2f}" if r.confirmed else "-" for r in (g, b, ref))
    s.figures["32 clients: psycopg reference outcomes"] = dict(ref.outcomes)
    if ref.first_failure:
        s.notes.append(f"psycopg reference: {ref.first_failure[:200]}")
    rate = g.rate / ref.rate if ref.rate else float("nan")
    cpu = g.total_cpu_per_order_ms() / ref.total_cpu_per_order_ms()
    s.target("32 clients: graphql orders/s ÷ psycopg reference's", rate, 0.8, ">=")
    s.target("32 clients: graphql total CPU per order ÷ psycopg reference's", cpu, 1.3)
    return ref.failures + again.failures


async def _mode(ctx: BenchContext, mode: str, products: list[int]) -> Scenario:
    s = Scenario(f"S3 place + approve orders, {mode} products", ctx.database, ctx.size.name)
    counted = {t: await _statements(ctx, t, products) for t in ("graphql", "baseline")}
    s.figures["SQL statements per request, create / approve: graphql; baseline"] = "; ".join(
        f"{c:.1f} / {a:.1f}" for c, a, _ in counted.values())
    s.figures["round trips per placed + approved order (with BEGIN / COMMIT): graphql; "
              "baseline"] = "; ".join(f"{t:.1f}" for _, _, t in counted.values())
    if ctx.database == "postgresql":
        s.target("round trips per placed + approved order (graphql)", counted["graphql"][2], 18)
    # The timed runs measure the server as production runs it: the benchmark's counter and
    # phase timer cost ~10% of its throughput here.
    await instruments(ctx, on=False)
    try:
        return await _timed(ctx, s, products)
    finally:
        await instruments(ctx, on=True)


async def _timed(ctx: BenchContext, s: Scenario, products: list[int]) -> Scenario:
    budget = ctx.budget
    min_ratio, failures = float("inf"), 0
    at32: tuple[Run, Run] | None = None
    for step, clients in enumerate(budget.s3_clients):
        runs = {}
        order = ("graphql", "baseline") if step % 2 == 0 else ("baseline", "graphql")
        for target in order:
            runs[target] = await place(ctx, target, products, clients,
                                       budget.s3_seconds_per_step, budget.s3_orders_per_step,
                                       seed=step * 2 + (target == "graphql"))
        g, b = runs["graphql"], runs["baseline"]
        ratio = g.rate / b.rate if b.rate else float("nan")
        min_ratio = min(min_ratio, ratio)
        failures += g.failures + b.failures
        s.figures[f"{clients:>2} clients: graphql orders/s"] = g.rate
        s.figures[f"{clients:>2} clients: graphql p50 / p99 ms"] = \
            f"{g.pct(0.5):.1f} / {g.pct(0.99):.1f}"
        s.figures[f"{clients:>2} clients: baseline orders/s"] = b.rate
        s.figures[f"{clients:>2} clients: ratio to baseline"] = ratio
        s.figures[f"{clients:>2} clients: graphql outcomes"] = dict(g.outcomes)
        for run in (g, b):
            if run.first_failure:
                s.notes.append(f"{clients} clients: {run.first_failure[:200]}")
        if clients == 32:
            at32 = (g, b)
            if ctx.database == "postgresql":
                failures += await _psycopg(ctx, s, g, b, products, seed=step * 2 + 5)
            failures += await _floor(ctx, s, g, b, products, seed=step * 2 + 7)
    if at32 is not None and ctx.database == "sqlite":
        failures += await _floor_db(ctx, s, *at32, products)
    s.figures["failures (GraphQL / HTTP errors)"] = failures
    s.target("failed requests (deadlocks, 5xx, unexpected errors)", failures, 0, "==")
    if ctx.database == "postgresql":
        s.target("throughput ratio to baseline (min over client counts)", min_ratio, 0.5, ">=")
    elif at32 is not None:
        s.target("orders/s at 32 clients", at32[0].rate, 500, ">=")
        s.target("p99 ms at 32 clients", at32[0].pct(0.99), 100)
    return s


WORKERS_FLOOR = 1.6  # two worker processes against one (issue 29: every core)


async def _workers(ctx: BenchContext) -> Scenario:
    """PostgreSQL: GraphQL placement at 32 clients on a server of two worker processes
    (live events over LISTEN/NOTIFY and one leader for the background jobs, as
    `crm serve --workers 2` sets them up) against one
    of one worker, both without the benchmark's counters, alternating in rounds."""
    from dataclasses import replace

    from tests.bench.server import Server

    s = Scenario("S3 --workers 2 vs 1 (graphql, 32 clients, spread products)", ctx.database,
                 ctx.size.name)
    seconds = max(2.0, ctx.budget.s3_seconds_per_step)
    quiet = {"CRM_BENCH_SQL_COUNT": "0"}
    log_dir = ctx.server.log_path.parent
    products = spread_product_ids(ctx.size)
    runs: dict[int, Run] = {1: Run(), 2: Run()}
    busy = {1: 0.0, 2: 0.0}  # CPU seconds of the whole machine during each side's runs
    # the pools sized to the clients, 32 connections in all either way: the default (40 per
    # process) beside the bench server's pool and the reference's exceeds max_connections
    envs = {1: {**quiet, "CRM_DB_POOL_SIZE": "32"},
            2: {**quiet, "CRM_DB_POOL_SIZE": "16", "CRM_EVENT_BUS": "postgres",
                "CRM_LEADER_ELECTION": "1"}}
    for r in range(2):
        # one server up at a time: with the bench server's pool and the psycopg
        # reference's connections, two more servers' pools exceed max_connections (100)
        for n in (1, 2) if r % 2 == 0 else (2, 1):
            with Server(ctx.database_url, env=envs[n], workers=n,
                        log_path=log_dir / f"server-{n}-workers.log") as server:
                c = replace(ctx, server=server)
                # warm-up: pools filled, statements prepared
                await place(c, "graphql", products, 32, 0.5, 1_000_000, seed=80 + n)
                busy_before = _machine_busy_seconds()
                run = await place(c, "graphql", products, 32, seconds, 1_000_000,
                                  seed=90 + 2 * r + n)
                busy[n] += _machine_busy_seconds() - busy_before
            total = runs[n]
            total.confirmed += run.confirmed
            total.elapsed += run.elapsed
            total.failures += run.failures
            total.loop_cpu += run.loop_cpu + run.other_cpu
            total.db_cpu += run.db_cpu
            total.outcomes.update(run.outcomes)
            total.first_failure = total.first_failure or run.first_failure
    ratio = runs[2].rate / runs[1].rate if runs[1].rate else float("nan")
    s.figures["orders/s, 1 worker / 2 workers"] = f"{runs[1].rate:,.1f} / {runs[2].rate:,.1f}"
    s.figures["CPU per order server / PostgreSQL / total, 1 worker; 2 workers"] = \
        f"{runs[1].cpu_split()}; {runs[2].cpu_split()}"
    s.figures["outcomes, 1 worker; 2 workers"] = f"{dict(runs[1].outcomes)}; " \
        f"{dict(runs[2].outcomes)}"
    # what a second process could add: the cores left while one worker runs (the load
    # generator and PostgreSQL share the machine with the server)
    cores = os.cpu_count() or 1
    s.figures[f"machine cores busy, all processes (of {cores}), 1 worker / 2 workers"] = \
        " / ".join(f"{busy[n] / runs[n].elapsed:.2f}" if runs[n].elapsed else "-"
                   for n in (1, 2))
    for run in runs.values():
        if run.first_failure:
            s.notes.append(run.first_failure[:200])
    s.notes.append(f"two rounds of {seconds:.1f}s per side, alternating, each on a freshly "
                   "started server after a 0.5 s warm-up")
    s.target("throughput ratio, 2 workers ÷ 1", ratio, WORKERS_FLOOR, ">=")
    s.target("failed requests", runs[1].failures + runs[2].failures, 0, "==")
    return s


def _machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used so far (/proc/stat; 0 where there
    is none)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def run(ctx: BenchContext) -> list[Scenario]:
    offset = _log_offset(ctx)
    out = [await _mode(ctx, "spread", spread_product_ids(ctx.size)),
           await _mode(ctx, "hot", hot_product_ids(ctx.size))]
    if ctx.database == "postgresql":
        out.append(await _workers(ctx))
    waiting, caught_up = await _planner_catch_up(ctx)
    mismatches = store.ledger_mismatches(ctx.database_url)
    deadlocks = _deadlocks_logged(ctx, offset)
    check = Scenario("S3 stock ledger after placement", ctx.database, ctx.size.name)
    check.figures["stock levels out of balance or oversold"] = len(mismatches)
    check.figures["deadlocks in server log"] = deadlocks
    check.figures["order events waiting for notification planning at the end, s to plan"] = \
        f"{waiting}, {caught_up:.2f}"
    if mismatches:
        check.notes.append(f"first mismatches: {mismatches[:3]}")
    check.target("oversold or unbalanced stock levels", len(mismatches), 0, "==")
    check.target("deadlocks", deadlocks, 0, "==")
    # notifications are planned after commit (app/notifications/planning.py): the planner,
    # whose CPU is in the figures above, must keep up, not leave a backlog behind the run
    check.target("s until every order's notifications were planned", caught_up, 2.0)
    return out + [check]


async def _planner_catch_up(ctx: BenchContext, limit: float = 30.0) -> tuple[int, float]:
    """(events waiting for the planner when the last step ended, seconds until none)."""
    import asyncio

    started = time.perf_counter()
    waiting = left = store.unplanned_events(ctx.database_url)
    if not waiting:
        return 0, 0.0
    while left and time.perf_counter() - started < limit:
        await asyncio.sleep(0.05)
        left = store.unplanned_events(ctx.database_url)
    return waiting, time.perf_counter() - started
