"""Notifications to customers and staff, with delivery state and preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field
from app.persistence.crypto import encrypted_field


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_source", "template", "source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    channel: str = Field(max_length=16)  # EMAIL, SMS, IN_APP
    template: str = Field(max_length=64)
    language: str = Field(default="zh", max_length=8)
    # an e-mail address or a phone number (docs/architecture.md#personal-data-at-rest)
    recipient: str = encrypted_field(254, default="")
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=4000)
    status: str = Field(default="PENDING", max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    event_id: int | None = Field(default=None, index=True)
    # what it is about, e.g. "shipment_id=12": one "shipped" message per shipment, even
    # after the event that caused it is gone from the outbox (app/events/housekeeping.py)
    source_key: str | None = Field(default=None, max_length=64)
    read_at: datetime | None = timestamp_field(nullable=True)
    next_attempt_at: datetime | None = timestamp_field(nullable=True)
    sent_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()


class NotificationPreference(SQLModel, table=True):
    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("customer_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    channel: str = Field(max_length=16)
    enabled: bool = True
