"""SQL for return requests and their lines, with the caller's row scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers.models import Customer
from app.orders.models import OrderLine
from app.persistence.pagination import Page, PageRequest, SortKey, paginate
from app.returns.models import ReturnLine, ReturnRequest


class ReturnSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    NUMBER_ASC = "NUMBER_ASC"


SORTS: dict[ReturnSort, SortKey] = {
    ReturnSort.CREATED_AT_DESC: [(ReturnRequest.created_at, True)],
    ReturnSort.CREATED_AT_ASC: [(ReturnRequest.created_at, False)],
    ReturnSort.UPDATED_AT_DESC: [(ReturnRequest.updated_at, True)],
    ReturnSort.NUMBER_ASC: [(ReturnRequest.number, False)],
}


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
    if principal.customer_scope is not None:
        stmt = stmt.where(ReturnRequest.customer_id == principal.customer_scope)
    if principal.owner_scope is not None:
        owned = select(Customer.id).where(Customer.owner_id == principal.owner_scope)
        stmt = stmt.where(ReturnRequest.customer_id.in_(owned))
    return stmt


def get_visible(session: Session, principal: Principal, request_id: int) -> ReturnRequest | None:
    stmt = scope(select(ReturnRequest).where(ReturnRequest.id == request_id), principal)
    return session.exec(stmt).first()


def lock(session: Session, request: ReturnRequest) -> ReturnRequest:
    """Re-read the request locked (PostgreSQL), after its order was locked."""
    stmt = select(ReturnRequest).where(ReturnRequest.id == request.id).with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).one()


def list_requests(session: Session, principal: Principal, flt: ReturnFilter, sort: ReturnSort,
                  page: PageRequest) -> Page[ReturnRequest]:
    stmt = scope(select(ReturnRequest), principal)
    if flt.statuses:
        stmt = stmt.where(ReturnRequest.status.in_(list(flt.statuses)))
    if flt.types:
        stmt = stmt.where(ReturnRequest.type.in_(list(flt.types)))
    if flt.order_id is not None:
        stmt = stmt.where(ReturnRequest.order_id == flt.order_id)
    if flt.customer_id is not None:
        stmt = stmt.where(ReturnRequest.customer_id == flt.customer_id)
    if flt.created_after is not None:
        stmt = stmt.where(ReturnRequest.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(ReturnRequest.created_at < flt.created_before)
    return paginate(session, stmt, SORTS[sort], page, ReturnRequest.id)


# Batched lookups for dataloaders ---------------------------------------------

def requests_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[ReturnRequest]]:
    stmt = select(ReturnRequest).where(ReturnRequest.order_id.in_(list(ids))).order_by(
        ReturnRequest.order_id, ReturnRequest.id)
    out: dict[int, list[ReturnRequest]] = defaultdict(list)
    for row in session.exec(stmt):
        out[row.order_id].append(row)
    return out


def lines_by_request(session: Session, ids: Sequence[int]) -> dict[int, list[ReturnLine]]:
    stmt = select(ReturnLine).where(ReturnLine.return_request_id.in_(list(ids))).order_by(
        ReturnLine.return_request_id, ReturnLine.id)
    out: dict[int, list[ReturnLine]] = defaultdict(list)
    for row in session.exec(stmt):
        out[row.return_request_id].append(row)
    return out


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
