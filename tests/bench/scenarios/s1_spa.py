"""S1: the SPA orders page (orders, customer, lines, products, stock per warehouse,
shipments) at 10, 50 and 100 orders, GraphQL vs the baseline, measured alternately."""

from __future__ import annotations

import time

from tests.bench import load, queries
from tests.bench.context import BenchContext
from tests.bench.db_cpu import DatabaseCpu
from tests.bench.report import Scenario

PAGE_SIZES = (10, 50, 100)
SQL_LIMIT = 6
CLIENTS = 8  # the throughput comparison with PostgreSQL's JSON reference
TOTAL_CPU_LIMIT = 1.8  # total CPU per request (server + PostgreSQL) against that reference
THROUGHPUT_FLOOR = 0.5


async def _check_same_data(ctx: BenchContext, first: int) -> tuple[int, bool, bool | None]:
    """(fields returned, graph JSON == baseline JSON, graph JSON == PostgreSQL's JSON
    reference's, None on SQLite)."""
    conn = await load.Connection(ctx.port).open()
    try:
        graph = await conn.request(load.graphql(queries.ORDERS_PAGE, {"first": first},
                                                ctx.admin))
        base = await conn.request(load.post("/baseline/orders", {"first": first}))
        in_pg = (await conn.request(load.post("/baseline/orders-json", {"first": first}))
                 if ctx.database == "postgresql" else None)
    finally:
        await conn.close()
    body = graph.json()
    if body.get("errors") or not body.get("data"):
        raise RuntimeError(f"orders page failed: {graph.body[:300]!r}")
    # the data only: the graph's answer carries its cost in `extensions` as well
    same_pg = None if in_pg is None else body["data"] == in_pg.json()["data"]
    for name, other in (("baseline", base), ("PG JSON", in_pg)):
        if other is not None and body["data"] != other.json()["data"]:
            where = _first_difference(body["data"], other.json()["data"])
            ctx.log(f"   S1 {first}: graph != {name} at {where}")
    return load.count_fields(body["data"]), body["data"] == base.json()["data"], same_pg


