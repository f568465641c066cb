"""S2: a deep analyst query (customers -> purchase summary, orders -> lines -> products,
shipments -> carrier, tracking events; contact data masked) vs the baseline, and an
over-budget query that the cost limit must refuse in under 2 ms with no SQL."""

from __future__ import annotations

from tests.bench import load, queries
from tests.bench.context import BenchContext
from tests.bench.report import Scenario

DEEP = {"customers": 20, "orders": 10}


def _refused(resp: load.Response) -> bool:
    """An error unless it is the cost refusal."""
    return b"QUERY_COST_EXCEEDED" not in resp.body


async def _deep(ctx: BenchContext) -> Scenario:
    conn = await load.Connection(ctx.port).open()
    try:
        graph = await conn.request(load.graphql(queries.ANALYST_DEEP, DEEP, ctx.analyst))
        base = await conn.request(load.post("/baseline/analyst", DEEP))
    finally:
        await conn.close()
    fields = load.count_fields(graph.json().get("data"))
    raw_g = load.graphql(queries.ANALYST_DEEP, DEEP, ctx.analyst)
    raw_b = load.post("/baseline/analyst", DEEP)
    seconds = 4.0 if ctx.budget.quick else 15.0
    samples = await load.alternate(ctx.port, {"graphql": lambda _n: raw_g,
                                              "baseline": lambda _n: raw_b},
                                   rounds=4 if ctx.budget.quick else 8, per_round=5,
                                   concurrency=1, time_limit=seconds,
                                   cpu=ctx.server.cpu_seconds, warmup=3)
    g, b = samples["graphql"], samples["baseline"]
    s = Scenario("S2 deep analyst query (20 customers x 10 orders)", ctx.database,
                 ctx.size.name)
    s.figures.update({
        "graphql p50 ms": g.p50, "graphql p99 ms": g.p99, "graphql req/s": g.rps,
        "baseline p50 ms": b.p50, "baseline p99 ms": b.p99, "baseline req/s": b.rps,
        "p50 ratio to baseline": g.p50 / b.p50,
        "SQL statements/request (graphql)": g.sql_per_request,
        "SQL statements/request (baseline)": b.sql_per_request,
        "fields returned": fields,
        "GraphQL CPU us/field": (g.cpu_per_request_ms - b.cpu_per_request_ms) * 1000 / fields,
        "same JSON as baseline": graph.json() == base.json(),
        "errors": g.errors + b.errors,
    })
    s.target("errors", g.errors + b.errors, 0, "==")
    return s


async def _over_budget(ctx: BenchContext) -> Scenario:
    raw = load.graphql(queries.OVER_BUDGET, {}, ctx.analyst)
    n = 300 if ctx.budget.quick else 2000
    await load.closed_loop(ctx.port, lambda _n: raw, count=20, concurrency=1, time_limit=5,
                           check=_refused)
    sample = await load.closed_loop(ctx.port, lambda _n: raw, count=n, concurrency=1,
                                    time_limit=10, check=_refused,
                                    cpu=ctx.server.cpu_seconds)
    s = Scenario("S2 over-budget query refused", ctx.database, ctx.size.name)
    sql = max(sample.sql_counts) if sample.sql_counts else float("nan")
    s.figures.update({"p50 ms": sample.p50, "p99 ms": sample.p99, "req/s": sample.rps,
                      "server CPU ms/request": sample.cpu_per_request_ms,
                      "SQL statements (max over requests)": sql,
                      "not refused": sample.errors, "requests": sample.count})
    if sample.first_error:
        s.notes.append(f"not refused: {sample.first_error[:200]}")
    s.target("refused p50 ms", sample.p50, 2.0, "<")
    s.target("SQL statements run", sql, 0, "==")
    s.target("requests not refused", sample.errors, 0, "==")
    return s


async def run(ctx: BenchContext) -> list[Scenario]:
    return [await _deep(ctx), await _over_budget(ctx)]
