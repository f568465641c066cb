"""A consignor's delivery report and the consignee feedback reported to it, over a window of
local days (docs/architecture.md#consignor-reports). Reads only: the caller's scope decides
which consignors it may ask about (a customer sign-in its own; SALES the ones it owns)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.consignor_reports import repository as repo
from app.consignor_reports.masking import masked_name, masked_text
from app.consignor_reports.models import ConsignorReport, FeedbackItem, MoneyTotal
from app.customers import repository as customers
from app.errors import Forbidden, NotFound
from app.shipping import periods
from app.shipping.models import ShipmentStatus

MAX_FEEDBACK = 200


def _consignor(session: Session, principal: Principal, consignor_id: int) -> None:
    if not principal.can(Perm.CONSIGNOR_REPORTS_READ):
        raise Forbidden("requires permission consignor_reports:read")
    row = customers.get_visible(session, principal, consignor_id)
    if row is None or not row.is_consignor:  # not a consignor answers like a missing one
        raise NotFound("consignor not found", field=["consignorId"])


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def consignor_report(session: Session, principal: Principal, consignor_id: int,
                     first_day: date, last_day: date, timezone: str) -> ConsignorReport:
    span = periods.period(first_day, last_day, timezone)
    _consignor(session, principal, consignor_id)
    facts = repo.shipment_facts(session, consignor_id, span.start, span.end)
    delivered = [f for f in facts if f.status == ShipmentStatus.DELIVERED.value
                 and f.delivered_at is not None]
    promised = [f for f in delivered if f.promised_date is not None]
    on_time = sum(1 for f in promised if span.local_date(f.delivered_at) <= f.promised_date)
    failed = sum(1 for f in facts if f.failed_attempts > 0 or f.followed
                 or f.status == ShipmentStatus.RETURNED_TO_SENDER.value)
    freight = repo.freight_billed(session, consignor_id, span.start, span.end)
    opening, closing, shipped = repo.ledger_sums(session, consignor_id, span.start, span.end)
    days = (last_day - first_day).days + 1
    average = (opening + closing) / 2
    complaints, answered, csat = repo.feedback_counts(session, consignor_id, span.start,
                                                      span.end)
    return ConsignorReport(
        consignor_id=consignor_id, first_day=first_day, last_day=last_day, days=days,
        shipments=len(facts), delivered=len(delivered), on_time=on_time,
        with_promise=len(promised), on_time_rate=_rate(on_time, len(promised)),
        failed=failed, failed_rate=_rate(failed, len(facts)), units_shipped=shipped,
        opening_on_hand=opening, closing_on_hand=closing,
        stock_turnover=round(shipped / average, 4) if average else None,
        days_of_cover=round(closing * days / shipped, 1) if shipped else None,
        freight_billed=tuple(MoneyTotal(c, Decimal(a).quantize(Decimal("0.01")))
                             for c, a in freight),
        complaints=complaints, surveys_answered=answered,
        average_csat=None if csat is None else round(csat, 2))


def consignor_feedback(session: Session, principal: Principal, consignor_id: int,
                       first_day: date, last_day: date, timezone: str,
                       limit: int = MAX_FEEDBACK) -> list[FeedbackItem]:
    """Tickets and answered surveys about the consignor's delivery orders in the window,
    newest first, at most `limit` (MAX_FEEDBACK), consignee data masked."""
    span = periods.period(first_day, last_day, timezone)
    _consignor(session, principal, consignor_id)
    limit = max(1, min(limit, MAX_FEEDBACK))
    items = [FeedbackItem(
        source="TICKET", source_id=t[0], at=t[1], order_id=t[5], order_number=t[6],
        consignee=masked_name(t[7]), consignee_region=t[8], ticket_kind=t[2],
        ticket_status=t[3], subject=masked_text(t[4]), csat=None, nps=None, comment=None)
        for t in repo.tickets_of(session, consignor_id, span.start, span.end, limit)]
    items += [FeedbackItem(
        source="SURVEY", source_id=s[0], at=s[1], order_id=s[5], order_number=s[6],
        consignee=masked_name(s[7]), consignee_region=s[8], ticket_kind=None,
        ticket_status=None, subject=None, csat=s[2], nps=s[3], comment=masked_text(s[4]))
        for s in repo.surveys_of(session, consignor_id, span.start, span.end, limit)]
    items.sort(key=lambda i: (i.at, i.source, i.source_id), reverse=True)
    return items[:limit]
