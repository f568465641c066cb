"""The SLA breach check: tickets past their first-response or resolution due time are
marked once each by a conditional UPDATE (two runs racing claim each breach once) and
`ticket.breached` is emitted; a resolution breach of an open ticket escalates it (priority
one step up, `ticket.escalated`). The notification planner tells the assignee and every
MANAGER; `ticketEvents` streams both. Runs every CRM_TICKET_BREACH_CHECK_SECONDS with the
process's background workers (app/events/runtime.py; 0: never)
(docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from app.auth.principal import SYSTEM
from app.config import Settings
from app.events import topics
from app.persistence.background import Periodic
from app.persistence.columns import utcnow
from app.persistence.uow import Runner, UnitOfWork
from app.sync import capture as sync_capture
from app.tickets import repository as repo
from app.tickets.models import OPEN_STATUSES

log = logging.getLogger("crm.tickets.breaches")
BATCH = 200  # tickets per unit of work
_NEXT = {"LOW": "NORMAL", "NORMAL": "HIGH", "HIGH": "URGENT", "URGENT": "URGENT"}


@dataclass(frozen=True)
class BreachResult:
    examined: int
    breached: list[tuple[int, str]]  # (ticket id, FIRST_RESPONSE | RESOLUTION)
    escalated: list[int]


def check_breaches(uow: UnitOfWork, now: datetime, limit: int = BATCH) -> BreachResult:
    session = uow.session
    breached: list[tuple[int, str]] = []
    escalated: list[int] = []
    examined = 0
    for resolution in (False, True):
        kind = "RESOLUTION" if resolution else "FIRST_RESPONSE"
        rows = repo.claim_breaches(session, now, limit, resolution=resolution)
        examined = max(examined, len(rows))
        for row in rows:
            due = row.resolution_due_at if resolution else row.first_response_due_at
            uow.emit(topics.TICKET_BREACHED, ticket_id=row.id, customer_id=row.customer_id,
                     assignee_id=row.assignee_id, number=row.number, breach=kind,
                     due_at=due.isoformat(), priority=row.priority, at=now.isoformat())
            breached.append((row.id, kind))
            if resolution and row.status in OPEN_STATUSES and row.priority != "URGENT":
                repo.escalate(session, row.id, _NEXT[row.priority])
                uow.emit(topics.TICKET_ESCALATED, ticket_id=row.id,
                         customer_id=row.customer_id, assignee_id=row.assignee_id,
                         number=row.number, priority=_NEXT[row.priority],
                         from_priority=row.priority, at=now.isoformat())
                escalated.append(row.id)
    # no audit record names these changes: the delta sync is told (docs/architecture.md#delta-sync)
    sync_capture.touch(uow, "Ticket", [ticket_id for ticket_id, _ in breached])
    return BreachResult(examined, breached, escalated)


async def run_check(runner: Runner, now: datetime | None = None) -> int:
    """Every breach once, in units of BATCH tickets; the number of breaches marked."""
    now = now or utcnow()
    total = 0
    while True:
        result = await runner.write(check_breaches, now, principal=SYSTEM)
        total += len(result.breached)
        if result.examined < BATCH:
            return total


@dataclass
class TicketBreachCheck(Periodic):
    """The background worker: at start-up, then every `ticket_breach_check_seconds`."""

    runner: Runner
    settings: Settings
    name = "ticket-breach-check"

    def interval(self) -> float:
        return self.settings.ticket_breach_check_seconds

    async def run_once(self) -> int:
        try:
            count = await run_check(self.runner)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the ticket breach check failed: %s", exc)
            return 0
        if count:
            log.info("ticket breach check: %d breaches", count)
        return count
