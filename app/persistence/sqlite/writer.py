"""The SQLite writer: one thread runs every unit of work, committing them in groups. By
default that thread lives in a process of its own (app/persistence/sqlite/process.py and
child.py), which runs the background writers' transactions too. Which writer a database
uses, and starting it on first use: app/persistence/sqlite/writers.py. This module knows
engines and sessions only, so every other writer module can build on it
(docs/architecture.md#the-sqlite-writer).

SQLite has one writer at a time, so units of work queue for one dedicated thread
instead of parking worker threads on a one-connection pool. A commit costs about
0.3 ms on its own (the WAL frames of every page the transaction dirtied), which
is 15% of an order's write path. Units of work that queued while the thread was
busy therefore run together in one transaction, each in its own savepoint (group
commit): a unit that fails rolls back to its savepoint alone, and a commit
writes the shared pages (table tails, indexes, the outbox) once for the group.

Nobody hears of a unit's outcome before the group's commit: its result, and the
events it publishes afterwards, wait for the commit; if the commit fails, every
unit of the group gets that failure. A unit that runs alone has no savepoint.

Like anyio's threads, a cancelled caller does not stop a queued or running unit
of work; its events then reach subscribers through the outbox relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlmodel import Session

T = TypeVar("T")

# A group ends at this many units or once it has run this long: the first unit's
# caller waits for the group's commit.
MAX_GROUP = 32
MAX_GROUP_SECONDS = 0.02

# unit(connection) runs one unit of work in a savepoint of the group's transaction on
# `connection`; unit(None) runs it alone in a transaction of its own.
Unit = Callable[[Connection | None], Any]


class GroupAborted(Exception):
    """Raised by a unit whose savepoint could not be released or rolled back: the group's
    transaction is in an unknown state, so the whole group is rolled back and fails."""


@dataclass
class Job:
    unit: Unit
    context: contextvars.Context
    # who hears of the outcome: (event loop, future) here; a call id in the writer process
    caller: Any
    outcome: tuple[bool, Any] = field(default=(False, None))  # (ok, result or exception)


def settle(future: asyncio.Future, ok: bool, value: Any) -> None:
    """Runs on the caller's event loop."""
    if future.done():  # cancelled meanwhile: the outcome is nobody's
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _settle(jobs: list[Job]) -> None:
    for job in jobs:
        settle(job.caller[1], *job.outcome)


def hand_over(items: Iterable[tuple[asyncio.AbstractEventLoop, T]],
              callback: Callable[[list[T]], Any]) -> None:
    """`callback(items of one loop)` on each caller's loop: one wake-up per event loop, not
    one per item (each wake-up is a GIL hand-over). A closed loop has nobody to tell."""
    by_loop: dict[asyncio.AbstractEventLoop, list[T]] = {}
    for loop, item in items:
        by_loop.setdefault(loop, []).append(item)
    for loop, batch in by_loop.items():
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(callback, batch)


async def wait_for(future: asyncio.Future) -> Any:
    """The outcome; a cancelled caller leaves the unit running (its outcome is dropped)."""
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        raise


class GroupWriter:
    """Runs `unit(connection)` callables in one thread, grouped into transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # groups committed and the units in them; units run alone, however they ended
        self.stats = {"groups": 0, "grouped_units": 0, "alone": 0}

    async def run(self, unit: Unit) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.submit(Job(unit, contextvars.copy_context(), (loop, future)))
        return await wait_for(future)

    @property
    def depth(self) -> int:
        """Units queued and not yet taken (the metrics' writer queue depth)."""
        return self._queue.qsize()

    def submit(self, job: Job) -> None:
        self._ensure_thread()
        self._queue.put(job)

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="crm-writer",
                                                    daemon=True)
                    self._thread.start()

    # Where jobs come from: the queue (the writer process reads its socket instead).
    def _take(self) -> Job | None:
        """The next job, waiting for one; None: stop."""
        return self._queue.get()

    def _waiting(self) -> bool:
        return not self._queue.empty()

    def _take_waiting(self) -> Job | None | bool:
        """The next job if one is waiting (None: stop), else False (only this thread takes)."""
        return self._take() if self._waiting() else False

    def _stop_after_group(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        while True:
            job = self._take()
            if job is None:
                return
            if self._waiting():
                self._run_group(job)
            else:
                self._run_alone(job)

    def _run_alone(self, job: Job) -> None:
        try:
            job.outcome = (True, job.context.run(job.unit, None))
        except BaseException as exc:  # noqa: BLE001  the caller gets it
            job.outcome = (False, exc)
        self.stats["alone"] += 1
        self._deliver([job])

    def _run_group(self, first: Job) -> None:
        group = [first]
        try:
            with self.engine.connect() as conn:
                conn.begin()  # BEGIN IMMEDIATE (app.persistence.db)
                started = time.perf_counter()
                self._run_in(conn, first)
                while (len(group) < MAX_GROUP
                       and time.perf_counter() - started < MAX_GROUP_SECONDS):
                    job = self._take_waiting()
                    if job is False:
                        break
                    if job is None:  # close(): finish this group, then stop
                        self._stop_after_group()
                        break
                    group.append(job)
                    self._run_in(conn, job)
                conn.commit()
            self.stats["groups"] += 1
            self.stats["grouped_units"] += len(group)
        except BaseException as exc:  # noqa: BLE001  nothing of the group was committed
            failure = exc.__cause__ if isinstance(exc, GroupAborted) and exc.__cause__ else exc
            for job in group:
                job.outcome = (False, failure)
        self._deliver(group)

    @staticmethod
    def _run_in(conn: Connection, job: Job) -> None:
        """A unit's own failure stays its own (its savepoint is rolled back by the unit)."""
        try:
            job.outcome = (True, job.context.run(job.unit, conn))
        except GroupAborted:
            raise
        except Exception as exc:  # noqa: BLE001  the caller gets it
            job.outcome = (False, exc)

    def _deliver(self, jobs: list[Job]) -> None:
        hand_over(((job.caller[0], job) for job in jobs), _settle)


# Sessions on the writer ------------------------------------------------------------

def open_session(engine: Engine, group: Connection | None, cls: type[Session] = Session,
                 ) -> Session:
    """A session with a transaction of its own, or in a savepoint of `group`."""
    if group is None:
        return cls(engine, expire_on_commit=False)
    return cls(bind=group, join_transaction_mode="create_savepoint", expire_on_commit=False)


def end_session(session: Session, group: Connection | None, *, commit: bool) -> None:
    """Commit or roll back; in a group, a savepoint that cannot be ended leaves the group's
    transaction in an unknown state, so the whole group must be rolled back."""
    if group is None:
        session.commit() if commit else session.rollback()
        return
    try:
        session.commit() if commit else session.rollback()
    except Exception as exc:
        raise GroupAborted("a savepoint of the group could not be ended") from exc


def session_unit(engine: Engine, fn: Callable[..., T], args: tuple,
                 group: Connection | None) -> T:
    with open_session(engine, group) as session:
        try:
            result = fn(session, *args)
        except BaseException:
            end_session(session, group, commit=False)
            raise
        end_session(session, group, commit=True)
    return result
