"""Orders, their lines, stock allocations and history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, money_field, timestamp_field
from app.persistence.crypto import encrypted_field


class OrderStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    CONFIRMED = "CONFIRMED"
    SCHEDULED = "SCHEDULED"
    IN_FULFILLMENT = "IN_FULFILLMENT"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    ON_HOLD = "ON_HOLD"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


class OrderChannel(StrEnum):
    WEB = "WEB"
    MOBILE = "MOBILE"
    SALES_REP = "SALES_REP"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    MARKETPLACE = "MARKETPLACE"
    EDI = "EDI"


class PaymentStatus(StrEnum):
    UNPAID = "UNPAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    REFUNDED = "REFUNDED"


class PaymentMethod(StrEnum):
    PREPAID = "PREPAID"
    BANK_TRANSFER = "BANK_TRANSFER"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    CREDIT_TERMS = "CREDIT_TERMS"


# Written without the ORM's flush: app/orders/repository/orders.py registers it with
# app/persistence/fast/objects.py.
class Order(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_sales_order_customer_created", "customer_id", "created_at"),
        Index("ix_sales_order_status_created", "status", "created_at"),
        # the default order of every orders list (newest first, id as the tie-break)
        Index("ix_sales_order_created", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    channel: str = Field(default=OrderChannel.WEB.value, max_length=16)
    external_id: str | None = Field(default=None, max_length=100)
    status: str = Field(default=OrderStatus.DRAFT.value, max_length=24)
    status_before_hold: str | None = Field(default=None, max_length=24)
    payment_status: str = Field(default=PaymentStatus.UNPAID.value, max_length=24)
    payment_method: str = Field(default=PaymentMethod.PREPAID.value, max_length=24)
    currency: str = Field(default="CNY", max_length=3)
    subtotal: Decimal = money_field()
    discount_total: Decimal = money_field()
    shipping_total: Decimal = money_field()
    total: Decimal = money_field()
    paid_total: Decimal = money_field()
    refunded_total: Decimal = money_field()
    # the value of refunded RETURN requests, kept by returns (app/returns/resolution.py)
    credited_total: Decimal = money_field()
    ship_recipient: str = Field(default="", max_length=200)
    # personal data (docs/architecture.md#personal-data-at-rest)
    ship_phone: str | None = encrypted_field(40, nullable=True)
    ship_region: str = Field(default="", max_length=64)
    ship_address: str = encrypted_field(800, default="")
    notes: str = Field(default="", max_length=4000)
    hold_reason: str | None = Field(default=None, max_length=400)
    close_reason: str | None = Field(default=None, max_length=400)
    priority: int = 0
    promised_date: date | None = None
    scheduled_date: date | None = None
    rating: int | None = None
    feedback: str | None = Field(default=None, max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    confirmed_at: datetime | None = timestamp_field(nullable=True)
    shipped_at: datetime | None = timestamp_field(nullable=True)
    delivered_at: datetime | None = timestamp_field(nullable=True)
    completed_at: datetime | None = timestamp_field(nullable=True)
    version: int = 1


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_order_line_quantity"),
        CheckConstraint(
            "quantity_shipped >= 0 AND quantity_shipped <= quantity", name="ck_order_line_shipped"
        ),
        CheckConstraint(
            "quantity_returned >= 0 AND quantity_returned <= quantity_delivered",
            name="ck_order_line_returned",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    quantity: int
    unit_price: Decimal = money_field()
    discount_rate: Decimal = money_field()
    line_total: Decimal = money_field()
    quantity_shipped: int = 0
    quantity_delivered: int = 0
    quantity_returned: int = 0


class OrderAllocation(SQLModel, table=True):
    """Stock of one line reserved in one warehouse."""

    __tablename__ = "order_allocation"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="ck_allocation_quantity"),
        CheckConstraint("quantity_shipped >= 0", name="ck_allocation_shipped"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    warehouse_id: int = Field(foreign_key="warehouse.id")
    quantity: int
    quantity_shipped: int = 0


class OrderEvent(SQLModel, table=True):
    __tablename__ = "order_event"
    # analytics' time in status reads the events of a window (migration 0017)
    __table_args__ = (Index("ix_order_event_created", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    type: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    message: str = Field(default="", max_length=2000)
    details: dict[str, Any] | None = json_field()
    created_at: datetime = timestamp_field()
