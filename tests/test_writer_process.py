"""The SQLite writer process (app/persistence/sqlite/process.py, its child's side
child.py, started as app/writer_child.py): what crosses to it and back, and what its callers
hear when it cannot answer. Units are module-level functions: the child gets them pickled,
by name."""

from __future__ import annotations

import asyncio
import contextvars
import os
import pickle
import signal
import socket
import sys
import time
from dataclasses import replace
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.audit.models import AuditRecord
from app.config import ConfigError, load_settings
from app.errors import ErrorCode, InvalidTransition
from app.persistence.db import Database
from app.persistence.sqlite.child import ChildWriter
from app.persistence.sqlite.process import WriteCall, WriterError, WriterProcess, WriterStopped
from app.persistence.sqlite.writer import Job
from app.persistence.sqlite.writers import write_in_session, writers
from app.persistence.uow import Runner
from tests.support import ADMIN, audited_actions, hold_writer, unique, writer_held


def _audits(uow, marker: str, action: str = "done") -> str:  # noqa: ANN001
    uow.audit(action, marker, 1)
    return action


def _audits_padded(uow, marker: str, action: str, _padding: str) -> str:  # noqa: ANN001
    return _audits(uow, marker, action)


def _refuses(uow, marker: str) -> None:  # noqa: ANN001
    uow.audit("refused", marker, 1)
    raise InvalidTransition("Order", "DRAFT", "ship")


def _answers_a_lambda(uow, marker: str):  # noqa: ANN001, ANN201
    uow.audit("lambda", marker, 1)
    return lambda: None


def _background_audit(session, marker: str) -> int:  # noqa: ANN001
    """A background writer's write: a session, no unit of work."""
    session.add(AuditRecord(action="background", entity_type=marker, entity_id=1))
    return os.getpid()


@pytest.fixture
def own(settings, db):  # noqa: ANN001, ANN201  (db: migrated)
    """A database object of its own (and so a writer process of its own) on the test
    database: these tests stop and kill it."""
    if not settings.is_sqlite:
        pytest.skip("the writer process is SQLite's")
    db = Database(settings.database_url, count_statements=True)
    yield Runner(db, settings=replace(settings, sqlite_writer="process"))
    db.dispose()


async def test_a_unit_runs_in_another_process_and_its_statements_are_counted(own):  # noqa: ANN001
    marker = unique("W")
    own.db.counter.reset()
    assert await own.write(_audits, marker, principal=ADMIN) == "done"
    assert writers(own.db).process.pid not in (None, os.getpid())
    assert audited_actions(own, marker) == ["done"]
    assert own.db.counter.count >= 1
    assert any(s.startswith("INSERT INTO audit_record") for s in own.db.counter.statements)


async def test_background_writes_go_to_the_writer_process_when_there_is_one(own):  # noqa: ANN001
    """Then the child is SQLite's only writer; without one, the writer thread takes them."""
    marker = unique("W")
    assert await write_in_session(own.db, _background_audit, marker) == os.getpid()
    thread = writers(own.db).thread
    ran_on_thread = dict(thread.stats)

    assert await own.write(_audits, marker, principal=ADMIN) == "done"  # the child starts
    child = writers(own.db).process.pid
    assert await write_in_session(own.db, _background_audit, marker) == child != os.getpid()
    assert thread.stats == ran_on_thread
    assert audited_actions(own, marker) == ["background", "done", "background"]
    with pytest.raises(TypeError, match="module-level function"):
        await write_in_session(own.db, lambda session: None)


async def test_a_domain_error_arrives_whole_and_its_writes_are_gone(own):  # noqa: ANN001
    marker = unique("W")
    with pytest.raises(InvalidTransition) as refused:
        await own.write(_refuses, marker, principal=ADMIN)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION
    assert refused.value.current == "DRAFT"
    assert refused.value.message == "cannot ship a Order in state DRAFT"
    assert audited_actions(own, marker) == []


async def test_what_cannot_cross_is_refused_with_a_clear_error(own):  # noqa: ANN001
    marker = unique("W")

    def local(uow) -> None:  # noqa: ANN001
        uow.audit("local", marker, 1)

    with pytest.raises(TypeError, match="a module-level function"):  # not sent at all
        await own.write(local, principal=ADMIN)
    with pytest.raises(WriterError, match="could not send back a tuple"):
        await own.write(_answers_a_lambda, marker, principal=ADMIN)
    # the unit itself had committed: only its answer could not be sent
    assert audited_actions(own, marker) == ["lambda"]
    assert await own.write(_audits, marker, principal=ADMIN) == "done"


async def test_a_cancelled_caller_leaves_its_unit_to_finish(own, tmp_path):  # noqa: ANN001
    marker, gate = unique("W"), str(tmp_path / "gate")
    held = asyncio.ensure_future(own.write(hold_writer, marker, gate, principal=ADMIN))
    await writer_held(gate)
    queued = asyncio.ensure_future(own.write(_audits, marker, "after", principal=ADMIN))
    await asyncio.sleep(0.02)
    queued.cancel()
    Path(gate).touch()
    assert await held == "held"
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert await own.write(_audits, marker, "last", principal=ADMIN) == "last"
    assert audited_actions(own, marker) == ["held", "after", "last"]


