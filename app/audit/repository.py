"""Reading the audit log: filters and keyset pages over audit_record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from app.audit.models import AuditRecord
from app.persistence.pagination import Page, PageRequest, SortKey, paginate


class AuditSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SORTS: dict[AuditSort, SortKey] = {
    AuditSort.CREATED_AT_DESC: [(AuditRecord.created_at, True)],
    AuditSort.CREATED_AT_ASC: [(AuditRecord.created_at, False)],
}


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: int | None = None
    actor_id: int | None = None
    actions: tuple[str, ...] | None = None
    request_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def list_records(session: Session, flt: AuditFilter, sort: AuditSort,
                 page: PageRequest) -> Page[AuditRecord]:
    stmt = select(AuditRecord)
    equal = ((AuditRecord.entity_type, flt.entity_type), (AuditRecord.entity_id, flt.entity_id),
             (AuditRecord.actor_id, flt.actor_id), (AuditRecord.request_id, flt.request_id))
    for column, value in equal:
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.actions is not None:
        stmt = stmt.where(AuditRecord.action.in_(list(flt.actions)))
    if flt.created_after is not None:
        stmt = stmt.where(AuditRecord.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(AuditRecord.created_at < flt.created_before)
    return paginate(session, stmt, _SORTS[sort], page, AuditRecord.id)


def get_record(session: Session, record_id: int) -> AuditRecord | None:
    return session.get(AuditRecord, record_id)
