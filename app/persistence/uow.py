"""Units of work: one transaction (or, on SQLite, one savepoint of a group commit: see
app/persistence/sqlite/writer.py), run whole in one worker thread.

Services are plain synchronous functions `fn(uow, ...)`; they never commit.
`Runner.write` commits, with the emitted events written to the outbox in the same
transaction, and hands them to the bus after commit.

What a unit writes besides the service's own rows is the app's, not persistence's: the
audit rows and the outbox (domain tables) are written by hooks that the composition roots
install once per process (app/composition.py, called by the ASGI app, the CLI, the SQLite
writer process's entry point and the tests), so that persistence imports no domain and the
table registry is imported by the roots, not here (docs/architecture.md#layers,
#the-unit-of-work):

* `on_audit(hook)`: `uow.audit(...)` calls `hook(uow, action, entity_type, entity_id,
  before, after)` there and then. It defers the row (app/persistence/fast/bulk.py), so a
  savepoint rolled back drops it, a unit that fails but keeps its writes keeps it, and the
  deferred tables are written in the order they were first used, as before the hooks;
* `before_commit(hook)`: `hook(uow)` runs once the service has returned, before commit, in
  the order installed (a plain loop over a short list: the write path's cost is a call
  each). The outbox's is the last: it writes the deferred rows, then appends `uow.events`
  and sets `uow.to_publish`, the events with their outbox ids, which `Runner` hands to the
  bus after commit.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple, ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

from app.config import Settings, get_settings
from app.errors import DomainError
from app.persistence import deadline as budget
from app.persistence import retry
from app.persistence.crypto import Sealed, encrypted_columns
from app.persistence.db import Database
from app.persistence.outage import translate
from app.persistence.sqlite.process import WriteCall
from app.persistence.sqlite.writer import end_session, open_session
from app.persistence.sqlite.writers import writers

P = ParamSpec("P")
T = TypeVar("T")

_FIELDS: dict[type, tuple[str, ...]] = {}
_PLAIN = frozenset({str, int, float, bool, type(None)})  # JSON-safe as they are


def snapshot(obj: SQLModel | None, *, exclude: set[str] | None = None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row for audit before/after (its columns, in field order)."""
    if obj is None:
        return None
    names = _FIELDS.get(type(obj))
    if names is None:
        names = _FIELDS[type(obj)] = tuple(type(obj).model_fields)
    skip = {"password_hash"} | (exclude or set())  # never a password hash
    data = obj.__dict__  # loaded values; an expired one is read (and loaded) by getattr
    out: dict[str, Any] = {}
    for key in names:
        if key in skip:
            continue
        value = data[key] if key in data else getattr(obj, key)
        if type(value) in _PLAIN:  # most columns: no conversion, no isinstance chain
            out[key] = value
            continue
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, Enum):
            value = value.value
        out[key] = value
    encrypted = encrypted_columns(type(obj))
    for key in encrypted:  # stored as the row stores them (app/persistence/crypto.py)
        value = out.get(key)
        if isinstance(value, str):
            out[key] = Sealed(value)
    return out


class WriteSession(Session):
    """The session of a unit of work. It keeps every object it loads until the
    unit of work ends (the identity map alone holds them weakly), so looking the
    same row up again later in the transaction (e.g. the customer when planning
    notifications) is an identity-map hit, not another SELECT. As always with an
    identity map, a row changed by a Core UPDATE (the stock ledger) is read fresh
    only with `populate_existing`."""


@event.listens_for(WriteSession, "loaded_as_persistent")
# detached_to_persistent: fast/objects.py attach, insert
@event.listens_for(WriteSession, "detached_to_persistent")
def _keep_loaded(session: Session, instance: object) -> None:
    session.info.setdefault("crm_loaded", []).append(instance)


class ReadSession(Session):
    """The session of a read (`Runner.read`)."""


# a request's deadline on every transaction these sessions begin (`deadline.bound`)
budget.watch(ReadSession, WriteSession)


