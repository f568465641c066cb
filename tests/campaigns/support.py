"""Helpers of the campaign tests: an audience of fresh customers in a region of its own,
campaigns made through the service, and the rows a campaign wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Role
from app.campaigns import service
from app.campaigns.models import Campaign, CampaignRecipient
from app.campaigns.repository import TEMPLATE
from app.notifications.models import Notification
from app.persistence.uow import Runner
from app.segments.repository import Criteria
from tests.support import Factory, unique

MARKETER = Principal(user_id=0, role=Role.MARKETING)


def audience(factory: Factory, size: int, **data: Any) -> tuple[str, list[int]]:
    """`size` customers in a region of their own: (region, customer ids)."""
    region = unique("region-")
    ids = [factory.customer(region=region, email=f"{unique('c')}@example.com",
                            **data).id for _ in range(size)]
    return region, ids


def campaign(runner: Runner, region: str, *, channel: str = "EMAIL",
             body_zh: str = "您好 {{name}}，新品上市：{{link:https://shop.example.com/new}}",
             body_en: str = "Hello {{name}}, new arrivals: {{link:https://shop.example.com/new}}",
             schedule: bool = True, rate: int | None = None) -> Campaign:
    draft = service.CampaignDraft(
        name=unique("Campaign "), channel=channel, criteria=Criteria(regions=(region,)),
        subject_zh="新品 {{name}}", subject_en="New for {{name}}", body_zh=body_zh,
        body_en=body_en, rate_per_minute=rate)
    row = runner.write_sync(service.create_campaign, draft, principal=MARKETER)
    if schedule:
        row = runner.write_sync(service.schedule_campaign, row.id, principal=MARKETER)
    return row


def messages(runner: Runner, campaign_id: int) -> list[Notification]:
    prefix = f"campaign:{campaign_id}:"

    def fetch(session: Session) -> list[Notification]:
        stmt = select(Notification).where(Notification.template == TEMPLATE,
                                          Notification.source_key.startswith(prefix))
        return list(session.scalars(stmt))

    return runner.read_sync(fetch, (), {})


def recipients(runner: Runner, campaign_id: int) -> list[CampaignRecipient]:
    def fetch(session: Session) -> list[CampaignRecipient]:
        return list(session.scalars(select(CampaignRecipient).where(
            CampaignRecipient.campaign_id == campaign_id)))

    return runner.read_sync(fetch, (), {})


def status(runner: Runner, campaign_id: int) -> str:
    return runner.read_sync(lambda s: s.get(Campaign, campaign_id).status, (), {})
