"""SQL for leads: row scope, lists, and the look-ups behind duplicate detection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import false, func, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers.models import Contact, Customer
from app.persistence import crypto
from app.persistence.fast import rows
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.sales.models import Lead

MATCHES = 5  # per kind of match: a warning names a few, not every lookalike


class LeadSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    NAME_ASC = "NAME_ASC"
    COMPANY_ASC = "COMPANY_ASC"


_SORTS = sort_table(LeadSort, {"CREATED_AT": Lead.created_at, "UPDATED_AT": Lead.updated_at,
                               "NAME": Lead.name, "COMPANY": Lead.company})


@dataclass(frozen=True)
class LeadFilter:
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    owner_id: int | None = None
    search: str | None = None  # name or company (contact data is never searched here)
    created_after: datetime | None = None
    created_before: datetime | None = None


def owned_by(stmt, principal: Principal, column):  # noqa: ANN001, ANN201
    """SALES reach the rows they own; CUSTOMER users none (they hold no sales permission,
    this is the second wall)."""
    if principal.customer_scope is not None:
        return stmt.where(false())
    if principal.owner_scope is not None:
        stmt = stmt.where(column == principal.owner_scope)
    return stmt


def scope_leads(stmt, principal: Principal):  # noqa: ANN001, ANN201
    return owned_by(stmt, principal, Lead.owner_id)


def get_visible_lead(session: Session, principal: Principal, lead_id: int) -> Lead | None:
    return session.exec(scope_leads(select(Lead).where(Lead.id == lead_id), principal)).first()


def lock_lead(session: Session, principal: Principal, lead_id: int) -> Lead | None:
    """The lead in scope, locked (PostgreSQL) for a workflow step."""
    stmt = scope_leads(select(Lead).where(Lead.id == lead_id), principal).with_for_update()
    return session.exec(stmt).first()


def list_leads(session: Session, principal: Principal, flt: LeadFilter, sort: LeadSort,
               page: PageRequest) -> Page[Lead]:
    stmt = where(scope_leads(select(Lead), principal),
                 one_of(Lead.status, flt.statuses or None),
                 one_of(Lead.source, flt.sources or None), equal(Lead.owner_id, flt.owner_id),
                 contains(flt.search, Lead.name, Lead.company),
                 in_period(Lead.created_at, flt.created_after, flt.created_before))
    return paginate(session, stmt, _SORTS[sort], page, Lead.id)


def lead_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return rows.by_id(session, Lead, ids)


# Duplicates ---------------------------------------------------------------------------

def _exact(session: Session, column: Any, hashed: Any, kind: str, value: str | None) -> Any:
    """`column` equals `value` as exact lookup means it: by keyed hash when the database has
    a key (docs/architecture.md#personal-data-at-rest), else on the plain column in the
    same normal form (e-mail ignoring case, phone without separators)."""
    if not value or not value.strip():
        return None
    keyring = crypto.session_keyring(session)
    if keyring is not None:
        return crypto.matches(hashed, kind, value, keyring)
    if kind == "email":
        return func.lower(column) == crypto.normalize("email", value)
    bare = column
    for char in " -.()":  # crypto.normalize's phone form, in SQL
        bare = func.replace(bare, char, "")
    return bare == crypto.normalize("phone", value)


def _same_name(column: Any, value: str | None) -> Any:
    if not value or not value.strip():
        return None
    return func.lower(func.trim(column)) == value.strip().lower()


def lead_duplicates(session: Session, email: str | None, phone: str | None,
                    company: str | None, except_ids: Sequence[int] = ()
                    ) -> list[tuple[str, Lead]]:
    """(field, lead) of leads sharing the e-mail, phone or company name: any owner (the
    caller decides what to show of a lead it may not see)."""
    out: list[tuple[str, Lead]] = []
    for name, cond in (("email", _exact(session, Lead.email, Lead.email_hash, "email", email)),
                       ("phone", _exact(session, Lead.phone, Lead.phone_hash, "phone", phone)),
                       ("company", _same_name(Lead.company, company))):
        if cond is None:
            continue
        stmt = select(Lead).where(cond).order_by(Lead.id).limit(MATCHES)
        if except_ids:
            stmt = stmt.where(Lead.id.not_in(list(except_ids)))
        out += [(name, row) for row in session.exec(stmt)]
    return out


def customer_duplicates(session: Session, email: str | None, phone: str | None,
                        company: str | None) -> list[tuple[str, Customer]]:
    """(field, customer) of customers whose own or a contact's e-mail or phone, or whose
    name, is the lead's."""
    out: list[tuple[str, Customer]] = []
    for name, kind, value in (("email", "email", email), ("phone", "phone", phone)):
        own = _exact(session, getattr(Customer, kind), getattr(Customer, f"{kind}_hash"),
                     kind, value)
        if own is None:
            continue
        contact = _exact(session, getattr(Contact, kind), getattr(Contact, f"{kind}_hash"),
                         kind, value)
        via_contact = Customer.id.in_(select(Contact.customer_id).where(contact))
        stmt = select(Customer).where(or_(own, via_contact)).order_by(Customer.id).limit(MATCHES)
        out += [(name, row) for row in session.exec(stmt)]
    same = _same_name(Customer.name, company)
    if same is not None:
        stmt = select(Customer).where(same).order_by(Customer.id).limit(MATCHES)
        out += [("company", row) for row in session.exec(stmt)]
    return out
