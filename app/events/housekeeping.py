"""Retention: rows kept only for a while are deleted in the background (one of the
process's background workers: app/events/runtime.py).

- idempotency records older than CRM_IDEMPOTENCY_HOURS (their keys are free again
  anyway: app/persistence/idempotency.py);
- export files (app/exports/) past CRM_EXPORT_RETENTION_HOURS, and cancelled jobs' files;
- outbox events published more than CRM_OUTBOX_RETENTION_DAYS ago. Live subscribers
  have them; a subscriber resuming from an older cursor is told its history is gone
  (CURSOR_EXPIRED) instead of silently missing events;
- the delta sync's change rows below the oldest outbox event kept (a sync token older than
  that is SYNC_TOKEN_EXPIRED: docs/architecture.md#delta-sync).

Deletes run in batches, each its own short write transaction, so a large backlog never
holds the SQLite writer for long. Several processes may run this: deleting what another
process deleted first deletes nothing.

It lives with the events, not in app/persistence/ (where it was): it purges the outbox,
a domain table, and persistence imports no domain (docs/architecture.md#layers,
#the-outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.auth.principal import SYSTEM
from app.config import Settings, export_dir
from app.events.repository import outbox
from app.exports import service as export_service
from app.exports.writers import remove_files
from app.persistence import idempotency
from app.persistence.background import Periodic
from app.persistence.columns import utcnow
from app.persistence.db import Database
from app.persistence.sqlite.writers import write_in_session
from app.persistence.uow import Runner
from app.sync import repository as sync_changes

log = logging.getLogger("crm.housekeeping")
BATCH = 1000


@dataclass
class Housekeeping(Periodic):
    db: Database
    settings: Settings
    deleted: dict[str, int] = field(default_factory=dict)  # totals (observability)
    name = "housekeeping"

    def interval(self) -> float:
        return self.settings.housekeeping_seconds

    async def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """One pass over every kind of expiring row; how many of each were deleted. A
        failing kind is logged and the others still run."""
        now = now or utcnow()
        counts = {}
        for name, purge in (("idempotency_record", self._idempotency),
                            ("export_file", self._exports),
                            ("outbox_event", self._outbox),
                            ("sync_change", self._sync_changes)):
            try:
                counts[name] = await purge(now)
            except Exception as exc:  # database down: the next round tries again
                log.warning("housekeeping of %s failed: %s", name, exc)
                counts[name] = 0
            self.deleted[name] = self.deleted.get(name, 0) + counts[name]
        if any(counts.values()):
            log.info("housekeeping deleted %s", counts)
        return counts

    async def _idempotency(self, now: datetime) -> int:
        before = idempotency.expired_before(self.settings.idempotency_hours, now)
        return await self._batches(idempotency.purge_expired, before)

    async def _exports(self, now: datetime) -> int:
        """Expired export files: the jobs marked in short units of work, then the files
        deleted (a file left by a crash in between is deleted by the next pass: the job
        is already EXPIRED, and deleting a missing file is nothing)."""
        runner = Runner(self.db, settings=self.settings)
        total = 0
        while ids := await runner.write(export_service.expire_files, now, BATCH,
                                        principal=SYSTEM):
            for job_id in ids:
                remove_files(export_dir(), job_id)
            total += len(ids)
            if len(ids) < BATCH:
                break
        return total

    async def _outbox(self, now: datetime) -> int:
        before = now - timedelta(days=self.settings.outbox_retention_days)
        keep_from = await write_in_session(self.db, outbox.horizon, before)
        if keep_from is None:
            return 0
        return await self._batches(outbox.purge_below, keep_from)

    async def _sync_changes(self, _now: datetime) -> int:
        """The delta sync's change rows older than the oldest outbox event kept
        (docs/architecture.md#delta-sync)."""
        return await self._batches(sync_changes.purge_before_outbox, None)

    async def _batches(self, purge: Callable[[Session, Any, int], int], arg: Any) -> int:
        """`purge(session, arg, BATCH)` in short transactions of up to BATCH rows each
        until nothing is left (module-level functions:
        app.persistence.sqlite.writers.write_in_session)."""
        total = 0
        while (count := await write_in_session(self.db, purge, arg, BATCH)) > 0:
            total += count
            if count < BATCH:
                break
        return total

