"""Sales activities (calls, visits, tasks...), weekly visit plans, key-contact maintenance
plans and sales targets (docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import money_field, timestamp_field


class ActivityKind(StrEnum):
    CALL = "CALL"
    EMAIL = "EMAIL"
    VISIT = "VISIT"
    MEETING = "MEETING"
    NOTE = "NOTE"
    TASK = "TASK"


class ActivityStatus(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class SubjectType(StrEnum):
    """What an activity is about: a generic (type, id) pair, so leads and opportunities
    need no foreign key here."""

    CUSTOMER = "CUSTOMER"
    CONTACT = "CONTACT"
    LEAD = "LEAD"
    OPPORTUNITY = "OPPORTUNITY"
    ORDER = "ORDER"


class TargetPeriod(StrEnum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"


class TargetMetric(StrEnum):
    REVENUE = "REVENUE"
    NEW_CUSTOMERS = "NEW_CUSTOMERS"
    VISITS = "VISITS"


class Activity(SQLModel, table=True):
    __table_args__ = (
        Index("ix_activity_assignee_due", "assignee_id", "due_at"),
        Index("ix_activity_status_due", "status", "due_at"),
        Index("ix_activity_subject", "subject_type", "subject_id"),
        Index("ix_activity_customer_created", "customer_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    status: str = Field(default=ActivityStatus.OPEN.value, max_length=16)
    subject_type: str = Field(max_length=16)
    subject_id: int
    # the customer it concerns (its own, a contact's or an order's): the timeline's key;
    # null for leads and opportunities
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    title: str = Field(max_length=200)
    notes: str = Field(default="", max_length=4000)
    outcome: str = Field(default="", max_length=2000)
    # when it is due (a logged call or a note: when it happened)
    due_at: datetime = timestamp_field()
    assignee_id: int = Field(foreign_key="app_user.id")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    contact_plan_id: int | None = Field(default=None, foreign_key="contact_plan.id",
                                        index=True)
    completed_at: datetime | None = timestamp_field(nullable=True)
    # set once, by the conditional update that raises the overdue alert (exactly one per
    # due time; cleared when the due time moves)
    overdue_alerted_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = 1


class VisitPlan(SQLModel, table=True):
    __tablename__ = "visit_plan"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    week_start: date  # a Monday
    planned_visits: int = 0
    notes: str = Field(default="", max_length=2000)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class ContactPlan(SQLModel, table=True):
    """"Contact every N days" for a key customer or contact: the job creates a TASK when
    `next_due_on` arrives, claiming the period by a conditional update."""

    __tablename__ = "contact_plan"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),
                      Index("ix_contact_plan_due", "active", "next_due_on"))

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=16)  # CUSTOMER or CONTACT
    subject_id: int
    customer_id: int = Field(foreign_key="customer.id", index=True)
    assignee_id: int = Field(foreign_key="app_user.id", index=True)
    every_days: int
    next_due_on: date
    active: bool = True
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class SalesTarget(SQLModel, table=True):
    __tablename__ = "sales_target"
    __table_args__ = (UniqueConstraint("scope_key", "period", "period_start", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    # a rep's target, or null: the team's (every SALES user)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    scope_key: str = Field(max_length=32)  # "user:<id>" or "team": the unique key
    period: str = Field(max_length=16)
    period_start: date
    metric: str = Field(max_length=16)
    target: Decimal = money_field()
    # the behind-pace alert: at most once per target and day (conditional update)
    pace_alerted_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
