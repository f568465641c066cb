"""Customers with their contacts and addresses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from app.persistence.columns import MONEY, money_field, timestamp_field
from app.persistence.crypto import encrypted_field, lookup_field


class CustomerTier(StrEnum):
    STANDARD = "STANDARD"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


TIER_RANK = {CustomerTier.STANDARD: 0, CustomerTier.SILVER: 1, CustomerTier.GOLD: 2,
             CustomerTier.PLATINUM: 3}


class CustomerKind(StrEnum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    BLOCKED = "BLOCKED"


class PaymentTerms(StrEnum):
    PREPAID = "PREPAID"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    NET_30 = "NET_30"
    NET_60 = "NET_60"


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200, index=True)
    kind: str = Field(default=CustomerKind.COMPANY.value, max_length=16)
    # personal data: encrypted when CRM_DATA_KEY is set, found by keyed hash
    # (docs/architecture.md#personal-data-at-rest)
    email: str | None = encrypted_field(254, nullable=True)
    phone: str | None = encrypted_field(40, nullable=True)
    email_hash: str | None = lookup_field("email", "email")
    phone_hash: str | None = lookup_field("phone", "phone")
    tier: str = Field(default=CustomerTier.STANDARD.value, max_length=16)
    status: str = Field(default=CustomerStatus.ACTIVE.value, max_length=16)
    region: str = Field(default="", max_length=64)
    language: str = Field(default="zh", max_length=8)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    credit_limit: Decimal = money_field()
    payment_terms: str = Field(default=PaymentTerms.PREPAID.value, max_length=32)
    discount_rate: Decimal = money_field()
    # the shipping agreement: the order's goods total from which shipping is free (0: always
    # free); None: shipping is billed at the carrier's price (app/shipping/charges.py)
    free_shipping_threshold: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    notes: str = Field(default="", max_length=4000)
    # a consignor: a company whose own goods the company stores and delivers
    # (docs/architecture.md#consignors)
    is_consignor: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    version: int = 1


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=100)
    email: str | None = encrypted_field(254, nullable=True)
    phone: str | None = encrypted_field(40, nullable=True)
    email_hash: str | None = lookup_field("email", "email")
    phone_hash: str | None = lookup_field("phone", "phone")
    is_primary: bool = False
    created_at: datetime = timestamp_field()
    # checked against expectedVersion: offline edits (architecture.md#offline-writes-and-push)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class Address(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    label: str = Field(default="", max_length=64)
    recipient: str = Field(max_length=200)
    phone: str | None = encrypted_field(40, nullable=True)
    country: str = Field(default="CN", max_length=2)
    region: str = Field(default="", max_length=64)
    province: str = Field(default="", max_length=100)
    city: str = Field(max_length=100)
    district: str = Field(default="", max_length=100)
    line1: str = encrypted_field(300)
    line2: str = encrypted_field(300, default="")
    postal_code: str = Field(default="", max_length=20)
    is_default_shipping: bool = False
    is_default_billing: bool = False
    created_at: datetime = timestamp_field()
