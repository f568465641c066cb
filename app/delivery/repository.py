"""SQL for delivery orders, consignor freight agreements and delivery plans, with the
caller's row scope: a consignor-side sign-in (`customer_scope`) sees its own rows only, SALES
the rows of the consignors it owns (docs/architecture.md#delivery-orders-and-plans)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers import repository as customers
from app.delivery.models import (
    ConsignorFreightAgreement,
    DeliveryOrder,
    DeliveryPlan,
    DeliveryPlanLine,
    DeliveryPlanStatus,
)
from app.orders.models import Order
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    grouped,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)

D, P = DeliveryOrder, DeliveryPlan


class DeliveryOrderSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    PLAN_DATE_ASC = "PLAN_DATE_ASC"


SORTS = sort_table(DeliveryOrderSort, {"CREATED_AT": D.created_at, "PLAN_DATE": D.plan_date})


class DeliveryPlanSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    NAME_ASC = "NAME_ASC"


PLAN_SORTS = sort_table(DeliveryPlanSort, {"CREATED_AT": P.created_at, "NAME": P.name})


@dataclass(frozen=True)
class DeliveryOrderFilter:
    consignor_id: int | None = None
    consignee_id: int | None = None
    plan_id: int | None = None
    sources: tuple[str, ...] = ()
    reference: str | None = None
    billed: bool | None = None  # with a freight charge (the billing list) or without
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class DeliveryPlanFilter:
    consignor_id: int | None = None
    consignee_id: int | None = None
    statuses: tuple[str, ...] = ()


# Delivery orders ---------------------------------------------------------------------------

def scope(stmt, principal: Principal, column=None):  # noqa: ANN001, ANN201
    """Rows of the consignors the principal may see (its own one for a consignor-side
    sign-in, the owned ones for SALES)."""
    return customers.of_visible_customers(stmt, principal,
                                          D.consignor_id if column is None else column)


def scope_orders(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """The delivery orders list's rows (a claim without its order yet is not one)."""
    return scope(stmt.where(D.order_id.is_not(None)), principal)


def scope_plans(stmt, principal: Principal):  # noqa: ANN001, ANN201
    return scope(stmt, principal, P.consignor_id)


def get_visible(session: Session, principal: Principal, pk: int) -> DeliveryOrder | None:
    stmt = scope(select(D).where(D.id == pk, D.order_id.is_not(None)), principal)
    return session.exec(stmt).first()


def list_delivery_orders(session: Session, principal: Principal, flt: DeliveryOrderFilter,
                         sort: DeliveryOrderSort, page: PageRequest) -> Page[DeliveryOrder]:
    billed = None if flt.billed is None else (
        D.freight_charge.is_not(None) if flt.billed else D.freight_charge.is_(None))
    stmt = where(scope(select(D).where(D.order_id.is_not(None)), principal),
                 equal(D.consignor_id, flt.consignor_id), equal(D.consignee_id, flt.consignee_id),
                 equal(D.plan_id, flt.plan_id), one_of(D.source, flt.sources or None),
                 equal(D.consignor_reference, flt.reference), billed,
                 in_period(D.created_at, flt.created_after, flt.created_before))
    return paginate(session, stmt, SORTS[sort], page, D.id)


def billing_totals(session: Session, principal: Principal, consignor_id: int,
                   after: datetime | None, before: datetime | None) -> tuple[int, Decimal]:
    """The count and sum of the consignor's freight charges made in the period."""
    stmt = where(scope(select(func.count(D.id), func.coalesce(func.sum(D.freight_charge), 0))
                       .where(D.order_id.is_not(None), D.freight_charge.is_not(None)),
                       principal),
                 D.consignor_id == consignor_id, in_period(D.created_at, after, before))
    count, total = session.exec(stmt).one()
    return int(count), Decimal(total)


def by_orders(session: Session, order_ids: Sequence[int]) -> dict[int, DeliveryOrder]:
    stmt = select(D).where(D.order_id.in_(list(order_ids)))
    return {d.order_id: d for d in session.exec(stmt)}


_CLAIMS = {name: make(D.__table__).on_conflict_do_nothing().returning(D.id)
           for name, make in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}


def claim(session: Session, values: dict[str, Any]) -> int | None:
    """Insert the delivery order's row before its order: the id, or None when the
    consignor's reference (or the plan's date) is taken. ON CONFLICT DO NOTHING on both
    unique keys: on PostgreSQL a second claim of the same key waits for the first's
    commit and then does nothing (or inserts, if the first rolled back); SQLite has one
    writer."""
    stmt = _CLAIMS[session.get_bind().dialect.name]
    row = session.execute(stmt, values).first()
    return row[0] if row else None


