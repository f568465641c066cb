"""Export jobs: asked for (`create_export`), cancelled, resumed, and the worker's steps
(claim, a chunk recorded, finished, failed) (docs/architecture.md#exports).

The job records who asked; the worker runs it with that account's rights as they are when
it runs (`principal_of`): its role's row scope and field rules, read from the user row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.auth import repository as users
from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.events import topics
from app.exports import repository as repo
from app.exports.fields import SOURCES, Field, refused
from app.exports.models import ExportFormat, ExportJob, ExportSource, ExportStatus
from app.exports.repository.jobs import ExportJobFilter, ExportJobSort
from app.exports.repository.sources import SourceFilter
from app.persistence.columns import utcnow
from app.persistence.repository import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.sync import capture as sync_capture

MAX_FIELDS = 64
# a RUNNING job not advanced for this long was interrupted (its process ended): resumable
STALE_SECONDS = 300
_OPEN = (ExportStatus.QUEUED.value, ExportStatus.RUNNING.value, ExportStatus.FAILED.value)
# which filter keys each source's list takes
_FILTER_KEYS: dict[ExportSource, frozenset[str]] = {
    ExportSource.ORDERS: frozenset({"created_after", "created_before", "statuses",
                                    "customer_id", "search"}),
    ExportSource.ORDER_LINES: frozenset({"created_after", "created_before", "statuses",
                                         "customer_id", "search"}),
    ExportSource.CUSTOMERS: frozenset({"created_after", "created_before", "statuses",
                                       "search"}),
    ExportSource.SHIPMENTS: frozenset({"created_after", "created_before", "statuses",
                                       "warehouse_id"}),
    ExportSource.STOCK_MOVEMENTS: frozenset({"created_after", "created_before", "statuses",
                                             "warehouse_id"}),
    # customerId: the goods' consignor; created*: when recorded
    ExportSource.DELIVERY_FOLLOW_UPS: frozenset({"created_after", "created_before",
                                                 "statuses", "customer_id"}),
}
_CAMEL = {"created_after": "createdAfter", "created_before": "createdBefore",
          "statuses": "statuses", "customer_id": "customerId", "warehouse_id": "warehouseId",
          "search": "search"}


def filter_to_json(flt: SourceFilter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in vars(flt).items():
        if value is None or value == ():
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else \
            list(value) if isinstance(value, tuple) else value
    return out


def filter_from_json(data: dict[str, Any] | None) -> SourceFilter:
    data = dict(data or {})
    for key in ("created_after", "created_before"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    if "statuses" in data:
        data["statuses"] = tuple(data["statuses"])
    return SourceFilter(**data)


def fields_of(source: ExportSource, names: list[str]) -> list[Field]:
    spec = SOURCES[source].fields
    return [spec[n] for n in names]


def check_fields(principal: Principal, source: ExportSource, names: list[str]) -> None:
    """INVALID for a field the source does not declare; FORBIDDEN, naming it, for one the
    caller's role may never see (a masked one is exported masked, as the API shows it)."""
    declared = SOURCES[source].fields
    if not names:
        raise DomainError("name at least one field", field=["fields"])
    if len(names) > MAX_FIELDS or len(set(names)) != len(names):
        raise DomainError(f"at most {MAX_FIELDS} fields, each once", field=["fields"])
    for index, name in enumerate(names):
        if name not in declared:
            raise DomainError(f"{name} is not a field of {source.value} (its fields: "
                              f"{', '.join(declared)})", field=["fields", str(index)])
    for index, name in enumerate(names):
        why = refused(principal, declared[name])
        if why is not None:
            raise DomainError(f"{name} may not be exported: {why}",
                              field=["fields", str(index)], code=ErrorCode.FORBIDDEN)


def may_export(principal: Principal, source: ExportSource) -> None:
    if not principal.is_staff or not principal.can(Perm.EXPORTS_CREATE):
        raise Forbidden("exports need exports:create")
    read = SOURCES[source].read
    if not principal.can(read):
        raise Forbidden(f"exporting {source.value} needs {read.value}")


def _emit(uow: UnitOfWork, job: ExportJob) -> None:
    sync_capture.touch(uow, "ExportJob", (job.id,))  # the worker's steps are not audited
    uow.emit(topics.EXPORT_JOB_CHANGED, export_job_id=job.id, user_id=job.user_id,
             status=job.status, rows=job.rows, total_rows=job.total_rows,
             at=utcnow().isoformat())


def create_export(uow: UnitOfWork, source: ExportSource, names: list[str],
                  fmt: ExportFormat, flt: SourceFilter) -> ExportJob:
    """A queued job; the worker picks it up (app/exports/jobs.py)."""
    principal: Principal = uow.principal
    may_export(principal, source)
    check_fields(principal, source, names)
    allowed = _FILTER_KEYS[source]
    for key, value in filter_to_json(flt).items():
        if key not in allowed:
            raise DomainError(f"filter.{_CAMEL[key]} does not apply to {source.value}",
                              field=["filter", _CAMEL[key]])
        if key == "statuses" and source is ExportSource.CUSTOMERS and len(value) > 1:
            raise DomainError("CUSTOMERS take one status", field=["filter", "statuses"])
    job = repo.jobs.add(uow.session, ExportJob(
        user_id=principal.user_id, source=source.value, format=fmt.value, fields=list(names),
        filter=filter_to_json(flt), status=ExportStatus.QUEUED.value))
    uow.audit("export.create", "ExportJob", job.id, after=snapshot(job))
    _emit(uow, job)
    return job


def _visible(uow: UnitOfWork, job_id: int) -> ExportJob:
    job = repo.jobs.get_visible(uow.session, uow.principal, job_id, for_update=True)
    if job is None:
        raise NotFound("export job not found", field=["id"])
    return job


