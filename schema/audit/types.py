"""GraphQL types of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.audit import models as m
from app.audit import service
from app.audit.models import Outcome as _Outcome
from app.ids import to_global_id
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User

register_relation("AuditRecord", "actor", "user_by_id", "actor_id")
AuditOutcome = strawberry.enum(_Outcome, name="AuditOutcome")


@strawberry.type(description="One audited change: who, what, when, before and after.")
class AuditRecord(Node):
    action: str = strawberry.field(description="e.g. order.approve, customer.update.")
    actor_role: str | None = strawberry.field(
        description="The actor's role then (SYSTEM for background work); null if unknown.")
    entity_type: str
    entity_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the changed object (type `entityType`).")
    before: JSON | None = strawberry.field(description="Its fields before the change.")
    after: JSON | None = strawberry.field(description="Its fields after the change.")
    request_id: str | None = strawberry.field(
        description="The request that made the change (the x-request-id header if sent).")
    outcome: AuditOutcome = strawberry.field(  # type: ignore[valid-type]
        description="SUCCESS: a change made; DENIED: a refused mutation (nothing changed).")
    reason: str | None = strawberry.field(description="Why a DENIED attempt was refused.")
    client_address: str | None = strawberry.field(
        description="The client's address, for a DENIED attempt.")
    created_at: datetime
    _actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Who made the change; null for system work.")
    def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._actor_id, object_type("User"))

    @classmethod
    def from_row(cls, row: m.AuditRecord) -> AuditRecord:
        entity = (strawberry.ID(to_global_id(row.entity_type, row.entity_id))
                  if row.entity_id is not None else None)
        return cls(id=gid("AuditRecord", row.id), action=row.action, actor_role=row.actor_role,
                   entity_type=row.entity_type, entity_id=entity, before=row.before,
                   after=row.after, request_id=row.request_id,
                   outcome=_Outcome(row.outcome), reason=row.reason,
                   client_address=row.client_address, created_at=row.created_at,
                   _actor_id=row.actor_id)


async def fetch_audit_record(info: strawberry.Info, pk: int) -> Any:
    row = await run_read(info, service.get_record, current_principal(info), pk)
    return AuditRecord.from_row(row) if row else None


register_node("AuditRecord", fetch_audit_record)
register_types(AuditRecord)
