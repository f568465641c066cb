"""The audit log: who changed what, when, with before and after; and who was refused."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field
from app.persistence.crypto import sealed_json_field


class Outcome(StrEnum):
    SUCCESS = "SUCCESS"
    DENIED = "DENIED"


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    actor_role: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=32)
    entity_id: int | None = None
    # values of encrypted columns stay encrypted here (app/persistence/crypto.py)
    before: dict[str, Any] | None = sealed_json_field()
    after: dict[str, Any] | None = sealed_json_field()
    request_id: str | None = Field(default=None, max_length=64)
    # SUCCESS: a change made; DENIED: a refused attempt (docs/architecture.md#the-policy-table).
    # The database's default, not Python's: the fast insert path takes no Python-side
    # defaults (app/persistence/fast/driver.py), and rows are only ever inserted in bulk.
    outcome: str = Field(default=None, max_length=16, index=True, nullable=False,
                         sa_column_kwargs={"server_default": Outcome.SUCCESS.value})
    reason: str | None = Field(default=None, max_length=300)
    client_address: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field(index=True)
