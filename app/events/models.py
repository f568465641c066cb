"""The transactional outbox: events written with the change, published after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=64, index=True)
    payload: dict[str, Any] | None = json_field()
    created_at: datetime = timestamp_field()
    published_at: datetime | None = timestamp_field(nullable=True, index=True)


class OutboxConsumer(SQLModel, table=True):
    """How far a durable consumer of the outbox has got (app/events/repository/consumers.py): every
    event up to `position` is done. It moves in the transaction that writes what the
    consumer made of those events, so each event is consumed exactly once."""

    __tablename__ = "outbox_consumer"

    name: str = Field(primary_key=True, max_length=64)
    position: int = 0
    updated_at: datetime = timestamp_field()
