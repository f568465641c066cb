"""All SQL of surveys and the due-date reminders: the survey rows, the once-only answer,
the staff list, the satisfaction aggregates and the reminder claim
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, and_, case, cast, false, func, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app.auth.models import User
from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers.models import Customer
from app.inventory.models import Warehouse
from app.orders.models import Order, OrderLine
from app.persistence.columns import utcnow
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.segments.models import CustomerSegment
from app.shipping.models import Carrier, Shipment
from app.surveys.models import OrderReminder, Survey

# statuses an order has between approval and dispatch: what the due-date reminder watches
NOT_DISPATCHED = ("CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "ON_HOLD")


class SurveySort(StrEnum):
    SENT_AT_DESC = "SENT_AT_DESC"
    SENT_AT_ASC = "SENT_AT_ASC"


_SORTS = sort_table(SurveySort, {"SENT_AT": Survey.sent_at})


class GroupBy(StrEnum):
    PRODUCT = "PRODUCT"
    WAREHOUSE = "WAREHOUSE"
    CARRIER = "CARRIER"
    AGENT = "AGENT"
    SEGMENT = "SEGMENT"


@dataclass(frozen=True)
class SurveyFilter:
    subject_kinds: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None  # SENT, ANSWERED, EXPIRED (needs `now`)
    customer_id: int | None = None
    order_id: int | None = None
    low_score: bool | None = None
    sent_after: datetime | None = None
    sent_before: datetime | None = None
    now: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Staff with surveys:read read every survey; customers answer by link, never list."""
    if principal.customer_scope is not None or principal.owner_scope is not None:
        return stmt.where(false())
    return stmt


# Writes -------------------------------------------------------------------------------

def delivered_order(session: Session, order_id: int) -> Any | None:
    """The order with its customer's language and its last delivered parcel, when it is
    DELIVERED (or COMPLETED since)."""
    last = (select(Shipment.id).where(Shipment.order_id == Order.id,
                                      Shipment.delivered_at.is_not(None))
            .order_by(Shipment.delivered_at.desc(), Shipment.id.desc()).limit(1)
            .scalar_subquery())
    stmt = (select(Order.id, Order.customer_id, Order.number, Order.delivered_at,
                   Customer.language, last.label("shipment_id"))
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.id == order_id, Order.status.in_(("DELIVERED", "COMPLETED"))))
    return session.execute(stmt).first()


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    stmt = select(Survey.subject_key).where(Survey.subject_key.in_(list(keys)))
    return set(session.execute(stmt).scalars())


def customer_language(session: Session, customer_id: int) -> str | None:
    return session.execute(select(Customer.language).where(
        Customer.id == customer_id)).scalar_one_or_none()


def add_survey(session: Session, values: dict[str, Any]) -> Survey:
    row = Survey(**values)
    session.add(row)
    session.flush()
    return row


def survey(session: Session, survey_id: int) -> Survey | None:
    return session.get(Survey, survey_id)


def claim_answer(session: Session, survey_id: int, nonce: str, now: datetime,
                 values: dict[str, Any]) -> bool:
    """Store the answer if the survey is still open: one conditional UPDATE, so of two
    answers racing exactly one lands (PostgreSQL re-checks `answered_at IS NULL` on the
    locked row under READ COMMITTED; SQLite has one writer)."""
    stmt = (update(Survey)
            .where(Survey.id == survey_id, Survey.nonce == nonce,
                   Survey.answered_at.is_(None), Survey.expires_at > now)
            .values(answered_at=now, **values)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


# Reads --------------------------------------------------------------------------------

def _status(statuses: tuple[str, ...] | None, now: datetime | None) -> Any:
    if not statuses:
        return None
    now = now or utcnow()
    conditions = {
        "ANSWERED": Survey.answered_at.is_not(None),
        "SENT": and_(Survey.answered_at.is_(None), Survey.expires_at > now),
        "EXPIRED": and_(Survey.answered_at.is_(None), Survey.expires_at <= now),
    }
    return or_(*(conditions[s] for s in statuses))


def list_surveys(session: Session, principal: Principal, flt: SurveyFilter, sort: SurveySort,
                 page: PageRequest) -> Page[Survey]:
    stmt = where(scope(select(Survey), principal),
                 one_of(Survey.subject_kind, flt.subject_kinds),
                 equal(Survey.customer_id, flt.customer_id),
                 equal(Survey.order_id, flt.order_id), equal(Survey.low_score, flt.low_score),
                 in_period(Survey.sent_at, flt.sent_after, flt.sent_before),
                 _status(flt.statuses, flt.now))
    return paginate(session, stmt, _SORTS[sort], page, Survey.id)


def get_visible(session: Session, principal: Principal, survey_id: int) -> Survey | None:
    return session.execute(scope(select(Survey).where(Survey.id == survey_id),
                                 principal)).scalars().first()


def surveys_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Survey]:
    return {s.id: s for s in session.execute(
        select(Survey).where(Survey.id.in_(list(ids)))).scalars()}


