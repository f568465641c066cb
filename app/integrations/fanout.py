"""Outbox events become webhook deliveries: a durable consumer of the outbox
(app/events/repository/consumers.py), as the notification planner is
(docs/architecture.md#outgoing-webhooks).

A round reads the events after its position on a read connection, makes one delivery per
enabled subscription of the event's type created before the event, and writes them in one
short transaction that also moves the position: each event fans out exactly once, after a
crash too, and of two processes doing it one writes and the other finds the position moved.
Without an enabled subscription it keeps no position at all (its row is dropped: retention
keeps what a consumer has not passed, and nobody needs these events); the next subscription
starts it again from that subscription's first event. Events of no subscription's type are
stepped over in a write only once SKIP_AHEAD have piled up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from sqlmodel import Session

from app.events.bus import EventBus
from app.events.repository import consumers, outbox
from app.events.rounds import WokenRounds
from app.integrations import messages
from app.integrations import repository as repo
from app.integrations.models import DeliveryStatus
from app.persistence.columns import utcnow
from app.persistence.db import Database
from app.persistence.sqlite.writers import write_in_session
from app.sync import capture as sync_capture

CONSUMER = "webhooks"
SKIP_AHEAD = 1000
DROP = -1  # a batch's end: drop the position (no enabled subscription)


@dataclass(frozen=True)
class Batch:
    start: int  # the position when read
    end: int  # the position once written
    rows: list[dict]
    more: bool


def read_batch(session: Session, limit: int) -> Batch | None:
    start = consumers.position(session, CONSUMER)
    subscriptions = repo.active_subscriptions(session)
    if not subscriptions:
        return Batch(start, DROP, [], False) if consumers.exists(session, CONSUMER) else None
    newest = outbox.settled_max(session)
    if newest <= start:
        return None
    wanted = {t for _id, types, _from in subscriptions for t in types}
    # nothing before the oldest subscription's first event is anyone's
    after = max([start, min((f for _i, _t, f in subscriptions), default=newest)])
    events = outbox.events_after(session, after, wanted, {}, upto=newest, limit=limit) \
        if wanted and after < newest else []
    if not events and newest - start < SKIP_AHEAD:
        return None
    more = len(events) == limit
    now = utcnow()
    rows = [{"subscription_id": sid, "event_id": e.id, "event_type": e.topic,
             "body": messages.body(e), "status": DeliveryStatus.PENDING.value,
             "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for e in events for sid, types, first in subscriptions
            if e.topic in types and e.id > first]
    return Batch(start, events[-1].id if more else newest, rows, more)


def record(session: Session, start: int, end: int, rows: list[dict]) -> int | None:
    """Write the deliveries and move the position; None (nothing written) when another
    process moved it first. Module-level: on SQLite it runs in the writer process."""
    if end == DROP:
        return 0 if consumers.forget(session, CONSUMER, start) else None
    if not consumers.advance(session, CONSUMER, start, end):
        return None
    ids = repo.insert_deliveries(session, rows)
    sync_capture.touch_rows(session, "WebhookDelivery", ids)
    sync_capture.record_plain(session, sync_capture.prepare(session))
    return len(rows)


def fan_out_pending(db: Database, limit: int = 500) -> int:
    """Every waiting event fanned out, in this thread (the CLI, tests): deliveries made."""
    total = 0
    while True:
        with Session(db.read_engine) as session:
            batch = read_batch(session, limit)
        if batch is None:
            return total
        with Session(db.write_engine) as session:
            written = record(session, batch.start, batch.end, batch.rows)
            session.commit()
        total += written or 0


class WebhookFanout(WokenRounds):
    name = "webhook-fanout"

    def __init__(self, db: Database, bus: EventBus, *, on_delivery: Callable[[], None],
                 gap: float = 0.1, poll: float = 5.0, batch: int = 500) -> None:
        super().__init__(bus, set(messages.EVENT_TYPES), gap=gap, poll=poll)
        self.db = db
        self.on_delivery = on_delivery  # wakes this process's dispatcher
        self.batch = batch

    async def round(self) -> bool:
        batch = await anyio.to_thread.run_sync(self._read)
        if batch is None:
            return False
        written = await write_in_session(self.db, record, batch.start, batch.end, batch.rows)
        if written:
            self.on_delivery()
        return written is None or batch.more

    def _read(self) -> Batch | None:
        with Session(self.db.read_engine) as session:
            return read_batch(session, self.batch)
