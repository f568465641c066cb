"""The audit log's SQL: its rows deferred to the end of a unit of work, and reading them
back through filters and keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from app.audit.models import AuditRecord
from app.persistence.fast import bulk
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


class AuditSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SORTS = sort_table(AuditSort, {"CREATED_AT": AuditRecord.created_at})


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: int | None = None
    actor_id: int | None = None
    actions: tuple[str, ...] | None = None
    request_id: str | None = None
    outcome: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def list_records(session: Session, flt: AuditFilter, sort: AuditSort,
                 page: PageRequest) -> Page[AuditRecord]:
    stmt = where(select(AuditRecord),
                 equal(AuditRecord.entity_type, flt.entity_type),
                 equal(AuditRecord.entity_id, flt.entity_id),
                 equal(AuditRecord.actor_id, flt.actor_id),
                 equal(AuditRecord.request_id, flt.request_id),
                 equal(AuditRecord.outcome, flt.outcome),
                 one_of(AuditRecord.action, flt.actions),
                 in_period(AuditRecord.created_at, flt.created_after, flt.created_before))
    return paginate(session, stmt, _SORTS[sort], page, AuditRecord.id)


def get_record(session: Session, record_id: int) -> AuditRecord | None:
    return session.get(AuditRecord, record_id)


_AUDIT = AuditRecord.__table__


def defer_record(session: Session, row: dict) -> None:
    """An audit_record row, written with the transaction's other append-only rows just
    before commit (deferred, so a savepoint rolled back drops it)."""
    bulk.defer(session, _AUDIT, row)
