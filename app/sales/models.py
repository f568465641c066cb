"""Leads, pipeline stages, opportunities with their lines and stage history
(docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import MONEY, money_field, timestamp_field
from app.persistence.crypto import encrypted_field, lookup_field


class LeadSource(StrEnum):
    WEB = "WEB"
    PHONE = "PHONE"
    REFERRAL = "REFERRAL"
    TRADE_SHOW = "TRADE_SHOW"
    CAMPAIGN = "CAMPAIGN"
    IMPORT = "IMPORT"
    OTHER = "OTHER"


class LeadStatus(StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    CONVERTED = "CONVERTED"
    DISQUALIFIED = "DISQUALIFIED"


class DisqualifyReason(StrEnum):
    NO_BUDGET = "NO_BUDGET"
    NO_NEED = "NO_NEED"
    NO_AUTHORITY = "NO_AUTHORITY"
    BAD_TIMING = "BAD_TIMING"
    COMPETITOR = "COMPETITOR"
    DUPLICATE = "DUPLICATE"
    UNREACHABLE = "UNREACHABLE"
    OTHER = "OTHER"


class Lead(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)  # the person
    company: str = Field(default="", max_length=200, index=True)
    title: str = Field(default="", max_length=100)
    # personal data: encrypted when CRM_DATA_KEY is set, found by keyed hash
    # (docs/architecture.md#personal-data-at-rest)
    email: str | None = encrypted_field(254, nullable=True)
    phone: str | None = encrypted_field(40, nullable=True)
    email_hash: str | None = lookup_field("email", "email")
    phone_hash: str | None = lookup_field("phone", "phone")
    source: str = Field(default=LeadSource.OTHER.value, max_length=16)
    status: str = Field(default=LeadStatus.NEW.value, max_length=16, index=True)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    disqualify_reason: str | None = Field(default=None, max_length=16)
    disqualify_note: str = Field(default="", max_length=2000)
    notes: str = Field(default="", max_length=4000)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    opportunity_id: int | None = Field(default=None)
    converted_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    version: int = 1


class PipelineStage(SQLModel, table=True):
    """A funnel stage; its probability is the default of opportunities entering it."""

    __tablename__ = "pipeline_stage"
    __table_args__ = (CheckConstraint("probability >= 0 AND probability <= 100",
                                      name="ck_pipeline_stage_probability"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    position: int
    probability: int  # percent
    is_won: bool = False
    is_lost: bool = False
    is_active: bool = True


class Opportunity(SQLModel, table=True):
    __table_args__ = (CheckConstraint("customer_id IS NOT NULL OR lead_id IS NOT NULL",
                                      name="ck_opportunity_party"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    stage_id: int = Field(foreign_key="pipeline_stage.id", index=True)
    probability: int = 0  # percent: the stage's default unless set
    source: str = Field(default="OTHER", max_length=16)  # the lead's, for the funnel
    amount: Decimal = money_field()
    currency: str = Field(default="CNY", max_length=3)
    expected_close_date: date | None = None
    competitor: str = Field(default="", max_length=200)
    lost_reason: str | None = Field(default=None, max_length=2000)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    stage_entered_at: datetime = timestamp_field()
    closed_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    version: int = 1


class OpportunityLine(SQLModel, table=True):
    """A product of interest: quantity and the price offered."""

    __tablename__ = "opportunity_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_opportunity_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    quantity: int
    unit_price: Decimal = Field(sa_type=MONEY)


class OpportunityStageChange(SQLModel, table=True):
    """A stay of an opportunity in a stage: entered, left (null: still there), and how long
    it stayed, so the funnel averages it in SQL."""

    __tablename__ = "opportunity_stage_change"

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    from_stage_id: int | None = Field(default=None, foreign_key="pipeline_stage.id")
    stage_id: int = Field(foreign_key="pipeline_stage.id", index=True)
    entered_at: datetime = timestamp_field()
    left_at: datetime | None = timestamp_field(nullable=True)
    seconds_in_stage: int | None = None
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
