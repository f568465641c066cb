"""SQL for customers, contacts and addresses, with the caller's row scope applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers.models import Address, Contact, Customer
from app.orders.models import Order, OrderStatus
from app.orders.workflow import OPEN_STATES
from app.persistence import crypto
from app.persistence.fast import rows, statements
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    grouped,
    in_period,
    paginate,
    sort_table,
    where,
)


class CustomerSort(StrEnum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CODE_ASC = "CODE_ASC"
    # lifetime revenue, most first (docs/architecture.md#analytics)
    SPEND_DESC = "SPEND_DESC"


# What a customer has spent: its purchases' totals less what was credited back, the
# definition of revenue in analytics (app/analytics/repository/sources.py); purchases are the
# orders approved and not cancelled or rejected (app/orders/repository/customer_views.py,
# spelled out here: that module imports this one).
_PURCHASED = [s.value for s in OPEN_STATES] + [OrderStatus.COMPLETED.value]
_SPEND = (select(func.coalesce(func.sum(Order.total - Order.credited_total), 0))
          .where(Order.customer_id == Customer.id,
                 or_(Order.status.in_(_PURCHASED),
                     and_(Order.status == OrderStatus.ON_HOLD.value,
                          Order.status_before_hold.in_(_PURCHASED))))
          .scalar_subquery().label("spend"))


_SORTS = sort_table(CustomerSort, {
    "NAME": Customer.name, "CREATED_AT": Customer.created_at, "CODE": Customer.code,
    "SPEND": _SPEND,
})


@dataclass(frozen=True)
class CustomerFilter:
    search: str | None = None
    tier: str | None = None
    status: str | None = None
    region: str | None = None
    owner_id: int | None = None
    is_consignor: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Restrict a select over Customer to what the principal may see."""
    if principal.customer_scope is not None:
        stmt = stmt.where(Customer.id == principal.customer_scope)
    if principal.owner_scope is not None:
        stmt = stmt.where(Customer.owner_id == principal.owner_scope)
    return stmt


def owned(owner_id: Any) -> Any:
    """The ids of the customers a SALES user owns, as a subquery."""
    return select(Customer.id).where(Customer.owner_id == owner_id)


def of_visible_customers(stmt, principal: Principal, column):  # noqa: ANN001, ANN201
    """Restrict `stmt` to rows whose customer (its id in `column`) the principal may see:
    CUSTOMER users their own, SALES the customers they own (orders, returns...)."""
    if principal.customer_scope is not None:
        stmt = stmt.where(column == principal.customer_scope)
    if principal.owner_scope is not None:
        stmt = stmt.where(column.in_(owned(principal.owner_scope)))
    return stmt


def get_visible(session: Session, principal: Principal, customer_id: int) -> Customer | None:
    # on every order placement: the statement is built once per kind of scope
    kind, params = statements.scope_kind(principal)
    stmt = statements.once(("customers.get_visible", kind), lambda: scope(
        select(Customer).where(Customer.id == bindparam("customer_id")),
        statements.ScopeParams(*kind)))
    return session.execute(stmt, {"customer_id": customer_id, **params}).scalars().first()


def visible_record_query(principal: Principal, customer_id: int) -> statements.Query:
    """`visible_record`'s statement and parameters (to read it ahead: `statements.prefetch`)."""
    kind, params = statements.scope_kind(principal)
    stmt = statements.once(("customers.visible_record", kind), lambda: scope(
        select(rows.table(Customer)).where(Customer.id == bindparam("customer_id")),
        statements.ScopeParams(*kind)))
    return stmt, {"customer_id": customer_id, **params}


def visible_record(session: Session, principal: Principal, customer_id: int) -> Any | None:
    """`get_visible` as a read-only record (app/persistence/fast/rows.py), for steps that only read
    it."""
    found = statements.records(session, *visible_record_query(principal, customer_id), Customer)
    return found[0] if found else None


def visible_ids(session: Session, principal: Principal, ids: Sequence[int]) -> set[int]:
    stmt = scope(select(Customer.id).where(Customer.id.in_(list(ids))), principal)
    return set(session.exec(stmt).all())


def list_customers(
    session: Session, principal: Principal, flt: CustomerFilter, sort: CustomerSort,
    page: PageRequest,
) -> Page[Customer]:
    if sort is CustomerSort.SPEND_DESC:  # the cursor holds the spend: selected beside it
        stmt = filtered(session, principal, flt,
                        select(Customer, _SPEND, Customer.id.label("id")))
        found = paginate(session, stmt, _SORTS[sort], page, Customer.id)
        return dataclasses.replace(found, items=[row[0] for row in found.items])
    return paginate(session, filtered(session, principal, flt), _SORTS[sort], page,
                    Customer.id)


