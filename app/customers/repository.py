"""SQL for customers, contacts and addresses, with the caller's row scope applied."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers.models import Address, Contact, Customer
from app.persistence.fast import rows, statements
from app.persistence.pagination import Page, PageRequest, SortKey, paginate


class CustomerSort(StrEnum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CODE_ASC = "CODE_ASC"


_SORTS: dict[CustomerSort, SortKey] = {
    CustomerSort.NAME_ASC: [(Customer.name, False)],
    CustomerSort.NAME_DESC: [(Customer.name, True)],
    CustomerSort.CREATED_AT_ASC: [(Customer.created_at, False)],
    CustomerSort.CREATED_AT_DESC: [(Customer.created_at, True)],
    CustomerSort.CODE_ASC: [(Customer.code, False)],
}


@dataclass(frozen=True)
class CustomerFilter:
    search: str | None = None
    tier: str | None = None
    status: str | None = None
    region: str | None = None
    owner_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Restrict a select over Customer to what the principal may see."""
    if principal.customer_scope is not None:
        stmt = stmt.where(Customer.id == principal.customer_scope)
    if principal.owner_scope is not None:
        stmt = stmt.where(Customer.owner_id == principal.owner_scope)
    return stmt


def get_visible(session: Session, principal: Principal, customer_id: int) -> Customer | None:
    # on every order placement: the statement is built once per kind of scope
    kind, params = statements.scope_kind(principal)
    stmt = statements.once(("customers.get_visible", kind), lambda: scope(
        select(Customer).where(Customer.id == bindparam("customer_id")),
        statements.ScopeParams(*kind)))
    return session.execute(stmt, {"customer_id": customer_id, **params}).scalars().first()


def visible_record(session: Session, principal: Principal, customer_id: int) -> Any | None:
    """`get_visible` as a read-only record (app/persistence/fast/rows.py), for steps that only read
    it."""
    kind, params = statements.scope_kind(principal)
    stmt = statements.once(("customers.visible_record", kind), lambda: scope(
        select(rows.table(Customer)).where(Customer.id == bindparam("customer_id")),
        statements.ScopeParams(*kind)))
    found = statements.records(session, stmt, {"customer_id": customer_id, **params}, Customer)
    return found[0] if found else None


def visible_ids(session: Session, principal: Principal, ids: Sequence[int]) -> set[int]:
    stmt = scope(select(Customer.id).where(Customer.id.in_(list(ids))), principal)
    return set(session.exec(stmt).all())


def list_customers(
    session: Session, principal: Principal, flt: CustomerFilter, sort: CustomerSort,
    page: PageRequest,
) -> Page[Customer]:
    stmt = scope(select(Customer), principal)
    if flt.search:
        like = f"%{flt.search.strip()}%"
        stmt = stmt.where(or_(Customer.name.ilike(like), Customer.code.ilike(like),
                              Customer.email.ilike(like), Customer.phone.ilike(like)))
    for column, value in ((Customer.tier, flt.tier), (Customer.status, flt.status),
                          (Customer.region, flt.region), (Customer.owner_id, flt.owner_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.created_after is not None:
        stmt = stmt.where(Customer.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(Customer.created_at < flt.created_before)
    return paginate(session, stmt, _SORTS[sort], page, Customer.id)


def customers_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Customer]:
    rows = session.exec(select(Customer).where(Customer.id.in_(list(ids))))
    return {c.id: c for c in rows}


def customer_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only rows for display (app/persistence/fast/rows.py)."""
    return rows.by_id(session, Customer, ids)


def contacts_by_customer(session: Session, ids: Sequence[int]) -> dict[int, list[Contact]]:
    out: dict[int, list[Contact]] = defaultdict(list)
    stmt = select(Contact).where(Contact.customer_id.in_(list(ids))).order_by(
        Contact.customer_id, Contact.is_primary.desc(), Contact.id)
    for row in session.exec(stmt):
        out[row.customer_id].append(row)
    return out


def addresses_by_customer(session: Session, ids: Sequence[int]) -> dict[int, list[Address]]:
    out: dict[int, list[Address]] = defaultdict(list)
    stmt = select(Address).where(Address.customer_id.in_(list(ids))).order_by(
        Address.customer_id, Address.is_default_shipping.desc(), Address.id)
    for row in session.exec(stmt):
        out[row.customer_id].append(row)
    return out


def contacts_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Contact]:
    return {c.id: c for c in session.exec(select(Contact).where(Contact.id.in_(list(ids))))}


# Read on every order placement: built once, reused with a bound parameter.
# Read-only records (app/persistence/fast/rows.py): their callers copy values from them.
_ADDRESS, _CONTACT = rows.table(Address), rows.table(Contact)
_DEFAULT_ADDRESS = select(_ADDRESS).where(_ADDRESS.c.customer_id == bindparam("customer_id")) \
    .order_by(_ADDRESS.c.is_default_shipping.desc(), _ADDRESS.c.id).limit(1)
_PRIMARY_CONTACT = select(_CONTACT).where(_CONTACT.c.customer_id == bindparam("customer_id")) \
    .order_by(_CONTACT.c.is_primary.desc(), _CONTACT.c.id).limit(1)


def default_shipping_address(session: Session, customer_id: int) -> Any | None:
    """The default shipping address (a read-only record), or None."""
    found = statements.records(session, _DEFAULT_ADDRESS, {"customer_id": customer_id}, Address)
    return found[0] if found else None


def primary_contact(session: Session, customer_id: int) -> Any | None:
    """The primary contact (a read-only record), or None."""
    found = statements.records(session, _PRIMARY_CONTACT, {"customer_id": customer_id}, Contact)
    return found[0] if found else None


def code_exists(session: Session, code: str) -> bool:
    return session.exec(select(Customer.id).where(Customer.code == code)).first() is not None
