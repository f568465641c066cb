"""The sender of surveys: a durable consumer of the outbox (position `surveys`, as the
segment updater: app/segments/jobs.py) that reads `order.status_changed` events to
DELIVERED and `ticket.resolved` events and creates each one's survey, and turns
`survey.low_score` events into follow-up tickets, moving its position in the same unit of
work, so each event has its effect once, after a crash too. The order's transaction pays nothing
for it. Runs with the process's other background workers (app/events/runtime.py) unless
CRM_SURVEY_AFTER_DELIVERY=0
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.to_thread
from sqlmodel import Session

from app.auth.principal import SYSTEM
from app.config import Settings
from app.events import topics
from app.events.bus import EventBus
from app.events.repository import consumers, outbox
from app.events.rounds import WokenRounds
from app.persistence.uow import Runner
from app.surveys import service

TOPICS = (topics.ORDER_STATUS_CHANGED, topics.TICKET_RESOLVED, topics.SURVEY_LOW_SCORE)
SKIP_AHEAD = 1000  # events stepped over without a delivery are written past this late


@dataclass(frozen=True)
class Batch:
    start: int
    end: int
    order_ids: list[int]
    more: bool
    resolved: list[dict] = field(default_factory=list)  # ticket.resolved payloads
    low_scores: list[dict] = field(default_factory=list)  # survey.low_score payloads


def read_batch(session: Session, limit: int) -> Batch | None:
    start = consumers.position(session, service.CONSUMER)
    newest = outbox.settled_max(session)
    if newest <= start:
        return None
    events = outbox.events_after(session, start, TOPICS, {}, upto=newest, limit=limit)
    delivered = [e for e in events if e.topic == topics.ORDER_STATUS_CHANGED
                 and e.payload.get("to_status") == "DELIVERED"]
    resolved = [e.payload for e in events if e.topic == topics.TICKET_RESOLVED]
    low = [e.payload for e in events if e.topic == topics.SURVEY_LOW_SCORE]
    if not (delivered or resolved or low) and newest - start < SKIP_AHEAD \
            and len(events) < limit:
        return None
    more = len(events) == limit
    ids = list(dict.fromkeys(int(e.payload["order_id"]) for e in delivered))
    return Batch(start, events[-1].id if more else newest, ids, more, resolved, low)


def send_pending(runner: Runner, limit: int = 500) -> list[int]:
    """What the sender does, in this thread (CLI, tests): the surveys created."""
    made: list[int] = []
    while True:
        batch = runner.read_sync(read_batch, (limit,), {})
        if batch is None:
            return made
        result = runner.write_sync(service.send_after_delivery, batch.start, batch.end,
                                   batch.order_ids, principal=SYSTEM,
                                   resolved=batch.resolved, low_scores=batch.low_scores)
        made += result or []
        if result is not None and not batch.more:
            return made


class SurveySender(WokenRounds):
    name = "survey-sender"

    def __init__(self, runner: Runner, bus: EventBus, settings: Settings, *,
                 gap: float = 1.0, poll: float = 30.0, batch: int = 500) -> None:
        super().__init__(bus, set(TOPICS), gap=gap, poll=poll)
        self.runner = runner
        self.settings = settings
        self.batch = batch

    async def start(self) -> None:
        if self.settings.survey_after_delivery:
            await super().start()

    async def round(self) -> bool:
        batch = await anyio.to_thread.run_sync(self._read)
        if batch is None:
            return False
        result = await self.runner.write(service.send_after_delivery, batch.start,
                                         batch.end, batch.order_ids, principal=SYSTEM,
                                         resolved=batch.resolved,
                                         low_scores=batch.low_scores)
        return result is None or batch.more

    def _read(self) -> Batch | None:
        with Session(self.runner.db.read_engine) as session:
            return read_batch(session, self.batch)
