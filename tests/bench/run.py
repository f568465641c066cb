"""Benchmark runner: `python -m tests.bench.run --quick|--full [--db sqlite|postgresql|both]`.

quick: dataset S, short measurements, the whole run under 3 minutes (dataset build included).
full: datasets S and M, longer measurements. Both print every scenario with its ratio to the
hand-written baseline and its targets, and write var/bench/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import uvloop
from sqlalchemy import create_engine, pool

from app.persistence.db import normalize_url
from tests.bench import store
from tests.bench.context import FULL, QUICK, BenchContext
from tests.bench.dataset import SIZES
from tests.bench.report import Scenario, machine, print_scenario, summary, write_latest
from tests.bench.scenarios import SCENARIOS
from tests.bench.server import Server

PG_ADMIN_URL = os.environ.get("CRM_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _log(message: str) -> None:
    print(message, flush=True)


def _pg_available() -> bool:
    try:
        engine = create_engine(normalize_url(PG_ADMIN_URL), poolclass=pool.NullPool,
                               connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return True
    except Exception as exc:  # any connection failure means: skip PostgreSQL
        _log(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}): skipped")
        return False


def _prepare(database: str, size: str) -> str:
    if database == "sqlite":
        return store.sqlite_copy(size, log=_log)
    return store.postgres_copy(size, PG_ADMIN_URL, log=_log)


async def _run_scenarios(ctx: BenchContext, only: set[str] | None) -> list[Scenario]:
    results: list[Scenario] = []
    for key, fn, sizes in SCENARIOS:
        if ctx.size.name not in sizes or (only and key not in only):
            continue
        await ctx.server.settle()
        started = time.perf_counter()
        ctx.server.reset_peak()
        try:
            found = await fn(ctx)
        except Exception as exc:  # one broken scenario must not hide the others' figures
            _log(f"  {key} failed: {type(exc).__name__}: {exc}")
            found = [Scenario(f"{key} (failed)", ctx.database, ctx.size.name,
                              notes=[f"{type(exc).__name__}: {exc}"[:500]])]
            found[0].target("completed", 0, 1, ">=")
        for scenario in found:
            scenario.figures.setdefault("peak server RSS MB", ctx.server.peak_rss_mb())
            print_scenario(scenario, _log)
        _log(f"  ({key} took {time.perf_counter() - started:.1f}s)")
        results += found
    return results


def _memory_scenario(ctx: BenchContext, peak: float) -> Scenario:
    s = Scenario("server memory over the whole run", ctx.database, ctx.size.name)
    s.figures["peak server RSS MB"] = peak
    if ctx.size.name == "M":
        s.target("peak server RSS MB on dataset M", peak, 300.0)
    return s


async def _run_database(database: str, size: str, budget, only,  # noqa: ANN001
                        first: bool) -> list[Scenario]:
    _log(f"\n### {database}, dataset {size}")
    url = _prepare(database, size)
    with Server(url) as server:
        ctx = BenchContext(server=server, database=database, database_url=url,
                           size=SIZES[size], budget=budget, log=_log, first_database=first)
        peak_before = server.peak_rss_mb()
        results = await _run_scenarios(ctx, only)
        # reset_peak runs per scenario, so the whole-run peak is the largest scenario peak
        peak = max([peak_before] + [float(s.figures.get("peak server RSS MB") or 0)
                                    for s in results])
        memory = _memory_scenario(ctx, peak)
        print_scenario(memory, _log)
        return results + [memory]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="dataset S, under 3 minutes")
    mode.add_argument("--full", action="store_true", help="datasets S and M")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--size", choices=["S", "M"], help="only this dataset")
    parser.add_argument("--only", help="comma-separated scenario keys, e.g. S1,S5")
    args = parser.parse_args(argv)
    budget = FULL if args.full else QUICK
    sizes = [args.size] if args.size else (["S", "M"] if args.full else ["S"])
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in databases and not _pg_available():
        databases.remove("postgresql")
    only = set(args.only.upper().split(",")) if args.only else None
    started = time.perf_counter()
    info = machine()
    _log(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}; "
         f"calibration loop {info['python_loop_ms']} ms (1M additions, best of 5)")
    results: list[Scenario] = []
    for size in sizes:
        for i, database in enumerate(databases):
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                results += runner.run(_run_database(database, size, budget, only, i == 0))
    path = write_latest(results)
    summary(results, _log)
    _log(f"\nwrote {path} in {time.perf_counter() - started:.0f}s "
         f"({'full' if args.full else 'quick'} run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
