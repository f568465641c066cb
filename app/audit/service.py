"""The audit log is read by those with audit:read (ADMIN) only; anyone else sees nothing."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlmodel import Session

from app.audit import repository as repo
from app.audit.models import AuditRecord
from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import Forbidden
from app.ids import from_global_id
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork


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


@dataclass(frozen=True)
class Attempt:
    """A refused call: the operation, the global ID it aimed at (as sent), why."""

    operation: str
    target: str | None
    reason: str


def record_denials(uow: UnitOfWork, attempts: list[Attempt], client_address: str | None
                   ) -> None:
    """Audit refused mutations (outcome DENIED) in a unit of their own: the refused work
    wrote nothing, this writes only the log (docs/architecture.md#the-policy-table)."""
    principal = uow.principal
    role = None if principal is None else principal.role.value
    for attempt in attempts:
        entity_type, entity_id = "Operation", None
        if attempt.target is not None:
            with contextlib.suppress(ValueError):
                decoded = from_global_id(attempt.target)
                if decoded[1] < 2**31:  # an INTEGER column; a bigger one is kept as sent
                    entity_type, entity_id = decoded
        repo.defer_record(uow.session, {
            "actor_id": uow.actor_id, "actor_role": role, "action": attempt.operation,
            "entity_type": entity_type[:32], "entity_id": entity_id, "before": None,
            "after": None if entity_id is not None or attempt.target is None
            else {"target": attempt.target},
            "request_id": uow.request_id, "outcome": "DENIED", "reason": attempt.reason[:300],
            "client_address": client_address, "created_at": utcnow(),
        })
