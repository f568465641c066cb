"""Satisfaction surveys: one per delivered order (DELIVERY) or resolved ticket (TICKET),
answered once through a signed, expiring link (docs/architecture.md#satisfaction-surveys-
and-proactive-communication)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from app.persistence.columns import json_field, timestamp_field


class SurveySubject(StrEnum):
    DELIVERY = "DELIVERY"
    TICKET = "TICKET"


class SurveyStatus(StrEnum):
    SENT = "SENT"
    ANSWERED = "ANSWERED"
    EXPIRED = "EXPIRED"  # computed (expires_at passed unanswered); never stored


class Survey(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("csat IS NULL OR (csat BETWEEN 1 AND 5)", name="ck_survey_csat"),
        CheckConstraint("nps IS NULL OR (nps BETWEEN 0 AND 10)", name="ck_survey_nps"),
        Index("ix_survey_sent", "sent_at", "id"),
        Index("ix_survey_customer", "customer_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=16)
    # what it is about, unique: "order:12" (DELIVERY) or "ticket:7" (TICKET), so a
    # redelivered event or a second resolution never sends a second survey
    subject_key: str = Field(max_length=40, unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id")
    # the ticket a TICKET survey follows
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    # the agent who resolved the ticket: satisfaction(groupBy: AGENT)
    agent_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    language: str = Field(default="zh", max_length=8)
    # bound into the link token: a token of another survey, or of this survey before a
    # re-issue, does not match (app/surveys/links.py)
    nonce: str = Field(max_length=48)
    sent_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    answered_at: datetime | None = timestamp_field(nullable=True)
    csat: int | None = None
    nps: int | None = None
    comment: str | None = Field(default=None, max_length=2000)
    tags: list[str] | None = json_field()
    low_score: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class OrderReminder(SQLModel, table=True):
    """One "your order is due soon" reminder per order and promised date: the unique
    constraint is the claim, so two checks racing send it once."""

    __tablename__ = "order_reminder"

    order_id: int = Field(sa_column=Column(Integer, ForeignKey("sales_order.id"),
                                             primary_key=True))
    promised_date: date
    sent_at: datetime = timestamp_field()
