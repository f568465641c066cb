"""Every event a carrier's webhook delivered, with what became of it
(docs/architecture.md#carrier-webhooks). Unique by the carrier's own event id, which makes
a replayed event a duplicate; events for unknown tracking numbers wait here for review."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field


class WebhookEventResult(StrEnum):
    ACCEPTED = "ACCEPTED"
    DUPLICATE = "DUPLICATE"
    UNKNOWN_TRACKING_NUMBER = "UNKNOWN_TRACKING_NUMBER"
    INVALID = "INVALID"


class CarrierWebhookEvent(SQLModel, table=True):
    __tablename__ = "carrier_webhook_event"
    __table_args__ = (UniqueConstraint("carrier_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    carrier_id: int = Field(foreign_key="carrier.id")  # indexed by its unique constraint
    event_id: str = Field(max_length=100)
    tracking_number: str = Field(default="", max_length=64, index=True)
    status: str = Field(default="", max_length=24)
    result: str = Field(max_length=24, index=True)
    message: str | None = Field(default=None, max_length=400)  # why INVALID
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id")
    tracking_event_id: int | None = Field(default=None, foreign_key="tracking_event.id")
    payload: dict[str, Any] | None = json_field()
    occurred_at: datetime | None = timestamp_field(nullable=True)
    received_at: datetime = timestamp_field(index=True)  # the review list's order
    reviewed_at: datetime | None = timestamp_field(nullable=True)
