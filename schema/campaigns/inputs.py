"""Input types of campaigns and their translation into service arguments (global IDs
decoded here)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.campaigns import repository as repo
from app.campaigns.service import CampaignDraft
from app.ids import parse_id
from app.segments.repository import Criteria
from schema.campaigns.types import CampaignChannel, CampaignStatus

CampaignSort = strawberry.enum(repo.CampaignSort, name="CampaignSort")


@strawberry.input(description="Which customers a campaign targets without a saved segment; "
                  "every part given must match (an empty list: any). Customers who "
                  "unsubscribed, switched the channel off or have no address for it are "
                  "always left out.")
class CampaignAudienceInput:
    segments: list[str] | None = strawberry.field(
        default=None, description="Computed segments: VIP, REGULAR, POTENTIAL, AT_RISK, LOST.")
    regions: list[str] | None = None
    tiers: list[str] | None = None
    owner_id: strawberry.ID | None = None
    min_recency_score: int | None = None
    min_frequency_score: int | None = None
    min_monetary_score: int | None = None


_TEMPLATE_HELP = ("Placeholders: {{name}}, {{code}}, {{region}}, {{tier}}, "
                  "{{unsubscribe_url}} and {{link:https://...}} (a tracked link to an allowed "
                  "domain); anything else is refused. E-mail and SMS get an unsubscribe line "
                  "when the text has no {{unsubscribe_url}}.")


@strawberry.input(description="A new campaign, saved as a DRAFT. " + _TEMPLATE_HELP)
class CampaignCreateInput:
    name: str
    channel: CampaignChannel  # type: ignore[valid-type]
    body_zh: str
    body_en: str
    subject_zh: str = ""
    subject_en: str = ""
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="A saved segment to target (or give `filter`).")
    filter: CampaignAudienceInput | None = None
    scheduled_at: datetime | None = None
    rate_per_minute: int | None = None


@strawberry.input(description="Only the fields sent change; a DRAFT only. " + _TEMPLATE_HELP)
class CampaignUpdateInput:
    id: strawberry.ID
    name: str | None = None
    channel: CampaignChannel | None = None  # type: ignore[valid-type]
    body_zh: str | None = None
    body_en: str | None = None
    subject_zh: str | None = None
    subject_en: str | None = None
    segment_id: strawberry.ID | None = None
    filter: CampaignAudienceInput | None = None
    scheduled_at: datetime | None = None
    rate_per_minute: int | None = None
    expected_version: int | None = None


@strawberry.input
class CampaignScheduleInput:
    id: strawberry.ID
    at: datetime | None = strawberry.field(default=None, description="Default: the campaign's "
                                           "scheduledAt, else now.")
    rate_per_minute: int | None = None


@strawberry.input
class CampaignFilter:
    status: list[CampaignStatus] | None = None  # type: ignore[valid-type]
    channel: list[CampaignChannel] | None = None  # type: ignore[valid-type]
    segment_id: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = strawberry.field(default=None, description="Part of the name.")


def _criteria(f: CampaignAudienceInput | None) -> Criteria | None:
    if f is None:
        return None
    owner = parse_id(f.owner_id, "User", ["filter", "ownerId"]) if f.owner_id else None
    return Criteria(segments=tuple(f.segments or ()), regions=tuple(f.regions or ()),
                    tiers=tuple(f.tiers or ()), owner_id=owner,
                    min_recency_score=f.min_recency_score,
                    min_frequency_score=f.min_frequency_score,
                    min_monetary_score=f.min_monetary_score)


def _segment(value: strawberry.ID | None) -> int | None:
    return parse_id(value, "Segment", "segmentId") if value else None


def draft_from(i: CampaignCreateInput | CampaignUpdateInput) -> CampaignDraft:
    """Raises NOT_FOUND (a DomainError) for an id of another type."""
    return CampaignDraft(
        name=i.name, channel=i.channel.value if i.channel else None,
        segment_id=_segment(i.segment_id), criteria=_criteria(i.filter),
        subject_zh=i.subject_zh, subject_en=i.subject_en, body_zh=i.body_zh,
        body_en=i.body_en, scheduled_at=i.scheduled_at, rate_per_minute=i.rate_per_minute)


def filter_from(f: CampaignFilter | None) -> repo.CampaignFilter:
    if f is None:
        return repo.CampaignFilter()
    return repo.CampaignFilter(
        statuses=tuple(s.value for s in f.status or ()),
        channels=tuple(c.value for c in f.channel or ()),
        segment_id=parse_id(f.segment_id, "Segment", "segmentId") if f.segment_id else None,
        created_after=f.created_after, created_before=f.created_before, search=f.search)
