"""GraphQL types of campaigns: the campaign, its audience filter and its stats
(docs/architecture.md#campaigns)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.campaigns import models as m
from app.campaigns import service
from app.campaigns.repository import Stats
from app.segments import repository as segments_repo
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.segments.types import Segment

register_loader("saved_segment_by_id", segments_repo.saved_by_ids)

CampaignStatus = strawberry.enum(m.CampaignStatus, name="CampaignStatus")
CampaignChannel = strawberry.enum(m.CampaignChannel, name="CampaignChannel")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(description="What a campaign did: recipients, the dispatcher's outcome of "
                 "their messages (delivered: accepted by the mail server or SMS provider, "
                 "or stored in the in-app inbox; failed: bounced or refused), opens, clicks, "
                 "unsubscribes, and the orders placed within the attribution window after a "
                 "click. Rates are fractions 0..1 (null when nothing to divide by).")
class CampaignStats:
    recipients: int = strawberry.field(description="Customers the campaign was queued for.")
    audience: int | None = strawberry.field(
        description="Customers matching when sending started.")
    pending: int = strawberry.field(description="Messages waiting for the dispatcher.")
    sent: int = strawberry.field(description="Messages the dispatcher has finished with "
                                 "(delivered + failed).")
    delivered: int
    failed: int = strawberry.field(description="Bounced, refused or given up.")
    cancelled: int = strawberry.field(description="Withdrawn unsent by a cancel.")
    opened: int
    clicked: int
    unsubscribed: int
    delivery_rate: float | None = strawberry.field(description="delivered / sent")
    open_rate: float | None = strawberry.field(description="opened / delivered")
    click_rate: float | None = strawberry.field(description="clicked / delivered")
    click_to_open_rate: float | None = strawberry.field(description="clicked / opened")
    unsubscribe_rate: float | None = strawberry.field(description="unsubscribed / delivered")
    attributed_orders: int = strawberry.field(
        description="Orders placed from a recipient's first click up to the attribution days "
        "after its last (CRM_CAMPAIGN_ATTRIBUTION_DAYS, default 7); cancelled and rejected "
        "orders left out.")
    attributed_revenue: Money

    @classmethod
    def from_stats(cls, s: Stats, audience: int | None) -> CampaignStats:
        sent = s.delivered + s.failed
        return cls(recipients=s.recipients, audience=audience, pending=s.pending, sent=sent,
                   delivered=s.delivered, failed=s.failed, cancelled=s.cancelled,
                   opened=s.opened, clicked=s.clicked, unsubscribed=s.unsubscribed,
                   delivery_rate=_rate(s.delivered, sent), open_rate=_rate(s.opened,
                                                                          s.delivered),
                   click_rate=_rate(s.clicked, s.delivered),
                   click_to_open_rate=_rate(s.clicked, s.opened),
                   unsubscribe_rate=_rate(s.unsubscribed, s.delivered),
                   attributed_orders=s.attributed_orders,
                   attributed_revenue=money(s.attributed_revenue))


@strawberry.type(description="The customers a campaign targets when it has no saved segment; "
                 "every part given must match (an empty list: any).")
class CampaignAudience:
    segments: list[str]
    regions: list[str]
    tiers: list[str]
    owner_id: strawberry.ID | None
    min_recency_score: int | None
    min_frequency_score: int | None
    min_monetary_score: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CampaignAudience:
        c = segments_repo.Criteria.from_json(data)
        return cls(segments=list(c.segments), regions=list(c.regions), tiers=list(c.tiers),
                   owner_id=gid("User", c.owner_id) if c.owner_id else None,
                   min_recency_score=c.min_recency_score,
                   min_frequency_score=c.min_frequency_score,
                   min_monetary_score=c.min_monetary_score)


@strawberry.type(description="A marketing campaign to a saved segment or a filter, by e-mail, "
                 "SMS or in-app message, in Chinese and English (the customer's language picks "
                 "the text). DRAFT -> SCHEDULED -> SENDING -> DONE; cancellable while "
                 "SCHEDULED or SENDING.")
class Campaign(Node):
    name: str
    status: CampaignStatus  # type: ignore[valid-type]
    channel: CampaignChannel  # type: ignore[valid-type]
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    links: list[str] = strawberry.field(description="The tracked links' targets.")
    scheduled_at: datetime | None
    rate_per_minute: int | None = strawberry.field(
        description="Messages queued per minute at most; null: as fast as the sender goes.")
    audience: int | None = strawberry.field(
        description="Customers matching when sending started.")
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None
    version: int
    _pk: strawberry.Private[int]
    _segment_id: strawberry.Private[int | None]
    _criteria: strawberry.Private[dict[str, Any] | None]

    @strawberry.field
    def segment_id(self) -> strawberry.ID | None:
        return gid("Segment", self._segment_id) if self._segment_id else None

    @strawberry.field(description="The saved segment targeted; null with a filter of its own "
                      "(or without segments:read).")
    async def segment(self, info: strawberry.Info) -> Annotated[
            Segment, strawberry.lazy("schema.segments.types")] | None:
        if self._segment_id is None or not current_principal(info).can(Perm.SEGMENTS_READ):
            return None
        row = await info.context.loaders.load("saved_segment_by_id", self._segment_id)
        return object_type("Segment").from_row(row) if row else None

    @strawberry.field(name="filter", description="The campaign's own filter; null when it "
                      "targets a saved segment.")
    def criteria(self) -> CampaignAudience | None:
        return None if self._criteria is None else CampaignAudience.from_json(self._criteria)

    @strawberry.field(description="The campaign's figures (campaignStats).")
    async def stats(self, info: strawberry.Info) -> CampaignStats | None:
        found = await run_read(info, service.campaign_stats, current_principal(info),
                               self._pk)
        return None if found is None else CampaignStats.from_stats(found, self.audience)

    @classmethod
    def from_row(cls, row: m.Campaign) -> Campaign:
        return cls(id=gid("Campaign", row.id), name=row.name, status=m.CampaignStatus(row.status),
                   channel=m.CampaignChannel(row.channel), subject_zh=row.subject_zh,
                   subject_en=row.subject_en, body_zh=row.body_zh, body_en=row.body_en,
                   links=list(row.links or []), scheduled_at=row.scheduled_at,
                   rate_per_minute=row.rate_per_minute, audience=row.audience,
                   created_at=row.created_at, updated_at=row.updated_at,
                   started_at=row.started_at, finished_at=row.finished_at,
                   cancelled_at=row.cancelled_at, version=row.version, _pk=row.id,
                   _segment_id=row.segment_id, _criteria=row.criteria)


async def fetch_campaign(info: strawberry.Info, pk: int) -> Campaign | None:
    row = await run_read(info, service.get_campaign, current_principal(info), pk)
    return Campaign.from_row(row) if row else None


register_node("Campaign", fetch_campaign)
register_types(Campaign)
