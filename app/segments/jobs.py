"""The background work of segments: the full recompute at start-up and every
CRM_SEGMENT_RECOMPUTE_SECONDS (`SegmentRecompute`, as the delay check:
app/shipping/exceptions/delays.py), and the incremental one after order events
(`SegmentUpdater`, a durable consumer of the outbox as the notification planner is:
app/notifications/planning.py). Both run with the process's other background workers
(app/events/runtime.py); docs/architecture.md#customer-segments."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.to_thread
from sqlmodel import Session

from app.auth.principal import SYSTEM
from app.config import Settings
from app.events import topics
from app.events.bus import EventBus
from app.events.repository import consumers, outbox
from app.events.rounds import WokenRounds
from app.persistence.background import Periodic
from app.persistence.uow import Runner
from app.segments import service

log = logging.getLogger("crm.segments")
TOPICS = (topics.ORDER_STATUS_CHANGED,)
# events stepped over without a customer are written past only once this many piled up
SKIP_AHEAD = 1000


@dataclass(frozen=True)
class Batch:
    start: int
    end: int
    customer_ids: list[int]
    more: bool


def read_batch(session: Session, limit: int) -> Batch | None:
    """The customers of the order events after the consumer's position; None: nothing."""
    start = consumers.position(session, service.CONSUMER)
    newest = outbox.settled_max(session)
    if newest <= start:
        return None
    events = outbox.events_after(session, start, TOPICS, {}, upto=newest, limit=limit)
    if not events and newest - start < SKIP_AHEAD:
        return None
    more = len(events) == limit
    ids = sorted({int(e.payload["customer_id"]) for e in events
                  if e.payload.get("customer_id") is not None})
    return Batch(start, events[-1].id if more else newest, ids, more)


def update_pending(runner: Runner, limit: int = 500) -> int:
    """What the updater does, in this thread (CLI, tests): customers recomputed."""
    total = 0
    while True:
        batch = runner.read_sync(read_batch, (limit,), {})
        if batch is None:
            return total
        result = runner.write_sync(service.apply_order_events, batch.start, batch.end,
                                   batch.customer_ids, principal=SYSTEM)
        total += result.scored if result else 0
        if result is not None and not batch.more:
            return total


class SegmentUpdater(WokenRounds):
    name = "segment-updates"

    def __init__(self, runner: Runner, bus: EventBus, *, gap: float = 1.0,
                 poll: float = 30.0, batch: int = 500) -> None:
        super().__init__(bus, set(TOPICS), gap=gap, poll=poll)
        self.runner = runner
        self.batch = batch

    async def round(self) -> bool:
        batch = await anyio.to_thread.run_sync(self._read)
        if batch is None:
            return False
        result = await self.runner.write(service.apply_order_events, batch.start, batch.end,
                                         batch.customer_ids, principal=SYSTEM)
        return result is None or batch.more

    def _read(self) -> Batch | None:
        with Session(self.runner.db.read_engine) as session:
            return read_batch(session, self.batch)


@dataclass
class SegmentRecompute(Periodic):
    """The full recompute at start-up, then every `segment_recompute_seconds` (0: never,
    then `crm segments recompute` from a scheduler)."""

    runner: Runner
    settings: Settings
    name = "segment-recompute"

    def interval(self) -> float:
        return self.settings.segment_recompute_seconds

    async def run_once(self) -> int:
        try:
            result = await self.runner.write(service.recompute_all, principal=SYSTEM)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the segment recompute failed: %s", exc)
            return 0
        log.info("segments recomputed for %d customers (%d churn warnings)", result.scored,
                 len(result.churn))
        return result.scored
