"""`campaigns`, `campaign` and `campaignStats`: parse, call one service, map."""

from __future__ import annotations

import strawberry

from app.campaigns import service
from app.errors import DomainError
from app.ids import parse_id
from schema.campaigns.inputs import CampaignFilter, CampaignSort, filter_from
from schema.campaigns.types import Campaign, CampaignStats
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read


@strawberry.type
class CampaignQuery:
    @strawberry.field(description="Marketing campaigns, newest first by default.")
    async def campaigns(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CampaignFilter | None = None,
        sort: CampaignSort | None = None,  # type: ignore
    ) -> Connection[Campaign]:
        sort = sort or CampaignSort.CREATED_AT_DESC  # null: the list's default order
        page = await run_read(info, service.list_campaigns, current_principal(info),
                              filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, Campaign.from_row)

    @strawberry.field(description="One campaign; null when missing.")
    async def campaign(self, info: strawberry.Info, id: strawberry.ID) -> Campaign | None:
        return await lookup(info, id, "Campaign")

    @strawberry.field(description="A campaign's report: recipients, delivered, opened, clicked, "
                      "unsubscribed, failed, rates and attributed orders; null when missing.")
    async def campaign_stats(self, info: strawberry.Info, id: strawberry.ID
                             ) -> CampaignStats | None:
        try:
            pk = parse_id(id, "Campaign", "id")
        except DomainError:  # a malformed id answers like a missing one
            return None
        principal = current_principal(info)
        row = await run_read(info, service.get_campaign, principal, pk)
        if row is None:
            return None
        stats = await run_read(info, service.campaign_stats, principal, pk)
        return None if stats is None else CampaignStats.from_stats(stats, row.audience)
