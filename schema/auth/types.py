"""GraphQL types of users, the viewer (`me`) and login tokens."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.auth import models as m
from app.auth.roles import ROLE_PERMISSIONS, Perm
from app.auth.roles import Role as _Role
from schema.core.errors import UserError
from schema.core.node import Node, gid
from schema.core.permissions import requires

Role = strawberry.enum(_Role, name="Role")


@strawberry.type(description="A staff or customer account.")
class User(Node):
    email: str
    full_name: str
    role: Role  # type: ignore[valid-type]
    is_active: bool
    language: str = strawberry.field(description="zh or en: the language of this user's "
                                     "notifications (staff alerts).")
    created_at: datetime
    _pk: strawberry.Private[int]

    @strawberry.field(extensions=requires(Perm.USERS_MANAGE),
                      description="The warehouses a WAREHOUSE user works in.")
    async def warehouse_ids(self, info: strawberry.Info) -> list[strawberry.ID] | None:
        ids = await info.context.loaders.load("warehouse_ids_by_user", self._pk)
        return [gid("Warehouse", w) for w in ids]

    @classmethod
    def from_row(cls, row: m.User) -> User:
        return cls(id=gid("User", row.id), email=row.email, full_name=row.full_name,
                   role=_Role(row.role), is_active=row.is_active, language=row.language,
                   created_at=row.created_at, _pk=row.id)


@strawberry.type(description="The signed-in caller: what the UI may show.")
class Viewer:
    user: User
    role: Role  # type: ignore[valid-type]
    permissions: list[str]
    customer_id: strawberry.ID | None
    warehouse_ids: list[strawberry.ID]
    token_expires_at: datetime | None


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: datetime | None = None
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="The caller's own profile; a field left out or null is kept.")
class MeUpdateInput:
    full_name: str | None = None
    language: str | None = strawberry.field(default=None, description="zh or en")


@strawberry.type
class MePayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def perms_of(role: _Role) -> list[str]:
    return sorted(p.value for p in ROLE_PERMISSIONS[role])


def visible_actor(info: strawberry.Info, actor_id: int | None) -> User | None:
    """Who did something, as the caller may see it: customers see their own actions
    but not the staff member behind a change; the system (no actor) is null."""
    from schema.core.permissions import current_principal

    principal = current_principal(info)
    if actor_id is None or (principal.role is _Role.CUSTOMER and actor_id != principal.user_id):
        return None
    return info.context.loaders.one("user_by_id", actor_id, User)
