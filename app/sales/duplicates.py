"""Duplicate detection for leads: other leads and customers (or their contacts) with the
same e-mail or phone (exact lookup, by keyed hash when data is encrypted) or the same
company name. A match is a warning, never an error; a caller learns who the match is only
if it may see that row (docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.sales import repository as repo

_WHAT = {"email": "e-mail", "phone": "phone", "company": "company name"}


@dataclass(frozen=True)
class Duplicate:
    field: str  # email, phone or company
    kind: str  # LEAD or CUSTOMER
    message: str
    lead: Any | None = None  # the matching row, when the caller may see it
    customer: Any | None = None


def _sees(principal: Principal, owner_id: int | None) -> bool:
    return principal.owner_scope is None or owner_id == principal.owner_scope


def find(session: Session, principal: Principal, email: str | None, phone: str | None,
         company: str | None, except_ids: Sequence[int] = ()) -> list[Duplicate]:
    out = []
    for field, lead in repo.lead_duplicates(session, email, phone, company, except_ids):
        if _sees(principal, lead.owner_id):
            who = f"{lead.name}" + (f" ({lead.company})" if lead.company else "")
            out.append(Duplicate(field, "LEAD", f"a lead with this {_WHAT[field]} exists: "
                                 f"{who}, {lead.status}", lead=lead))
        else:
            out.append(Duplicate(field, "LEAD", f"a lead of another sales rep has this "
                                 f"{_WHAT[field]}"))
    for field, customer in repo.customer_duplicates(session, email, phone, company):
        if _sees(principal, customer.owner_id):
            out.append(Duplicate(field, "CUSTOMER", f"customer {customer.code} "
                                 f"{customer.name} has this {_WHAT[field]}", customer=customer))
        else:
            out.append(Duplicate(field, "CUSTOMER", f"a customer of another sales rep has "
                                 f"this {_WHAT[field]}"))
    return out
