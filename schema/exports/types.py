"""GraphQL types of bulk exports: the job, its progress and its download link."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.exports import links, service
from app.exports import models as m
from app.exports.fields import ExportFieldName
from app.exports.repository.jobs import ExportJobSort as _ExportJobSort
from app.exports.repository.jobs import jobs_by_ids
from schema.core.node import Node, gid, register_node
from schema.core.objects import register_types
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

register_loader("export_job_by_id", jobs_by_ids)

ExportSource = strawberry.enum(m.ExportSource, name="ExportSource")
ExportFormat = strawberry.enum(m.ExportFormat, name="ExportFormat")
ExportStatus = strawberry.enum(m.ExportStatus, name="ExportStatus",
                               description="QUEUED, RUNNING, then DONE (its file downloadable "
                               "until expiresAt, then EXPIRED), FAILED (resumable) or "
                               "CANCELLED.")
ExportField = strawberry.enum(ExportFieldName, name="ExportField",
                              description="A declared field of an export source; each source "
                              "takes its own (docs/architecture.md#exports).")
ExportJobSort = strawberry.enum(_ExportJobSort, name="ExportJobSort")


@strawberry.type(description="A bulk export running in the background: a list's rows, "
                 "row-scoped and masked as the list shows them to the caller.")
class ExportJob(Node):
    source: ExportSource  # type: ignore[valid-type]
    format: ExportFormat  # type: ignore[valid-type]
    fields: list[ExportField]  # type: ignore[valid-type]
    status: ExportStatus  # type: ignore[valid-type]
    rows: int = strawberry.field(description="Rows written so far.")
    total_rows: int | None = strawberry.field(
        description="Rows the export holds; known once it has started.")
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None = strawberry.field(
        description="When the finished file is deleted (CRM_EXPORT_RETENTION_HOURS).")
    _row: strawberry.Private[m.ExportJob]

    @strawberry.field(description="Rows written / total rows, 0..1 (1 when done).")
    def progress(self) -> float:
        if self._row.status == m.ExportStatus.DONE.value:
            return 1.0
        total = self._row.total_rows
        return min(self._row.rows / total, 1.0) if total else 0.0

    @strawberry.field(description="`GET` this path for the file once DONE: a signed link for "
                      "you alone, expiring after CRM_EXPORT_URL_MINUTES (default 60); null "
                      "before.")
    def download_url(self, info: strawberry.Info) -> str | None:
        if self._row.status != m.ExportStatus.DONE.value:
            return None
        url, _expires = links.download_url(info.context.settings, self._row.id,
                                           current_principal(info).user_id,
                                           self._row.expires_at)
        return url

    @classmethod
    def from_row(cls, row: m.ExportJob) -> ExportJob:
        return cls(id=gid("ExportJob", row.id), source=m.ExportSource(row.source),
                   format=m.ExportFormat(row.format),
                   fields=[ExportFieldName(n) for n in row.fields or []],
                   status=m.ExportStatus(row.status), rows=row.rows, total_rows=row.total_rows,
                   error=row.error, created_at=row.created_at, finished_at=row.finished_at,
                   expires_at=row.expires_at, _row=row)


async def fetch_export_job(info: strawberry.Info, pk: int) -> ExportJob | None:
    principal = current_principal(info)
    row = await run_read(info, service.get_job, principal, pk)
    return ExportJob.from_row(row) if row else None


register_node("ExportJob", fetch_export_job)
register_types(ExportJob)
