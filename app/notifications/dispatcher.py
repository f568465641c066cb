"""Sends pending EMAIL/SMS notifications, retrying with exponential backoff.

Work is claimed in a short transaction (leased: a sender that dies gives it
back when the lease runs out), sent outside any transaction, and the outcome
recorded: SENT, PENDING with the next attempt time, or FAILED with the reason.
Several processes may run a dispatcher: claims skip each other's locked rows.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
from sqlmodel import Session

from app.events import topics
from app.events.bus import EventBus
from app.events.rounds import WokenRounds
from app.notifications import repository as repo
from app.notifications.channels import Channel, DeliveryError, Unconfigured
from app.notifications.models import Notification
from app.notifications.repository import Status
from app.persistence.columns import utcnow
from app.persistence.db import Database
from app.persistence.sqlite.writers import write_in_session
from app.sync import capture as sync_capture

log = logging.getLogger("crm.notifications.dispatch")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    lease_seconds: float = 60.0

    def delay(self, attempts: int) -> float:
        return min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))


class NotificationDispatcher(WokenRounds):
    name = "notification-dispatch"

    def __init__(self, db: Database, bus: EventBus, channels: dict[str, Channel], *,
                 policy: RetryPolicy | None = None, poll_seconds: float = 5.0,
                 batch: int = 20, round_gap_seconds: float = 0.2) -> None:
        # Woken rounds start at most every `round_gap_seconds`: one round for a burst of
        # planned batches (a round per notification, hundreds a second, cost S3 5-10% of its
        # throughput and part of its p99). A backlog is drained at once.
        super().__init__(bus, {topics.NOTIFICATIONS_DUE}, gap=round_gap_seconds,
                         poll=poll_seconds)
        self.db = db
        self.channels = channels
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self._reported: set[str] = set()
        # channels fixed at start: those without a sender are failed in bulk, never claimed
        # ({channel: the reason recorded})
        self._unconfigured = {c: f"{s.what} is not configured" for c, s in channels.items()
                              if c in repo.SENDABLE and isinstance(s, Unconfigured)}
        self._sendable = [c for c in repo.SENDABLE if c not in self._unconfigured]

    # One round ----------------------------------------------------------------
    async def round(self) -> bool:
        return await self.run_once() >= self.batch  # more are due: no pause

    async def run_once(self) -> int:
        """Send every notification due now (one batch); returns how many were tried.

        The batch's outcomes are recorded together, in one short transaction: on
        SQLite every write waits for the one writer, so a write per message would
        hold up the requests behind a burst of notifications.
        """
        now = utcnow()
        claimed, failed = await write_in_session(
            self.db, claim_round, now, now + timedelta(seconds=self.policy.lease_seconds),
            self.batch, self._sendable, self._unconfigured)
        for channel in failed:
            if channel not in self._reported:  # say it once, not once per message
                self._reported.add(channel)
                log.warning("%s notifications are recorded as FAILED: %s", channel,
                            failed[channel])
        if claimed:
            outcomes = await asyncio.gather(*(self._deliver(n) for n in claimed))
            await self._record(list(zip((n.id for n in claimed), outcomes, strict=True)))
        return len(claimed)

    async def _deliver(self, n: Notification) -> dict:
        """Send one notification; the values recording the outcome."""
        channel = self.channels.get(n.channel)
        try:
            if channel is None:
                raise DeliveryError(f"no sender for channel {n.channel}", permanent=True)
            if getattr(channel, "blocking", True):
                await anyio.to_thread.run_sync(channel.send, n)
            else:  # fails at once (not configured): no thread needed
                channel.send(n)
        except DeliveryError as exc:
            return self._failure(n, exc)
        except Exception as exc:  # a bug in a sender: retry, and say what happened
            log.exception("sending notification %s failed unexpectedly", n.id)
            return self._failure(n, DeliveryError(f"unexpected: {exc}"))
        return {"status": Status.SENT.value, "sent_at": utcnow(), "next_attempt_at": None,
                "last_error": None}

    def _failure(self, n: Notification, exc: DeliveryError) -> dict:
        if exc.unconfigured:
            if n.channel not in self._reported:  # say it once, not once per message
                self._reported.add(n.channel)
                log.warning("%s notifications are recorded as FAILED: %s", n.channel,
                            exc.message)
        elif exc.permanent or n.attempts >= self.policy.max_attempts:
            log.warning("notification %s failed for good after %d attempts: %s",
                        n.id, n.attempts, exc.message)
        if exc.permanent or n.attempts >= self.policy.max_attempts:
            return {"status": Status.FAILED.value, "next_attempt_at": None,
                    "last_error": exc.message}
        delay = timedelta(seconds=self.policy.delay(n.attempts))
        return {"status": Status.PENDING.value, "next_attempt_at": utcnow() + delay,
                "last_error": exc.message}

    async def _record(self, outcomes: list[tuple[int, dict]]) -> None:
        try:
            await write_in_session(self.db, record_outcomes, outcomes)
        except Exception:  # the leases expire and the rows are tried again
            log.exception("recording the outcome of %d notifications failed", len(outcomes))


# The writes, module-level: on SQLite they run in the writer process
# (app.persistence.sqlite.writer) -------

def claim_round(session: Session, now: datetime, lease_until: datetime, limit: int,
                sendable: list[str], unconfigured: dict[str, str]
                ) -> tuple[list[Notification], dict[str, str]]:
    """Due notifications of the channels that cannot send fail at once, in bulk; those of
    the others are claimed. (The claimed ones, and {channel: reason} of the channels
    whose notifications failed.)"""
    failed = {}
    for channel, reason in unconfigured.items():
        ids = repo.fail_due(session, channel, now, reason)
        sync_capture.touch_rows(session, "Notification", ids)
        if ids:
            failed[channel] = reason
    claimed = repo.claim_due(session, now, lease_until, limit, channels=sendable)
    sync_capture.touch_rows(session, "Notification", [n.id for n in claimed])
    session.flush()
    sync_capture.record_plain(session, sync_capture.prepare(session))
    return claimed, failed


def record_outcomes(session: Session, outcomes: list[tuple[int, dict]]) -> None:
    for notification_id, values in outcomes:
        repo.record(session, notification_id, values)
    sync_capture.touch_rows(session, "Notification", [i for i, _ in outcomes])
    sync_capture.record_plain(session, sync_capture.prepare(session))
