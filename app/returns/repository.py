"""SQL for return requests and their lines, with the caller's row scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers import repository as customers
from app.orders.models import OrderLine
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
from app.returns.models import ReturnLine, ReturnRequest


class ReturnSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    NUMBER_ASC = "NUMBER_ASC"


SORTS = sort_table(ReturnSort, {
    "CREATED_AT": ReturnRequest.created_at, "UPDATED_AT": ReturnRequest.updated_at,
    "NUMBER": ReturnRequest.number,
})


@dataclass(frozen=True)
class ReturnFilter:
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    order_id: int | None = None
    customer_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Like orders: SALES see their customers' returns, CUSTOMER users their own."""
    return customers.of_visible_customers(stmt, principal, ReturnRequest.customer_id)


def get_visible(session: Session, principal: Principal, request_id: int) -> ReturnRequest | None:
    stmt = scope(select(ReturnRequest).where(ReturnRequest.id == request_id), principal)
    return session.exec(stmt).first()


def lock(session: Session, request: ReturnRequest) -> ReturnRequest:
    """Re-read the request locked (PostgreSQL), after its order was locked."""
    stmt = select(ReturnRequest).where(ReturnRequest.id == request.id).with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).one()


def list_requests(session: Session, principal: Principal, flt: ReturnFilter, sort: ReturnSort,
                  page: PageRequest) -> Page[ReturnRequest]:
    stmt = where(scope(select(ReturnRequest), principal),
                 one_of(ReturnRequest.status, flt.statuses or None),
                 one_of(ReturnRequest.type, flt.types or None),
                 equal(ReturnRequest.order_id, flt.order_id),
                 equal(ReturnRequest.customer_id, flt.customer_id),
                 in_period(ReturnRequest.created_at, flt.created_after, flt.created_before))
    return paginate(session, stmt, SORTS[sort], page, ReturnRequest.id)


# Batched lookups for dataloaders ---------------------------------------------

def requests_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[ReturnRequest]]:
    stmt = select(ReturnRequest).where(ReturnRequest.order_id.in_(list(ids))).order_by(
        ReturnRequest.order_id, ReturnRequest.id)
    return grouped(session.exec(stmt), "order_id")


def lines_by_request(session: Session, ids: Sequence[int]) -> dict[int, list[ReturnLine]]:
    stmt = select(ReturnLine).where(ReturnLine.return_request_id.in_(list(ids))).order_by(
        ReturnLine.return_request_id, ReturnLine.id)
    return grouped(session.exec(stmt), "return_request_id")


def lines_of(session: Session, request_id: int) -> list[ReturnLine]:
    return lines_by_request(session, [request_id]).get(request_id, [])


# Returned quantities on order lines -------------------------------------------

def take_returnable(session: Session, order_line_id: int, quantity: int) -> bool:
    """Count `quantity` more units of the line as returned, if that many were delivered
    and not returned yet: the WHERE clause is the check (and a CHECK constraint backs it)."""
    stmt = (update(OrderLine)
            .where(OrderLine.id == order_line_id,
                   OrderLine.quantity_returned + quantity <= OrderLine.quantity_delivered)
            .values(quantity_returned=OrderLine.quantity_returned + quantity)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def give_back(session: Session, order_line_id: int, quantity: int) -> bool:
    """Units that will not come back after all (rejected, not received, repaired)."""
    stmt = (update(OrderLine)
            .where(OrderLine.id == order_line_id, OrderLine.quantity_returned >= quantity)
            .values(quantity_returned=OrderLine.quantity_returned - quantity)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def credited_units(session: Session, order_id: int) -> dict[int, int]:
    """Per order line: units already credited by refunded returns of the order."""
    stmt = (select(ReturnLine.order_line_id,
                   func.sum(ReturnLine.restocked + ReturnLine.scrapped))
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_request_id)
            .where(ReturnRequest.order_id == order_id, ReturnRequest.type == "RETURN",
                   ReturnRequest.status == "REFUNDED")
            .group_by(ReturnLine.order_line_id))
    return {line_id: int(units or 0) for line_id, units in session.exec(stmt)}
