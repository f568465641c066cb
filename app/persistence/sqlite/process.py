"""The SQLite writer in a process of its own (`CRM_SQLITE_WRITER=process`, the default).

One Python process computes on one core at a time (the GIL). Placing and approving an
order cost the server ~4.6 ms of CPU, ~3.3 of it in the writer thread (S3, measured), so
the server topped out at one busy core while the machine's second one idled. The writer
needs nothing from the event loop but its calls, so here it runs in a child process: the
event loop keeps one core, the writer gets the other (docs/architecture.md#the-sqlite-writer).

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

This module is the server's side. The child is the app's writer entry point, `python -m
app.writer_child FD URL` (a composition root: it installs the unit of work's hooks and
imports every table, which persistence may not do, then runs
app/persistence/sqlite/child.py), on one end of a socket pair, started with the first write
(or by `start`); the app names it with `use_child_entry` (app/composition.py). One thread
there both reads the calls and runs them (`ChildWriter`). It ends when told, after
finishing what it was given, or when this process goes away (its end of the socket
closes). If it dies, the calls in flight fail with `WriterStopped` and the next call starts
a new one. See docs/architecture.md#the-sqlite-writer.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import Any, TypeVar

from app.config import Settings
from app.persistence.crypto import DATA_KEY_VARIABLE
from app.persistence.sqlite.writer import hand_over, settle, wait_for

log = logging.getLogger(__name__)
T = TypeVar("T")

PICKLE = pickle.HIGHEST_PROTOCOL
_entry: str | None = None  # the child's entry point: see use_child_entry


def use_child_entry(module: str) -> None:
    """Run the writer process as `python -m <module> FD URL`: the app's entry point for it
    (app/writer_child.py), which sets the process up as the server's is (the unit of work's
    hooks, every table) and then serves (app/persistence/sqlite/child.py)."""
    global _entry
    _entry = module


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
    principal: Any  # the app's principal (app/auth/principal.py), pickled
    request_id: str | None
    count: bool  # send back the SQL it ran (statement counters are listening)
    deadline: float | None = None  # time.monotonic(), system-wide (persistence/deadline.py)


class WriterProcess:
    """The caller's side: sends calls, hands each answer to its caller's event loop."""

    # after a child that ended before it was ready, the next is started no sooner than this:
    # a child that cannot start must not be tried again for every request
    restart_pause = 1.0

    def __init__(self, url: str, keyring: Any = None) -> None:
        self.url = url
        self.keyring = keyring  # the server's (app/persistence/crypto.py), handed to the child
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
        returns (app.persistence.sqlite.writers.write_in_session): the background writers'
        writes, so that the child is the only writer and never waits on SQLite's lock for the
        server's."""
        return await self._call("session", (fn, args), None)

    async def _call(self, kind: str, call: Any, settings: Settings | None) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        try:  # refused here, before anything is sent
            message = pickle.dumps(call, PICKLE)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError("a unit of work for the SQLite writer process crosses pickled: "
                            f"a module-level function and picklable arguments ({exc})") from exc
        with self._lock:
            pipe = self._ensure_started()
            call_id = next(self._ids)
            try:
                token = None if settings is None else self._send_settings(pipe, settings)
                pipe.send_bytes(pickle.dumps((kind, call_id, token, message), PICKLE))
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
            pipe.send_bytes(pickle.dumps(("settings", token, settings), PICKLE))
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
            pipe.send_bytes(pickle.dumps(("close",), PICKLE))
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout)
        pipe.close()

    @property
    def depth(self) -> int:
        """Calls sent and not yet answered (the metrics' writer queue depth)."""
        return len(self._pending)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return None if proc is None else proc.pid

    def _command(self, fd: int) -> list[str]:
        if _entry is None:
            raise RuntimeError("the SQLite writer process has no entry point: the app's "
                               "composition root names it (app.composition.install)")
        return [sys.executable, "-m", _entry, str(fd), self.url]

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
        # `python -m <entry> FD URL`, seeing the modules this process sees
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # the child encrypts with this database's keyring, whatever this process's
        # environment says (docs/architecture.md#personal-data-at-rest)
        env.pop(DATA_KEY_VARIABLE, None)
        if self.keyring is not None:
            env[DATA_KEY_VARIABLE] = self.keyring.spec
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