def order_number(session: Session, order_id: int | None) -> str | None:
    if order_id is None:
        return None
    return session.execute(select(Order.number).where(Order.id == order_id)).scalar()


def satisfaction_measures(survey_id: Any) -> dict[str, Any]:
    """sent, answered, CSAT average, NPS (promoters - detractors, % of NPS answers), over
    distinct surveys (a survey counts once per group however many lines join it): the
    definitions of the satisfaction report and of analytics' SURVEYS source."""
    answered = Survey.answered_at.is_not(None)
    nps_answers = func.count(func.distinct(case((Survey.nps.is_not(None), survey_id))))
    promoters = func.count(func.distinct(case((Survey.nps >= 9, survey_id))))
    detractors = func.count(func.distinct(case((Survey.nps <= 6, survey_id))))
    return {"sent": func.count(func.distinct(survey_id)),
            "answered": func.count(func.distinct(case((answered, survey_id)))),
            "csat": func.avg(cast(Survey.csat, Float)),
            "nps": literal(100.0) * (promoters - detractors) / func.nullif(nps_answers, 0)}


def _figures(survey_id: Any) -> list[Any]:
    return [value.label(name) for name, value in satisfaction_measures(survey_id).items()]


def _grouped(group_by: GroupBy) -> tuple[Any, Any, list[tuple[Any, Any]]]:
    """(key column, label column, joins) of a grouping."""
    if group_by is GroupBy.PRODUCT:
        lines = (select(OrderLine.order_id, OrderLine.product_id).distinct()
                 .subquery("survey_lines"))
        return Product.id, Product.name, [
            (lines, lines.c.order_id == Survey.order_id),
            (Product, Product.id == lines.c.product_id)]
    if group_by in (GroupBy.WAREHOUSE, GroupBy.CARRIER):
        other, key = (Warehouse, Shipment.warehouse_id) if group_by is GroupBy.WAREHOUSE \
            else (Carrier, Shipment.carrier_id)
        return other.id, other.name, [(Shipment, Shipment.id == Survey.shipment_id),
                                      (other, other.id == key)]
    if group_by is GroupBy.AGENT:
        return User.id, User.full_name, [(User, User.id == Survey.agent_user_id)]
    return CustomerSegment.segment, CustomerSegment.segment, [
        (CustomerSegment, CustomerSegment.customer_id == Survey.customer_id)]


def satisfaction(session: Session, start: datetime, end: datetime,
                 group_by: GroupBy | None) -> list[Any]:
    """One row per group (key, label, sent, answered, csat, nps) of the surveys sent in
    [start, end), or one row for all of them when `group_by` is None: one statement."""
    period = and_(Survey.sent_at >= start, Survey.sent_at < end)
    if group_by is None:
        stmt = select(literal(None).label("key"), literal(None).label("label"),
                      *_figures(Survey.id)).where(period)
        return list(session.execute(stmt).all())
    key, label, joins = _grouped(group_by)
    stmt = select(key.label("key"), label.label("label"), *_figures(Survey.id))
    source: Any = Survey.__table__
    for target, on in joins:
        source = source.join(target, on)
    stmt = (stmt.select_from(source).where(period).group_by(key, label)
            .order_by(func.count(func.distinct(Survey.id)).desc(), key))
    return list(session.execute(stmt).all())


# Reminders ----------------------------------------------------------------------------

def due_for_reminder(session: Session, last_day: date, limit: int) -> list[Any]:
    """Approved orders not dispatched whose promised date is on or before `last_day` and
    that had no reminder yet."""
    reminded = select(OrderReminder.order_id).where(OrderReminder.order_id == Order.id)
    stmt = (select(Order.id, Order.customer_id, Order.promised_date, Order.status)
            .where(Order.status.in_(NOT_DISPATCHED), Order.promised_date.is_not(None),
                   Order.promised_date <= last_day, Order.shipped_at.is_(None),
                   ~reminded.exists())
            .order_by(Order.promised_date, Order.id).limit(limit))
    return list(session.execute(stmt).all())


def claim_reminder(session: Session, order_id: int, promised: date, now: datetime) -> bool:
    """Insert the order's reminder row unless one exists: the claim (ON CONFLICT DO
    NOTHING on both databases), so two checks racing remind once."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(OrderReminder)
            .values(order_id=order_id, promised_date=promised, sent_at=now)
            .on_conflict_do_nothing(index_elements=["order_id"])
            .returning(OrderReminder.order_id))
    return session.execute(stmt).first() is not None


def owner_of(session: Session, customer_id: int) -> int | None:
    return session.execute(select(Customer.owner_id).where(
        Customer.id == customer_id)).scalar()
