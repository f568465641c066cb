"""The audit log is read by those with audit:read (ADMIN) only; anyone else sees nothing."""

from __future__ import annotations

from sqlmodel import Session

from app.audit import repository as repo
from app.audit.models import AuditRecord
from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import Forbidden
from app.persistence.pagination import Page, PageRequest


def list_records(session: Session, principal: Principal, flt: repo.AuditFilter,
                 sort: repo.AuditSort, page: PageRequest) -> Page[AuditRecord]:
    if not principal.can(Perm.AUDIT_READ):
        raise Forbidden("requires permission audit:read")
    return repo.list_records(session, flt, sort, page)


def get_record(session: Session, principal: Principal, record_id: int) -> AuditRecord | None:
    """None also when the caller may not read the log: no existence oracle."""
    if not principal.can(Perm.AUDIT_READ):
        return None
    return repo.get_record(session, record_id)
