"""Payments and refunds: money received for an order, and paid back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import money_field, timestamp_field


class Payment(SQLModel, table=True):
    __table_args__ = (CheckConstraint("amount > 0", name="ck_payment_amount"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=16)  # PAYMENT or REFUND
    method: str = Field(max_length=24)
    amount: Decimal = money_field()
    currency: str = Field(default="CNY", max_length=3)
    reference: str = Field(default="", max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