def filtered(session: Session, principal: Principal, flt: CustomerFilter,  # noqa: ANN201
             base: Any = None):
    """The list's statement: the principal's customers that match `flt` (the list and the
    bulk export read the same rows: app/exports/), selecting `base` (the customers)."""
    base = select(Customer) if base is None else base
    return where(scope(base, principal), _search(session, principal, flt.search),
                 equal(Customer.tier, flt.tier), equal(Customer.status, flt.status),
                 equal(Customer.region, flt.region), equal(Customer.owner_id, flt.owner_id),
                 equal(Customer.is_consignor, flt.is_consignor),
                 in_period(Customer.created_at, flt.created_after, flt.created_before))


def _search(session: Session, principal: Principal, text: str | None) -> Any:
    """Name or code contains `text`; so do the e-mail and phone, or, encrypted, equal it
    (docs/architecture.md#personal-data-at-rest). Search only what the caller sees in full:
    matching on a masked or hidden phone or e-mail would confirm it
    (docs/architecture.md#permissions)."""
    if not text or not text.strip():
        return None
    if principal.contact_access() != "full":
        return contains(text, Customer.name, Customer.code)
    keyring = crypto.session_keyring(session)
    if keyring is None:
        return contains(text, Customer.name, Customer.code, Customer.email, Customer.phone)
    exact = (crypto.matches(Customer.email_hash, "email", text, keyring),
             crypto.matches(Customer.phone_hash, "phone", text, keyring))
    return or_(contains(text, Customer.name, Customer.code), *(c for c in exact if c is not None))


def customers_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Customer]:
    rows = session.exec(select(Customer).where(Customer.id.in_(list(ids))))
    return {c.id: c for c in rows}


def customer_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only rows for display (app/persistence/fast/rows.py)."""
    return rows.by_id(session, Customer, ids)


def contacts_by_customer(session: Session, ids: Sequence[int]) -> dict[int, list[Contact]]:
    stmt = select(Contact).where(Contact.customer_id.in_(list(ids))).order_by(
        Contact.customer_id, Contact.is_primary.desc(), Contact.id)
    return grouped(session.exec(stmt), "customer_id")


def addresses_by_customer(session: Session, ids: Sequence[int]) -> dict[int, list[Address]]:
    stmt = select(Address).where(Address.customer_id.in_(list(ids))).order_by(
        Address.customer_id, Address.is_default_shipping.desc(), Address.id)
    return grouped(session.exec(stmt), "customer_id")


def contacts_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Contact]:
    return {c.id: c for c in session.exec(select(Contact).where(Contact.id.in_(list(ids))))}


# Read on every order placement: built once, reused with a bound parameter.
# Read-only records (app/persistence/fast/rows.py): their callers copy values from them.
_ADDRESS, _CONTACT = rows.table(Address), rows.table(Contact)
_DEFAULT_ADDRESS = select(_ADDRESS).where(_ADDRESS.c.customer_id == bindparam("customer_id")) \
    .order_by(_ADDRESS.c.is_default_shipping.desc(), _ADDRESS.c.id).limit(1)
_PRIMARY_CONTACT = select(_CONTACT).where(_CONTACT.c.customer_id == bindparam("customer_id")) \
    .order_by(_CONTACT.c.is_primary.desc(), _CONTACT.c.id).limit(1)


def default_shipping_address_query(customer_id: int) -> statements.Query:
    return _DEFAULT_ADDRESS, {"customer_id": customer_id}


def default_shipping_address(session: Session, customer_id: int) -> Any | None:
    """The default shipping address (a read-only record), or None."""
    found = statements.records(session, *default_shipping_address_query(customer_id), Address)
    return found[0] if found else None


def primary_contact_query(customer_id: int) -> statements.Query:
    return _PRIMARY_CONTACT, {"customer_id": customer_id}


def primary_contact(session: Session, customer_id: int) -> Any | None:
    """The primary contact (a read-only record), or None."""
    found = statements.records(session, *primary_contact_query(customer_id), Contact)
    return found[0] if found else None


def code_exists(session: Session, code: str) -> bool:
    return session.exec(select(Customer.id).where(Customer.code == code)).first() is not None


def flagged_siblings(session: Session, model: type, customer_id: int, flag: str,
                     keep_id: int) -> list[Any]:
    """The customer's other contacts/addresses (`model`) with `flag` set."""
    stmt = select(model).where(model.customer_id == customer_id, model.id != keep_id,
                               getattr(model, flag).is_(True))
    return list(session.exec(stmt))


def owns_products(session: Session, customer_id: int) -> bool:
    """Whether a consignor has goods in the catalog (docs/architecture.md#consignors)."""
    stmt = select(Product.id).where(Product.consignor_id == customer_id).limit(1)
    return session.exec(stmt).first() is not None
