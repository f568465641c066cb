"""The transactional outbox: events written with the change, published after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.db_types import json_field, timestamp_field


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=64, index=True)
    payload: dict[str, Any] | None = json_field()
    created_at: datetime = timestamp_field()
    published_at: datetime | None = timestamp_field(nullable=True, index=True)
