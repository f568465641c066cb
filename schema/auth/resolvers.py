"""login / refreshToken / logout mutations and the `me` query."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from app.auth import repository as users_repo
from app.auth import service
from app.auth.roles import Perm
from app.ids import to_global_id
from schema.auth.types import (
    AuthPayload,
    LogoutPayload,
    MePayload,
    MeUpdateInput,
    User,
    Viewer,
    perms_of,
)
from schema.core.node import gid, register_node
from schema.core.permissions import authenticated, current_principal, unauthenticated
from schema.core.writes import run_read, run_write
from schema.loading.loaders import register_loader

register_loader("user_by_id", users_repo.users_by_ids)
register_loader("warehouse_ids_by_user", users_repo.warehouse_ids_by_user, default=[])


async def _fetch_user(info: strawberry.Info, pk: int) -> User | None:
    principal = current_principal(info)
    if pk != principal.user_id and not principal.can(Perm.USERS_MANAGE):
        return None
    row = await info.context.loaders.load("user_by_id", pk)
    return User.from_row(row) if row else None


def _payload(pair: service.TokenPair | None, errors: list) -> AuthPayload:
    if pair is None:
        return AuthPayload(user_errors=errors)
    return AuthPayload(
        access_token=pair.access_token, refresh_token=pair.refresh_token,
        expires_at=datetime.fromtimestamp(pair.expires_at, UTC), user=User.from_row(pair.user),
    )


@strawberry.type
class AuthQuery:
    @strawberry.field(extensions=authenticated(),
                      description="The caller: role and permissions, to shape the UI.")
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
        )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in: an access token and a rotating refresh token.")
    async def login(self, info: strawberry.Info, email: str, password: str) -> AuthPayload:
        pair, errors = await run_write(info, service.login, info.context.settings, email[:254],
                                       password[:256])
        return _payload(pair, errors)

    @strawberry.mutation(description="Trade a refresh token for a new pair; the old one is "
                         "spent, and reusing a spent one signs the whole session out.")
    async def refresh_token(self, info: strawberry.Info, refresh_token: str) -> AuthPayload:
        pair, errors = await run_write(info, service.refresh, info.context.settings,
                                       refresh_token[:200])
        return _payload(pair, errors)

    @strawberry.mutation(extensions=authenticated(),
                         description="Change the caller's own name or notification language.")
    async def me_update(self, info: strawberry.Info, input: MeUpdateInput) -> MePayload:
        row, errors = await run_write(info, service.update_me, full_name=input.full_name,
                                      language=input.language)
        return MePayload(user=User.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Revoke the session of a refresh token.")
    async def logout(self, info: strawberry.Info, refresh_token: str) -> LogoutPayload:
        ok, errors = await run_write(info, service.logout, refresh_token[:200])
        return LogoutPayload(ok=bool(ok), user_errors=errors)


register_node("User", _fetch_user)
