"""A database that cannot be reached, told apart from a statement that failed
(docs/architecture.md#faults).

`Runner` (app/persistence/uow.py) passes every read's and unit of work's failure through
`translate`: a lost or refused connection (PostgreSQL down or restarting, a server that
ends its sessions), or no pool connection free within the pool timeout, becomes
`ServiceUnavailable`, which the API answers as SERVICE_UNAVAILABLE instead of a masked
internal error. SQLAlchemy has already invalidated the pool on a lost connection (every
connection older than the failure is replaced at its next checkout), so the requests after
the database returns get fresh ones: the app recovers without a restart.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.errors import ServiceUnavailable

# PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting
# down), too_many_connections; every connection_exception (class 08)
_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached, rather than that a statement
    failed (a constraint, a deadlock, a cancelled statement: those keep their meaning)."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # SQLAlchemy recognised a lost connection
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state in _UNAVAILABLE or state.startswith("08")
    # psycopg's OperationalError without a state: the connection could not be opened
    # (refused, timed out) or broke mid-statement. SQLite's carry no sqlstate and mean a
    # statement's failure (locked, disk I/O): left as they are.
    return type(orig).__module__.startswith("psycopg") and \
        type(orig).__name__ == "OperationalError"


def translate(exc: BaseException) -> BaseException:
    """`ServiceUnavailable` for an unreachable database, `exc` itself otherwise."""
    if not unavailable(exc):
        return exc
    if isinstance(exc, PoolTimeout):
        return ServiceUnavailable("no database connection became free in time; "
                                  "try again shortly")
    return ServiceUnavailable()
