"""`exportCreate`, `exportCancel`, `exportResume` and their payload `{ job, userErrors }`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import DomainError
from app.exports import service
from app.exports.models import ExportFormat as _Format
from app.exports.models import ExportSource as _Source
from app.ids import parse_id
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.exports.inputs import ExportFilter, source_filter_from
from schema.exports.types import ExportField, ExportFormat, ExportJob, ExportSource


@strawberry.type
class ExportJobPayload:
    job: ExportJob | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(row: object, errors: list[UserError]) -> ExportJobPayload:
    return ExportJobPayload(job=ExportJob.from_row(row) if row else None, user_errors=errors)


@strawberry.type
class ExportMutation:
    @strawberry.mutation(description=(
        "Export a list's rows to a file, in the background: the fields named (each source "
        "declares its own), the rows the list shows you (row scope and filter), values as "
        "the API shows them to you (ANALYST: contact data masked). A field your role may "
        "not see is refused (FORBIDDEN, naming it). Follow `exportJobEvents` or poll "
        "`exportJob`; download from `downloadUrl` once DONE."))
    async def export_create(
        self, info: strawberry.Info,
        # named apart in Python: permission checks take the parent object as `source`
        export_source: Annotated[ExportSource, strawberry.argument(  # type: ignore
            name="source")],
        fields: list[ExportField],  # type: ignore[valid-type]
        format: ExportFormat,  # type: ignore[valid-type]
        filter: ExportFilter | None = None,
    ) -> ExportJobPayload:
        try:
            flt = source_filter_from(filter)
        except DomainError as exc:
            exc.field = ["filter", *(exc.field or [])]
            return ExportJobPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.create_export, _Source(export_source.value),
                                      [f.value for f in fields], _Format(format.value), flt)
        return _payload(row, errors)

    @strawberry.mutation(description="Stop a queued, running or failed export (CANCELLED); "
                         "its file is deleted.")
    async def export_cancel(self, info: strawberry.Info, id: strawberry.ID) -> ExportJobPayload:
        try:
            pk = parse_id(id, "ExportJob")
        except DomainError as exc:
            return ExportJobPayload(user_errors=user_errors(exc))
        return _payload(*await run_write(info, service.cancel_export, pk))

    @strawberry.mutation(description="Continue a FAILED export (or one interrupted: RUNNING "
                         "but not advanced for 5 minutes) from the last row it wrote; the "
                         "file equals an uninterrupted run's.")
    async def export_resume(self, info: strawberry.Info, id: strawberry.ID) -> ExportJobPayload:
        try:
            pk = parse_id(id, "ExportJob")
        except DomainError as exc:
            return ExportJobPayload(user_errors=user_errors(exc))
        return _payload(*await run_write(info, service.resume_export, pk))