def complete(session: Session, pk: int, values: dict[str, Any]) -> None:
    """The claimed row's order and freight charge."""
    session.execute(update(D).where(D.id == pk).values(**values))


def unclaim(session: Session, pk: int) -> None:
    """Give a claimed reference back: the row's order could not be made."""
    session.execute(delete(D).where(D.id == pk))


def by_reference(session: Session, consignor_id: int, reference: str) -> DeliveryOrder | None:
    stmt = select(D).where(D.consignor_id == consignor_id, D.consignor_reference == reference)
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def known_consignee(session: Session, consignor_id: int, consignee_id: int) -> bool:
    """Whether the customer already is one of the consignor's consignees (on a delivery
    order or a plan): what a consignor-side sign-in may deliver to."""
    orders = select(D.id).where(D.consignor_id == consignor_id, D.consignee_id == consignee_id)
    plans = select(P.id).where(P.consignor_id == consignor_id, P.consignee_id == consignee_id)
    return session.exec(orders.limit(1)).first() is not None or \
        session.exec(plans.limit(1)).first() is not None


def orders_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Order]:
    return {o.id: o for o in session.exec(select(Order).where(Order.id.in_(list(ids))))}


# Freight agreements ------------------------------------------------------------------------

def freight_for(session: Session, consignor_id: int, for_update: bool = False
                ) -> ConsignorFreightAgreement | None:
    stmt = select(ConsignorFreightAgreement).where(
        ConsignorFreightAgreement.consignor_id == consignor_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def active_freight(session: Session, consignor_id: int, day: date
                   ) -> ConsignorFreightAgreement | None:
    a = ConsignorFreightAgreement
    stmt = select(a).where(a.consignor_id == consignor_id, a.valid_from <= day,
                           or_(a.valid_until.is_(None), a.valid_until >= day))
    return session.exec(stmt).first()


def visible_freight(session: Session, principal: Principal, consignor_id: int
                    ) -> ConsignorFreightAgreement | None:
    a = ConsignorFreightAgreement
    stmt = scope(select(a).where(a.consignor_id == consignor_id), principal, a.consignor_id)
    return session.exec(stmt).first()


# Delivery plans ----------------------------------------------------------------------------

def get_visible_plan(session: Session, principal: Principal, pk: int) -> DeliveryPlan | None:
    return session.exec(scope(select(P).where(P.id == pk), principal, P.consignor_id)).first()


def plans_by_ids(session: Session, ids: Sequence[int]) -> dict[int, DeliveryPlan]:
    return {p.id: p for p in session.exec(select(P).where(P.id.in_(list(ids))))}


def lock_plan(session: Session, pk: int) -> DeliveryPlan:
    stmt = select(P).where(P.id == pk).with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).one()


def list_plans(session: Session, principal: Principal, flt: DeliveryPlanFilter,
               sort: DeliveryPlanSort, page: PageRequest) -> Page[DeliveryPlan]:
    stmt = where(scope(select(P), principal, P.consignor_id),
                 equal(P.consignor_id, flt.consignor_id), equal(P.consignee_id, flt.consignee_id),
                 one_of(P.status, flt.statuses or None))
    return paginate(session, stmt, PLAN_SORTS[sort], page, P.id)


def lines_by_plan(session: Session, ids: Sequence[int]) -> dict[int, list[DeliveryPlanLine]]:
    stmt = select(DeliveryPlanLine).where(DeliveryPlanLine.plan_id.in_(list(ids))).order_by(
        DeliveryPlanLine.plan_id, DeliveryPlanLine.id)
    return grouped(session.exec(stmt), "plan_id")


def replace_plan_lines(session: Session, plan_id: int, lines: Sequence[tuple[int, int]]) -> None:
    session.execute(delete(DeliveryPlanLine).where(DeliveryPlanLine.plan_id == plan_id))
    session.add_all([DeliveryPlanLine(plan_id=plan_id, product_id=p, quantity=q)
                     for p, q in lines])


def plans_due(session: Session, today: date, last: date, after_id: int, limit: int
              ) -> list[DeliveryPlan]:
    """Active plans valid on some day of [today, last], by id after `after_id`."""
    stmt = select(P).where(P.status == DeliveryPlanStatus.ACTIVE.value, P.id > after_id,
                           P.valid_from <= last,
                           or_(P.valid_until.is_(None), P.valid_until >= today)
                           ).order_by(P.id).limit(limit)
    return list(session.exec(stmt))


def planned_dates(session: Session, plan_id: int, first: date, last: date) -> set[date]:
    stmt = core_select(D.plan_date).where(D.plan_id == plan_id, D.plan_date >= first,
                                          D.plan_date <= last)
    return {r[0] for r in session.execute(stmt)}
