"""Engines for the embedded (SQLite) and production (PostgreSQL) databases, and nothing
else (docs/architecture.md#layers): what runs on them sits above this module and
imports it, never the reverse, so the package has no import cycle. The SQLite writers
(group-commit thread, writer process, checkpointer) are attached to a `Database` on first
use by app/persistence/sqlite/writers.py; background tasks are
app/persistence/background.py; statement counting app/persistence/counting.py.

Each unit of work runs whole in one worker thread on a synchronous session: one thread
hand-off per transaction, not one per statement. SQLite writers are serialized twice
over: a one-connection write pool inside the process and `BEGIN IMMEDIATE` across
processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url

from app.persistence import crypto
from app.persistence.counting import StatementCounter
from app.persistence.deadline import clear_progress_handler, reset_begin, timed_out
from app.persistence.fast.driver import run_driver_sql
from app.persistence.fast.pg import commit_pending, drop_pending
from app.persistence.limits import DbLimits
from app.persistence.sqlite.checkpoint import BACKSTOP_PAGES


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


def json_dumps(value: Any) -> str:
    """JSON columns (audit snapshots, history details, outbox payloads, ...) through orjson:
    several per unit of work, ~5x cheaper than the stdlib encoder. Non-string keys become
    strings, as with `json.dumps`."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON_CODEC = {"json_serializer": json_dumps, "json_deserializer": orjson.loads}


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

    if not immediate:  # reads may carry a request's deadline (app/persistence/deadline.py)
        event.listen(engine, "checkin", clear_progress_handler)

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The read and write engines of one database."""

    def __init__(self, url: str, *, count_statements: bool = False,
                 keyring: crypto.Keyring | None = None,
                 limits: DbLimits | None = None) -> None:
        """`count_statements`: keep `counter` up to date (tests assert statement counts with
        it). Off by default: a listener on every statement costs the SQLite writer ~5%.
        `keyring`: personal data encrypted at rest (docs/architecture.md#personal-data-at-rest);
        None: stored as plain text. `limits`: the pool and timeouts (PostgreSQL's pool and
        statement timeout; every database's transaction timeout, applied by `Runner`)."""
        self.url = normalize_url(url)
        self.limits = limits or DbLimits()
        self.keyring = keyring
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            self.write_engine = _sqlite_engine(self.url, immediate=True, pool_size=1)
            self.read_engine = _sqlite_engine(self.url, immediate=False, pool_size=8)
        else:
            # no ping at every checkout (a round trip each): a connection found dead by its
            # statement's error invalidates the pool, whose connections are then replaced
            # at their next checkout (docs/architecture.md#faults)
            self.write_engine = create_engine(
                self.url, pool_size=self.limits.pool_size,
                max_overflow=self.limits.max_overflow,
                pool_timeout=self.limits.pool_timeout_seconds, pool_pre_ping=False,
                connect_args=self.limits.connect_args(), **JSON_CODEC
            )
            self.read_engine = self.write_engine
            event.listen(self.write_engine, "checkin", reset_begin)
            event.listen(self.write_engine, "commit", commit_pending)
            event.listen(self.write_engine, "rollback", drop_pending)
        for engine in {self.write_engine, self.read_engine}:
            crypto.install(engine, keyring)
            event.listen(engine, "handle_error", timed_out)  # an aborted statement: TIMEOUT
        self.counter = StatementCounter()
        # Told the statements the writer process ran for this process's callers (the
        # engines' statement events fire there, not here).
        self.remote_statement_listeners: list[Callable[[list[str]], None]] = []
        if count_statements:
            for engine in {self.write_engine, self.read_engine}:
                event.listen(engine, "before_cursor_execute", self.counter)
            self.remote_statement_listeners.append(self.counter.add)
        # The SQLite writers are no engines: app/persistence/sqlite/writers.py attaches them
        # here on first use (a `Writers`), and `dispose` closes them.
        self.writers: Any = None

    @property
    def counts_remote(self) -> bool:
        return bool(self.remote_statement_listeners)

    def count_remote(self, statements: list[str]) -> None:
        for listener in self.remote_statement_listeners:
            listener(statements)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def ping(self) -> bool:
        with self.read_engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    def dispose(self) -> None:
        """Close the writers attached (finishing what they were given), then the engines."""
        if self.writers is not None:
            self.writers.close()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
