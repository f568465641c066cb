"""`auditLog` (audit:read, i.e. ADMIN)."""

from __future__ import annotations

import strawberry

from app.audit import service
from schema.audit.inputs import AuditFilter, AuditSort, filter_from
from schema.audit.types import AuditRecord
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.loading.prefetch import read_connection


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit log, newest first by default: every mutation's "
                      "who, what, when, before and after.")
    async def audit_log(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: AuditFilter | None = None,
        sort: AuditSort | None = None,
    ) -> Connection[AuditRecord]:
        sort = sort or AuditSort.CREATED_AT_DESC  # null: the list's default order
        page = await read_connection(info, "AuditRecord", service.list_records,
                                     current_principal(info), filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, AuditRecord.from_row)
