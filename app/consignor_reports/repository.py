"""SQL of a consignor's report and its consignee feedback: the facts of its shipments in a
window, its ledger sums, and its delivery orders' tickets and surveys
(docs/architecture.md#consignor-reports). The figures are summed in service.py: the on-time
rule compares local days, which SQLite cannot compute."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from app.delivery.models import DeliveryOrder
from app.followups.models import DeliveryFollowUp
from app.inventory.models import MovementKind, StockMovement
from app.orders.models import Order
from app.shipping.models import Shipment
from app.surveys.models import Survey, SurveySubject
from app.tickets.models import Ticket, TicketKind


def _orders_of(consignor_id: int) -> Any:
    """A consignor's delivery orders: the orders whose customer it is."""
    return select(Order.id).where(Order.customer_id == consignor_id)


def shipment_facts(session: Session, consignor_id: int, start: datetime, end: datetime
                   ) -> list[Any]:
    """One row per shipment of the consignor's orders picked up in [start, end)."""
    followed = select(DeliveryFollowUp.id).where(
        DeliveryFollowUp.shipment_id == Shipment.id).exists()
    stmt = select(Shipment.id, Shipment.status, Shipment.delivered_at, Shipment.promised_date,
                  Shipment.failed_attempts, followed.label("followed")).where(
        Shipment.order_id.in_(_orders_of(consignor_id)), Shipment.shipped_at >= start,
        Shipment.shipped_at < end).order_by(Shipment.id)
    return list(session.exec(stmt))


def freight_billed(session: Session, consignor_id: int, start: datetime, end: datetime
                   ) -> list[tuple[str, Any]]:
    """(currency, amount) billed for the consignor's orders picked up in [start, end): a
    delivery order's freight charge under its agreement (none when no agreement was valid),
    an ordinary order's shipping charge; each order once, however many parcels it took."""
    picked = select(Shipment.order_id).where(
        Shipment.order_id.in_(_orders_of(consignor_id)), Shipment.shipped_at >= start,
        Shipment.shipped_at < end)
    billed = case((DeliveryOrder.id.is_not(None), func.coalesce(DeliveryOrder.freight_charge, 0)),
                  else_=Order.shipping_total)
    stmt = (select(Order.currency, func.sum(billed))
            .outerjoin(DeliveryOrder, DeliveryOrder.order_id == Order.id)
            .where(Order.id.in_(picked)).group_by(Order.currency).order_by(Order.currency))
    return [(currency, amount) for currency, amount in session.exec(stmt)]


def ledger_sums(session: Session, consignor_id: int, start: datetime, end: datetime
                ) -> tuple[int, int, int]:
    """(units on hand before start, on hand before end, units shipped in [start, end)) of
    the consignor's goods, from its movements (the ledger balances per owner)."""
    m = StockMovement
    before_start = func.sum(case((m.created_at < start, m.on_hand_delta), else_=0))
    shipped = func.sum(case(((m.created_at >= start) & (m.kind == MovementKind.SHIPMENT.value),
                             -m.on_hand_delta), else_=0))
    stmt = select(before_start, func.sum(m.on_hand_delta), shipped).where(
        m.consignor_id == consignor_id, m.created_at < end)
    row = session.exec(stmt).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def feedback_counts(session: Session, consignor_id: int, start: datetime, end: datetime
                    ) -> tuple[int, int, float | None]:
    """(complaints opened, delivery surveys answered, their average CSAT) in the window."""
    complaints = select(func.count()).select_from(Ticket).where(
        Ticket.order_id.in_(_orders_of(consignor_id)),
        Ticket.kind == TicketKind.COMPLAINT.value, Ticket.created_at >= start,
        Ticket.created_at < end)
    surveys = select(func.count(), func.avg(Survey.csat)).where(
        Survey.order_id.in_(_orders_of(consignor_id)),
        Survey.subject_kind == SurveySubject.DELIVERY.value, Survey.answered_at >= start,
        Survey.answered_at < end)
    answered, csat = session.exec(surveys).one()
    return int(session.exec(complaints).one()), int(answered), \
        None if csat is None else float(csat)


def tickets_of(session: Session, consignor_id: int, start: datetime, end: datetime,
               limit: int) -> list[Any]:
    """Tickets about the consignor's delivery orders opened in the window, newest first,
    with the order's number and consignee."""
    stmt = select(Ticket.id, Ticket.created_at, Ticket.kind, Ticket.status, Ticket.subject,
                  Order.id, Order.number, Order.ship_recipient, Order.ship_region).join(
        Order, Order.id == Ticket.order_id).where(
        Order.customer_id == consignor_id, Ticket.created_at >= start,
        Ticket.created_at < end).order_by(Ticket.created_at.desc(), Ticket.id.desc()
                                          ).limit(limit)
    return list(session.exec(stmt))


def surveys_of(session: Session, consignor_id: int, start: datetime, end: datetime,
               limit: int) -> list[Any]:
    """Answered delivery surveys of the consignor's orders in the window, newest first."""
    stmt = select(Survey.id, Survey.answered_at, Survey.csat, Survey.nps, Survey.comment,
                  Order.id, Order.number, Order.ship_recipient, Order.ship_region).join(
        Order, Order.id == Survey.order_id).where(
        Order.customer_id == consignor_id, Survey.answered_at >= start,
        Survey.answered_at < end).order_by(Survey.answered_at.desc(), Survey.id.desc()
                                           ).limit(limit)
    return list(session.exec(stmt))
