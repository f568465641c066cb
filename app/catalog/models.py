"""The product catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from app.persistence.columns import measure_field, money_field, timestamp_field


class Product(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_product_price"),
        CheckConstraint("cost >= 0", name="ck_product_cost"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200, index=True)
    description: str = Field(default="", max_length=4000)
    category: str = Field(default="", max_length=100, index=True)
    unit: str = Field(default="pcs", max_length=16)
    price: Decimal = money_field()
    cost: Decimal = money_field()
    currency: str = Field(default="CNY", max_length=3)
    weight_kg: Decimal = money_field()
    is_active: bool = True
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    # parcel facts for carrier quotes (app/shipping/rates.py); 0 = not measured
    length_cm: Decimal = measure_field()
    width_cm: Decimal = measure_field()
    height_cm: Decimal = measure_field()
    cold_chain: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    # the consignor whose goods these are (None: the company's own), fixed at creation: its
    # stock levels and movements carry it (docs/architecture.md#consignors)
    consignor_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
