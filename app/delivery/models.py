"""Delivery orders a consignor sends to its consignees, its freight agreement, and its
recurring delivery plans (docs/architecture.md#delivery-orders-and-plans)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import MONEY, money_field, timestamp_field
from app.persistence.crypto import encrypted_field


class FreightBasis(StrEnum):
    PER_ORDER = "PER_ORDER"
    PER_UNIT = "PER_UNIT"
    PER_KG = "PER_KG"


class DeliverySource(StrEnum):
    API = "API"  # the consignor's integration, or staff for it
    PLAN = "PLAN"  # made ahead of time by the plan scheduler


class DeliveryPlanStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"


class ConsignorFreightAgreement(SQLModel, table=True):
    """What a consignor pays per delivery order while valid: `rate` per order, unit or kg,
    never below `minimum_charge`. One per consignor."""

    __tablename__ = "consignor_freight_agreement"

    id: int | None = Field(default=None, primary_key=True)
    consignor_id: int = Field(foreign_key="customer.id", unique=True)
    basis: str = Field(default=FreightBasis.PER_ORDER.value, max_length=16)
    rate: Decimal = money_field()
    minimum_charge: Decimal = money_field()
    currency: str = Field(default="CNY", max_length=3)
    valid_from: date
    valid_until: date | None = None
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class DeliveryOrder(SQLModel, table=True):
    """A consignor's order to deliver its goods to a consignee: the order (whose customer is
    the consignor, the paying customer) and what ties it to the consignor's world. The row
    is the claim on the consignor's reference (and on a plan's date): inserted first with
    ON CONFLICT DO NOTHING, so a reference or a plan date gets one order whoever races."""

    __tablename__ = "delivery_order"
    __table_args__ = (
        UniqueConstraint("consignor_id", "consignor_reference"),
        UniqueConstraint("plan_id", "plan_date"),
        Index("ix_delivery_order_consignor_created", "consignor_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # NULL only inside the unit of work that claimed the reference
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", unique=True)
    consignor_id: int = Field(foreign_key="customer.id")
    consignee_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    consignor_reference: str = Field(max_length=100)
    source: str = Field(default=DeliverySource.API.value, max_length=8)
    plan_id: int | None = Field(default=None, foreign_key="delivery_plan.id")
    plan_date: date | None = None
    # the freight charge under the consignor's agreement when the order was made; NULL:
    # no agreement was valid, nothing billed
    freight_charge: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    freight_basis: str | None = Field(default=None, max_length=16)
    freight_quantity: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()


class DeliveryPlan(SQLModel, table=True):
    """A standing delivery from a consignor to a consignee on weekly route days."""

    __tablename__ = "delivery_plan"

    id: int | None = Field(default=None, primary_key=True)
    consignor_id: int = Field(foreign_key="customer.id", index=True)
    consignee_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    name: str = Field(default="", max_length=200)
    # ISO weekdays, 1 = Monday: "1,4" delivers on Mondays and Thursdays
    route_days: str = Field(max_length=13)
    status: str = Field(default=DeliveryPlanStatus.ACTIVE.value, max_length=8)
    valid_from: date
    valid_until: date | None = None
    ship_recipient: str = Field(default="", max_length=200)
    # personal data (docs/architecture.md#personal-data-at-rest)
    ship_phone: str | None = encrypted_field(40, nullable=True)
    ship_region: str = Field(default="", max_length=64)
    ship_address: str = encrypted_field(800, default="")
    notes: str = Field(default="", max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = 1


class DeliveryPlanLine(SQLModel, table=True):
    """A standing quantity of a plan: delivered on every route day."""

    __tablename__ = "delivery_plan_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_delivery_plan_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="delivery_plan.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    quantity: int
