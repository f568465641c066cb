"""The SQLite writer in a process of its own (`CRM_SQLITE_WRITER=process`, the default).

One Python process computes on one core at a time (the GIL). Placing and approving an
order cost the server ~4.6 ms of CPU, ~3.3 of it in the writer thread (S3, measured), so
the server topped out at one busy core while the machine's second one idled. The writer
needs nothing from the event loop but its calls, so here it runs in a child process: the
event loop keeps one core, the writer gets the other (README "Performance").

`Runner.write` comes here, and so do the background writers' short transactions
(`write_in_session`: outbox marks, notification dispatch, housekeeping), so that the child
is SQLite's only writer: a second one in the server made the child's BEGIN wait on SQLite's
lock, whose busy handler sleeps in steps of 1 to 25 ms (S3 measured 8-37 ms waits several
times a second, the clusters of its p99). A `WriteCall` (a service function, importable by
name, its arguments, the principal and request id) is pickled to the child, which runs it
as a unit of work of its own `GroupWriter` (group commit as on the thread) and pickles back
(result, events, statements) or the exception. Rows come back detached, as from the
thread; the caller publishes the events after commit, as before. A background write is
`fn(session, *args)`, a module-level function and its arguments, pickled the same way.
The outbox relay's recovery, which holds its transaction while it publishes, keeps a
connection of the server's; SQLite's lock (BEGIN IMMEDIATE, busy timeout) orders it.

The child is `python -m app.persistence.sqlite.process` on one end of a socket pair, started with
the
first write (or by `start`), and one thread there both reads the calls and runs them
(`_ChildWriter`). It ends when told, after finishing what it was given, or when
this process goes away (its end of the socket closes). If it dies, the calls in flight
fail with `WriterStopped` and the next call starts a new one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import gc
import itertools
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, event

from app.persistence.db import Database, StatementCounter
from app.persistence.sqlite.writer import (
    GroupWriter,
    Job,
    hand_over,
    session_unit,
    settle,
    wait_for,
)

if TYPE_CHECKING:
    from app.auth.principal import Principal
    from app.config import Settings
    from app.persistence.uow import Runner

log = logging.getLogger(__name__)
T = TypeVar("T")

_PICKLE = pickle.HIGHEST_PROTOCOL
_NOTE = "in the SQLite writer process:\n"


class WriterStopped(RuntimeError):
    """The writer process ended before answering: the call's outcome is unknown (its unit
    committed if the child got as far as the group's commit)."""


class WriterError(RuntimeError):
    """An outcome the writer process could not send as it was (an unpicklable result or
    exception): what it was, by name and message."""


@dataclass(frozen=True)
class WriteCall:
    fn: Any  # a module-level function (pickled by name)
    args: tuple
    kwargs: dict[str, Any]
    principal: Principal | None
    request_id: str | None
    count: bool  # send back the SQL it ran (statement counters are listening)


