"""The tables persistence itself keeps: completed idempotent mutations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field


class IdempotencyRecord(SQLModel, table=True):
    """A completed idempotent mutation, keyed per principal."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "operation", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    operation: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    result_type: str = Field(max_length=32)
    result_id: int
    created_at: datetime = timestamp_field()
