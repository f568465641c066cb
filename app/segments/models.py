"""Computed customer segments (RFM) and saved segments, named filters over them
(docs/architecture.md#customer-segments)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, money_field, timestamp_field


class Segment(StrEnum):
    VIP = "VIP"
    REGULAR = "REGULAR"
    POTENTIAL = "POTENTIAL"
    AT_RISK = "AT_RISK"
    LOST = "LOST"


# a move from one of these to AT_RISK warns the owner (the churn warning)
HIGH_VALUE = (Segment.VIP.value, Segment.REGULAR.value)


class CustomerSegment(SQLModel, table=True):
    """One row per customer with purchases, written in bulk by the recompute
    (app/segments/repository.py); the hand-set `Customer.tier` is separate."""

    __tablename__ = "customer_segment"
    __table_args__ = (Index("ix_customer_segment_segment", "segment"),
                      Index("ix_customer_segment_next_order_at", "next_order_at"))

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    segment: str = Field(max_length=16)
    previous_segment: str | None = Field(default=None, max_length=16)
    r_score: int
    f_score: int
    m_score: int
    order_count: int
    monetary: Decimal = money_field()
    first_order_at: datetime = timestamp_field()
    last_order_at: datetime = timestamp_field()
    # median days between orders (two orders at least) and the date it points to
    cadence_days: float | None = None
    next_order_at: datetime | None = timestamp_field(nullable=True)
    computed_at: datetime = timestamp_field()
    segment_changed_at: datetime = timestamp_field()


class SavedSegment(SQLModel, table=True):
    """A named filter over customers and their computed segments."""

    __tablename__ = "saved_segment"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str = Field(default="", max_length=400)
    criteria: dict[str, Any] | None = json_field()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = 1
