"""GraphQL types of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from app.audit import models as m
from app.audit import repository as repo
from app.ids import to_global_id
from schema.core.node import Node, gid

if TYPE_CHECKING:
    from schema.auth.types import User

AuditSort = strawberry.enum(repo.AuditSort, name="AuditSort")


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
    created_at: datetime
    _actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Who made the change; null for system work.")
    def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        from schema.auth.types import User
        return info.context.loaders.one("user_by_id", self._actor_id, User)

    @classmethod
    def from_row(cls, row: m.AuditRecord) -> AuditRecord:
        entity = (strawberry.ID(to_global_id(row.entity_type, row.entity_id))
                  if row.entity_id is not None else None)
        return cls(id=gid("AuditRecord", row.id), action=row.action, actor_role=row.actor_role,
                   entity_type=row.entity_type, entity_id=entity, before=row.before,
                   after=row.after, request_id=row.request_id, created_at=row.created_at,
                   _actor_id=row.actor_id)


@strawberry.input
class AuditFilter:
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="The changes of one object (any type).")
    entity_type: str | None = strawberry.field(
        default=None, description="e.g. Order, Customer, User.")
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="A User.")
    actions: list[str] | None = None
    request_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
