"""Retention: rows kept only for a while are deleted in the background.

- idempotency records older than CRM_IDEMPOTENCY_HOURS (their keys are free again
  anyway: app/orders/idempotency.py);
- outbox events published more than CRM_OUTBOX_RETENTION_DAYS ago. Live subscribers
  have them; a subscriber resuming from an older cursor is told its history is gone
  (CURSOR_EXPIRED) instead of silently missing events.

Deletes run in batches, each its own short write transaction, so a large backlog never
holds the SQLite writer for long. Several processes may run this: deleting what another
process deleted first deletes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from app.config import Settings
from app.db import Database, spawn_background
from app.db_types import utcnow
from app.events import outbox
from app.orders import idempotency
from app.writer import write_in_session

log = logging.getLogger("crm.housekeeping")
BATCH = 1000


@dataclass
class Housekeeping:
    db: Database
    settings: Settings
    deleted: dict[str, int] = field(default_factory=dict)  # totals (observability)
    _task: asyncio.Task | None = field(default=None, init=False, repr=False)

    async def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """One pass over every kind of expiring row; how many of each were deleted."""
        now = now or utcnow()
        passes: dict[str, Callable[[Session], int]] = {
            "idempotency_record": lambda s: idempotency.purge_expired(
                s, now - timedelta(hours=self.settings.idempotency_hours), BATCH),
            "outbox_event": lambda s: outbox.purge_before(
                s, now - timedelta(days=self.settings.outbox_retention_days), BATCH),
        }
        counts = {}
        for name, purge in passes.items():
            total = 0
            while (count := await write_in_session(self.db, purge)) > 0:
                total += count
                if count < BATCH:
                    break
            counts[name] = total
            self.deleted[name] = self.deleted.get(name, 0) + total
        if any(counts.values()):
            log.info("housekeeping deleted %s", counts)
        return counts

    async def start(self) -> None:
        self._task = spawn_background(self._loop(), "housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # database down: try again next round
                log.warning("housekeeping failed: %s", exc)
            await asyncio.sleep(self.settings.housekeeping_seconds)
