"""Campaigns and their recipients (docs/architecture.md#campaigns)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    SENDING = "SENDING"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class CampaignChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    IN_APP = "IN_APP"


class RecipientStatus(StrEnum):
    QUEUED = "QUEUED"        # its notification is in the outbox's notification table
    CANCELLED = "CANCELLED"  # the campaign was cancelled before its message went out


class Campaign(SQLModel, table=True):
    __table_args__ = (Index("ix_campaign_status_scheduled", "status", "scheduled_at"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    status: str = Field(default=CampaignStatus.DRAFT.value, max_length=16)
    channel: str = Field(max_length=16)
    # the audience: a saved segment's filter (read when sending starts) or a filter of its own
    segment_id: int | None = Field(default=None, foreign_key="saved_segment.id")
    criteria: dict[str, Any] | None = json_field()
    subject_zh: str = Field(default="", max_length=200)
    subject_en: str = Field(default="", max_length=200)
    body_zh: str = Field(max_length=4000)
    body_en: str = Field(max_length=4000)
    # the tracked links' targets, checked against the allowed domains when saved
    links: list[str] | None = json_field()
    scheduled_at: datetime | None = timestamp_field(nullable=True)
    rate_per_minute: int | None = None  # None: as fast as the sender goes
    audience: int | None = None  # customers matching when sending started
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    started_at: datetime | None = timestamp_field(nullable=True)
    finished_at: datetime | None = timestamp_field(nullable=True)
    cancelled_at: datetime | None = timestamp_field(nullable=True)
    version: int = 1


class CampaignRecipient(SQLModel, table=True):
    """One per customer and campaign: the unique pair is what makes a message go out once
    even when two senders race (docs/architecture.md#campaigns)."""

    __tablename__ = "campaign_recipient"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),
                      Index("ix_campaign_recipient_campaign_status", "campaign_id", "status"),
                      Index("ix_campaign_recipient_customer_clicked", "customer_id",
                            "clicked_at"))

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    customer_id: int = Field(foreign_key="customer.id")
    status: str = Field(max_length=16)
    language: str = Field(max_length=8)
    queued_at: datetime = timestamp_field()
    opened_at: datetime | None = timestamp_field(nullable=True)
    opens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    clicked_at: datetime | None = timestamp_field(nullable=True)  # the first click
    last_clicked_at: datetime | None = timestamp_field(nullable=True)
    clicks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # orders placed from the first click up to this (the last click + the attribution
    # days, fixed when the click is recorded) count for the campaign
    attributed_until: datetime | None = timestamp_field(nullable=True)
    unsubscribed_at: datetime | None = timestamp_field(nullable=True)
