"""GraphQL types of users and the viewer (`me`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.auth import models as m
from app.auth import repository as users_repo
from app.auth.roles import ROLE_PERMISSIONS, Perm
from app.auth.roles import Role as _Role
from schema.core.guards import ACCOUNT_RULE
from schema.core.node import Node, gid, register_node
from schema.core.objects import register_types
from schema.core.permissions import current_principal, forbidden, requires, visibility
from schema.loading.loaders import register_loader
from schema.policy.table import OPERATIONS

register_loader("user_by_id", users_repo.users_by_ids)
register_loader("warehouse_ids_by_user", users_repo.warehouse_ids_by_user, default=[])

Role = strawberry.enum(_Role, name="Role")


def _account_detail(info: strawberry.Info, user_id: int) -> bool:
    """Another account's details go to users:manage only; everyone else sees it by fullName,
    as `node(id)` does (docs/architecture.md#the-policy-table)."""
    principal = info.context.principal  # None: a login or refresh payload, its own account
    if principal is None or principal.user_id == user_id or principal.can(Perm.USERS_MANAGE):
        return True
    raise forbidden("other accounts are seen by their name only")


_DETAIL = {"description": ACCOUNT_RULE, "directives": visibility(ACCOUNT_RULE)}


@strawberry.type(description="A staff or customer account. Other accounts than the caller's "
                 "own are seen by fullName only, unless the caller holds users:manage (the "
                 "other fields: null and FORBIDDEN).")
class User(Node):
    full_name: str
    _email: strawberry.Private[str]
    _role: strawberry.Private[str]
    _is_active: strawberry.Private[bool]
    _language: strawberry.Private[str]
    _created_at: strawberry.Private[datetime]
    _pk: strawberry.Private[int]

    @strawberry.field(**_DETAIL)
    def email(self, info: strawberry.Info) -> str | None:
        return self._email if _account_detail(info, self._pk) else None

    @strawberry.field(**_DETAIL)
    def role(self, info: strawberry.Info) -> Role | None:  # type: ignore[valid-type]
        return _Role(self._role) if _account_detail(info, self._pk) else None

    @strawberry.field(**_DETAIL)
    def is_active(self, info: strawberry.Info) -> bool | None:
        return self._is_active if _account_detail(info, self._pk) else None

    @strawberry.field(description="zh or en: the language of this user's notifications "
                      "(staff alerts). " + ACCOUNT_RULE, directives=visibility(ACCOUNT_RULE))
    def language(self, info: strawberry.Info) -> str | None:
        return self._language if _account_detail(info, self._pk) else None

    @strawberry.field(**_DETAIL)
    def created_at(self, info: strawberry.Info) -> datetime | None:
        return self._created_at if _account_detail(info, self._pk) else None

    @strawberry.field(extensions=requires(Perm.USERS_MANAGE),
                      description="The warehouses a WAREHOUSE user works in.")
    async def warehouse_ids(self, info: strawberry.Info) -> list[strawberry.ID] | None:
        ids = await info.context.loaders.load("warehouse_ids_by_user", self._pk)
        return [gid("Warehouse", w) for w in ids]

    @classmethod
    def from_row(cls, row: m.User) -> User:
        return cls(id=gid("User", row.id), full_name=row.full_name, _email=row.email,
                   _role=row.role, _is_active=row.is_active, _language=row.language,
                   _created_at=row.created_at, _pk=row.id)


@strawberry.type(description="The signed-in caller: what the UI may show.")
class Viewer:
    user: User
    role: Role  # type: ignore[valid-type]
    permissions: list[str]
    customer_id: strawberry.ID | None
    warehouse_ids: list[strawberry.ID]
    token_expires_at: datetime | None
    allowed_operations: list[str] = strawberry.field(description=(
        "The queries, mutations and subscriptions this caller may call, as `Query.orders`, "
        "`Mutation.orderCreate`, ... (from the policy table: frontend-contract/"
        "PERMISSIONS.md); row-scoped ones act on the caller's rows only."))


def perms_of(role: _Role) -> list[str]:
    return sorted(p.value for p in ROLE_PERMISSIONS[role])


def operations_of(role: _Role) -> list[str]:
    return sorted(name for name, rule in OPERATIONS.items() if role in rule.roles)


async def fetch_user(info: strawberry.Info, pk: int) -> User | None:
    principal = current_principal(info)
    if pk != principal.user_id and not principal.can(Perm.USERS_MANAGE):
        return None
    row = await info.context.loaders.load("user_by_id", pk)
    return User.from_row(row) if row else None


register_node("User", fetch_user)
register_types(User)