def _first_difference(a: object, b: object, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {str(a)[:80]} != {str(b)[:80]}"


async def measure_against_sql_json(ctx: BenchContext, first: int,
                                   meter: DatabaseCpu) -> dict[str, dict[str, load.Sample]]:
    """PostgreSQL: the page against the one-statement JSON reference (baseline_json.py),
    server and PostgreSQL CPU per request at 1 client, throughput at 8 clients."""
    graph = load.graphql(queries.ORDERS_PAGE, {"first": first}, ctx.admin)
    in_pg = load.post("/baseline/orders-json", {"first": first})
    targets = {"graphql": lambda _n: graph, "pgjson": lambda _n: in_pg}
    budget = ctx.budget
    seconds = (1.5 if budget.quick else 8.0) * (1 + first / 100)
    probe = await load.closed_loop(ctx.port, lambda _n: graph, count=2, concurrency=1,
                                   time_limit=10)
    per_round = max(3, int(seconds / budget.s1_rounds / 2 / max(probe.p50 / 1000, 1e-4)))
    out = {}
    for clients in (1, CLIENTS):
        # with two cores, 8 clients answer about twice as many requests in the same time
        out[f"{clients}"] = await load.alternate(
            ctx.port, targets, rounds=budget.s1_rounds,
            per_round=per_round if clients == 1 else max(clients, 2 * per_round),
            concurrency=clients,
            time_limit=seconds * 3, cpu=ctx.server.cpu_seconds, db_cpu=meter.seconds,
            warmup=1 if budget.quick else 5)
    return out


async def measure_page(ctx: BenchContext, first: int) -> dict[str, load.Sample]:
    graph = load.graphql(queries.ORDERS_PAGE, {"first": first}, ctx.admin)
    base = load.post("/baseline/orders", {"first": first})
    budget = ctx.budget
    seconds = (1.5 if budget.quick else 10.0) * (1 + first / 100)
    # size the blocks so that each round takes about seconds / rounds
    probe = await load.closed_loop(ctx.port, lambda _n: graph, count=2, concurrency=1,
                                   time_limit=10)
    per_round = max(3, int(seconds / budget.s1_rounds / 2 / max(probe.p50 / 1000, 1e-4)))
    return await load.alternate(
        ctx.port, {"graphql": lambda _n: graph, "baseline": lambda _n: base},
        rounds=budget.s1_rounds, per_round=per_round, concurrency=1,
        time_limit=seconds * 1.5, cpu=ctx.server.cpu_seconds,
        warmup=1 if budget.quick else 5)


async def run(ctx: BenchContext) -> list[Scenario]:
    out: list[Scenario] = []
    sql_at_smallest: float | None = None
    ratio_limit = 4.0 if ctx.database == "postgresql" else 12.0
    for first in PAGE_SIZES:
        started = time.perf_counter()
        ctx.server.reset_peak()
        fields, same, same_pg = await _check_same_data(ctx, first)
        samples = await measure_page(ctx, first)
        g, b = samples["graphql"], samples["baseline"]
        s = Scenario(f"S1 SPA orders page, {first} orders", ctx.database, ctx.size.name)
        cpu_field_us = (g.cpu_per_request_ms - b.cpu_per_request_ms) * 1000 / fields
        s.figures.update({
            "graphql p50 ms": g.p50, "graphql p99 ms": g.p99, "graphql req/s": g.rps,
            "baseline p50 ms": b.p50, "baseline p99 ms": b.p99, "baseline req/s": b.rps,
            "p50 ratio to baseline": g.p50 / b.p50,
            "req/s ratio to baseline": g.rps / b.rps if b.rps else float("nan"),
            "SQL statements/request (graphql)": g.sql_per_request,
            "SQL statements/request (baseline)": b.sql_per_request,
            "fields returned": fields,
            "server CPU ms/request (graphql)": g.cpu_per_request_ms,
            "server CPU ms/request (baseline)": b.cpu_per_request_ms,
            "GraphQL CPU us/field": cpu_field_us,
            "requests (graphql, baseline)": f"{g.count}, {b.count}",
            "errors": g.errors + b.errors,
            "same JSON as baseline": same,
            "peak server RSS MB": ctx.server.peak_rss_mb(),
        })
        if g.first_error:
            s.notes.append(f"first error: {g.first_error[:200]}")
        if sql_at_smallest is None:
            sql_at_smallest = g.sql_per_request
        s.target("SQL statements/request", g.sql_per_request, SQL_LIMIT)
        s.target(f"SQL statements flat (vs {PAGE_SIZES[0]} orders)",
                 g.sql_per_request - sql_at_smallest, 0, "<=")
        s.target("p50 ratio to baseline", g.p50 / b.p50, ratio_limit)
        s.target("GraphQL CPU us per returned field", cpu_field_us, 4.0)
        s.target("p99 / p50", g.p99 / g.p50, 2.5)
        s.target("errors", g.errors + b.errors, 0, "==")
        if g.sql_per_request <= 1:  # docs/architecture.md#compiled-reads
            s.notes.append("compiled read: PostgreSQL built the JSON in one statement, so "
                           "the per-field CPU is the Python baseline's cost saved (negative)")
        s.notes.append(f"measured in {time.perf_counter() - started:.1f}s, 1 client, "
                       "blocks alternating graphql/baseline")
        out.append(s)
        if ctx.database == "postgresql":
            out.append(await _against_sql_json(ctx, first, fields, same_pg))
    if ctx.database == "postgresql":
        out.append(await _crm_serve(ctx))
    return out


async def _crm_serve(ctx: BenchContext) -> Scenario:
    """The page's GraphQL on `crm serve` as a user starts it (one worker, its logging, none
    of the benchmark's endpoints or counters) against the PostgreSQL-built JSON reference
    on the bench server, alternating blocks at 1 client: total CPU per request."""
    from tests.bench.server import Server

    started = time.perf_counter()
    s = Scenario("S1 orders page on `crm serve` vs PostgreSQL-built JSON", ctx.database,
                 ctx.size.name)
    meter = DatabaseCpu(ctx.database_url)
    errors, worst = 0, 0.0
    try:
        with Server(ctx.database_url, plain=True,
                    log_path=ctx.server.log_path.parent / "crm-serve.log") as plain:
            for first in PAGE_SIZES:
                graph = load.graphql(queries.ORDERS_PAGE, {"first": first}, ctx.admin)
                in_pg = load.post("/baseline/orders-json", {"first": first})
                sides = {"graphql": (plain, graph), "pgjson": (ctx.server, in_pg)}
                for server, raw in sides.values():  # warm-up
                    await load.closed_loop(server.port, lambda _n, r=raw: r, count=5,
                                           concurrency=1, time_limit=10)
                samples = {name: load.Sample() for name in sides}
                per_round = max(5, int(200 / (1 + first / 10)))
                for r in range(ctx.budget.s1_rounds):
                    for name in sides if r % 2 == 0 else reversed(list(sides)):
                        server, raw = sides[name]
                        samples[name].add(await load.closed_loop(
                            server.port, lambda _n, r=raw: r, count=per_round,
                            concurrency=1, time_limit=10, cpu=server.cpu_seconds,
                            db_cpu=meter.seconds))
                g, ref = samples["graphql"], samples["pgjson"]
                ratio = g.total_cpu_per_request_ms / ref.total_cpu_per_request_ms
                worst = max(worst, ratio)
                errors += g.errors + ref.errors
                s.figures[f"{first:>3} orders: total CPU ms/request, crm serve graphql / "
                          "PG JSON"] = (f"{g.total_cpu_per_request_ms:.2f} / "
                                        f"{ref.total_cpu_per_request_ms:.2f}")
                s.figures[f"{first:>3} orders: server / PostgreSQL CPU ms, crm serve"] = \
                    f"{g.cpu_per_request_ms:.2f} / {g.db_cpu_per_request_ms:.2f}"
                s.figures[f"{first:>3} orders: total CPU ratio to PG JSON"] = ratio
                s.figures[f"{first:>3} orders: p50 ms, crm serve graphql / PG JSON"] = \
                    f"{g.p50:.2f} / {ref.p50:.2f}"
                if g.first_error:
                    s.notes.append(f"{first}: {g.first_error[:200]}")
    finally:
        meter.close()
    s.target("total CPU ratio to PG JSON on crm serve (worst of 10, 50, 100)", worst,
             TOTAL_CPU_LIMIT)
    s.target("errors", errors, 0, "==")
    s.notes.append(f"measured in {time.perf_counter() - started:.1f}s, 1 client, blocks "
                   "alternating crm serve / bench server's PG JSON endpoint")
    return s


async def _against_sql_json(ctx: BenchContext, first: int, fields: int,
                            same: bool | None) -> Scenario:
    started = time.perf_counter()
    meter = DatabaseCpu(ctx.database_url)
    try:
        runs = await measure_against_sql_json(ctx, first, meter)
    finally:
        meter.close()
    one, many = runs["1"], runs[str(CLIENTS)]
    g, r = one["graphql"], one["pgjson"]
    gm, rm = many["graphql"], many["pgjson"]
    s = Scenario(f"S1 orders page vs PostgreSQL-built JSON, {first} orders", ctx.database,
                 ctx.size.name)
    cpu_ratio = g.total_cpu_per_request_ms / r.total_cpu_per_request_ms
    rps_ratio = gm.rps / rm.rps if rm.rps else float("nan")
    s.figures.update({
        "total CPU ms/request (graphql)": g.total_cpu_per_request_ms,
        "total CPU ms/request (PG JSON)": r.total_cpu_per_request_ms,
        "server CPU ms/request (graphql, PG JSON)":
            f"{g.cpu_per_request_ms:.2f}, {r.cpu_per_request_ms:.2f}",
        "PostgreSQL CPU ms/request (graphql, PG JSON)":
            f"{g.db_cpu_per_request_ms:.2f}, {r.db_cpu_per_request_ms:.2f}",
        "total CPU ratio to PG JSON": cpu_ratio,
        "p50 ms 1 client (graphql, PG JSON)": f"{g.p50:.2f}, {r.p50:.2f}",
        f"req/s at {CLIENTS} clients (graphql)": gm.rps,
        f"req/s at {CLIENTS} clients (PG JSON)": rm.rps,
        f"req/s ratio at {CLIENTS} clients": rps_ratio,
        "SQL statements/request (graphql, PG JSON)":
            f"{g.sql_per_request:.1f}, {r.sql_per_request:.1f}",
        "fields returned": fields,
        "same JSON as PG JSON": same,
        "errors": g.errors + r.errors + gm.errors + rm.errors,
    })
    s.target("total CPU ratio to PG JSON", cpu_ratio, TOTAL_CPU_LIMIT)
    s.target(f"req/s ratio at {CLIENTS} clients", rps_ratio, THROUGHPUT_FLOOR, ">=")
    s.target("errors", g.errors + r.errors + gm.errors + rm.errors, 0, "==")
    s.notes.append(f"measured in {time.perf_counter() - started:.1f}s, blocks alternating "
                   f"graphql/PG JSON at 1 and {CLIENTS} clients; PostgreSQL CPU from /proc "
                   "of the backends connected to the benchmark's database")
    return s
