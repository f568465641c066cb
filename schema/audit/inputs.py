"""Input types of the audit log, and their translation into repository arguments (global
IDs decoded here)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.audit import repository as repo
from app.errors import DomainError, ErrorCode
from app.ids import from_global_id
from schema.audit.types import AuditOutcome
from schema.core.node import parse_ids

AuditSort = strawberry.enum(repo.AuditSort, name="AuditSort")
MAX_ACTIONS = 50


@strawberry.input
class AuditFilter:
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="The changes of one object (any type).")
    entity_type: str | None = strawberry.field(
        default=None, description="e.g. Order, Customer, User.")
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="A User.")
    actions: list[str] | None = None
    request_id: str | None = None
    outcome: AuditOutcome | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="DENIED: the refused attempts only.")
    created_after: datetime | None = None
    created_before: datetime | None = None


def filter_from(flt: AuditFilter | None) -> repo.AuditFilter:
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
        request_id=flt.request_id,
        outcome=flt.outcome.value if flt.outcome is not None else None,
        created_after=flt.created_after,
        created_before=flt.created_before)
