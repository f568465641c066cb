"""The names analytics answers in: sources, measures, dimensions and time grains
(docs/architecture.md#analytics). No tables: every figure is computed from the domains'
own rows when asked (app/analytics/repository/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    ORDERS = "ORDERS"
    ORDER_LINES = "ORDER_LINES"
    SHIPMENTS = "SHIPMENTS"
    STOCK_MOVEMENTS = "STOCK_MOVEMENTS"
    CUSTOMERS = "CUSTOMERS"
    TICKETS = "TICKETS"
    SURVEYS = "SURVEYS"


class Grain(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"  # ISO weeks, starting on Monday
    MONTH = "MONTH"
    QUARTER = "QUARTER"


class Measure(StrEnum):
    # orders and order lines
    ORDERS = "ORDERS"
    PURCHASES = "PURCHASES"
    REVENUE = "REVENUE"
    AVERAGE_ORDER_VALUE = "AVERAGE_ORDER_VALUE"
    UNITS = "UNITS"
    DISCOUNTS = "DISCOUNTS"
    CUSTOMERS = "CUSTOMERS"
    LINES = "LINES"
    # shipments
    SHIPMENTS = "SHIPMENTS"
    DELIVERED = "DELIVERED"
    ON_TIME_RATE = "ON_TIME_RATE"
    AVERAGE_TRANSIT_HOURS = "AVERAGE_TRANSIT_HOURS"
    EXCEPTION_RATE = "EXCEPTION_RATE"
    FAILED_ATTEMPT_RATE = "FAILED_ATTEMPT_RATE"
    # stock movements
    MOVEMENTS = "MOVEMENTS"
    UNITS_IN = "UNITS_IN"
    UNITS_OUT = "UNITS_OUT"
    NET_UNITS = "NET_UNITS"
    # tickets (opened in the window; merged duplicates left out)
    TICKETS = "TICKETS"
    RESOLVED = "RESOLVED"
    RESPONSE_BREACHED = "RESPONSE_BREACHED"
    RESOLUTION_BREACHED = "RESOLUTION_BREACHED"
    BREACH_RATE = "BREACH_RATE"
    AVERAGE_FIRST_RESPONSE_MINUTES = "AVERAGE_FIRST_RESPONSE_MINUTES"
    AVERAGE_RESOLUTION_MINUTES = "AVERAGE_RESOLUTION_MINUTES"
    # satisfaction surveys (sent in the window)
    SURVEYS = "SURVEYS"
    ANSWERED = "ANSWERED"
    RESPONSE_RATE = "RESPONSE_RATE"
    AVERAGE_CSAT = "AVERAGE_CSAT"
    NPS = "NPS"


class Dimension(StrEnum):
    CHANNEL = "CHANNEL"
    STATUS = "STATUS"
    PAYMENT_METHOD = "PAYMENT_METHOD"
    REGION = "REGION"  # the customer's region (shipments: the recipient's)
    TIER = "TIER"
    SEGMENT = "SEGMENT"
    SALES_REP = "SALES_REP"
    CUSTOMER = "CUSTOMER"
    PRODUCT = "PRODUCT"
    CATEGORY = "CATEGORY"
    CARRIER = "CARRIER"
    WAREHOUSE = "WAREHOUSE"
    KIND = "KIND"
    PRIORITY = "PRIORITY"
    # personal data: refused for every role that does not read it in full
    CUSTOMER_EMAIL = "CUSTOMER_EMAIL"
    CUSTOMER_PHONE = "CUSTOMER_PHONE"
    SHIP_PHONE = "SHIP_PHONE"
    AGENT = "AGENT"  # the ticket's assignee, the survey's agent: staff names, masked for ANALYST


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC (naive, as stored), from local dates in `zone`."""

    zone: str
    start: datetime
    end: datetime
    first_day: date
    end_day: date


@dataclass(frozen=True)
class AnalyticsFilter:
    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    customer_ids: tuple[int, ...] = ()
    carrier_ids: tuple[int, ...] = ()
    warehouse_ids: tuple[int, ...] = ()
    product_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupKey:
    dimension: Dimension
    key: Any
    label: str


@dataclass
class AggregateRow:
    period: date | None
    keys: list[GroupKey]
    values: dict[Measure, Any]
    customers: int | None = None  # distinct customers in the group (small-group rule)


@dataclass
class AggregateResult:
    rows: list[AggregateRow]
    rows_scanned: int = 0
    rows_estimated: int = 0
    suppressed_groups: int = 0
    notes: list[str] = field(default_factory=list)
