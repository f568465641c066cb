"""The writers of one database, started on first use, and `write_in_session`, the background
writers' way to write through them.

A `Database` holds engines only (app/persistence/db.py). Its SQLite writers — the
group-commit thread (sqlite/writer.py), the writer process (sqlite/process.py) and the WAL
checkpointer beside them (sqlite/checkpoint.py) — are a `Writers`, which `writers(db)`
attaches to it on first use: this module imports db.py and the writers, none of them
imports it, so the package has no import cycle (docs/architecture.md#the-sqlite-writer).
Creating a `Writers` starts nothing: the thread, the process and the checkpointer start
with the first write that needs them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from app.persistence.db import Database
from app.persistence.sqlite.checkpoint import Checkpointer
from app.persistence.sqlite.process import WriterProcess
from app.persistence.sqlite.writer import GroupWriter, session_unit

T = TypeVar("T")
_ATTACH = threading.Lock()


class Writers:
    """The writers of one database: a writer thread (every write with
    CRM_SQLITE_WRITER=thread, and a PostgreSQL database's in tests), the writer process
    (CRM_SQLITE_WRITER=process, the default) and, on SQLite, the checkpointer that runs
    beside either."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._thread: GroupWriter | None = None
        self._process: WriterProcess | None = None
        self.checkpointer: Checkpointer | None = None
        self._lock = threading.Lock()

    @property
    def thread(self) -> GroupWriter:
        """The SQLite writer thread of this process: every write with
        CRM_SQLITE_WRITER=thread."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = GroupWriter(self.db.write_engine)
                    self._start_checkpointer()
        return self._thread

    @property
    def process(self) -> WriterProcess:
        """The SQLite writer process `Runner.write` sends units of work to (the default)."""
        if self._process is None:
            with self._lock:
                if self._process is None:
                    self._process = WriterProcess(self.db.url, self.db.keyring)
                    self._start_checkpointer()
        return self._process

    @property
    def running_process(self) -> WriterProcess | None:
        """The writer process, if this process uses one (CRM_SQLITE_WRITER=process)."""
        return self._process

    @property
    def stats(self) -> dict[str, int]:
        """Groups committed and units in them, and units run alone, by both writers."""
        stats = {"groups": 0, "grouped_units": 0, "alone": 0}
        for writer in (self._thread, self._process):
            if writer is not None:
                for key in stats:
                    stats[key] += writer.stats[key]
        return stats

    @property
    def depth(self) -> int:
        """Writes waiting for (or in) either writer: the metrics' writer queue depth."""
        return sum(w.depth for w in (self._thread, self._process) if w is not None)

    def _start_checkpointer(self) -> None:
        if self.db.is_sqlite and self.checkpointer is None:
            self.checkpointer = Checkpointer(self.db.url)
            self.checkpointer.start()

    def close(self) -> None:
        """Finish the queued writes and stop the writers and the checkpointer thread. A
        later write starts a writer again."""
        if self._process is not None:
            self._process.close()
        if self._thread is not None:
            self._thread.close()
        if self.checkpointer is not None:
            self.checkpointer.close()


def writers(db: Database) -> Writers:
    """The writers of `db`, attached on first use (`db.dispose()` closes them)."""
    attached = db.writers
    if attached is None:
        with _ATTACH:
            if db.writers is None:
                db.writers = Writers(db)
            attached = db.writers
    return attached


async def write_in_session(db: Database, fn: Callable[..., T], *args: Any) -> T:
    """`fn(session, *args)` in a short write transaction, committed if it returns: for
    background writers that need no unit of work (no audit, no events). On SQLite it
    queues with the requests' units of work: in the writer process when this process runs
    one (then `fn` must be a module-level function and `args` picklable), else on the
    writer thread."""
    if db.is_sqlite and writers(db).running_process is not None:
        return await writers(db).running_process.run_in_session(fn, args)
    unit = functools.partial(session_unit, db.write_engine, fn, args)
    if db.is_sqlite:
        return await writers(db).thread.run(unit)
    return await anyio.to_thread.run_sync(unit, None)
