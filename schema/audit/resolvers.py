"""The audit log query (audit:read, i.e. ADMIN) and AuditRecord nodes."""

from __future__ import annotations

from typing import Any

import strawberry

from app.audit import repository as repo
from app.audit import service
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode
from app.ids import from_global_id
from schema.audit.types import AuditFilter, AuditRecord, AuditSort
from schema.core.node import parse_ids, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection, register_relation

MAX_ACTIONS = 50


def _filter(flt: AuditFilter | None) -> repo.AuditFilter:
    if flt is None:
        return repo.AuditFilter()
    entity_type, entity_id = flt.entity_type, None
    if flt.entity_id is not None:
        try:
            id_type, entity_id = from_global_id(flt.entity_id)
        except ValueError:
            raise DomainError("entity not found", field=["filter", "entityId"],
                              code=ErrorCode.NOT_FOUND) from None
        if entity_type not in (None, id_type):
            raise DomainError("entityId is not of entityType", field=["filter", "entityId"])
        entity_type = id_type
    [actor] = parse_ids((flt.actor_id, "User", ["filter", "actorId"]))
    if flt.actions is not None and len(flt.actions) > MAX_ACTIONS:
        raise DomainError(f"at most {MAX_ACTIONS} actions", field=["filter", "actions"])
    return repo.AuditFilter(
        entity_type=entity_type, entity_id=entity_id, actor_id=actor,
        actions=tuple(flt.actions) if flt.actions is not None else None,
        request_id=flt.request_id, created_after=flt.created_after,
        created_before=flt.created_before)


async def _fetch(info: strawberry.Info, pk: int) -> Any:
    row = await run_read(info, service.get_record, current_principal(info), pk)
    return AuditRecord.from_row(row) if row else None


register_node("AuditRecord", _fetch)
register_relation("AuditRecord", "actor", "user_by_id", "actor_id")


@strawberry.type
class AuditQuery:
    @strawberry.field(extensions=requires(Perm.AUDIT_READ),
                      description="The audit log, newest first by default: every mutation's "
                      "who, what, when, before and after.")
    async def audit_log(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: AuditFilter | None = None,
        sort: AuditSort = AuditSort.CREATED_AT_DESC,
    ) -> Connection[AuditRecord]:
        page = await read_connection(info, "AuditRecord", service.list_records,
                                     current_principal(info), _filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, AuditRecord.from_row)