async def test_calls_never_make_the_event_loop_wait_while_the_child_is_busy(own, tmp_path):  # noqa: ANN001
    """The child reads its calls between units: while one runs, more calls than the
    socket's buffer holds (here ~5 MB) wait in order behind it, and the loop goes on."""
    marker, gate = unique("W"), str(tmp_path / "gate")
    held = asyncio.ensure_future(own.write(hold_writer, marker, gate, principal=ADMIN))
    await writer_held(gate)
    loop = asyncio.get_running_loop()
    started = loop.time()
    calls = [asyncio.ensure_future(own.write(_audits_padded, marker, f"c{i}", "x" * 8192,
                                             principal=ADMIN)) for i in range(600)]
    await asyncio.sleep(0.05)  # every call sent (or waiting to be), none answered yet
    assert loop.time() - started < 2.0 and not any(c.done() for c in calls)
    Path(gate).touch()
    assert await asyncio.wait_for(asyncio.gather(held, *calls), 60) == [
        "held", *(f"c{i}" for i in range(600))]
    assert audited_actions(own, marker) == ["held", *(f"c{i}" for i in range(600))]


async def test_calls_in_flight_fail_when_the_process_dies_and_the_next_starts_another(
        own, tmp_path):  # noqa: ANN001
    marker, gate = unique("W"), str(tmp_path / "gate")
    held = asyncio.ensure_future(own.write(hold_writer, marker, gate, principal=ADMIN))
    await writer_held(gate)
    queued = asyncio.ensure_future(own.write(_audits, marker, principal=ADMIN))
    first = writers(own.db).process.pid
    os.kill(first, signal.SIGKILL)
    for call in (held, queued):
        with pytest.raises(WriterStopped, match="stopped before answering"):
            await asyncio.wait_for(call, 10)
    assert audited_actions(own, marker) == []  # nothing of an uncommitted group remains
    assert await own.write(_audits, marker, principal=ADMIN) == "done"
    assert writers(own.db).process.pid not in (None, first)
    assert audited_actions(own, marker) == ["done"]


async def test_closing_finishes_what_was_queued(own, tmp_path):  # noqa: ANN001
    marker, gate = unique("W"), str(tmp_path / "gate")
    held = asyncio.ensure_future(own.write(hold_writer, marker, gate, principal=ADMIN))
    await writer_held(gate)
    queued = [asyncio.ensure_future(own.write(_audits, marker, f"q{i}", principal=ADMIN))
              for i in range(3)]
    await asyncio.sleep(0.02)
    Path(gate).touch()
    await asyncio.to_thread(writers(own.db).close)
    assert await asyncio.gather(held, *queued) == ["held", "q0", "q1", "q2"]
    assert writers(own.db).process.pid is None
    assert audited_actions(own, marker) == ["held", "q0", "q1", "q2"]


def test_the_writer_is_chosen_by_setting():
    assert load_settings({}).sqlite_writer == "process"
    assert load_settings({"CRM_SQLITE_WRITER": "thread"}).sqlite_writer == "thread"
    with pytest.raises(ConfigError, match="CRM_SQLITE_WRITER must be one of process, thread"):
        load_settings({"CRM_SQLITE_WRITER": "fork"})


def test_a_failed_group_tells_each_unit_once_with_one_traceback():
    """A group whose commit fails hands every unit the same exception: it is annotated and
    pickled once, not once more per unit (each note would hold the ones before)."""
    ours, theirs = socket.socketpair()
    answers = Pipe(ours.detach())
    writer = ChildWriter(SimpleNamespace(write_engine=None), Pipe(theirs.detach()))
    try:
        raise OSError("disk I/O error")
    except OSError as exc:
        failure = exc
    jobs = [Job(None, contextvars.copy_context(), call_id, (False, failure))
            for call_id in range(32)]
    writer._deliver(jobs)  # noqa: SLF001
    _stats, sent = pickle.loads(answers.recv_bytes())
    assert [call_id for call_id, _ok, _data in sent] == list(range(32))
    for _call_id, ok, data in sent:
        error = pickle.loads(data)
        assert not ok and isinstance(error, OSError) and str(error) == "disk I/O error"
        assert len(error.__notes__) == 1 and "in the SQLite writer process" in error.__notes__[0]
    answers.close()
    writer.pipe.close()


class _Unstartable(WriterProcess):
    """A writer whose child exits before it is ready (a broken install, say)."""

    restart_pause = 0.5

    def _command(self, fd: int) -> list[str]:
        return [sys.executable, "-c", "raise SystemExit(3)"]


async def test_a_child_that_cannot_start_is_not_tried_again_for_every_call(settings, db):  # noqa: ANN001
    if not settings.is_sqlite:
        pytest.skip("the writer process is SQLite's")
    writer = _Unstartable(db.url)
    call = WriteCall(_audits, (unique("W"),), {}, ADMIN, None, count=False)
    try:
        with pytest.raises(WriterStopped, match="writer process"):
            await asyncio.wait_for(writer.run(call, settings), 10)
        started = time.monotonic()
        with pytest.raises(WriterStopped, match="failed to start"):  # at once, no new child
            await writer.run(call, settings)
        assert writer.pid is None
        await asyncio.sleep(max(0.0, started + 0.6 - time.monotonic()))
        with pytest.raises(WriterStopped, match="stopped before answering|not running"):
            await asyncio.wait_for(writer.run(call, settings), 10)  # tried again after the pause
    finally:
        writer.close()
