"""Profile in-process (no HTTP), on a SQLite copy of the S dataset:

- `python -m tests.bench.inproc`: the S1 orders page through the schema, under cProfile or
  pyinstrument, to see where GraphQL CPU per field goes;
- `python -m tests.bench.inproc --orders 300 [--group 6]`: S3's write path alone, the app's
  create + approve services run one after the other in this thread (each unit of work alone,
  with its own commit, or `--group` orders per transaction with a savepoint per unit, as the
  server's writer runs them), to see what the writer costs per order and, with cProfile, how
  that time splits between SQLAlchemy, SQLite's C code and the rest; with `--raw`, the same
  orders through the floor's hand-written SQL first (tests/bench/floor_db.py, in the app's
  units of work), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import random
import time
from collections import defaultdict

from tests.bench import load, queries, store
from tests.bench.dataset import ADMIN_ID
from tests.bench.server import BENCH_SECRET


async def _execute(schema, ctx_factory, first: int, n: int) -> tuple[float, int]:  # noqa: ANN001
    fields = 0
    started = time.perf_counter()
    for _ in range(n):
        result = await schema.execute(queries.ORDERS_PAGE, variable_values={"first": first},
                                      context_value=ctx_factory())
        assert not result.errors, result.errors
        fields = load.count_fields(result.data)
    return (time.perf_counter() - started) / n, fields


def _in_groups(engine, n: int, rng: random.Random, group: int, place) -> None:  # noqa: ANN001
    """`n` random orders (S3's shapes: one to three products, one to three of each), each
    `place(customer_id, [(product_id, quantity)], conn)`d; with `group` > 1, `group` orders
    share one transaction on `conn`, each unit in its own savepoint, as the server's SQLite
    writer runs them (else `conn` is None: a transaction per unit)."""
    for start in range(0, n, group):
        conn = engine.connect() if group > 1 else None
        if conn is not None:
            conn.begin()
        for _ in range(min(group, n - start)):
            lines = [(p, rng.randint(1, 3)) for p in rng.sample(range(6, 201), rng.randint(1, 3))]
            place(rng.randint(1, 1000), lines, conn)
        if conn is not None:
            conn.commit()
            conn.close()


def _place_orders(runner, principal, n: int, rng: random.Random,  # noqa: ANN001
                  group: int = 1) -> None:
    """Placed and approved by the app's services (see _in_groups)."""
    from app.errors import DomainError
    from app.orders import service, transitions
    from app.orders.pricing import LineRequest

    def unit(fn, arg, conn):  # noqa: ANN001, ANN202
        return runner._write_sync(fn, principal, None, (arg,), {}, conn)[0]  # noqa: SLF001

    def place(customer_id: int, lines: list[tuple[int, int]], conn) -> None:  # noqa: ANN001
        draft = service.OrderDraft(customer_id=customer_id, submit=True, lines=tuple(
            LineRequest(product_id=p, quantity=q) for p, q in lines))
        order = unit(service.create_order, draft, conn)
        with contextlib.suppress(DomainError):  # over the credit limit: refused, as in S3
            unit(transitions.approve_order, order.id, conn)

    _in_groups(runner.db.write_engine, n, rng, group, place)


def _place_raw(runner, n: int, rng: random.Random, group: int = 1) -> None:  # noqa: ANN001
    """The same orders through the floor's hand-written SQL (tests/bench/floor_db.py), in
    the app's units of work."""
    from tests.bench.floor_db import Refused, in_unit

    def unit(conn, *args) -> dict:  # noqa: ANN001
        (order, _events), _unit_events = runner._write_sync(  # noqa: SLF001
            in_unit, None, None, (ADMIN_ID, *args), {}, conn)
        return order

    def place(customer_id: int, lines: list[tuple[int, int]], conn) -> None:  # noqa: ANN001
        with contextlib.suppress(Refused):
            order = unit(conn, "create", customer_id, lines)
            unit(conn, "approve", order["id"])

    _in_groups(runner.db.write_engine, n, rng, group, place)


def _split(stats: pstats.Stats, n: int) -> None:
    """Own time per order by where the code lives (profiled: Python is inflated)."""
    parts: dict[str, float] = defaultdict(float)
    for (path, _line, name), row in stats.stats.items():
        if "sqlalchemy" in path or "sqlmodel" in path:
            part = "SQLAlchemy / SQLModel"
        elif path == "~" and "sqlite3" in name:
            part = "sqlite3 (C: statements, commits)"
        elif "/app/" in path:
            part = "app"
        else:
            part = "other (stdlib, pydantic, builtins)"
        parts[part] += row[2]
    total = sum(parts.values())
    for part, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / n * 1000:6.2f} ms/order  {seconds / total:4.0%}  {part}")


