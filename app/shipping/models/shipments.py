"""Shipments, their lines and parcels, and carrier tracking events
(docs/architecture.md#shipments)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import MONEY, json_field, measure_field, money_field, timestamp_field
from app.persistence.crypto import encrypted_field


class ShipmentStatus(StrEnum):
    CREATED = "CREATED"
    PACKED = "PACKED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    FAILED_ATTEMPT = "FAILED_ATTEMPT"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"
    CANCELLED = "CANCELLED"


class Shipment(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("cost >= 0", name="ck_shipment_cost"),
        CheckConstraint("cod_amount >= 0", name="ck_shipment_cod_amount"),
        # analytics' windows over pickups (docs/architecture.md#analytics, migration 0017)
        Index("ix_shipment_shipped_at", "shipped_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    carrier_id: int | None = Field(default=None, foreign_key="carrier.id", index=True)
    service_id: int | None = Field(default=None, foreign_key="carrier_service.id")
    tracking_number: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=ShipmentStatus.CREATED.value, max_length=24, index=True)
    exception_reason: str | None = Field(default=None, max_length=400)
    # the carrier's estimate (from the rate rule, then from its events) and our promise
    estimated_delivery: date | None = None
    promised_date: date | None = None
    # why this service: {"reason", "serviceId", "alternatives": [...]} (app/shipping/choice.py)
    carrier_choice: dict[str, Any] | None = json_field()
    billable_weight_kg: Decimal | None = measure_field(nullable=True)
    currency: str = Field(default="CNY", max_length=3)  # the service's: cost, charge, cash
    cost: Decimal = money_field()  # what the carrier charges us
    charge: Decimal = money_field()  # what the customer pays for this parcel
    # cash on delivery: due at the door, collected by the courier, remitted by the carrier
    cod_amount: Decimal = money_field()
    cod_collected: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    cod_collected_at: datetime | None = timestamp_field(nullable=True)
    cod_remittance_id: int | None = Field(default=None, foreign_key="cod_remittance.id",
                                          index=True)
    # who it goes to, as it was when the shipment was made
    recipient_name: str = Field(default="", max_length=200)
    # personal data (docs/architecture.md#personal-data-at-rest)
    recipient_phone: str = encrypted_field(32, default="")
    recipient_address: str = encrypted_field(400, default="")
    recipient_region: str = Field(default="", max_length=64)
    failed_attempts: int = 0
    delivery_signer: str | None = Field(default=None, max_length=100)
    delivery_proof: str | None = Field(default=None, max_length=200)
    reship_of_id: int | None = Field(default=None, foreign_key="shipment.id")
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    packed_at: datetime | None = timestamp_field(nullable=True)
    shipped_at: datetime | None = timestamp_field(nullable=True)  # picked up by the carrier
    delivered_at: datetime | None = timestamp_field(nullable=True)
    accepted_at: datetime | None = timestamp_field(nullable=True)  # by the customer
    restocked_at: datetime | None = timestamp_field(nullable=True)  # back in the warehouse
    cancelled_at: datetime | None = timestamp_field(nullable=True)
    version: int = 1


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_shipment_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    quantity: int


class ShipmentParcel(SQLModel, table=True):
    """One box of a shipment, as packed (its weight and size are what the carrier bills)."""

    __tablename__ = "shipment_parcel"
    __table_args__ = (
        CheckConstraint("weight_kg > 0", name="ck_shipment_parcel_weight"),
        CheckConstraint("length_cm >= 0 AND width_cm >= 0 AND height_cm >= 0",
                        name="ck_shipment_parcel_size"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    weight_kg: Decimal = measure_field()
    length_cm: Decimal = measure_field()
    width_cm: Decimal = measure_field()
    height_cm: Decimal = measure_field()


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
