"""Per-request dataloaders: every relation resolves in one batched query per level.

Domains register fetch functions `fn(session, keys) -> {key: value}` under a
name; each request gets fresh DataLoaders, so nothing is cached across users.

Every value a batch loads is also kept by key, so that a relation whose value is
already here resolves synchronously (`Loaders.resolve`): no coroutine, no future,
no task. List resolvers load the relations their selection asks for ahead of time
(schema/loading/prefetch.py), which makes the nested relation fields of a page plain
synchronous look-ups. A relation nobody loaded ahead still goes through its
dataloader, batched as before. Everything queued in the same event-loop turn (the
batches of all loaders, the look-ahead loads, a list's own query) shares one
worker-thread hand-off and one session, and an API object converted from a row is
built once per request (`Loaders.cached`).

Measured (README "Performance"): the orders page runs 6 SQL statements at 10, 50 or 100
orders and the deep analyst query 9 (tests/schema/test_spa_sql_counts.py guards both);
one hand-off per list and relation levels is among the changes that took S1 from 4.1-4.7
to 1.4-1.5 us of GraphQL CPU per field.

Upstream: written against aiodataloader 0.4.3, strawberry-graphql 0.341.2 and
graphql-core 3.3.2; it overrides nothing.
- Relies on aiodataloader's `DataLoader(batch_load_fn, max_batch_size=...)` and `load`
  (keys queued in one event-loop turn reach one call of the batch function).
- Relies on graphql-core taking a resolver's plain value as it is and awaiting an
  awaitable one (`Executor.execute_field` / `complete_value`), which is what lets
  `Loaders.resolve` answer synchronously when the value is loaded.
Why: docs/architecture.md#loading.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from aiodataloader import DataLoader
from sqlmodel import Session

from app.auth.principal import Principal
from app.persistence.outage import translate
from app.persistence.uow import Runner

Fetch = Callable[[Session, Sequence[Any]], dict[Hashable, Any]]
Job = Callable[[Session], Any]  # work for the shared hand-off, run in a worker thread
_REGISTRY: dict[str, tuple[Fetch, Any]] = {}
MISSING: Any = object()  # "not loaded yet" (None is a loaded value: no such row)
MAX_BATCH = 5000  # keys per statement


Primes = Callable[[dict[Hashable, Any]], dict[str, dict[Hashable, Any]]]
_PRIMES: dict[str, Primes] = {}


def register_loader(name: str, fetch: Fetch, *, default: Any = None,
                    primes: Primes | None = None) -> None:
    """`default` is returned for keys the fetch leaves out (None, or [] for to-many).

    `primes(found)` names rows a batch brought along for other loaders ({loader: {key:
    row}}), e.g. the warehouses joined to stock levels: those loaders then need no query.
    """
    _REGISTRY[name] = (fetch, default)
    if primes is not None:
        _PRIMES[name] = primes


def _run_jobs(session: Session, jobs: list[Job]) -> list[Any]:
    """Run the jobs of one hand-off in one session; a failure is returned, not raised, so
    that it reaches only the caller that queued that job."""
    out: list[Any] = []
    for job in jobs:
        try:
            out.append(job(session))
        except Exception as exc:  # handed to that job's future
            session.rollback()  # PostgreSQL refuses further statements in a failed transaction
            out.append(translate(exc))  # an unreachable database: SERVICE_UNAVAILABLE
    return out


class Loaders:
    def __init__(self, runner: Runner, principal: Principal | None) -> None:
        self._runner = runner
        self._principal = principal
        self._pending: list[tuple[Job, asyncio.Future]] = []
        self._loaders: dict[str, DataLoader] = {}
        self._tasks: set[asyncio.Task] = set()  # running flushes (kept referenced)
        self._values: dict[str, dict[Hashable, Any]] = {}  # what each loader has loaded
        self._objects: dict[tuple[Any, Hashable], Any] = {}  # converted, by (kind, key)
        self._groups: dict[Any, tuple[list[Any], asyncio.Future]] = {}  # see `together`
        self.deadline: float | None = None  # the request's (Context.start_budget)
        self.admission: Any = None  # awaited before reading (Context.admit_after)

    def get(self, name: str) -> DataLoader:
        loader = self._loaders.get(name)
        if loader is None:
            fetch, default = _REGISTRY[name]
            loader = DataLoader(self._batch(name, fetch, default), max_batch_size=MAX_BATCH)
            self._loaders[name] = loader
        return loader

    def load(self, name: str, key: Hashable) -> Any:
        """An awaitable of the value of `key` (loaded ahead, or batched now)."""
        value = self.peek(name, key)
        if value is MISSING:
            return self.get(name).load(key)
        future = asyncio.get_running_loop().create_future()
        future.set_result(value)
        return future

    def peek(self, name: str, key: Hashable) -> Any:
        """The loaded value of `key`, or MISSING."""
        values = self._values.get(name)
        return MISSING if values is None else values.get(key, MISSING)

    def prime(self, name: str, key: Hashable, value: Any) -> None:
        self._values.setdefault(name, {}).setdefault(key, value)

    def fill(self, session: Session, name: str, keys: Iterable[Hashable]) -> None:
        """Load, in this session, the keys of `name` not loaded yet (in a worker thread:
        the look-ahead loads of schema/loading/prefetch.py). A failure is raised to the caller."""
        fetch, default = _REGISTRY[name]
        loaded = self._values.get(name, {})
        wanted = [k for k in dict.fromkeys(keys) if k is not None and k not in loaded]
        for at in range(0, len(wanted), MAX_BATCH):
            chunk = wanted[at:at + MAX_BATCH]
            self._store(name, chunk, fetch(session, chunk), default)

    def _store(self, name: str, keys: Sequence[Hashable], found: dict[Hashable, Any],
               default: Any) -> list[Any]:
        """Keep a batch's values (and the rows it brought for other loaders) by key."""
        primes = _PRIMES.get(name)
        if primes is not None:
            for other, rows in primes(found).items():
                for key, row in rows.items():
                    self.prime(other, key, row)
        is_list = isinstance(default, list)
        out = [found.get(k, []) if is_list else found.get(k, default) for k in keys]
        values = self._values.setdefault(name, {})
        for key, value in zip(keys, out, strict=True):
            values.setdefault(key, value)
        return out

    def resolve(self, name: str, key: Hashable, convert: Callable[[Any], Any]) -> Any:
        """`convert(value)` now when the value is loaded, else an awaitable of it.

        A relation field returns this directly from a plain `def` resolver: graphql-core
        awaits an awaitable result, and takes a loaded one as it is. A to-one value that
        is None (no such row) stays None.
        """
        values = self._values.get(name)
        value = MISSING if values is None else values.get(key, MISSING)
        if value is MISSING:
            return self._later(name, key, convert)
        return None if value is None else convert(value)

    async def _later(self, name: str, key: Hashable, convert: Callable[[Any], Any]) -> Any:
        value = await self.load(name, key)
        return None if value is None else convert(value)

    def one(self, name: str, key: Hashable | None, cls: Any) -> Any:
        """A to-one relation as a `cls` object (None when there is no such row)."""
        if key is None:
            return None
        values = self._values.get(name)
        row = MISSING if values is None else values.get(key, MISSING)
        if row is MISSING:
            return self._later(name, key, self._converter(cls))
        return None if row is None else self.cached(cls, row)

    def cached(self, cls: Any, row: Any) -> Any:
        """`cls.from_row(row)`, built once per request and row: a product on 50 lines, or
        a warehouse on 1,500 stock levels, is converted once."""
        obj = self._objects.get((cls, row.id), MISSING)
        if obj is MISSING:
            obj = self._objects[cls, row.id] = cls.from_row(row)
        return obj

    def _converter(self, cls: Any) -> Callable[[Any], Any]:
        return lambda row: self.cached(cls, row)

    def run(self, job: Job) -> asyncio.Future:
        """`job(session)` in a worker thread, in the hand-off (and session) shared by
        everything queued in this event-loop turn: e.g. an order page's customers, lines
        and shipments, or a list's query and the look-ahead loads of its page."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)
        return future

    def together(self, job: Callable[[Session, Loaders, list[Any]], Any], item: Any
                 ) -> asyncio.Future:
        """`job(session, self, items)` once for all the items queued with the same `job` in
        this event-loop turn (e.g. the look-ahead loads of several customers' order pages,
        so that each relation level is still one statement for all of them)."""
        group = self._groups.get(job)
        if group is None:
            items: list[Any] = []
            group = self._groups[job] = (
                items, self.run(lambda session: job(session, self, items)))
        group[0].append(item)
        return group[1]

    def _read(self, fetch: Fetch, keys: list[Hashable]) -> asyncio.Future:
        return self.run(lambda session: fetch(session, keys))

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        self._groups.clear()  # later items start a new group
        task = asyncio.ensure_future(self._run(pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, pending: list[tuple[Job, asyncio.Future]]) -> None:
        try:
            if self.admission is not None:
                await self.admission
            results = await self._runner.read(_run_jobs, [job for job, _ in pending],
                                              deadline=self.deadline)
        except asyncio.CancelledError:
            for _, future in pending:
                future.cancel()
            raise
        except Exception as exc:  # e.g. no connection: every job fails with it
            results = [exc] * len(pending)
        for (_job, future), result in zip(pending, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _batch(self, name: str, fetch: Fetch, default: Any):  # noqa: ANN202
        # A weak reference: the loader is held by `self`, and a cycle would leave the
        # request's loaded rows to the cyclic garbage collector.
        owner = weakref.ref(self)

        async def batch(keys: list[Hashable]) -> list[Any]:
            loaders, keys = owner(), list(keys)  # alive: its request awaits this batch
            return loaders._store(name, keys, await loaders._read(fetch, keys), default)

        return batch
