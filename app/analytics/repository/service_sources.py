"""The group-by's service sources (docs/architecture.md#analytics): TICKETS, the tickets
opened in the window (merged duplicates left out), with the SLA rules of the tickets
domain (`app/tickets/repository.py` `response_breach`, `resolution_breach`: a breach
recorded, or due and not met by now); SURVEYS, the satisfaction surveys sent in the window,
with the satisfaction report's definitions (`app/surveys/repository.py`
`satisfaction_measures`: CSAT the average 1-5 score, NPS promoters less detractors in % of
the NPS answers). Agents are staff names: a personal dimension, refused for ANALYST."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import case, func, or_

from app.analytics.models import Dimension as D
from app.analytics.models import Measure as M
from app.analytics.models import Source
from app.analytics.repository.localtime import Dialect
from app.analytics.repository.sources import Dim, SourceSql, _named, customer_dimensions
from app.auth.models import User
from app.customers.models import Customer
from app.inventory.models import Warehouse
from app.persistence.columns import utcnow
from app.segments.models import CustomerSegment
from app.shipping.models import Carrier, Shipment
from app.surveys import repository as surveys
from app.surveys.models import Survey
from app.tickets import repository as tickets
from app.tickets.models import Ticket


def _customer_joins(customer_id: Any) -> dict[str, tuple[Any, Any]]:
    return {"customer": (Customer, Customer.id == customer_id),
            "segment": (CustomerSegment, CustomerSegment.customer_id == Customer.id),
            "rep": (User, User.id == Customer.owner_id)}


def _agent(user_id: Any) -> Dim:
    return replace(_named(user_id, User, "User"), personal=True)


def _tickets(dialect: Dialect, _purchases_only: bool = False) -> SourceSql:
    now = utcnow().replace(tzinfo=None)
    response = or_(Ticket.response_breached_at.is_not(None), tickets.response_breach(now))
    resolution = or_(Ticket.resolution_breached_at.is_not(None),
                     tickets.resolution_breach(now))
    count = func.count()
    return SourceSql(
        fact=Ticket, time=Ticket.created_at, customer=Ticket.customer_id,
        joins=_customer_joins(Ticket.customer_id),
        measures={
            M.TICKETS: count,
            M.RESOLVED: func.sum(case((Ticket.resolved_at.is_not(None), 1), else_=0)),
            M.RESPONSE_BREACHED: func.sum(case((response, 1), else_=0)),
            M.RESOLUTION_BREACHED: func.sum(case((resolution, 1), else_=0)),
            M.BREACH_RATE: func.sum(case((or_(response, resolution), 1.0), else_=0.0)) / count,
            M.AVERAGE_FIRST_RESPONSE_MINUTES: func.avg(
                dialect.hours(Ticket.created_at, Ticket.first_responded_at) * 60),
            M.AVERAGE_RESOLUTION_MINUTES: func.avg(
                dialect.hours(Ticket.created_at, Ticket.resolved_at) * 60),
        },
        dimensions={D.PRIORITY: Dim(Ticket.priority, Ticket.priority),
                    D.KIND: Dim(Ticket.kind, Ticket.kind),
                    D.CHANNEL: Dim(Ticket.channel, Ticket.channel),
                    D.STATUS: Dim(Ticket.status, Ticket.status),
                    D.AGENT: _agent(Ticket.assignee_id),
                    **customer_dimensions()},
        filters={"regions": (Customer.region, ("customer",)),
                 "channels": (Ticket.channel, ()),
                 "customer_ids": (Ticket.customer_id, ())},
        conditions=(Ticket.merged_into_id.is_(None),),
        scope=tickets.scope)


def _surveys(_dialect: Dialect, _purchases_only: bool = False) -> SourceSql:
    figures = surveys.satisfaction_measures(Survey.id)
    return SourceSql(
        fact=Survey, time=Survey.sent_at, customer=Survey.customer_id,
        joins={**_customer_joins(Survey.customer_id),
               "shipment": (Shipment, Shipment.id == Survey.shipment_id)},
        measures={M.SURVEYS: figures["sent"], M.ANSWERED: figures["answered"],
                  M.RESPONSE_RATE: figures["answered"] * 1.0 / func.nullif(figures["sent"], 0),
                  M.AVERAGE_CSAT: figures["csat"], M.NPS: figures["nps"]},
        dimensions={D.KIND: Dim(Survey.subject_kind, Survey.subject_kind),
                    D.AGENT: _agent(Survey.agent_user_id),
                    D.CARRIER: _named(Shipment.carrier_id, Carrier, "Carrier", ("shipment",)),
                    D.WAREHOUSE: _named(Shipment.warehouse_id, Warehouse, "Warehouse",
                                        ("shipment",)),
                    **customer_dimensions()},
        filters={"regions": (Customer.region, ("customer",)),
                 "customer_ids": (Survey.customer_id, ()),
                 "carrier_ids": (Shipment.carrier_id, ("shipment",)),
                 "warehouse_ids": (Shipment.warehouse_id, ("shipment",))},
        scope=surveys.scope)


REGISTRY: dict[Source, Callable[[Dialect, bool], SourceSql]] = {
    Source.TICKETS: _tickets, Source.SURVEYS: _surveys,
}
