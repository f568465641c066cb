"""Customer-service tickets, their messages and internal notes, and the SLA policy table
(docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field
from app.persistence.crypto import encrypted_field


class TicketKind(StrEnum):
    INQUIRY = "INQUIRY"
    COMPLAINT = "COMPLAINT"
    DELIVERY_CHANGE = "DELIVERY_CHANGE"
    AFTER_SALES = "AFTER_SALES"
    BILLING = "BILLING"


class AfterSalesType(StrEnum):
    REPAIR = "REPAIR"
    INSTALLATION = "INSTALLATION"


class TicketStatus(StrEnum):
    NEW = "NEW"
    OPEN = "OPEN"
    PENDING_CUSTOMER = "PENDING_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class TicketChannel(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    WEB = "WEB"
    APP = "APP"
    WECHAT = "WECHAT"


class TicketPriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class CloseReason(StrEnum):
    RESOLVED = "RESOLVED"  # closed after its resolution
    MERGED = "MERGED"  # a duplicate, merged into `merged_into_id`


class DeliveryChangeStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


class AuthorKind(StrEnum):
    CUSTOMER = "CUSTOMER"
    AGENT = "AGENT"
    SYSTEM = "SYSTEM"


OPEN_STATUSES = (TicketStatus.NEW.value, TicketStatus.OPEN.value,
                 TicketStatus.PENDING_CUSTOMER.value)


class Ticket(SQLModel, table=True):
    __table_args__ = (
        Index("ix_ticket_status_created", "status", "created_at"),
        Index("ix_ticket_assignee_status", "assignee_id", "status"),
        Index("ix_ticket_customer_created", "customer_id", "created_at"),
        Index("ix_ticket_created", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=24)
    after_sales_type: str | None = Field(default=None, max_length=16)
    status: str = Field(default=TicketStatus.NEW.value, max_length=24)
    channel: str = Field(max_length=16)
    priority: str = Field(default=TicketPriority.NORMAL.value, max_length=16)
    subject: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    customer_id: int = Field(foreign_key="customer.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id", index=True)
    return_id: int | None = Field(default=None, foreign_key="return_request.id")
    exception_id: int | None = Field(default=None, foreign_key="shipment_exception.id",
                                     index=True)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    # the customer's tier when it was opened: the SLA row it was timed by
    tier: str = Field(max_length=16)
    first_response_due_at: datetime = timestamp_field()
    resolution_due_at: datetime = timestamp_field()
    first_responded_at: datetime | None = timestamp_field(nullable=True)
    resolved_at: datetime | None = timestamp_field(nullable=True)
    closed_at: datetime | None = timestamp_field(nullable=True)
    close_reason: str | None = Field(default=None, max_length=16)
    resolution_note: str | None = Field(default=None, max_length=2000)
    # set once each, by the conditional update of the breach check (one alert per breach)
    response_breached_at: datetime | None = timestamp_field(nullable=True)
    resolution_breached_at: datetime | None = timestamp_field(nullable=True)
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    reopen_count: int = 0
    # a DELIVERY_CHANGE request: the new ship-to and/or date, and what became of it
    change_recipient: str | None = Field(default=None, max_length=200)
    # personal data (docs/architecture.md#personal-data-at-rest)
    change_phone: str | None = encrypted_field(40, nullable=True)
    change_region: str | None = Field(default=None, max_length=64)
    change_address: str | None = encrypted_field(800, nullable=True)
    change_date: date | None = None
    # new quantities of the order's lines: [{"product_id": .., "quantity": ..}]
    # (docs/architecture.md#delivery-orders-and-plans)
    change_quantities: list[dict[str, int]] | None = json_field()
    change_status: str | None = Field(default=None, max_length=16)
    change_decided_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = 1


class TicketMessage(SQLModel, table=True):
    """A message the customer sees (`internal` false) or an internal note (true)."""

    __tablename__ = "ticket_message"
    __table_args__ = (Index("ix_ticket_message_ticket", "ticket_id", "internal", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    internal: bool = False
    author_kind: str = Field(max_length=16)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    body: str = Field(max_length=4000)
    # a message moved here by a merge: the ticket it was written on
    merged_from_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = timestamp_field()


class TicketSlaPolicy(SQLModel, table=True):
    """Minutes to the first response and to the resolution, by priority and customer
    tier (seeded by migration 0014; `ticketSlaPolicySet` changes a row)."""

    __tablename__ = "ticket_sla_policy"
    __table_args__ = (UniqueConstraint("priority", "tier"),)

    id: int | None = Field(default=None, primary_key=True)
    priority: str = Field(max_length=16)
    tier: str = Field(max_length=16)
    first_response_minutes: int
    resolution_minutes: int
    updated_at: datetime = timestamp_field()
