"""Failed-delivery follow-ups: goods that did not reach the consignee, kept on a list with
their reason and next action until resolved (docs/architecture.md#failed-delivery-follow-up).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field


class FollowUpReason(StrEnum):
    FAILED_ATTEMPT = "FAILED_ATTEMPT"  # nobody there, the courier will or did try again
    REFUSED = "REFUSED"  # the consignee refused the goods
    ADDRESS_PROBLEM = "ADDRESS_PROBLEM"
    DAMAGED = "DAMAGED"
    LOST = "LOST"
    RETURNED = "RETURNED"  # the carrier brought it back
    OTHER = "OTHER"


class FollowUpAction(StrEnum):
    """The next action planned, and the resolution that closes the follow-up."""

    REDELIVER = "REDELIVER"
    RETURN_TO_STOCK = "RETURN_TO_STOCK"
    RETURN_TO_CONSIGNOR = "RETURN_TO_CONSIGNOR"


class FollowUpStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class DeliveryFollowUp(SQLModel, table=True):
    """One failed delivery on the follow-up list. `open_key` is 1 while open and NULL once
    resolved: the unique (shipment_id, open_key) keeps one open follow-up per parcel."""

    __tablename__ = "delivery_follow_up"
    __table_args__ = (UniqueConstraint("shipment_id", "open_key"),
                      Index("ix_delivery_follow_up_status_opened", "status", "opened_at"))

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    # the goods' owner: the order's customer when it is a consignor, NULL for the company's
    consignor_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    reason: str = Field(max_length=24)
    next_action: str | None = Field(default=None, max_length=24)
    note: str = Field(default="", max_length=2000)
    status: str = Field(default=FollowUpStatus.OPEN.value, max_length=12)
    open_key: int | None = Field(default=1)
    opened_at: datetime = timestamp_field()
    opened_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    resolution: str | None = Field(default=None, max_length=24)
    resolution_note: str | None = Field(default=None, max_length=2000)
    resolved_at: datetime | None = timestamp_field(nullable=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    # REDELIVER: the new attempt's date, or the new shipment when the goods were back
    redeliver_on: date | None = None
    redelivery_shipment_id: int | None = Field(default=None, foreign_key="shipment.id")
    updated_at: datetime = timestamp_field()
    version: int = 1
