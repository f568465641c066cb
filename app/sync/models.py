"""The delta sync's change log (docs/architecture.md#delta-sync)."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class SyncChange(SQLModel, table=True):
    """One synced object changed by the unit of work whose outbox position is `position`
    (an outbox id: commit-ordered and gap-free, docs/architecture.md#the-outbox). The keys
    say whose scope the change may touch, so a caller's delta reads its own rows only:
    `customer_id` the customer the object hangs off (a customer's own id), `user_id` its
    owner or assignee, or, on the row written when it was reassigned, the one who lost it."""

    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_entity_position", "entity", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(index=True)
    entity: str = Field(max_length=32)
    entity_id: int
    customer_id: int | None = None
    user_id: int | None = None