def orders(args: argparse.Namespace, runner, principal) -> None:  # noqa: ANN001
    rng = random.Random(7)
    how = "units alone" if args.group <= 1 else f"groups of {args.group} orders"
    if args.raw:
        _place_raw(runner, 50, rng, args.group)
        cpu = time.process_time()
        _place_raw(runner, args.orders, rng, args.group)
        cpu_per = (time.process_time() - cpu) / args.orders
        print(f"hand-written SQL, create + approve: {cpu_per * 1000:.2f} ms CPU per order, "
              f"one thread, {how}")
    _place_orders(runner, principal, 50, rng, args.group)  # warm-up: caches, imports
    started, cpu = time.perf_counter(), time.process_time()
    _place_orders(runner, principal, args.orders, rng, args.group)
    per = (time.perf_counter() - started) / args.orders
    cpu_per = (time.process_time() - cpu) / args.orders
    print(f"create + approve: {per * 1000:.2f} ms per order ({cpu_per * 1000:.2f} ms CPU), "
          f"one thread, {how}")
    if args.profiler == "cprofile":
        prof = cProfile.Profile()
        prof.enable()
        _place_orders(runner, principal, args.orders, rng, args.group)
        prof.disable()
        _split(pstats.Stats(prof), args.orders)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=0,
                        help="profile S3's write path with this many orders instead of S1")
    parser.add_argument("--group", type=int, default=1,
                        help="with --orders: orders per transaction, as the server groups them")
    parser.add_argument("--raw", action="store_true",
                        help="with --orders: first the same orders through hand-written SQL")
    parser.add_argument("--first", type=int, default=100)
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--profiler", choices=["none", "cprofile", "pyinstrument"],
                        default="cprofile")
    args = parser.parse_args()
    url = store.sqlite_copy("S")
    os.environ.update(CRM_DATABASE_URL=url, CRM_JWT_SECRET=BENCH_SECRET)
    from app import composition
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.config import get_settings
    from app.persistence.db import Database
    from app.persistence.uow import Runner
    from schema.build import schema
    from schema.core.context import Context

    settings = get_settings()
    composition.install()
    runner = Runner(Database(url))
    principal = Principal(user_id=ADMIN_ID, role=Role.ADMIN)
    if args.orders:
        orders(args, runner, principal)
        return

    def ctx() -> Context:
        return Context(request=None, settings=settings, runner=runner, principal=principal,
                       request_id="inproc")

    loop = asyncio.new_event_loop()
    per, fields = loop.run_until_complete(_execute(schema, ctx, args.first, 3))
    if args.profiler == "cprofile":
        prof = cProfile.Profile()
        prof.enable()
    elif args.profiler == "pyinstrument":
        from pyinstrument import Profiler
        prof = Profiler(interval=0.0005)
        prof.start()
    per, fields = loop.run_until_complete(_execute(schema, ctx, args.first, args.n))
    print(f"{per * 1000:.1f} ms per operation, {fields} fields, "
          f"{per / fields * 1e6:.1f} us per field (wall, SQL included)")
    if args.profiler == "cprofile":
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
    elif args.profiler == "pyinstrument":
        prof.stop()
        print(prof.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
