"""S1: the SPA orders page (orders, customer, lines, products, stock per warehouse,
shipments) at 10, 50 and 100 orders, GraphQL vs the baseline, measured alternately."""

from __future__ import annotations

import time

from tests.bench import load, queries
from tests.bench.context import BenchContext
from tests.bench.report import Scenario

PAGE_SIZES = (10, 50, 100)
SQL_LIMIT = 6


async def _check_same_data(ctx: BenchContext, first: int) -> tuple[int, bool, str]:
    """(fields returned, graph JSON == baseline JSON, first error)."""
    conn = await load.Connection(ctx.port).open()
    try:
        graph = await conn.request(load.graphql(queries.ORDERS_PAGE, {"first": first},
                                                ctx.admin))
        base = await conn.request(load.post("/baseline/orders", {"first": first}))
    finally:
        await conn.close()
    body = graph.json()
    if body.get("errors") or not body.get("data"):
        raise RuntimeError(f"orders page failed: {graph.body[:300]!r}")
    return load.count_fields(body["data"]), body == base.json(), ""


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
        fields, same, _ = await _check_same_data(ctx, first)
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
        s.notes.append(f"measured in {time.perf_counter() - started:.1f}s, 1 client, "
                       "blocks alternating graphql/baseline")
        out.append(s)
    return out
