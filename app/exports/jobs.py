"""The export worker: runs queued jobs, `export_workers` at a time, one of the process's
background workers (app/events/runtime.py; CRM_EXPORTS=0 switches it off). It wakes on
`export.job_changed` (a job queued or resumed) and polls besides.

A job reads its source in keyset chunks of `export_chunk_rows` rows (memory flat whatever
the size), writes each to its part file (app/exports/writers.py) and then records the new
position in a unit of work of its own, which publishes the progress
(docs/architecture.md#exports)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth.principal import SYSTEM, Principal
from app.config import Settings, export_dir
from app.events import topics
from app.events.bus import EventBus
from app.events.rounds import WokenRounds
from app.exports import service
from app.exports.fields import SOURCES, chunk_shaper
from app.exports.models import ExportFormat, ExportSource
from app.exports.repository import copy, sources
from app.exports.writers import ChunkWriter, final_path, remove_files
from app.persistence.background import stop_background
from app.persistence.db import Database
from app.persistence.uow import Runner

log = logging.getLogger("crm.exports")
TOPICS = frozenset({topics.EXPORT_JOB_CHANGED})


class Interrupted(Exception):
    """The test hook's simulated crash (`after_chunk`)."""


def export_read_engine(db: Database) -> Engine:
    """The engine exports read their rows from: `db`'s read engine, where `db` is the
    read replica when CRM_ANALYTICS_DATABASE_URL names one (`replica`,
    docs/architecture.md#exports)."""
    return db.read_engine


def replica(settings: Settings) -> Database | None:
    """The analytics read replica (CRM_ANALYTICS_DATABASE_URL), opened for the caller to
    dispose; None without one."""
    if not settings.analytics_database_url:
        return None
    return Database(settings.analytics_database_url, keyring=settings.keyring)


def _read(db: Database, fn: Callable[..., Any], *args: Any) -> Any:
    with Session(export_read_engine(db)) as session:
        return fn(session, *args)


def shape_rows(principal: Principal, source: ExportSource, names: list[str],
               found: list[tuple]) -> list[tuple]:
    """Rows as the API shows them to `principal`: field rules, then the API's encodings."""
    return chunk_shaper(principal, service.fields_of(source, names))(found)


def _shape_and_write(writer: ChunkWriter, shape: Callable[[list[tuple]], list[tuple]],
                     found: list[tuple]) -> int:
    return writer.write(shape(found))


