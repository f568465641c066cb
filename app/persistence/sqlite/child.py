"""The SQLite writer process's side (app/persistence/sqlite/process.py is the server's):
it reads the server's calls from its socket, runs them as units of work of its own group
writer, and sends back their outcomes.

It is persistence only. The process's entry point is the app's (app/writer_child.py, `python
-m app.writer_child FD URL`, named to the server by app/composition.py): a composition root
like the ASGI app and the CLI, it ignores the server's signals, installs the unit of work's
hooks (audit rows, the outbox) and imports every table, then calls `serve` here. So this
module imports no domain, and the package no composition root
(docs/architecture.md#the-sqlite-writer, #layers).
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import functools
import gc
import logging
import os
import pickle
import traceback
from multiprocessing.connection import Connection as Pipe
from typing import Any

from sqlalchemy import Connection, event

from app.errors import DomainError
from app.persistence.counting import StatementCounter
from app.persistence.crypto import DATA_KEY_VARIABLE, keyring_from
from app.persistence.db import Database
from app.persistence.sqlite.process import PICKLE, WriteCall, WriterError
from app.persistence.sqlite.writer import GroupWriter, Job, session_unit
from app.persistence.uow import Runner

log = logging.getLogger(__name__)

_NOTE = "in the SQLite writer process:\n"


class ChildWriter(GroupWriter):
    """The child's group writer. It reads its calls from the socket itself, between units,
    in the one thread that runs them: a reader thread of its own woke for every call and
    took the GIL from the units each time (a thread switch per call, ~7% of the child's
    CPU, measured). The server's messages wait in the socket meanwhile; they are read as
    soon as the unit running ends. Outcomes go back through the socket, one message a
    group."""

    def __init__(self, db: Database, pipe: Pipe) -> None:
        super().__init__(db.write_engine)
        self.db = db
        self.pipe = pipe
        self.runners: dict[int, Runner] = {}
        self.ready: collections.deque[Job | None] = collections.deque()
        self.stopping = False

    def serve(self) -> None:
        """Until told to close or the server is gone; what was sent is run and answered."""
        self.send([])  # ready
        self._loop()

    # Jobs from the socket -------------------------------------------------------------
    def _take(self) -> Job | None:
        while not self.ready:
            self._receive(block=True)
        return self.ready.popleft()

    def _waiting(self) -> bool:
        if not self.ready:
            self._receive(block=False)
        return bool(self.ready)

    def _stop_after_group(self) -> None:
        self.ready.appendleft(None)

    def _receive(self, block: bool) -> None:
        """Every message the socket holds (with `block`: at least one) as jobs; a stop
        once told to close or the server is gone."""
        while not self.stopping and (block or self.pipe.poll()):
            block = False
            try:
                message = pickle.loads(self.pipe.recv_bytes())
            except (EOFError, OSError):  # the server is gone
                message = ("close",)
            if message[0] == "close":
                self.stopping = True
                self.ready.append(None)
            elif message[0] == "settings":
                _, token, settings = message
                self.runners[token] = Runner(self.db, settings=settings)
            else:
                self._job(*message)

    def _job(self, kind: str, call_id: int, token: int | None, data: bytes) -> None:
        try:
            call = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001  e.g. a function this side cannot import
            self.send([(call_id, *_portable(False, exc))])
            return
        if kind == "session":
            unit = functools.partial(session_unit, self.db.write_engine, *call)
        else:
            unit = functools.partial(_run_call, self.runners[token], call)
        self.ready.append(Job(unit, contextvars.copy_context(), call_id))

    # Outcomes -------------------------------------------------------------------------
    def _deliver(self, jobs: list[Job]) -> None:
        try:
            portable: dict[int, tuple[bool, bytes]] = {}  # a group's failure: pickled once
            self.send([(job.caller, *_once(portable, job.outcome)) for job in jobs])
        except BaseException:  # the server would wait forever: let it see this child end
            log.exception("the SQLite writer process cannot answer")
            os._exit(1)

    def send(self, answers: list[tuple[int, bool, bytes]]) -> None:
        message = pickle.dumps((dict(self.stats), answers), PICKLE)
        with contextlib.suppress(OSError):  # the caller is gone
            self.pipe.send_bytes(message)


def _once(portable: dict[int, tuple[bool, bytes]], outcome: tuple[bool, Any]
          ) -> tuple[bool, bytes]:
    ok, value = outcome
    if ok:
        return _portable(ok, value)
    if id(value) not in portable:
        portable[id(value)] = _portable(ok, value)
    return portable[id(value)]


def _portable(ok: bool, value: Any) -> tuple[bool, bytes]:
    """`value` pickled so that the caller can read it; if it cannot be, a WriterError
    saying what it was. An unexpected exception carries its traceback from here as a note
    (tracebacks are not pickled)."""
    try:
        if not ok:
            notes = getattr(value, "__notes__", ())
            if not isinstance(value, DomainError) and not any(
                    n.startswith(_NOTE) for n in notes):
                value.add_note(_NOTE + "".join(traceback.format_exception(value)))
            data = pickle.dumps(value, PICKLE)
            pickle.loads(data)  # an exception may pickle and still not rebuild
            return ok, data
        return ok, pickle.dumps(value, PICKLE)
    except Exception as exc:  # noqa: BLE001  told to the caller instead
        what = f"{type(value).__name__}: {value}" if not ok else f"a {type(value).__name__}"
        return False, pickle.dumps(WriterError(
            f"the SQLite writer could not send back {what} ({exc!r})"), PICKLE)


def _run_call(runner: Runner, call: WriteCall, group: Connection | None
              ) -> tuple[Any, list, list[str]]:
    # Listening only while asked: a listener on every statement costs the writer ~5%.
    counter = StatementCounter(limit=None) if call.count else None
    if counter is not None:
        event.listen(runner.db.write_engine, "before_cursor_execute", counter)
    try:
        result, events = runner._write_sync(  # noqa: SLF001  the unit of work itself
            call.fn, call.principal, call.request_id, call.args, call.kwargs, group,
            deadline=call.deadline)
    finally:
        if counter is not None:
            event.remove(runner.db.write_engine, "before_cursor_execute", counter)
    # a failed unit's statements are not sent, nor its rows
    return result, events, [] if counter is None else counter.statements


def serve(fd: int, url: str) -> None:
    """Serve the server at the other end of socket `fd` until it closes this process or goes
    away. The entry point has set the process up first (its signals, the unit of work's
    hooks, every table imported: app/writer_child.py)."""
    pipe = Pipe(fd)
    # the server's keyring, from the environment it started this process with (process.py)
    keyring = keyring_from(os.environ.get(DATA_KEY_VARIABLE))
    # no checkpointer here: the server runs it (sqlite/writers.py)
    db = Database(url, keyring=keyring)
    writer = ChildWriter(db, pipe)
    # What is alive now (modules, mappers, compiled statements) lives as long as the process:
    # kept out of the collector's full passes, which otherwise walk it all every few seconds
    gc.freeze()
    try:
        writer.serve()
    finally:
        db.dispose()
        pipe.close()
