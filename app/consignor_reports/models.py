"""What a consignor's report and its consignee feedback hold: plain values, no tables
(docs/architecture.md#consignor-reports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class MoneyTotal:
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class ConsignorReport:
    consignor_id: int
    first_day: date
    last_day: date
    days: int
    shipments: int  # picked up by the carrier in the window
    delivered: int  # of those, delivered
    on_time: int  # delivered on or before the promised local day
    with_promise: int  # delivered with a promised date
    on_time_rate: float | None  # on_time / with_promise
    failed: int  # of the window's shipments, those that failed to deliver at least once
    failed_rate: float | None  # failed / shipments
    units_shipped: int  # the consignor's units out of the warehouses (SHIPMENT movements)
    opening_on_hand: int  # its units on hand when the window opened
    closing_on_hand: int  # ... and when it closed
    stock_turnover: float | None  # units_shipped / the average of opening and closing
    days_of_cover: float | None  # closing_on_hand / (units_shipped per day)
    # its delivery orders' freight charges (ordinary orders: their shipping), per currency
    freight_billed: tuple[MoneyTotal, ...]
    complaints: int  # complaint tickets about its delivery orders, opened in the window
    surveys_answered: int  # delivery surveys of its orders answered in the window
    average_csat: float | None


@dataclass(frozen=True)
class FeedbackItem:
    """A consignee's complaint (a ticket) or satisfaction (an answered survey) about one of
    the consignor's delivery orders, its personal data masked."""

    source: str  # "TICKET" or "SURVEY"
    source_id: int
    at: datetime
    order_id: int | None
    order_number: str | None
    consignee: str  # masked name
    consignee_region: str
    ticket_kind: str | None
    ticket_status: str | None
    subject: str | None  # masked
    csat: int | None
    nps: int | None
    comment: str | None  # masked
