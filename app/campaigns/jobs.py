"""The campaign sender: at start-up and every CRM_CAMPAIGN_SEND_SECONDS (0: never, then
`crm campaigns send` from a scheduler) it works every due campaign, a batch
(CRM_CAMPAIGN_BATCH customers) per unit of work so the writer is never held long, until
each is done or has reached its rate for the minute. Between two batches it rests
CRM_CAMPAIGN_PAUSE_RATIO times as long as the batch took, so the requests keep most of the
process (docs/architecture.md#campaigns).
Several processes may run it at once (app/campaigns/service.py send_step)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from app.auth.principal import SYSTEM
from app.campaigns import service
from app.config import Settings
from app.errors import DomainError
from app.persistence.background import Periodic
from app.persistence.columns import utcnow
from app.persistence.uow import Runner

log = logging.getLogger("crm.campaigns.sender")


async def send_due(runner: Runner, now: datetime | None = None, batch: int | None = None
                   ) -> int:
    """One pass over the due campaigns; messages queued. Each batch is read and rendered
    on a read connection, then written in a unit of work of its own (on SQLite the writer
    runs only the INSERTs)."""
    total, size = 0, batch or runner.settings.campaign_batch
    pause = runner.settings.campaign_pause_ratio
    for campaign_id in await runner.read(service.due_campaigns, now):
        after = 0  # each batch reads on from the last one's customers
        while True:
            started, at = time.perf_counter(), now or utcnow()
            prepared = await runner.read(service.prepare_batch, campaign_id, at, size,
                                         runner.settings, after)
            if prepared is None:
                break
            try:
                result = await runner.write(service.write_batch, prepared, at,
                                            principal=SYSTEM)
            except DomainError as exc:  # cancelled while this batch was written
                log.info("campaign %s: %s", campaign_id, exc.message)
                break
            total, after = total + result.queued, prepared.last_id
            if not result.more:
                break
            # paced: the server's requests keep most of the process (and the SQLite
            # writer) while a large campaign is planned (S9, docs/architecture.md#campaigns)
            await asyncio.sleep((time.perf_counter() - started) * pause)
    return total


def send_due_sync(runner: Runner, now: datetime | None = None, batch: int | None = None
                  ) -> int:
    """The same pass in this thread (the CLI, tests, the benchmark)."""
    total, size = 0, batch or runner.settings.campaign_batch
    for campaign_id in runner.read_sync(service.due_campaigns, (now,), {}):
        after = 0
        while True:
            at = now or utcnow()
            prepared = runner.read_sync(service.prepare_batch,
                                        (campaign_id, at, size, runner.settings, after), {})
            if prepared is None:
                break
            try:
                result = runner.write_sync(service.write_batch, prepared, at,
                                           principal=SYSTEM)
            except DomainError:
                break
            total, after = total + result.queued, prepared.last_id
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