class Emitted(NamedTuple):
    """An event a unit of work emitted (`uow.emit`), not yet stored: the outbox's hook
    stores it and makes it the event the bus carries (app/events/bus.py)."""

    topic: str
    payload: dict[str, Any]


# The hooks installed (app/composition.py): see the module's docstring.
_BEFORE_COMMIT: list[Callable[[UnitOfWork], None]] = []
_ON_AUDIT: list[Callable[..., None]] = []


def before_commit(hook: Callable[[UnitOfWork], None]) -> None:
    """Run `hook(uow)` before every unit of work commits, after the hooks installed before
    it. Installing a hook twice installs it once."""
    if hook not in _BEFORE_COMMIT:
        _BEFORE_COMMIT.append(hook)


def on_audit(hook: Callable[..., None]) -> None:
    """Call `hook(uow, action, entity_type, entity_id, before, after)` for every
    `uow.audit(...)`. Installing a hook twice installs it once."""
    if hook not in _ON_AUDIT:
        _ON_AUDIT.append(hook)


@dataclass
class UnitOfWork:
    session: Session
    principal: Any = None  # the app's principal (app/auth/principal.py), or None
    request_id: str | None = None
    events: list[Emitted] = field(default_factory=list)
    # the settings of the app running this unit (rules read their limits here, so an app
    # built with its own settings never disagrees with itself: see Runner)
    settings: Settings = field(default_factory=get_settings)
    # what Runner hands to the bus after commit: set by the outbox's before-commit hook
    to_publish: list[Any] = field(default_factory=list)

    @property
    def actor_id(self) -> int | None:
        if self.principal is None or self.principal.is_system:
            return None
        return self.principal.user_id

    def emit(self, topic: str, **payload: Any) -> None:
        self.events.append(Emitted(topic, payload))

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Written with the transaction's other append-only rows just before commit (by
        the audit hook installed: app/composition.py)."""
        for hook in _ON_AUDIT:
            hook(self, action, entity_type, entity_id, before, after)


class Runner:
    """Runs units of work for one database and publishes their events. Its units see the
    settings it was built with (the app's, which housekeeping uses too)."""

    def __init__(
        self,
        db: Database,
        publish: Callable[[list[Any]], Awaitable[None]] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self._publish = publish
        self.settings = settings or get_settings()
        self._writers = writers(db) if db.is_sqlite else None  # started with the first write

    async def write(
        self,
        fn: Callable[..., T],
        *args: Any,
        principal: Any = None,
        request_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> T:
        """`deadline` (a `time.monotonic()` value): the request's time budget
        (app/persistence/deadline.py); past it the unit is refused or rolled back whole.
        An unreachable database raises `ServiceUnavailable` (app/persistence/outage.py)."""
        deadline = self._within_limit(deadline)
        budget.check(deadline)
        try:
            result, events = await self._run_write(fn, args, kwargs, principal, request_id,
                                                   deadline)
        except Exception as exc:
            unavailable = translate(exc)
            if unavailable is exc:
                raise
            raise unavailable from exc
        if events and self._publish is not None:
            await self._publish(events)
        return result

    async def _run_write(self, fn: Callable[..., T], args: tuple, kwargs: dict,
                         principal: Any, request_id: str | None, deadline: float | None
                         ) -> tuple[T, list[Any]]:
        if self._writers is not None and self.settings.sqlite_writer == "process":
            result, events, statements = await self._writers.process.run(WriteCall(
                fn, args, kwargs, principal, request_id, count=self.db.counts_remote,
                deadline=deadline), self.settings)
            if statements:
                self.db.count_remote(statements)
        else:
            unit = functools.partial(self._write_sync, fn, principal, request_id, args, kwargs,
                                     deadline=deadline)
            if self._writers is not None:
                result, events = await self._writers.thread.run(unit)
            else:
                result, events = await anyio.to_thread.run_sync(unit)
        return result, events

    async def read(self, fn: Callable[..., T], *args: Any, deadline: float | None = None,
                   **kwargs: Any) -> T:
        """`fn(session, *args, **kwargs)` in a worker thread; `deadline` and an unreachable
        database as for `write`."""
        deadline = self._within_limit(deadline)
        budget.check(deadline)
        try:
            return await anyio.to_thread.run_sync(self.read_sync, fn, args, kwargs, deadline)
        except Exception as exc:
            unavailable = translate(exc)
            if unavailable is exc:
                raise
            raise unavailable from exc

    def _within_limit(self, deadline: float | None) -> float | None:
        """`deadline`, or the database's transaction timeout from now when that comes first
        (CRM_DB_TRANSACTION_TIMEOUT_MS; docs/architecture.md#faults)."""
        limit = self.db.limits.transaction_timeout_ms
        if not limit:
            return deadline
        own = budget.deadline_after(limit / 1000)
        return own if deadline is None else min(deadline, own)

    def read_sync(self, fn: Callable[..., T], args: tuple, kwargs: dict,
                  deadline: float | None = None) -> T:
        budget.check(deadline)  # it may have waited for a thread
        with ReadSession(self.db.read_engine, expire_on_commit=False) as session:
            budget.bound(session, deadline, self.db.limits.statement_timeout_ms)
            return fn(session, *args, **kwargs)

    def write_sync(self, fn: Callable[..., T], *args: Any, principal: Any = None,
                   deadline: float | None = None, **kwargs: Any) -> T:
        """For the CLI and tests: run a unit of work in this thread, events dropped."""
        return self._write_sync(fn, principal, None, args, kwargs, deadline=deadline)[0]

    def _write_sync(
        self, fn: Callable[..., T], principal: Any, request_id: str | None,
        args: tuple, kwargs: dict, group: Connection | None = None,
        deadline: float | None = None, retrying: bool = False,
    ) -> tuple[T, list[Any]]:
        """One unit of work in a transaction of its own, or, with `group` (the SQLite
        writer's group commit), in a savepoint of the group's transaction. Past `deadline`
        it does not start, or is rolled back whole (app/persistence/deadline.py). A unit
        whose assumption failed (app/persistence/retry.py) runs once more, `retrying`."""
        budget.check(deadline)  # it may have queued for the writer
        with open_session(self.db.write_engine, group, WriteSession) as session:
            if not self.db.is_sqlite:  # never interrupted on the SQLite writer: see deadline.py
                budget.bound(session, deadline, self.db.limits.statement_timeout_ms)
            if retrying:
                retry.mark_retrying(session)
            uow = UnitOfWork(session=session, principal=principal, request_id=request_id,
                             settings=self.settings)
            try:
                result = fn(uow, *args, **kwargs)
                for hook in _BEFORE_COMMIT:
                    hook(uow)
                if retry.pending(session):  # nothing ran them: never commit without them
                    raise RuntimeError("changes kept for the unit's last rows did not run")
                budget.check(deadline)
            except retry.AssumptionFailed:
                end_session(session, group, commit=False)
                if retrying:
                    raise
            except DomainError as exc:
                # e.g. a revoked token family must stay revoked
                end_session(session, group, commit=exc.keep_writes)
                raise
            except BaseException:
                end_session(session, group, commit=False)
                raise
            else:
                end_session(session, group, commit=True)
                return result, uow.to_publish
        return self._write_sync(fn, principal, request_id, args, kwargs, group, deadline,
                                retrying=True)


def flush_unique(session: Session, duplicate: DomainError) -> None:
    """Flush in a savepoint: a concurrent insert that breaks a unique constraint becomes
    `duplicate` (a DUPLICATE userError), not a 500, and the rest of the unit of work stays."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise duplicate from None


# PostgreSQL's deadlock_detected and serialization_failure
_RETRYABLE = frozenset({"40P01", "40001"})


def retryable(exc: BaseException) -> bool:
    """Whether a unit of work failed only because PostgreSQL chose it as a deadlock's victim
    (or as a serialization failure): it committed nothing, so running it again is safe. A
    unit that locks rows of several orders or products in an order it cannot fix in advance
    (a carrier's batch of events) retries on this."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRYABLE
