"""Leads: create, update, import, the workflow steps short of conversion (conversion.py),
and reads. Opportunities are in opportunities.py, the funnel in funnel.py
(docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.customers.service import EMAIL_RE, PHONE_RE
from app.errors import Conflict, DomainError, Forbidden, NotFound, Validator
from app.events import topics
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.sales import duplicates
from app.sales import repository as repo
from app.sales.duplicates import Duplicate
from app.sales.models import DisqualifyReason, Lead, LeadSource, LeadStatus
from app.sales.workflow import LEAD_RESULT, LeadAction, authorize_lead

MAX_IMPORT = 500
_LIMITS = {"name": 200, "company": 200, "title": 100, "notes": 4000}
FIELDS = ("name", "company", "title", "email", "phone", "source", "notes", "owner_id")


@dataclass
class LeadResult:
    """A lead written, with the duplicates found for it (warnings, not errors)."""

    lead: Lead
    warnings: list[Duplicate] = field(default_factory=list)


@dataclass
class ImportRow:
    index: int
    lead: Lead | None = None
    warnings: list[Duplicate] = field(default_factory=list)
    errors: list[DomainError] = field(default_factory=list)


def _validate(data: dict[str, Any], *, creating: bool, path: tuple[str, ...] = ()) -> None:
    v = Validator()
    at = (lambda name: [*path, name]) if path else (lambda name: name)
    if creating or "name" in data:
        v.check(1 <= len((data.get("name") or "").strip()) <= 200, at("name"),
                "name is required (at most 200 characters)")
    for key, limit in _LIMITS.items():
        if key != "name" and data.get(key) is not None:
            v.check(len(data[key]) <= limit, at(key), f"{key} is at most {limit} characters")
    if data.get("email"):
        v.check(bool(EMAIL_RE.match(data["email"].strip())), at("email"),
                "not a valid e-mail address")
    if data.get("phone"):
        v.check(bool(PHONE_RE.match(data["phone"].strip())), at("phone"),
                "not a valid phone number")
    if data.get("source") is not None:
        v.check(data["source"] in LeadSource.__members__, at("source"),
                "source must be one of " + ", ".join(LeadSource.__members__))
    v.raise_if_any()


def owner_for(uow: UnitOfWork, requested: int | None, default: int | None,
              field_name: str = "ownerId") -> int | None:
    """Who owns a new or reassigned row: SALES only themselves; others any active user."""
    principal = uow.principal
    if principal.role is Role.SALES:
        if requested is not None and requested != principal.user_id:
            raise Forbidden("sales reps cannot assign leads or opportunities to others",
                            field=[field_name])
        return principal.user_id
    if requested is None:
        return default if default is not None else uow.actor_id
    user = uow.session.get(User, requested)
    if user is None or not user.is_active \
            or user.role in (Role.CUSTOMER.value, Role.CONSIGNOR.value):
        raise NotFound("owner not found", field=[field_name])
    return requested


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k in FIELDS}
    for key in ("name", "company", "title", "email", "phone"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    for key in ("email", "phone"):
        if key in out and not out[key]:
            out[key] = None
    return out


def _warnings(uow: UnitOfWork, lead: Lead) -> list[Duplicate]:
    return duplicates.find(uow.session, uow.principal, lead.email, lead.phone, lead.company,
                           except_ids=[lead.id])


def _insert(uow: UnitOfWork, data: dict[str, Any], source: str) -> Lead:
    data = _clean(data)
    owner = owner_for(uow, data.pop("owner_id", None), None)
    lead = Lead(**{**data, "source": data.get("source") or source}, owner_id=owner,
                status=LeadStatus.NEW.value)
    uow.session.add(lead)
    uow.session.flush()
    uow.audit("lead.create", "Lead", lead.id, after=snapshot(lead))
    uow.emit(topics.LEAD_CREATED, lead_id=lead.id, owner_id=lead.owner_id, source=lead.source,
             at=lead.created_at.isoformat())
    return lead


def _can_write(uow: UnitOfWork) -> None:
    if not uow.principal.can(Perm.LEADS_WRITE):
        raise Forbidden("requires permission leads:write")


def create_lead(uow: UnitOfWork, data: dict[str, Any]) -> LeadResult:
    _can_write(uow)
    _validate(data, creating=True)
    lead = _insert(uow, data, LeadSource.OTHER.value)
    return LeadResult(lead, _warnings(uow, lead))


def import_leads(uow: UnitOfWork, rows: list[dict[str, Any]]) -> list[ImportRow]:
    """Each row validated on its own: the valid ones are created (source IMPORT unless
    given), the others reported with their errors; duplicates, also within the batch, are
    warnings. One unit of work: the batch is all there or, on an unexpected failure, none."""
    _can_write(uow)
    if not 1 <= len(rows) <= MAX_IMPORT:
        raise DomainError(f"an import has 1 to {MAX_IMPORT} rows", field=["rows"])
    results = []
    for i, data in enumerate(rows):
        try:
            _validate(data, creating=True)
            lead = _insert(uow, data, LeadSource.IMPORT.value)
        except DomainError as exc:
            results.append(ImportRow(i, errors=exc.errors))
            continue
        results.append(ImportRow(i, lead, _warnings(uow, lead)))
    return results


def load_lead(uow: UnitOfWork, lead_id: int, field_name: str = "id") -> Lead:
    lead = repo.lock_lead(uow.session, uow.principal, lead_id)
    if lead is None:
        raise NotFound("lead not found", field=[field_name])
    return lead


def update_lead(uow: UnitOfWork, lead_id: int, data: dict[str, Any],
                expected_version: int | None = None) -> LeadResult:
    _validate(data, creating=False)
    lead = load_lead(uow, lead_id)
    authorize_lead(LeadAction.UPDATE, lead.status, uow.principal)
    if expected_version is not None and expected_version != lead.version:
        raise Conflict(f"lead changed (version {lead.version}); reload and retry",
                       field=["expectedVersion"])
    data = _clean(data)
    if "owner_id" in data:
        data["owner_id"] = owner_for(uow, data["owner_id"], lead.owner_id)
    before = snapshot(lead)
    for key, value in data.items():
        if value is not None or key in ("email", "phone"):
            setattr(lead, key, value)
    lead.version += 1
    lead.updated_at = utcnow()
    uow.session.add(lead)
    uow.session.flush()
    uow.audit("lead.update", "Lead", lead.id, before=before, after=snapshot(lead))
    return LeadResult(lead, _warnings(uow, lead))


def move_lead(uow: UnitOfWork, lead: Lead, action: LeadAction, before: dict[str, Any] | None,
              **extra: Any) -> None:
    """Set the status the action leads to; audit before/after and emit the change."""
    old = lead.status
    lead.status = LEAD_RESULT[action].value
    lead.updated_at = utcnow()
    lead.version += 1
    uow.session.add(lead)
    uow.session.flush()
    uow.audit(f"lead.{action.value.lower()}", "Lead", lead.id, before=before,
              after=snapshot(lead))
    uow.emit(topics.LEAD_STATUS_CHANGED, lead_id=lead.id, owner_id=lead.owner_id,
             from_status=old, to_status=lead.status, at=lead.updated_at.isoformat(), **extra)


def _step(uow: UnitOfWork, lead_id: int, action: LeadAction) -> Lead:
    lead = load_lead(uow, lead_id)
    authorize_lead(action, lead.status, uow.principal)
    move_lead(uow, lead, action, snapshot(lead))
    return lead


def mark_contacted(uow: UnitOfWork, lead_id: int) -> Lead:
    return _step(uow, lead_id, LeadAction.CONTACT)


def qualify_lead(uow: UnitOfWork, lead_id: int) -> Lead:
    return _step(uow, lead_id, LeadAction.QUALIFY)


def disqualify_lead(uow: UnitOfWork, lead_id: int, reason: str, note: str = "") -> Lead:
    v = Validator()
    v.check(reason in DisqualifyReason.__members__, "reason",
            "reason must be one of " + ", ".join(DisqualifyReason.__members__))
    v.check(len(note) <= 2000, "note", "note is at most 2000 characters")
    v.check(reason != DisqualifyReason.OTHER or bool(note.strip()), "note",
            "say why when the reason is OTHER")
    v.raise_if_any()
    lead = load_lead(uow, lead_id)
    authorize_lead(LeadAction.DISQUALIFY, lead.status, uow.principal)
    before = snapshot(lead)
    lead.disqualify_reason, lead.disqualify_note = reason, note.strip()
    move_lead(uow, lead, LeadAction.DISQUALIFY, before)
    return lead


# Reads ----------------------------------------------------------------------------------

def get_lead(session: Session, principal: Principal, lead_id: int) -> Lead | None:
    return repo.get_visible_lead(session, principal, lead_id)


def list_leads(session: Session, principal: Principal, flt: repo.LeadFilter,
               sort: repo.LeadSort, page: PageRequest) -> Page[Lead]:
    return repo.list_leads(session, principal, flt, sort, page)