class WriterProcess:
    """The caller's side: sends calls, hands each answer to its caller's event loop."""

    # after a child that ended before it was ready, the next is started no sooner than this:
    # a child that cannot start must not be tried again for every request
    restart_pause = 1.0

    def __init__(self, url: str) -> None:
        self.url = url
        self.stats = {"groups": 0, "grouped_units": 0, "alone": 0}  # the child's, as sent
        self._lock = threading.Lock()  # starting, sending, the calls in flight
        self._ids = itertools.count(1)
        # call id: (its caller's loop, its future, the pipe of the child that has it)
        self._pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future, Pipe]] = {}
        self._proc: Any = None
        self._pipe: Pipe | None = None
        self._reader: threading.Thread | None = None
        self._settings: dict[int, tuple[Settings, int]] = {}  # id(settings): (them, token)
        self._failed_start: float | None = None  # when a child last ended before it was ready

    async def run(self, call: WriteCall, settings: Settings) -> tuple[Any, list, list[str]]:
        """(result, events, statements) of `call`, run as a unit of work with `settings`."""
        return await self._call("call", call, settings)

    async def run_in_session(self, fn: Callable[..., T], args: tuple) -> T:
        """`fn(session, *args)` in a short write transaction of the child's, committed if it
        returns (app.persistence.sqlite.writer.write_in_session): the background writers' writes,
        so that the
        child is the only writer and never waits on SQLite's lock for the server's."""
        return await self._call("session", (fn, args), None)

    async def _call(self, kind: str, call: Any, settings: Settings | None) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        try:  # refused here, before anything is sent
            message = pickle.dumps(call, _PICKLE)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError("a unit of work for the SQLite writer process crosses pickled: "
                            f"a module-level function and picklable arguments ({exc})") from exc
        with self._lock:
            pipe = self._ensure_started()
            call_id = next(self._ids)
            try:
                token = None if settings is None else self._send_settings(pipe, settings)
                pipe.send_bytes(pickle.dumps((kind, call_id, token, message), _PICKLE))
            except OSError as exc:  # the child is gone: its reader fails the calls in flight
                raise WriterStopped("the SQLite writer process is not running") from exc
            # registered before the reader can see the answer: it takes the lock first
            self._pending[call_id] = (loop, future, pipe)
        return await wait_for(future)

    def _send_settings(self, pipe: Pipe, settings: Settings) -> int:
        """The token the child knows `settings` by, sent first if it does not yet."""
        known = self._settings.get(id(settings))
        if known is None or known[0] is not settings:
            token = len(self._settings) + 1
            pipe.send_bytes(pickle.dumps(("settings", token, settings), _PICKLE))
            known = self._settings[id(settings)] = (settings, token)
        return known[1]

    def start(self) -> None:
        """Start the child now rather than with the first write (it takes ~0.6 s)."""
        with self._lock:
            self._ensure_started()

    def close(self, timeout: float = 60.0) -> None:
        """Let the child finish what it was given, then stop it. As with the writer thread,
        a later write starts another."""
        with self._lock:
            proc, pipe, reader = self._proc, self._pipe, self._reader
            self._proc = self._pipe = self._reader = None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            pipe.send_bytes(pickle.dumps(("close",), _PICKLE))
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout)
        pipe.close()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return None if proc is None else proc.pid

    def _command(self, fd: int) -> list[str]:
        return [sys.executable, "-m", "app.persistence.sqlite.process", str(fd), self.url]

    def _ensure_started(self) -> Pipe:
        # a child that died is forgotten by its reader (_stopped), which sees its end of the
        # socket close; asking the OS about it on every call cost a system call each
        if self._proc is not None:
            return self._pipe
        failed = self._failed_start
        if failed is not None and time.monotonic() - failed < self.restart_pause:
            raise WriterStopped("the SQLite writer process failed to start (see the server's "
                                f"log); it is tried again after {self.restart_pause:g} s")
        ours, theirs = socket.socketpair()
        # `python -m app.persistence.sqlite.process FD URL`, seeing the modules this process sees
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            proc = subprocess.Popen(self._command(theirs.fileno()), pass_fds=(theirs.fileno(),),
                                    env=env, stdin=subprocess.DEVNULL)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the child's end: ours sees EOF once the child is gone
        pipe = _ServerEnd(ours)
        self._proc, self._pipe, self._settings = proc, pipe, {}
        self._reader = threading.Thread(target=self._read, args=(pipe, proc),
                                        name="crm-writer-answers", daemon=True)
        self._reader.start()
        return pipe

    def _read(self, pipe: Pipe, proc: Any) -> None:
        """Hands answers to their callers' loops, one wake-up per loop and batch. The
        child's first message, with no answers, says it is ready."""
        ready = False
        try:
            while True:
                stats, answers = pickle.loads(pipe.recv_bytes())
                ready = True
                self.stats = stats
                with self._lock:
                    callers = [(self._pending.pop(call_id, None), ok, data)
                               for call_id, ok, data in answers]
                hand_over(((caller[0], (caller[1], ok, data))
                           for caller, ok, data in callers if caller is not None),
                          _settle_answers)
        except (EOFError, OSError):
            pass
        except Exception:  # an answer this side cannot read: the child is of no use
            log.exception("the SQLite writer process sent what could not be read")
            proc.kill()
        self._stopped(pipe, ready)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)  # reaped, not left a zombie (it closed its end: it is ending)

    def _stopped(self, pipe: Pipe, ready: bool) -> None:
        """The child on `pipe` is gone: whoever still waits on it hears so (not the callers
        of a child started since)."""
        with self._lock:
            if self._pipe is pipe:  # not closed by close()
                self._proc = self._pipe = self._reader = None
                self._failed_start = None if ready else time.monotonic()
            orphans = {i: c for i, c in self._pending.items() if c[2] is pipe}
            for call_id in orphans:
                del self._pending[call_id]
        pipe.close()
        hand_over(((loop, future) for loop, future, _pipe in orphans.values()), _orphaned)


