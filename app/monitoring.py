"""What the metrics read from the database when scraped: outbox lag and the notification
backlog (docs/architecture.md#metrics). Three short reads on a read session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.events.repository import consumers, outbox
from app.notifications import repository as notifications
from app.persistence.columns import utcnow


@dataclass(frozen=True)
class Backlog:
    unpublished_events: int
    oldest_unpublished_seconds: float  # 0 when every event is published
    consumer_lag: dict[str, int]  # outbox events a durable consumer has yet to consume
    notifications_due: dict[str, int]  # EMAIL / SMS still to send


def backlog(session: Session) -> Backlog:
    oldest = outbox.oldest_unpublished(session)
    newest = outbox.max_id(session)
    due = notifications.backlog(session)
    return Backlog(
        unpublished_events=outbox.unpublished_count(session),
        oldest_unpublished_seconds=0.0 if oldest is None
        else max(0.0, (utcnow() - oldest).total_seconds()),
        consumer_lag={name: max(0, newest - position)
                      for name, position in consumers.positions(session).items()},
        notifications_due={channel: due.get(channel, 0)
                           for channel in notifications.SENDABLE},
    )
