"""Carriers, their services and rate cards, and webhook secrets
(docs/architecture.md#carriers-and-quotes)."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import measure_field, money_field, timestamp_field


class Carrier(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    regions: str = Field(default="", max_length=400)  # comma-separated regions served
    base_rate: Decimal = money_field()
    is_active: bool = True


class ServiceLevel(StrEnum):
    EXPRESS = "EXPRESS"
    STANDARD = "STANDARD"
    ECONOMY = "ECONOMY"
    COLD_CHAIN = "COLD_CHAIN"
    FREIGHT = "FREIGHT"


ANY_REGION = "*"  # a rate rule's origin or destination that matches every region


class CarrierService(SQLModel, table=True):
    """One product of a carrier (SF's 顺丰特快, ...): its limits, cutoff and options.
    Prices and transit times are its rate rules."""

    __tablename__ = "carrier_service"
    __table_args__ = (
        UniqueConstraint("carrier_id", "code"),
        CheckConstraint("volumetric_divisor > 0", name="ck_carrier_service_divisor"),
        CheckConstraint("cod_fee >= 0", name="ck_carrier_service_cod_fee"),
        CheckConstraint("max_weight_kg IS NULL OR max_weight_kg > 0",
                        name="ck_carrier_service_max_weight"),
    )

    id: int | None = Field(default=None, primary_key=True)
    carrier_id: int = Field(foreign_key="carrier.id")  # indexed by its unique constraint
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    level: str = Field(default=ServiceLevel.STANDARD.value, max_length=16)
    currency: str = Field(default="CNY", max_length=3)
    is_active: bool = True
    # billable weight = max(actual kg, L x W x H cm / divisor); 6000 is the usual express one
    volumetric_divisor: int = 6000
    max_weight_kg: Decimal | None = measure_field(nullable=True)  # None: no limit
    max_length_cm: Decimal | None = measure_field(nullable=True)  # all three or none
    max_width_cm: Decimal | None = measure_field(nullable=True)
    max_height_cm: Decimal | None = measure_field(nullable=True)
    # parcels ready after this local time (Settings.business_timezone) leave the next day
    cutoff_time: time | None = None
    cod_supported: bool = False
    cod_fee: Decimal = money_field()
    cold_chain: bool = False
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class CarrierRateRule(SQLModel, table=True):
    """The price and transit time of a service on one lane (origin region -> destination
    region, either may be ANY_REGION)."""

    __tablename__ = "carrier_rate_rule"
    __table_args__ = (
        UniqueConstraint("service_id", "origin_region", "destination_region"),
        CheckConstraint("base_fee >= 0", name="ck_carrier_rate_rule_base_fee"),
        CheckConstraint("per_kg_fee >= 0", name="ck_carrier_rate_rule_per_kg_fee"),
        CheckConstraint("transit_days >= 0", name="ck_carrier_rate_rule_transit_days"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="carrier_service.id")  # indexed by its unique one
    origin_region: str = Field(max_length=64)
    destination_region: str = Field(max_length=64)
    base_fee: Decimal = money_field()
    per_kg_fee: Decimal = money_field()
    transit_days: int


class CarrierWebhookSecret(SQLModel, table=True):
    """The secret a carrier signs its webhooks with (HMAC), kept as given to the carrier:
    verifying an HMAC needs the raw secret, so it cannot be hashed. A table of its own so
    that no Carrier row, audit snapshot or API object ever holds it; only
    repository.carriers.webhook_secret reads it (docs/architecture.md#carriers-and-quotes)."""

    __tablename__ = "carrier_webhook_secret"

    carrier_id: int = Field(foreign_key="carrier.id", primary_key=True)
    secret: str = Field(max_length=128)
    rotated_at: datetime = timestamp_field()
