"""Campaign mutations, one per workflow step: parse the input, call one service, map the
result to `{ campaign, userErrors }`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from app.campaigns import service
from app.errors import DomainError
from app.ids import parse_id
from schema.campaigns.inputs import (
    CampaignCreateInput,
    CampaignScheduleInput,
    CampaignUpdateInput,
    draft_from,
)
from schema.campaigns.types import Campaign
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]
               ) -> CampaignPayload:
    try:
        args = parse()
    except DomainError as exc:
        return CampaignPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *args)
    return CampaignPayload(campaign=Campaign.from_row(row) if row else None,
                           user_errors=errors)


@strawberry.type
class CampaignMutation:
    @strawberry.mutation(description="Save a new campaign as a DRAFT: templates checked "
                         "(unknown placeholders, links outside the allowed domains refused).")
    async def campaign_create(self, info: strawberry.Info, input: CampaignCreateInput
                              ) -> CampaignPayload:
        return await _run(info, service.create_campaign, lambda: (draft_from(input),))

    @strawberry.mutation(description="Change a DRAFT campaign.")
    async def campaign_update(self, info: strawberry.Info, input: CampaignUpdateInput
                              ) -> CampaignPayload:
        return await _run(info, service.update_campaign, lambda: (
            parse_id(input.id, "Campaign", "id"), draft_from(input), input.expected_version))

    @strawberry.mutation(description="DRAFT -> SCHEDULED: the background sender starts it at "
                         "`at` (or its scheduledAt, or now) and queues at most ratePerMinute "
                         "messages a minute.")
    async def campaign_schedule(self, info: strawberry.Info, input: CampaignScheduleInput
                                ) -> CampaignPayload:
        return await _run(info, service.schedule_campaign, lambda: (
            parse_id(input.id, "Campaign", "id"), input.at, input.rate_per_minute))

    @strawberry.mutation(description="SCHEDULED or SENDING -> CANCELLED: messages not yet "
                         "handed to a channel are withdrawn and never sent.")
    async def campaign_cancel(self, info: strawberry.Info, id: strawberry.ID
                              ) -> CampaignPayload:
        return await _run(info, service.cancel_campaign, lambda: (
            parse_id(id, "Campaign", "id"),))
