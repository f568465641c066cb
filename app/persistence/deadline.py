"""The time budget of a request, applied to its reads and writes
(docs/architecture.md#time-budget).

A deadline is an absolute `time.monotonic()` value (None: no budget). The GraphQL layer
sets it when a request starts (`CRM_REQUEST_TIMEOUT_MS`) and hands it to `Runner.read` /
`Runner.write` (app/persistence/uow.py), which apply it here:

* before any work: a unit or read whose deadline has passed (while it waited for a thread,
  or queued for the SQLite writer) is refused with `DeadlineExceeded`, nothing run;
* during a statement, on reads: a progress handler on the SQLite read connection aborts a
  statement past the deadline; on PostgreSQL, reads and writes alike, `SET LOCAL
  statement_timeout` to what is left of the budget;
* after a write's service function, before commit: a unit that ran past its deadline is
  rolled back whole, never committed.

A statement on the SQLite writer is never interrupted: SQLite rolls back the whole
transaction of an interrupted INSERT, UPDATE or DELETE, and the writer's transaction holds
a group of other requests' units (app/persistence/sqlite/writer.py); its units are bounded
by their inputs instead, and by the checks before and after.

Either database's "statement aborted" error becomes `DeadlineExceeded` (`timed_out`, an
engine's handle_error hook), so callers see one error, which the API reports as TIMEOUT.
CLOCK_MONOTONIC is system-wide on POSIX, so a deadline crosses to the writer process as is.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import ExceptionContext
from sqlmodel import Session

from app.errors import DeadlineExceeded

# SQLite VM steps between two looks at the clock: each look takes the GIL (a Python
# callback), so looks are kept to about one a millisecond of SQL work.
PROGRESS_STEPS = 100_000
_INFO = "crm_deadline"  # a session's deadline, in Session.info
_CAP = "crm_statement_cap"  # the connections' statement_timeout (ms; 0: none)
_CANCELLED = "57014"  # PostgreSQL query_canceled: statement_timeout
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open on the connection
monotonic = time.monotonic


def deadline_after(seconds: float | None) -> float | None:
    """The deadline `seconds` from now; None or 0: no budget."""
    return monotonic() + seconds if seconds else None


def check(deadline: float | None) -> None:
    """Raise `DeadlineExceeded` if `deadline` has passed."""
    if deadline is not None and monotonic() >= deadline:
        raise DeadlineExceeded


def bound(session: Session, deadline: float | None, cap_ms: float = 0) -> None:
    """Apply `deadline` to every transaction `session` begins (its first, and those after a
    rollback, as the loaders' shared hand-off does after a failed job). `cap_ms`: the
    connection's own statement timeout (CRM_DB_STATEMENT_TIMEOUT_MS), which a budget with
    more time left than that leaves as it is."""
    if deadline is not None:
        session.info[_INFO] = deadline
        session.info[_CAP] = cap_ms


def _after_begin(session: Session, _transaction: Any, connection: Connection) -> None:
    deadline = session.info.get(_INFO)
    if deadline is None:
        return
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        driver.set_progress_handler(lambda: monotonic() >= deadline, PROGRESS_STEPS)
    else:
        # On the driver: a setting, not a statement of the app's (the statement counters
        # do not see it). At least 1 ms: 0 would turn the timeout off.
        left = max(1, int((deadline - monotonic()) * 1000))
        cap = session.info.get(_CAP) or 0
        try:
            if not cap or left < cap:  # never above the connection's own timeout
                _begin_with_timeout(driver, left)
            elif driver.autocommit and driver.info.transaction_status == _IDLE:
                driver.autocommit = False  # psycopg's own BEGIN again (see below)
        except connection.dialect.loaded_dbapi.Error as error:
            # as `Connection.execute` would: a lost connection invalidates the pool and
            # reaches the caller as SQLAlchemy's error (app/persistence/outage.py)
            connection._handle_dbapi_exception(error, "BEGIN", None, None, None)  # noqa: SLF001


def _begin_with_timeout(driver: Any, left_ms: int) -> None:
    """BEGIN and `SET LOCAL statement_timeout` in one round trip (two statements in one
    simple query), where psycopg would send its own BEGIN and then the SET: the driver is
    put in autocommit mode, so it sends no BEGIN of its own, while its commit() and
    rollback() still end the transaction begun here. `reset_begin` turns autocommit off
    again before anyone else uses the connection (docs/architecture.md#round-trips)."""
    if driver.info.transaction_status == _IDLE and not driver.pgconn.pipeline_status:
        driver.autocommit = True
        driver.execute(f"BEGIN; SET LOCAL statement_timeout = {left_ms}")
    else:  # a transaction already begun
        driver.execute(f"SET LOCAL statement_timeout = {left_ms}")


def reset_begin(dbapi_conn: Any, *_args: Any) -> None:
    """Pool checkin (PostgreSQL): the connection goes back with psycopg beginning its own
    transactions, whoever uses it next."""
    if dbapi_conn is None or dbapi_conn.closed:  # a failed connect, a lost connection
        return
    if dbapi_conn.autocommit and dbapi_conn.info.transaction_status == _IDLE:
        dbapi_conn.autocommit = False


def watch(*session_classes: type[Session]) -> None:
    """Apply the deadline set by `bound` for sessions of these classes."""
    for cls in session_classes:
        if not event.contains(cls, "after_begin", _after_begin):
            event.listen(cls, "after_begin", _after_begin)


def clear_progress_handler(dbapi_conn: Any, _record: Any) -> None:
    """Pool checkin of a SQLite read connection: no handler outlives its session."""
    dbapi_conn.set_progress_handler(None, 0)


def timed_out(context: ExceptionContext) -> None:
    """An engine's handle_error hook: an aborted statement (SQLite's progress handler, or
    PostgreSQL's statement_timeout) is the request's budget running out."""
    orig = context.original_exception
    if (getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT
            or getattr(orig, "sqlstate", None) == _CANCELLED):
        raise DeadlineExceeded from orig
