"""Quotes with their lines, and the customer's agreements: prices per product and freight
(docs/architecture.md#quotes-and-price-agreements)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import MONEY, money_field, timestamp_field

# an effective discount (1 - net / reference price): four decimals, so a threshold of 0.10
# is not crossed by rounding
RATE = Numeric(6, 4, asdecimal=True)


class QuoteStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPROVED = "APPROVED"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"  # declined by the customer
    EXPIRED = "EXPIRED"


class ApprovalLevel(StrEnum):
    NONE = "NONE"  # within the rep's limit: approved on submit
    MANAGER = "MANAGER"
    FINANCE = "FINANCE"


class Quote(SQLModel, table=True):
    __tablename__ = "quote"
    __table_args__ = (
        Index("ix_quote_customer_created", "customer_id", "created_at"),
        Index("ix_quote_status_valid_until", "status", "valid_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    status: str = Field(default=QuoteStatus.DRAFT.value, max_length=24)
    currency: str = Field(default="CNY", max_length=3)
    valid_until: date
    terms: str = Field(default="", max_length=4000)
    subtotal: Decimal = money_field()
    discount_total: Decimal = money_field()
    total: Decimal = money_field()
    # the largest line discount against the customer's reference price (agreement, else
    # catalog), and who must approve it, fixed when submitted
    max_discount: Decimal = Field(default=Decimal("0"), sa_type=RATE)
    approval_level: str = Field(default=ApprovalLevel.NONE.value, max_length=16)
    # internal: the approver's note (approval or rejection), never shown to the customer
    approval_note: str = Field(default="", max_length=2000)
    # the customer's reason when it declines
    decline_reason: str = Field(default="", max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", unique=True)
    submitted_at: datetime | None = timestamp_field(nullable=True)
    approved_at: datetime | None = timestamp_field(nullable=True)
    sent_at: datetime | None = timestamp_field(nullable=True)
    decided_at: datetime | None = timestamp_field(nullable=True)  # accepted, rejected, expired
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = 1


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_quote_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    quantity: int
    unit_price: Decimal = money_field()
    discount_rate: Decimal = money_field()
    line_total: Decimal = money_field()
    reference_price: Decimal = money_field()  # agreement or catalog price when priced


class PriceAgreement(SQLModel, table=True):
    """A customer's price for a product, from `valid_from` to `valid_until` (inclusive;
    None: open-ended). One per customer and product: setting it again replaces it."""

    __tablename__ = "price_agreement"
    __table_args__ = (UniqueConstraint("customer_id", "product_id"),
                      CheckConstraint("price >= 0", name="ck_price_agreement_price"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    price: Decimal = money_field()
    valid_from: date
    valid_until: date | None = None
    note: str = Field(default="", max_length=2000)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class FreightAgreement(SQLModel, table=True):
    """What a customer pays for shipping while it is valid: free from a goods total
    (`free_shipping_threshold`, 0: always), else a flat fee, else the carrier's price
    (app/shipping/charges.py). One per customer."""

    __tablename__ = "freight_agreement"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True)
    free_shipping_threshold: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    flat_fee: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    valid_from: date
    valid_until: date | None = None
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
