"""Export jobs: what was asked (source, fields, filter, format), by whom, and how far the
job got (docs/architecture.md#exports)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field


class ExportSource(StrEnum):
    ORDERS = "ORDERS"
    ORDER_LINES = "ORDER_LINES"
    SHIPMENTS = "SHIPMENTS"
    STOCK_MOVEMENTS = "STOCK_MOVEMENTS"
    CUSTOMERS = "CUSTOMERS"
    DELIVERY_FOLLOW_UPS = "DELIVERY_FOLLOW_UPS"


class ExportFormat(StrEnum):
    CSV = "CSV"
    JSONL = "JSONL"
    PARQUET = "PARQUET"


class ExportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"  # finished, its file deleted by housekeeping


class ExportJob(SQLModel, table=True):
    """One export. `last_id` and `bytes_written` are the keyset position and the file's
    length after the last chunk committed: a resumed job cuts the file back to that length
    and continues after that id, so the file equals an uninterrupted run's."""

    __tablename__ = "export_job"
    __table_args__ = (Index("ix_export_job_status", "status"),
                      Index("ix_export_job_user_id", "user_id"))

    id: int | None = Field(default=None, primary_key=True)
    # the requesting principal: the job runs with this account's rights at run time
    user_id: int = Field(foreign_key="app_user.id")
    source: str = Field(max_length=32)
    format: str = Field(max_length=16)
    fields: list[str] | None = json_field()
    filter: dict[str, Any] | None = json_field()
    status: str = Field(default=ExportStatus.QUEUED.value, max_length=16)
    rows: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    total_rows: int | None = None
    last_id: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    bytes_written: int = Field(default=0, sa_type=BigInteger,
                               sa_column_kwargs={"server_default": "0"})
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    expires_at: datetime | None = timestamp_field(nullable=True)
