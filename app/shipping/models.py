"""Carriers, shipments and their tracking events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import money_field, timestamp_field


class ShipmentStatus(StrEnum):
    CREATED = "CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    FAILED_ATTEMPT = "FAILED_ATTEMPT"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"
    CANCELLED = "CANCELLED"


class Carrier(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    regions: str = Field(default="", max_length=400)  # comma-separated regions served
    base_rate: Decimal = money_field()
    is_active: bool = True


class Shipment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    carrier_id: int | None = Field(default=None, foreign_key="carrier.id")
    tracking_number: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=ShipmentStatus.CREATED.value, max_length=24, index=True)
    exception_reason: str | None = Field(default=None, max_length=400)
    estimated_delivery: date | None = None
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    shipped_at: datetime | None = timestamp_field(nullable=True)
    delivered_at: datetime | None = timestamp_field(nullable=True)
    version: int = 1


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_shipment_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    quantity: int


class TrackingEvent(SQLModel, table=True):
    __tablename__ = "tracking_event"
    __table_args__ = (UniqueConstraint("shipment_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    status: str = Field(max_length=24)
    location: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=400)
    external_id: str | None = Field(default=None, max_length=100)
    occurred_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()