class _ServerEnd(Pipe):
    """The server's end of the socket. The child reads its calls between units, so while
    one runs long they wait in the kernel's socket buffer; sending must still never make
    the event loop wait. A message the buffer has no room for waits in order for a thread
    that writes it, and the messages after it follow it there."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(os.dup(sock.fileno()))  # read (and closed) as a Connection
        self._sock = sock  # written, without waiting, until the buffer is full
        self._backlog: collections.deque[bytes] = collections.deque()
        self._backlog_lock = threading.Lock()

    def _send(self, buf: bytes, write: Any = None) -> None:  # Connection's framing calls it
        with self._backlog_lock:
            if not self._backlog:
                try:
                    sent = self._sock.send(buf, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    sent = 0
                if sent == len(buf):
                    return
                self._backlog.append(bytes(buf[sent:]))
                threading.Thread(target=self._drain, name="crm-writer-backlog",
                                 daemon=True).start()
            else:
                self._backlog.append(bytes(buf))

    def _drain(self) -> None:
        while True:
            with self._backlog_lock:
                if not self._backlog:
                    return
                buf = self._backlog[0]
            try:
                self._sock.sendall(buf)
            except OSError:  # the child is gone: its reader fails the calls in flight
                with self._backlog_lock:
                    self._backlog.clear()
                return
            with self._backlog_lock:
                self._backlog.popleft()

    def close(self) -> None:
        super().close()
        self._sock.close()


def _orphaned(futures: list[asyncio.Future]) -> None:
    for future in futures:
        settle(future, False, WriterStopped("the SQLite writer process stopped before answering"))


def _settle_answers(answers: list[tuple[asyncio.Future, bool, bytes]]) -> None:
    """On the caller's loop: read each answer (a bad one fails its own call only)."""
    for future, ok, data in answers:
        try:
            value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001  the caller gets it
            ok, value = False, WriterError(f"the writer's answer could not be read: {exc!r}")
        settle(future, ok, value)


# The child -------------------------------------------------------------------------

class _ChildWriter(GroupWriter):
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
                from app.persistence.uow import Runner  # imported by _child_main already

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
        message = pickle.dumps((dict(self.stats), answers), _PICKLE)
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
            from app.errors import DomainError

            notes = getattr(value, "__notes__", ())
            if not isinstance(value, DomainError) and not any(
                    n.startswith(_NOTE) for n in notes):
                value.add_note(_NOTE + "".join(traceback.format_exception(value)))
            data = pickle.dumps(value, _PICKLE)
            pickle.loads(data)  # an exception may pickle and still not rebuild
            return ok, data
        return ok, pickle.dumps(value, _PICKLE)
    except Exception as exc:  # noqa: BLE001  told to the caller instead
        what = f"{type(value).__name__}: {value}" if not ok else f"a {type(value).__name__}"
        return False, pickle.dumps(WriterError(
            f"the SQLite writer could not send back {what} ({exc!r})"), _PICKLE)


def _run_call(runner: Runner, call: WriteCall, group: Connection | None
              ) -> tuple[Any, list, list[str]]:
    # Listening only while asked: a listener on every statement costs the writer ~5%.
    counter = StatementCounter(limit=None) if call.count else None
    if counter is not None:
        event.listen(runner.db.write_engine, "before_cursor_execute", counter)
    try:
        result, events = runner._write_sync(  # noqa: SLF001  the unit of work itself
            call.fn, call.principal, call.request_id, call.args, call.kwargs, group)
    finally:
        if counter is not None:
            event.remove(runner.db.write_engine, "before_cursor_execute", counter)
    # a failed unit's statements are not sent, nor its rows
    return result, events, [] if counter is None else counter.statements


def _child_main(fd: int, url: str) -> None:
    # Ctrl-C and a service manager's SIGTERM are the server's to handle: this process
    # finishes its queue when the server closes it or goes away
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import app.persistence.uow  # noqa: F401  the unit of work and every model, before the freeze below

    pipe = Pipe(fd)
    db = Database(url)  # no checkpointer here: the server runs it (app.persistence.db)
    writer = _ChildWriter(db, pipe)
    # What is alive now (modules, mappers, compiled statements) lives as long as the process:
    # kept out of the collector's full passes, which otherwise walk it all every few seconds
    gc.freeze()
    try:
        writer.serve()
    finally:
        db.dispose()
        pipe.close()


if __name__ == "__main__":  # the child: run as the module proper (its classes pickle by it)
    from app.persistence.sqlite.process import _child_main as main

    main(int(sys.argv[1]), sys.argv[2])
