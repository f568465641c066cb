"""Delivery exceptions and their notes (docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field


class ExceptionType(StrEnum):
    FAILED_ATTEMPT = "FAILED_ATTEMPT"
    DAMAGED = "DAMAGED"
    LOST = "LOST"
    ADDRESS_PROBLEM = "ADDRESS_PROBLEM"
    REFUSED = "REFUSED"
    DELAYED = "DELAYED"
    COD_MISMATCH = "COD_MISMATCH"
    OTHER = "OTHER"


class ExceptionSeverity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class ExceptionStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class ExceptionSource(StrEnum):
    EVENT = "EVENT"  # a carrier tracking event
    CHECK = "CHECK"  # the periodic delay check
    STAFF = "STAFF"
    DELIVERY = "DELIVERY"  # recorded at delivery (cash collected differs from due)


class ExceptionResolution(StrEnum):
    RESHIP = "RESHIP"
    REDELIVER = "REDELIVER"
    RETURN_TO_SENDER = "RETURN_TO_SENDER"
    REFUND = "REFUND"
    CONTACT_CUSTOMER = "CONTACT_CUSTOMER"


class ShipmentException(SQLModel, table=True):
    """A problem with a parcel that someone must act on before the customer complains.

    `open_key` is the type while the exception is open and NULL once resolved: the unique
    (shipment_id, open_key) keeps one open exception per type and parcel, so a repeated
    event or delay check finds the open one instead of opening a second."""

    __tablename__ = "shipment_exception"
    __table_args__ = (UniqueConstraint("shipment_id", "open_key"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    type: str = Field(max_length=24)
    severity: str = Field(default=ExceptionSeverity.MEDIUM.value, max_length=12)
    status: str = Field(default=ExceptionStatus.OPEN.value, max_length=12, index=True)
    source: str = Field(default=ExceptionSource.STAFF.value, max_length=12)
    description: str = Field(default="", max_length=400)
    open_key: str | None = Field(default=None, max_length=24)
    opened_at: datetime = timestamp_field(index=True)
    sla_due_at: datetime = timestamp_field()
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    tracking_event_id: int | None = Field(default=None, foreign_key="tracking_event.id")
    resolution: str | None = Field(default=None, max_length=24)
    resolution_note: str | None = Field(default=None, max_length=2000)
    resolved_at: datetime | None = timestamp_field(nullable=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reship_shipment_id: int | None = Field(default=None, foreign_key="shipment.id")
    redeliver_on: date | None = None
    refund_payment_id: int | None = Field(default=None, foreign_key="payment.id")
    updated_at: datetime = timestamp_field()
    version: int = 1


class ShipmentExceptionNote(SQLModel, table=True):
    __tablename__ = "shipment_exception_note"

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(foreign_key="shipment_exception.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    body: str = Field(max_length=2000)
    created_at: datetime = timestamp_field()
