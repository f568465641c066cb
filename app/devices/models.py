"""Mobile devices registered for push notifications (docs/architecture.md#offline-writes-and-push).
A push token addresses one person's phone: it is personal data, stored encrypted with a
keyed hash beside it for exact lookups (architecture.md#personal-data-at-rest)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field
from app.persistence.crypto import encrypted_field, lookup_field


class Platform(StrEnum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


class Device(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    platform: str = Field(max_length=16)
    token: str = encrypted_field(254)
    token_hash: str | None = lookup_field("token", "token")
    name: str = Field(default="", max_length=100)
    created_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()
