"""Outgoing webhooks: subscriptions, their secrets, one delivery per (subscription, outbox
event) and the log of every attempt (docs/architecture.md#outgoing-webhooks)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # not tried yet (or queued again by hand)
    DELIVERED = "DELIVERED"  # a 2xx answer
    FAILED = "FAILED"  # the last attempt failed: tried again at next_attempt_at
    GAVE_UP = "GAVE_UP"  # CRM_WEBHOOK_MAX_ATTEMPTS failed: only a manual retry sends it


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    event_types: list[str] | None = json_field()
    description: str = Field(default="", max_length=200)
    enabled: bool = True
    # the secret's last characters, to tell secrets apart; the secret is in webhook_secret
    secret_hint: str = Field(default="", max_length=8)
    # only events after this outbox id are delivered: those committed after it was created
    from_event_id: int = 0
    consecutive_failures: int = 0
    disabled_reason: str | None = Field(default=None, max_length=300)
    disabled_at: datetime | None = timestamp_field(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class WebhookSecret(SQLModel, table=True):
    """The secret a subscription's deliveries are signed with (HMAC), kept as given: signing
    needs the raw secret, so it cannot be hashed. A table of its own, as carriers' are, so
    that no subscription row, audit snapshot or API object holds it; only the dispatcher's
    claim reads it."""

    __tablename__ = "webhook_secret"

    subscription_id: int = Field(foreign_key="webhook_subscription.id", primary_key=True)
    secret: str = Field(max_length=200)
    set_at: datetime = timestamp_field()


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),
                      Index("ix_webhook_delivery_due", "status", "next_attempt_at"))

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    event_id: int  # the outbox id (no foreign key: retention deletes old events)
    event_type: str = Field(max_length=64)
    body: str = Field(sa_type=Text)  # the JSON posted, fixed at creation: every attempt
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempts: int = 0  # since it was last queued (automatic retries count from here)
    next_attempt_at: datetime | None = timestamp_field(nullable=True)
    last_response_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class WebhookAttempt(SQLModel, table=True):
    """One POST of a delivery: its answer's status code, or why there was none."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    attempted_at: datetime = timestamp_field()
    response_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
