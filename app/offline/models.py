"""Client-generated ids of objects created offline: (user, clientId) -> the object, kept
for good, so a retried create and a later reference to the new object resolve to the same
row (docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field


class ClientReference(SQLModel, table=True):
    __tablename__ = "client_reference"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    client_id: str = Field(max_length=36)  # a UUID, lowercased
    entity_type: str = Field(max_length=32)  # Activity, Contact, Order
    entity_id: int
    created_at: datetime = timestamp_field()
