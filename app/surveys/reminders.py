"""The due-date reminder: an approved order not dispatched whose promised date is within
CRM_REMINDER_LEAD_DAYS business days gets one `order.due_soon` (the customer's "due soon"
notice and the staff's "at risk" alert come from it: app/notifications/planner.py). The
reminder row is the claim (`order_reminder`, one per order), so two runs racing remind
once. Runs every CRM_REMINDER_CHECK_SECONDS with the process's background workers and
from `crm check-reminders`
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.auth.principal import SYSTEM
from app.config import Settings
from app.events import topics
from app.persistence.background import Periodic
from app.persistence.columns import utcnow
from app.persistence.uow import Runner, UnitOfWork
from app.surveys import repository as repo

log = logging.getLogger("crm.surveys.reminders")
BATCH = 200


@dataclass(frozen=True)
class ReminderResult:
    examined: int
    reminded: list[int]  # order ids


def remind_due_orders(uow: UnitOfWork, now: datetime | None = None, limit: int = BATCH
                      ) -> ReminderResult:
    now = now or utcnow()
    settings = uow.settings
    today = now.astimezone(ZoneInfo(settings.business_timezone)).date()
    last_day = today + timedelta(days=settings.reminder_lead_days)
    due = repo.due_for_reminder(uow.session, last_day, limit)
    reminded = []
    for order in due:
        if not repo.claim_reminder(uow.session, order.id, order.promised_date, now):
            continue
        uow.emit(topics.ORDER_DUE_SOON, order_id=order.id, customer_id=order.customer_id,
                 owner_id=repo.owner_of(uow.session, order.customer_id),
                 promised_date=order.promised_date.isoformat(), status=order.status,
                 at=now.isoformat())
        reminded.append(order.id)
    return ReminderResult(len(due), reminded)


async def run_reminders(runner: Runner, now: datetime | None = None) -> int:
    total = 0
    while True:
        result = await runner.write(remind_due_orders, now, principal=SYSTEM)
        total += len(result.reminded)
        if result.examined < BATCH:
            return total


@dataclass
class ReminderChecks(Periodic):
    runner: Runner
    settings: Settings
    name = "due-date-reminders"

    def interval(self) -> float:
        return self.settings.reminder_check_seconds

    async def run_once(self) -> int:
        try:
            total = await run_reminders(self.runner)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the due-date reminder check failed: %s", exc)
            return 0
        if total:
            log.info("due-date reminders: %d orders", total)
        return total
