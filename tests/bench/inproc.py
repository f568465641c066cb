"""Profile one GraphQL operation in-process (no HTTP): `python -m tests.bench.inproc`.

Runs the S1 orders page against the S dataset (SQLite copy) under cProfile or pyinstrument
and prints where the time goes; used to find why GraphQL CPU per field is above target.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=100)
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--profiler", choices=["none", "cprofile", "pyinstrument"],
                        default="cprofile")
    args = parser.parse_args()
    url = store.sqlite_copy("S")
    os.environ.update(CRM_DATABASE_URL=url, CRM_JWT_SECRET=BENCH_SECRET)
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.config import get_settings
    from app.db import Database
    from app.uow import Runner
    from schema.build import schema
    from schema.context import Context

    settings = get_settings()
    runner = Runner(Database(url))
    principal = Principal(user_id=ADMIN_ID, role=Role.ADMIN)

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
