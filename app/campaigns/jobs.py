"""The campaign sender: at start-up and every CRM_CAMPAIGN_SEND_SECONDS (0: never, then
`crm campaigns send` from a scheduler) it works every due campaign, a batch
(CRM_CAMPAIGN_BATCH customers) per unit of work so the writer is never held long, until
each is done or has reached its rate for the minute (docs/architecture.md#campaigns).
Several processes may run it at once (app/campaigns/service.py send_step)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from app.auth.principal import SYSTEM
from app.campaigns import service
from app.config import Settings
from app.errors import DomainError
from app.persistence.background import Periodic
from app.persistence.uow import Runner

log = logging.getLogger("crm.campaigns.sender")


async def send_due(runner: Runner, now: datetime | None = None, batch: int | None = None
                   ) -> int:
    """One pass over the due campaigns; messages queued."""
    total = 0
    for campaign_id in await runner.read(service.due_campaigns, now):
        while True:
            try:
                result = await runner.write(service.send_step, campaign_id, now, batch,
                                            principal=SYSTEM)
            except DomainError as exc:  # cancelled while this batch was written
                log.info("campaign %s: %s", campaign_id, exc.message)
                break
            total += result.queued
            if not result.more:
                break
            await asyncio.sleep(0)  # let requests in between two batches
    return total


def send_due_sync(runner: Runner, now: datetime | None = None, batch: int | None = None
                  ) -> int:
    """The same pass in this thread (the CLI, tests, the benchmark)."""
    total = 0
    for campaign_id in runner.read_sync(service.due_campaigns, (now,), {}):
        while True:
            try:
                result = runner.write_sync(service.send_step, campaign_id, now, batch,
                                           principal=SYSTEM)
            except DomainError:
                break
            total += result.queued
            if not result.more:
                break
    return total


@dataclass
class CampaignSender(Periodic):
    runner: Runner
    settings: Settings
    queued: int = 0  # total (observability)
    name = "campaign-sender"

    def interval(self) -> float:
        return self.settings.campaign_send_seconds

    async def run_once(self) -> int:
        try:
            count = await send_due(self.runner)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the campaign sender failed: %s", exc)
            return 0
        self.queued += count
        if count:
            log.info("%d campaign messages queued", count)
        return count
