"""Return requests (returns, exchanges, repairs) and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import money_field, timestamp_field


class ReturnRequest(SQLModel, table=True):
    __tablename__ = "return_request"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    type: str = Field(max_length=16)  # RETURN, EXCHANGE, REPAIR
    status: str = Field(max_length=16)
    reason: str = Field(default="", max_length=2000)
    resolution: str | None = Field(default=None, max_length=2000)
    refund_amount: Decimal = money_field()
    replacement_order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class ReturnLine(SQLModel, table=True):
    __tablename__ = "return_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_return_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    return_request_id: int = Field(foreign_key="return_request.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    quantity: int
    restocked: int = 0
    scrapped: int = 0
