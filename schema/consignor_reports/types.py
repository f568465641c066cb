"""GraphQL types of a consignor's delivery report and its consignee feedback
(docs/architecture.md#consignor-reports)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import strawberry

from app.consignor_reports import models as m
from schema.core.node import gid


@strawberry.type(description="A sum of money in one currency.")
class ConsignorFreight:
    currency: str
    amount: Decimal

    @classmethod
    def from_row(cls, row: m.MoneyTotal) -> ConsignorFreight:
        return cls(currency=row.currency, amount=row.amount)


@strawberry.type(description="A consignor's delivery quality, stock and freight over a window "
                 "of local days (business time zone). Rates are 0 to 1, null with nothing "
                 "to measure.")
class ConsignorReport:
    consignor_id: strawberry.ID
    first_day: date = strawberry.field(name="from")
    last_day: date = strawberry.field(name="to")
    days: int
    shipments: int = strawberry.field(description="Its parcels picked up in the window.")
    delivered: int = strawberry.field(description="Of those, delivered.")
    on_time: int = strawberry.field(description="Delivered on or before the promised day.")
    with_promise: int = strawberry.field(description="Delivered with a promised date.")
    on_time_rate: float | None = strawberry.field(description="onTime / withPromise.")
    failed: int = strawberry.field(description="Parcels that failed to deliver at least "
                                   "once (a failed attempt, back at the sender, or on the "
                                   "follow-up list).")
    failed_rate: float | None = strawberry.field(description="failed / shipments.")
    units_shipped: int = strawberry.field(description="Its units that left the warehouses "
                                          "(stock movements SHIPMENT).")
    opening_on_hand: int = strawberry.field(description="Its units on hand at the start.")
    closing_on_hand: int = strawberry.field(description="Its units on hand at the end.")
    stock_turnover: float | None = strawberry.field(
        description="unitsShipped / the average of opening and closing on hand.")
    days_of_cover: float | None = strawberry.field(
        description="Days the closing stock lasts at the window's daily shipping rate.")
    freight_billed: list[ConsignorFreight] = strawberry.field(
        description="The charges of its parcels picked up in the window, per currency.")
    complaints: int = strawberry.field(description="Complaint tickets about its delivery "
                                       "orders opened in the window.")
    surveys_answered: int
    average_csat: float | None

    @classmethod
    def from_row(cls, r: m.ConsignorReport) -> ConsignorReport:
        return cls(
            consignor_id=gid("Customer", r.consignor_id), first_day=r.first_day,
            last_day=r.last_day, days=r.days, shipments=r.shipments, delivered=r.delivered,
            on_time=r.on_time, with_promise=r.with_promise, on_time_rate=r.on_time_rate,
            failed=r.failed, failed_rate=r.failed_rate, units_shipped=r.units_shipped,
            opening_on_hand=r.opening_on_hand, closing_on_hand=r.closing_on_hand,
            stock_turnover=r.stock_turnover, days_of_cover=r.days_of_cover,
            freight_billed=[ConsignorFreight.from_row(x) for x in r.freight_billed],
            complaints=r.complaints, surveys_answered=r.surveys_answered,
            average_csat=r.average_csat)


class FeedbackSourceKind(StrEnum):
    TICKET = "TICKET"
    SURVEY = "SURVEY"


FeedbackSource = strawberry.enum(FeedbackSourceKind, name="ConsigneeFeedbackSource")


@strawberry.type(description="A consignee's complaint or request (a ticket) or satisfaction "
                 "(an answered delivery survey) about one of the consignor's delivery "
                 "orders; the consignee's name masked, phone numbers and e-mail addresses "
                 "in the text masked, no address.")
class ConsigneeFeedback:
    source: FeedbackSource  # type: ignore[valid-type]
    source_id: strawberry.ID = strawberry.field(description="The Ticket or Survey.")
    at: datetime = strawberry.field(description="Opened (ticket) or answered (survey).")
    order_id: strawberry.ID | None
    order_number: str | None
    consignee: str
    consignee_region: str
    ticket_kind: str | None
    ticket_status: str | None
    subject: str | None
    csat: int | None
    nps: int | None
    comment: str | None

    @classmethod
    def from_row(cls, r: m.FeedbackItem) -> ConsigneeFeedback:
        kind = "Ticket" if r.source == FeedbackSourceKind.TICKET else "Survey"
        return cls(
            source=FeedbackSourceKind(r.source), source_id=gid(kind, r.source_id), at=r.at,
            order_id=gid("Order", r.order_id) if r.order_id else None,
            order_number=r.order_number, consignee=r.consignee,
            consignee_region=r.consignee_region, ticket_kind=r.ticket_kind,
            ticket_status=r.ticket_status, subject=r.subject, csat=r.csat, nps=r.nps,
            comment=r.comment)
