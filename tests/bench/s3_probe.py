"""One S3 target at one client count, for paired comparisons while changing the write path:

    python -m tests.bench.s3_probe floor-db --clients 32 --seconds 5 --rounds 2

starts the bench server on a SQLite copy of dataset S (the app's settings from the
environment, e.g. `CRM_SQLITE_WRITER=thread`), places orders on the spread products for
`--seconds` per round after a one-second warm-up, and prints what S3 prints for a step:
orders/s, p50 / p99 ms, server CPU per order (event loop / the rest), writer units per
transaction and the outcomes. Targets: graphql, baseline, floor, floor-db. A full S3 run is
`python -m tests.bench.run --quick --db sqlite --only S3`.
"""

from __future__ import annotations

import argparse
import asyncio

from tests.bench import store
from tests.bench.context import QUICK, BenchContext
from tests.bench.dataset import SIZES, spread_product_ids
from tests.bench.scenarios import s3_orders
from tests.bench.server import Server


async def probe(target: str, clients: int, seconds: float, rounds: int) -> None:
    url = store.sqlite_copy("S")
    with Server(url) as server:
        ctx = BenchContext(server=server, database="sqlite", database_url=url,
                           size=SIZES["S"], budget=QUICK)
        await s3_orders.instruments(ctx, on=False)  # as S3's timed runs
        spread = spread_product_ids(ctx.size)
        await s3_orders.place(ctx, target, spread, clients, 1.0, 1_000_000, seed=1)
        for r in range(rounds):
            run = await s3_orders.place(ctx, target, spread, clients, seconds, 1_000_000,
                                        seed=r + 2)
            print(f"{target}, {clients} clients: {run.rate:.0f} orders/s, p50 / p99 "
                  f"{run.pct(0.5):.1f} / {run.pct(0.99):.1f} ms, CPU per order "
                  f"{run.cpu_ms_per_order()}, units per transaction "
                  f"{run.units_per_transaction()}, {dict(run.outcomes)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", choices=["graphql", "baseline", "floor", "floor-db"])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(probe(args.target, args.clients, args.seconds, args.rounds))


if __name__ == "__main__":
    main()
