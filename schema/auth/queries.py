"""`me`, and the users list for users:manage (ADMIN)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from app.auth import admin
from app.auth import repository as users_repo
from app.ids import to_global_id
from schema.auth.inputs import UserFilter, UserSort, filter_from
from schema.auth.types import User, Viewer, operations_of, perms_of
from schema.core.node import gid
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import (
    current_principal,
    unauthenticated,
)
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The caller: role and permissions, to shape the UI.")
    async def me(self, info: strawberry.Info) -> Viewer:
        principal = current_principal(info)
        row = await run_read(info, users_repo.user_by_id, principal.user_id)
        if row is None:
            raise unauthenticated("user no longer exists")
        return Viewer(
            user=User.from_row(row), role=principal.role, permissions=perms_of(principal.role),
            customer_id=(gid("Customer", principal.customer_id)
                         if principal.customer_id is not None else None),
            warehouse_ids=[strawberry.ID(to_global_id("Warehouse", w))
                           for w in sorted(principal.warehouse_ids)],
            token_expires_at=(datetime.fromtimestamp(principal.expires_at, UTC)
                              if principal.expires_at else None),
            allowed_operations=operations_of(principal.role),
        )


@strawberry.type
class UserAdminQuery:
    @strawberry.field(description="Every user account, newest first by default.")
    async def users(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: UserFilter | None = None,
        sort: UserSort | None = None,
    ) -> Connection[User]:
        sort = sort or UserSort.CREATED_AT_DESC  # null: the list's default order
        page = await read_connection(info, "User", admin.list_users, current_principal(info),
                                     filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, User.from_row)