async def run_job(runner: Runner, settings: Settings, job: service.Claimed, *,
                  after_chunk: Callable[[int], None] | None = None,
                  read_db: Database | None = None) -> str:
    """Run a claimed job to its end; its final state. Rows are read from `read_db` (the
    replica) or the runner's database; the job's state is written through the runner.
    `after_chunk(n)` (tests) is called once chunk n is on disk, before it is recorded:
    raising there is a crash mid-way."""
    db = read_db or runner.db
    writer: ChunkWriter | None = None
    try:
        principal = await anyio.to_thread.run_sync(_read, db, service.principal_of,
                                                   job.user_id)
        if principal is None:
            raise PermissionError("the account that asked for this export is no longer "
                                  "active")
        service.may_export(principal, job.source)  # its rights now, not when it asked
        service.check_fields(principal, job.source, job.fields)
        total = job.total_rows
        if total is None:
            total = await anyio.to_thread.run_sync(_read, db, sources.count_rows, principal,
                                                   job.source, job.filter)
        fields = service.fields_of(job.source, job.fields)
        shape = chunk_shaper(principal, fields)
        directory = export_dir()
        writer = ChunkWriter(directory, job.id, job.format, [f.header for f in fields],
                             [f.kind for f in fields], job.bytes_written)
        last_id, chunk = job.last_id, 0
        by_copy = (job.format is ExportFormat.CSV and not db.is_sqlite
                   and copy.usable(principal, fields))
        while by_copy:  # CSV shaped and written by PostgreSQL (repository/copy.py)
            uppers = await anyio.to_thread.run_sync(
                _read, db, copy.bounds, principal, job.source, job.filter, last_id,
                settings.export_copy_chunk_rows, settings.export_copy_streams)
            if not uppers:
                break
            # consecutive id ranges copied at once, each on a connection of its own: the
            # shaping runs in PostgreSQL, a core per stream; appended in order. A chunk is
            # bytes here (~100 a row), so it holds several times the Python path's rows
            parts = await asyncio.gather(*(
                anyio.to_thread.run_sync(_read, db, copy.copy_range, principal, job.source,
                                         job.filter, fields, lower, upper)
                for lower, upper in zip([last_id, *uppers], uppers, strict=False)))
            for data, _rows in parts:
                size = await anyio.to_thread.run_sync(writer.append, data)
            chunk += 1
            if after_chunk is not None:
                after_chunk(chunk)
            last_id = uppers[-1]
            if not await runner.write(service.record_chunk, job.id, last_id,
                                      sum(rows for _, rows in parts), size, total,
                                      principal=SYSTEM):
                writer.close()
                remove_files(directory, job.id)  # cancelled
                return "CANCELLED"
        while not by_copy:
            found = await anyio.to_thread.run_sync(
                _read, db, sources.read_chunk, principal, job.source, job.filter, fields,
                last_id, settings.export_chunk_rows)
            if not found:
                break
            # shaped, encoded and written in the worker thread: the event loop stays free
            size = await anyio.to_thread.run_sync(_shape_and_write, writer, shape, found)
            chunk += 1
            if after_chunk is not None:
                after_chunk(chunk)
            last_id = found[-1][0]
            if not await runner.write(service.record_chunk, job.id, last_id, len(found),
                                      size, total, principal=SYSTEM):
                writer.close()
                remove_files(directory, job.id)  # cancelled
                return "CANCELLED"
            if len(found) < settings.export_chunk_rows:
                break
        size = await anyio.to_thread.run_sync(
            writer.finish, final_path(directory, job.id, job.format))
        writer = None
        if not await runner.write(service.finish_job, job.id, total, size, principal=SYSTEM):
            remove_files(directory, job.id)
            return "CANCELLED"
        return "DONE"
    except Exception as exc:  # noqa: BLE001 - any failure leaves a resumable FAILED job
        if writer is not None:
            writer.close()
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, PermissionError | Interrupted):
            log.warning("export %s failed: %s", job.id, message)
        await runner.write(service.fail_job, job.id, message, principal=SYSTEM)
        return "FAILED"


async def run_pending(runner: Runner, settings: Settings, *,
                      after_chunk: Callable[[int], None] | None = None) -> list[str]:
    """What the worker does, now (CLI, tests): every queued job, one after another."""
    results = []
    read_db = replica(settings)
    try:
        while (job := await runner.write(service.claim_next, principal=SYSTEM)) is not None:
            results.append(await run_job(runner, settings, job, after_chunk=after_chunk,
                                         read_db=read_db))
    finally:
        if read_db is not None:
            read_db.dispose()
    return results


class ExportWorker(WokenRounds):
    """`settings.export_workers` jobs at a time; a round claims and starts what fits."""

    name = "exports"

    def __init__(self, runner: Runner, bus: EventBus, settings: Settings, *,
                 poll: float = 5.0) -> None:
        super().__init__(bus, set(TOPICS), gap=0.01, poll=poll)
        self.runner = runner
        self.settings = settings
        self.running: set[asyncio.Task] = set()
        self.read_db = replica(settings)

    async def start(self) -> None:
        if self.settings.exports:
            await super().start()

    async def stop(self) -> None:
        # a job stopped mid-way stays RUNNING: resumable once stale (exportResume)
        await stop_background(list(self.running))
        self.running.clear()
        await super().stop()
        if self.read_db is not None:
            self.read_db.dispose()

    async def round(self) -> bool:
        if len(self.running) >= self.settings.export_workers:
            return False
        job = await self.runner.write(service.claim_next, principal=SYSTEM)
        if job is None:
            return False
        task = asyncio.get_running_loop().create_task(
            run_job(self.runner, self.settings, job, read_db=self.read_db),
            name=f"export-{job.id}")
        self.running.add(task)
        task.add_done_callback(self._done)
        return len(self.running) < self.settings.export_workers

    def _done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        self.wake()  # a place is free: the next queued job


def source_fields() -> dict[str, list[str]]:
    """Each source's field names (documentation, the contract)."""
    return {source.value: list(spec.fields) for source, spec in SOURCES.items()}
