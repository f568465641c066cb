"""SQL of the failed-delivery follow-up list: the row scope, the filtered and sorted list,
the locked row a step works on, and the batched reads of its relations
(docs/architecture.md#failed-delivery-follow-up)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import null
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers.models import Customer
from app.followups.models import DeliveryFollowUp
from app.orders.models import Order
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
from app.shipping.models import Shipment
from app.shipping.repository import shipments

F = DeliveryFollowUp


class FollowUpSort(StrEnum):
    OPENED_AT_ASC = "OPENED_AT_ASC"  # oldest first: the list's default
    OPENED_AT_DESC = "OPENED_AT_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


_SORTS = sort_table(FollowUpSort, {"OPENED_AT": F.opened_at, "UPDATED_AT": F.updated_at})


@dataclass(frozen=True)
class FollowUpFilter:
    consignor_id: int | None = None
    statuses: tuple[str, ...] | None = None
    reasons: tuple[str, ...] | None = None
    next_actions: tuple[str, ...] | None = None
    shipment_id: int | None = None
    opened_before: datetime | None = None  # the age filter: opened at least so long ago
    opened_after: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """A customer-scoped sign-in (CUSTOMER, the consignor portal) sees the follow-ups of
    its own goods only; staff those of the parcels they see (SALES: its customers';
    WAREHOUSE: leaving its warehouses)."""
    if principal.customer_scope is not None:
        stmt = stmt.where(F.consignor_id == principal.customer_scope)
    if principal.owner_scope is not None or principal.warehouse_scope is not None:
        stmt = stmt.where(F.shipment_id.in_(shipments.scope(select(Shipment.id), principal)))
    return stmt


def customer_keys():  # noqa: ANN201
    """(id, customer, no user) of each follow-up: its order's customer, the consignor for a
    consignor's goods (the delta sync's keys: app/sync/entities.py)."""
    return select(F.id, Order.customer_id, null()).join(Order, Order.id == F.order_id)


def filtered(principal: Principal, flt: FollowUpFilter):  # noqa: ANN201
    """The list's statement: its scope and filter (the export reads the same rows)."""
    return where(scope(select(F), principal),
                 equal(F.consignor_id, flt.consignor_id), one_of(F.status, flt.statuses),
                 one_of(F.reason, flt.reasons), one_of(F.next_action, flt.next_actions),
                 equal(F.shipment_id, flt.shipment_id),
                 in_period(F.opened_at, flt.opened_after, flt.opened_before))


def list_follow_ups(session: Session, principal: Principal, flt: FollowUpFilter,
                    sort: FollowUpSort, page: PageRequest) -> Page[DeliveryFollowUp]:
    return paginate(session, filtered(principal, flt), _SORTS[sort], page, F.id)


def get_visible(session: Session, principal: Principal, follow_up_id: int
                ) -> DeliveryFollowUp | None:
    return session.exec(scope(select(F).where(F.id == follow_up_id), principal)).first()


def lock_follow_up(session: Session, principal: Principal, follow_up_id: int
                   ) -> DeliveryFollowUp | None:
    """The follow-up if the principal sees it, locked for the unit of work (PostgreSQL;
    SQLite's single writer already serializes): two resolutions cannot both pass the
    OPEN check."""
    stmt = scope(select(F).where(F.id == follow_up_id), principal)
    return session.exec(stmt.with_for_update(of=F).execution_options(
        populate_existing=True)).first()


def open_for_shipment(session: Session, shipment_id: int) -> DeliveryFollowUp | None:
    stmt = select(F).where(F.shipment_id == shipment_id, F.open_key.is_not(None))
    return session.exec(stmt).first()


def consignor_of_order(session: Session, order_id: int) -> int | None:
    """The owner of an order's goods: its customer when that is a consignor, else None
    (the company's) (docs/architecture.md#consignors)."""
    stmt = select(Customer.id).join(Order, Order.customer_id == Customer.id).where(
        Order.id == order_id, Customer.is_consignor)
    return session.exec(stmt).first()


def follow_ups_by_ids(session: Session, ids: Sequence[int]) -> dict[int, DeliveryFollowUp]:
    return {row.id: row for row in session.exec(select(F).where(F.id.in_(list(ids))))}
