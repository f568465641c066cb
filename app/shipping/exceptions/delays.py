"""The delay check: a parcel with the carrier whose estimated delivery has passed without a
delivery gets a DELAYED exception (source CHECK). It runs in the background every
CRM_DELAY_CHECK_SECONDS (`DelayChecks`, started with the process's other background
workers: app/events/runtime.py) and from `crm check-delays`
(docs/architecture.md#delivery-exceptions).

Idempotent: a parcel with an open DELAYED exception is skipped (open_key), and so is one
whose lateness for its current estimate was raised before, even if staff resolved it since;
a new estimate (a redelivery date) can be missed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.auth.principal import SYSTEM
from app.config import Settings
from app.persistence.background import Periodic
from app.persistence.uow import Runner, UnitOfWork
from app.shipping import repository as repo
from app.shipping.exceptions.opening import open_exception
from app.shipping.models import ExceptionSource, ExceptionType

log = logging.getLogger("crm.shipping.delays")
BATCH = 200  # shipments per unit of work: a long backlog never holds the writer for long


@dataclass(frozen=True)
class CheckResult:
    examined: int  # late shipments looked at (BATCH: there may be more)
    opened: list[int]  # ids of the DELAYED exceptions opened


def check_delays(uow: UnitOfWork, today: date, limit: int = BATCH) -> CheckResult:
    """Open DELAYED exceptions for up to `limit` shipments on their way whose estimated
    delivery is before `today` (the business day)."""
    late = repo.late_shipments(uow.session, today, limit)
    opened = []
    for shipment in late:
        row, new = open_exception(
            uow, shipment, ExceptionType.DELAYED.value, ExceptionSource.CHECK.value,
            f"estimated delivery {shipment.estimated_delivery.isoformat()} has passed "
            f"without delivery (status {shipment.status})")
        if new:
            opened.append(row.id)
    return CheckResult(len(late), opened)


def business_today(timezone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()


async def run_delay_check(runner: Runner, today: date) -> int:
    """Every late shipment, in units of BATCH: the exceptions opened."""
    total = 0
    while True:
        result = await runner.write(check_delays, today, principal=SYSTEM)
        total += len(result.opened)
        if result.examined < BATCH:
            return total


@dataclass
class DelayChecks(Periodic):
    """The background worker: the check at start-up, then every `delay_check_seconds`
    (0: never)."""

    runner: Runner
    settings: Settings
    opened: int = 0  # total (observability)
    name = "delay-check"

    def interval(self) -> float:
        return self.settings.delay_check_seconds

    async def run_once(self, today: date | None = None) -> int:
        today = today or business_today(self.settings.business_timezone)
        try:
            count = await run_delay_check(self.runner, today)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the delay check failed: %s", exc)
            return 0
        self.opened += count
        if count:
            log.info("the delay check opened %d DELAYED exceptions", count)
        return count

