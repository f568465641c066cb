"""The product catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import money_field, timestamp_field


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
