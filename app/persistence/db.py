"""Engines for the embedded (SQLite) and production (PostgreSQL) databases.

Each unit of work runs whole in one worker thread on a synchronous session
(DESIGN.md "Persistence and speed"): one thread hand-off per transaction, not
one per statement. SQLite writers are serialized twice over: a one-connection
write pool inside the process and `BEGIN IMMEDIATE` across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url

from app.persistence.fast.driver import run_driver_sql
from app.persistence.sqlite.checkpoint import BACKSTOP_PAGES, Checkpointer
from app.persistence.sqlite.writer import GroupWriter

if TYPE_CHECKING:
    from app.persistence.sqlite.process import WriterProcess


def normalize_url(url: str) -> str:
    """Accept plain SQLAlchemy URLs and pick the drivers this app ships with."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def _json_dumps(value: Any) -> str:
    """JSON columns (audit snapshots, history details, outbox payloads, ...) through orjson:
    several per unit of work, ~5x cheaper than the stdlib encoder. Non-string keys become
    strings, as with `json.dumps`."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


class SQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, with savepoints sent straight to the driver. SQLAlchemy runs each one as
    a compiled statement (~80 us measured, for SQLite's ~5), and the SQLite writer runs
    every unit of work in a savepoint of its group's transaction
    (app/persistence/sqlite/writer.py)."""

    supports_statement_cache = True  # compiles as its parent does

    def do_savepoint(self, connection: Any, name: str) -> None:
        run_driver_sql(connection, f"SAVEPOINT {name}")

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        run_driver_sql(connection, f"RELEASE SAVEPOINT {name}")

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        run_driver_sql(connection, f"ROLLBACK TO SAVEPOINT {name}")


registry.register("sqlite.crm", __name__, "SQLiteDialect")


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int) -> Engine:
    engine = create_engine(
        make_url(url).set(drivername="sqlite+crm"),
        **JSON_CODEC,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=pool_size,
        max_overflow=0 if immediate else 4,
        pool_timeout=60,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Take transaction control from the driver so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if immediate:  # the writer's: a backstop for the checkpointer (sqlite/checkpoint.py)
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        conn.exec_driver_sql(begin)

    return engine


# Set in the context of background workers (outbox relay, notification dispatch) so
# that statement counts measure requests only; worker threads inherit the context.
BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("crm_background",
                                                                  default=False)


def spawn_background(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
    """Start a long-running worker task marked as background work."""
    ctx = contextvars.copy_context()
    ctx.run(BACKGROUND.set, True)
    return asyncio.create_task(coro, name=name, context=ctx)


async def stop_background(tasks: list[asyncio.Task]) -> None:
    """Cancel long-running worker tasks and wait until they have ended; what they raise on
    the way out is theirs (each worker logs its own failures)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


@dataclass
class StatementCounter:
    """Counts the SQL statements sent (transaction control excluded)."""

    count: int = 0
    statements: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    limit: int | None = 500  # statements kept (all are counted)

    def reset(self) -> None:
        with self.lock:
            self.count = 0
            self.statements.clear()

    def add(self, statements: list[str]) -> None:
        """Statements run (here, or by the writer process on this one's behalf)."""
        if BACKGROUND.get():
            return
        with self.lock:
            self.count += len(statements)
            room = len(statements) if self.limit is None else self.limit - len(self.statements)
            self.statements.extend(statements[:max(room, 0)])

    def __call__(self, _conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip()[:5].upper() in ("BEGIN", "COMMI", "ROLLB", "SAVEP", "RELEA"):
            return
        self.add([statement])


class Database:
    """The read and write engines of one database."""

    def __init__(self, url: str, *, count_statements: bool = False) -> None:
        """`count_statements`: keep `counter` up to date (tests assert statement counts with
        it). Off by default: a listener on every statement costs the SQLite writer ~5%."""
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            self.write_engine = _sqlite_engine(self.url, immediate=True, pool_size=1)
            self.read_engine = _sqlite_engine(self.url, immediate=False, pool_size=8)
        else:
            self.write_engine = create_engine(
                self.url, pool_size=10, max_overflow=10, pool_pre_ping=True, **JSON_CODEC
            )
            self.read_engine = self.write_engine
        self.counter = StatementCounter()
        self._writer: GroupWriter | None = None
        self._writer_process: WriterProcess | None = None
        self.checkpointer: Checkpointer | None = None  # runs beside the writers
        self._writer_lock = threading.Lock()
        # Told the statements the writer process ran for this process's callers (the
        # engines' statement events fire there, not here).
        self.remote_statement_listeners: list[Callable[[list[str]], None]] = []
        if count_statements:
            for engine in {self.write_engine, self.read_engine}:
                event.listen(engine, "before_cursor_execute", self.counter)
            self.remote_statement_listeners.append(self.counter.add)

    @property
    def writer(self) -> GroupWriter:
        """The SQLite writer thread of this process: every write with
        CRM_SQLITE_WRITER=thread."""
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = GroupWriter(self.write_engine)
                    self._start_checkpointer()
        return self._writer

    @property
    def writer_process(self) -> WriterProcess:
        """The SQLite writer process `Runner.write` sends units of work to (the default)."""
        if self._writer_process is None:
            with self._writer_lock:
                if self._writer_process is None:
                    from app.persistence.sqlite.process import WriterProcess

                    self._writer_process = WriterProcess(self.url)
                    self._start_checkpointer()
        return self._writer_process

    @property
    def running_writer_process(self) -> WriterProcess | None:
        """The writer process, if this process uses one (CRM_SQLITE_WRITER=process)."""
        return self._writer_process

    @property
    def counts_remote(self) -> bool:
        return bool(self.remote_statement_listeners)

    def count_remote(self, statements: list[str]) -> None:
        for listener in self.remote_statement_listeners:
            listener(statements)

    @property
    def writer_stats(self) -> dict[str, int]:
        """Groups committed and units in them, and units run alone, by both writers."""
        stats = {"groups": 0, "grouped_units": 0, "alone": 0}
        for writer in (self._writer, self._writer_process):
            if writer is not None:
                for key in stats:
                    stats[key] += writer.stats[key]
        return stats

    def _start_checkpointer(self) -> None:
        if self.is_sqlite and self.checkpointer is None:
            self.checkpointer = Checkpointer(self.url)
            self.checkpointer.start()

    def close_writer(self) -> None:
        """Finish the queued writes and stop the writers and the checkpointer thread."""
        if self._writer_process is not None:
            self._writer_process.close()
        if self._writer is not None:
            self._writer.close()
        if self.checkpointer is not None:
            self.checkpointer.close()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def ping(self) -> bool:
        with self.read_engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    def dispose(self) -> None:
        if self._writer_process is not None:
            self._writer_process.close()
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