def cancel_export(uow: UnitOfWork, job_id: int) -> ExportJob:
    """Queued, running or failed: CANCELLED (a running job stops after its chunk; its part
    file is deleted by housekeeping)."""
    job = _visible(uow, job_id)
    if job.status not in _OPEN:
        raise DomainError(f"cannot cancel an export in state {job.status}",
                          code=ErrorCode.INVALID_TRANSITION, field=["id"])
    before = snapshot(job)
    job.status, job.updated_at, job.finished_at = ExportStatus.CANCELLED.value, utcnow(), \
        utcnow()
    uow.audit("export.cancel", "ExportJob", job.id, before=before, after=snapshot(job))
    _emit(uow, job)
    return job


def resume_export(uow: UnitOfWork, job_id: int, now: datetime | None = None) -> ExportJob:
    """A FAILED job, or a RUNNING one not advanced for STALE_SECONDS (its process ended),
    is queued again; it continues after the last id it wrote."""
    now = now or utcnow()
    job = _visible(uow, job_id)
    stale = job.status == ExportStatus.RUNNING.value and \
        job.updated_at < now - timedelta(seconds=STALE_SECONDS)
    if job.status != ExportStatus.FAILED.value and not stale:
        raise DomainError(f"only a failed or interrupted export resumes (this one is "
                          f"{job.status})", code=ErrorCode.INVALID_TRANSITION, field=["id"])
    before = snapshot(job)
    job.status, job.error, job.updated_at = ExportStatus.QUEUED.value, None, now
    uow.audit("export.resume", "ExportJob", job.id, before=before, after=snapshot(job))
    _emit(uow, job)
    return job


# Reads -------------------------------------------------------------------------------

def list_jobs(session: Session, principal: Principal, flt: ExportJobFilter,
              sort: ExportJobSort, page: PageRequest) -> Page[ExportJob]:
    return repo.jobs.list_jobs(session, principal, flt, sort, page)


def get_job(session: Session, principal: Principal, job_id: int) -> ExportJob | None:
    return repo.jobs.get_visible(session, principal, job_id)


def principal_of(session: Session, user_id: int) -> Principal | None:
    """The account's rights now (None: gone or deactivated)."""
    user = users.user_by_id(session, user_id)
    if user is None or not user.is_active:
        return None
    role = Role(user.role)
    warehouses = users.warehouse_ids(session, user_id) if role is Role.WAREHOUSE else []
    return Principal(user_id=user.id, role=role, customer_id=user.customer_id,
                     warehouse_ids=frozenset(warehouses))


# The worker's steps --------------------------------------------------------------------

@dataclass(frozen=True)
class Claimed:
    """What the worker needs of a job it took."""

    id: int
    user_id: int
    source: ExportSource
    format: ExportFormat
    fields: list[str]
    filter: SourceFilter
    rows: int
    last_id: int
    bytes_written: int
    total_rows: int | None


def claim_next(uow: UnitOfWork) -> Claimed | None:
    job = repo.jobs.next_queued(uow.session)
    if job is None:
        return None
    job.status, job.updated_at = ExportStatus.RUNNING.value, utcnow()
    _emit(uow, job)
    return Claimed(job.id, job.user_id, ExportSource(job.source), ExportFormat(job.format),
                   list(job.fields or []), filter_from_json(job.filter), job.rows, job.last_id,
                   job.bytes_written, job.total_rows)


def record_chunk(uow: UnitOfWork, job_id: int, last_id: int, added: int, bytes_written: int,
                 total_rows: int | None) -> bool:
    """The chunk is on disk: the job's position moves past it. False: the job is no longer
    running (cancelled): the worker stops."""
    job = repo.jobs.get(uow.session, job_id, for_update=True)
    if job is None or job.status != ExportStatus.RUNNING.value:
        return False
    job.last_id, job.rows, job.bytes_written = last_id, job.rows + added, bytes_written
    job.total_rows, job.updated_at = total_rows, utcnow()
    _emit(uow, job)
    return True


def finish_job(uow: UnitOfWork, job_id: int, total_rows: int | None, bytes_written: int
               ) -> bool:
    job = repo.jobs.get(uow.session, job_id, for_update=True)
    if job is None or job.status != ExportStatus.RUNNING.value:
        return False
    now = utcnow()
    job.status, job.finished_at, job.updated_at = ExportStatus.DONE.value, now, now
    job.total_rows, job.bytes_written = total_rows if total_rows is not None else job.rows, \
        bytes_written
    job.expires_at = now + timedelta(hours=uow.settings.export_retention_hours)
    uow.audit("export.finish", "ExportJob", job.id, after={"rows": job.rows})
    _emit(uow, job)
    return True


def fail_job(uow: UnitOfWork, job_id: int, message: str) -> None:
    job = repo.jobs.get(uow.session, job_id, for_update=True)
    if job is None or job.status != ExportStatus.RUNNING.value:
        return
    job.status, job.error, job.updated_at = ExportStatus.FAILED.value, message[:500], utcnow()
    _emit(uow, job)


def expire_files(uow: UnitOfWork, now: datetime, limit: int) -> list[int]:
    """Jobs whose files housekeeping deletes now: finished ones past retention become
    EXPIRED; cancelled ones keep their state. Their ids (the caller deletes the files)."""
    found = repo.jobs.expired_files(uow.session, now, limit)
    for job in found:
        if job.status == ExportStatus.DONE.value:
            job.status = ExportStatus.EXPIRED.value
        job.bytes_written, job.updated_at = 0, now
    sync_capture.touch(uow, "ExportJob", [j.id for j in found])
    return [j.id for j in found]
