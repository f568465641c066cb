"""`exportJobs` and `exportJob`: the caller's export jobs (ADMIN: everyone's)."""

from __future__ import annotations

import strawberry

from app.exports import service
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.exports.inputs import ExportJobFilter, job_filter_from
from schema.exports.types import ExportJob, ExportJobSort


@strawberry.type
class ExportQuery:
    @strawberry.field(description="Your export jobs, newest first by default (ADMIN: "
                      "everyone's).")
    async def export_jobs(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ExportJobFilter | None = None,
        sort: ExportJobSort | None = None,  # type: ignore[valid-type]
    ) -> Connection[ExportJob]:
        sort = sort or ExportJobSort.CREATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        page = await run_read(info, service.list_jobs, principal, job_filter_from(filter),
                              sort, page_request(info, first, after, last, before))
        return to_connection(page, ExportJob.from_row)

    @strawberry.field(description="One export job; null when missing or not yours.")
    async def export_job(self, info: strawberry.Info, id: strawberry.ID) -> ExportJob | None:
        return await lookup(info, id, "ExportJob")
