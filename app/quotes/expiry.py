"""The expiry pass: open quotes (DRAFT to SENT) valid until before the business day become
EXPIRED. It runs with the process's background workers (app/events/runtime.py) at start-up
and every CRM_QUOTE_EXPIRY_SECONDS, and as `crm expire-quotes`, like the delay check
(app/shipping/exceptions/delays.py); docs/architecture.md#quotes-and-price-agreements.

Idempotent: an expired quote is no longer open, so a second pass (or a second process)
finds nothing; each batch's rows are locked (PostgreSQL)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from app.auth.principal import SYSTEM
from app.config import Settings
from app.persistence.background import Periodic
from app.persistence.columns import utcnow
from app.persistence.uow import Runner, UnitOfWork, snapshot
from app.quotes import repository as repo
from app.quotes.models import QuoteStatus
from app.quotes.service import move
from app.quotes.workflow import business_today

log = logging.getLogger("crm.quotes.expiry")
BATCH = 200  # quotes per unit of work: a long backlog never holds the writer for long


@dataclass(frozen=True)
class ExpiryResult:
    examined: int
    expired: list[int]


def expire_quotes(uow: UnitOfWork, today: date, limit: int = BATCH) -> ExpiryResult:
    """Expire up to `limit` open quotes valid until before `today`."""
    found = repo.expired_candidates(uow.session, today, limit)
    for quote in found:
        before = snapshot(quote)
        quote.decided_at = utcnow()
        move(uow, quote, QuoteStatus.EXPIRED, "expired", before=before)
    return ExpiryResult(len(found), [q.id for q in found])


async def run_expiry(runner: Runner, today: date) -> int:
    total = 0
    while True:
        result = await runner.write(expire_quotes, today, principal=SYSTEM)
        total += len(result.expired)
        if result.examined < BATCH:
            return total


@dataclass
class QuoteExpiry(Periodic):
    """The background worker: the pass at start-up, then every `quote_expiry_seconds`
    (0: never)."""

    runner: Runner
    settings: Settings
    expired: int = 0  # total (observability)
    name = "quote-expiry"

    def interval(self) -> float:
        return self.settings.quote_expiry_seconds

    async def run_once(self, today: date | None = None) -> int:
        today = today or business_today(self.settings.business_timezone)
        try:
            count = await run_expiry(self.runner, today)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the quote expiry pass failed: %s", exc)
            return 0
        self.expired += count
        if count:
            log.info("%d quotes expired", count)
        return count
