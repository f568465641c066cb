"""SQL for export jobs: lookups with the caller's scope (its own jobs; ADMIN all), the
list, the worker's claim, and housekeeping's expired files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.exports.models import ExportJob, ExportStatus
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    one_of,
    paginate,
    sort_table,
    where,
)


class ExportJobSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SORTS = sort_table(ExportJobSort, {"CREATED_AT": ExportJob.created_at})


@dataclass(frozen=True)
class ExportJobFilter:
    statuses: tuple[str, ...] | None = None
    source: str | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """A caller sees its own jobs; ADMIN every job."""
    if principal.role is Role.ADMIN:
        return stmt
    return stmt.where(ExportJob.user_id == principal.user_id)


def get_visible(session: Session, principal: Principal, job_id: int, *,
                for_update: bool = False) -> ExportJob | None:
    stmt = scope(select(ExportJob).where(ExportJob.id == job_id), principal)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def get(session: Session, job_id: int, *, for_update: bool = False) -> ExportJob | None:
    stmt = select(ExportJob).where(ExportJob.id == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def list_jobs(session: Session, principal: Principal, flt: ExportJobFilter,
              sort: ExportJobSort, page: PageRequest) -> Page[ExportJob]:
    stmt = where(scope(select(ExportJob), principal), one_of(ExportJob.status, flt.statuses),
                 equal(ExportJob.source, flt.source))
    return paginate(session, stmt, _SORTS[sort], page, ExportJob.id)


def jobs_by_ids(session: Session, ids: Sequence[int]) -> dict[int, ExportJob]:
    return {j.id: j for j in session.exec(select(ExportJob).where(ExportJob.id.in_(list(ids))))}


def next_queued(session: Session) -> ExportJob | None:
    """The oldest queued job, locked; another worker (process) skips it (PostgreSQL)."""
    stmt = select(ExportJob).where(ExportJob.status == ExportStatus.QUEUED.value) \
        .order_by(ExportJob.id).limit(1).with_for_update(skip_locked=True)
    return session.exec(stmt).first()


def expired_files(session: Session, now: datetime, limit: int) -> list[ExportJob]:
    """Finished jobs past their retention, and cancelled ones, whose files are still kept."""
    stmt = select(ExportJob).where(
        ((ExportJob.status == ExportStatus.DONE.value) & (ExportJob.expires_at < now))
        | ((ExportJob.status == ExportStatus.CANCELLED.value) & (ExportJob.bytes_written > 0))
    ).order_by(ExportJob.id).limit(limit)
    return list(session.exec(stmt))


def add(session: Session, job: ExportJob) -> ExportJob:
    session.add(job)
    session.flush()
    return job
