"""S5: the SPA orders page (10 orders) cold, cached and as a persisted query.

cold: a new operation name every request, so parse, validation and the cost estimate all
miss their caches. cached: the same text every time. persisted: the sha256 alone (APQ).
The server reports the time it spent in the parse and validate phases (cache lookups
included); that, plus the persisted-vs-cached difference end to end, is what the cache and
the persisted path add.
"""

from __future__ import annotations

import hashlib
import time

from tests.bench import load, queries
from tests.bench.context import BenchContext
from tests.bench.report import Scenario

FIRST = 10
LIMIT_MS = 0.2


def _apq(query: str) -> dict:
    return {"persistedQuery": {"version": 1,
                               "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}


async def _register(ctx: BenchContext, query: str) -> None:
    conn = await load.Connection(ctx.port).open()
    try:
        miss = await conn.request(load.graphql(None, {"first": FIRST}, ctx.admin, _apq(query)))
        if b"PERSISTED_QUERY_NOT_FOUND" not in miss.body:
            raise RuntimeError(f"expected a persisted-query miss, got {miss.body[:200]!r}")
        full = await conn.request(load.graphql(query, {"first": FIRST}, ctx.admin, _apq(query)))
        if load.is_error(full):
            raise RuntimeError(f"registering the persisted query failed: {full.body[:200]!r}")
    finally:
        await conn.close()


def _apq_lookup_ms(query: str) -> float:
    """What the persisted path adds before execution, in this process: reading the hash
    from the request's extensions and looking it up (schema/core/persisted.py)."""
    import timeit

    from strawberry.http import GraphQLRequestData

    from schema.core.persisted import PersistedQueries

    store = PersistedQueries()
    store.learn(_apq(query)["persistedQuery"]["sha256Hash"], query)
    data = GraphQLRequestData(query=None, variables={"first": FIRST}, operation_name=None,
                              extensions=_apq(query))
    n = 20_000
    return timeit.timeit(lambda: store.resolve(data), number=n) / n * 1000


async def _measure(ctx: BenchContext, variants: dict) -> tuple[dict, dict]:
    """Alternating blocks; the server's phase totals are read after every block."""
    samples = {name: load.Sample() for name in variants}
    phases = {name: {"operations": 0, "parse": 0.0, "validate": 0.0} for name in variants}
    rounds = 4 if ctx.budget.quick else 10
    per_block = max(10, ctx.budget.s5_requests // rounds)
    for make in variants.values():
        await load.closed_loop(ctx.port, make, count=5, concurrency=1, time_limit=5)
    names = list(variants)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            await load.fetch_json(ctx.port, "/baseline/_phases")
            samples[name].add(await load.closed_loop(
                ctx.port, variants[name], count=per_block, concurrency=1,
                time_limit=ctx.budget.s5_seconds / rounds, cpu=ctx.server.cpu_seconds))
            for key, value in (await load.fetch_json(ctx.port, "/baseline/_phases")).items():
                phases[name][key] += value
    return samples, phases


async def run(ctx: BenchContext) -> list[Scenario]:
    query = queries.ORDERS_PAGE
    await _register(ctx, query)
    variants = {
        "cold": lambda n: load.graphql(
            query.replace("BenchOrdersPage(", f"BenchOrdersPage{n}x{time.monotonic_ns()}("),
            {"first": FIRST}, ctx.admin),
        "cached": lambda _n, raw=load.graphql(query, {"first": FIRST}, ctx.admin): raw,
        "persisted": lambda _n, raw=load.graphql(None, {"first": FIRST}, ctx.admin,
                                                 _apq(query)): raw,
        "baseline": lambda _n, raw=load.post("/baseline/orders", {"first": FIRST}): raw,
    }
    samples, phases = await _measure(ctx, variants)
    s = Scenario(f"S5 cold / cached / persisted, {FIRST} orders", ctx.database, ctx.size.name)
    pre = {}
    for name, sample in samples.items():
        s.figures[f"{name} p50 ms"] = sample.p50
        s.figures[f"{name} p99 ms"] = sample.p99
        if name != "baseline":
            ops = max(1, phases[name]["operations"])
            pre[name] = (phases[name]["parse"] + phases[name]["validate"]) / ops * 1000
            s.figures[f"{name} parse+validate ms (server)"] = pre[name]
            s.figures[f"{name} p50 ratio to baseline"] = sample.p50 / samples["baseline"].p50
    lookup = _apq_lookup_ms(query)
    errors = sum(x.errors for x in samples.values())
    s.figures["persisted-query lookup ms"] = lookup
    s.figures["persisted minus cached p50 ms (end to end, noisy)"] = \
        samples["persisted"].p50 - samples["cached"].p50
    s.figures["errors"] = errors
    s.target("cached path adds (server parse+validate ms)", pre["cached"], LIMIT_MS)
    s.target("persisted path adds (parse+validate + lookup ms)", pre["persisted"] + lookup,
             LIMIT_MS)
    s.target("errors", errors, 0, "==")
    return [s]
