"""Sign-in, profile and user-administration mutations, and their payloads
`{ <object>, userErrors }`: parse the input, call one service, map the result."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from app.auth import admin, service
from app.errors import DomainError, ErrorCode
from app.ids import parse_id
from schema.auth.inputs import (
    MeUpdateInput,
    UserCreateInput,
    UserUpdateInput,
    changes_from,
    user_ids,
)
from schema.auth.types import User
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: datetime | None = None
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MePayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(pair: service.TokenPair | None, errors: list) -> AuthPayload:
    if pair is None:
        return AuthPayload(user_errors=errors)
    return AuthPayload(
        access_token=pair.access_token, refresh_token=pair.refresh_token,
        expires_at=datetime.fromtimestamp(pair.expires_at, UTC), user=User.from_row(pair.user),
    )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in: an access token and a rotating refresh token. "
                         "One per request; failed passwords slow further attempts down "
                         "(THROTTLED with retryAfterSeconds).")
    async def login(self, info: strawberry.Info, email: str, password: str) -> AuthPayload:
        ctx = info.context
        ctx.logins += 1
        throttle = getattr(ctx.services, "login_throttle", None)
        client = ctx.request.client.host if ctx.request is not None and \
            ctx.request.client else None
        wait = 1 if ctx.logins > 1 else throttle.wait(email, client) if throttle else 0
        if wait:
            message = ("one sign-in per request" if ctx.logins > 1 else
                       f"too many failed sign-ins: try again in {wait} s")
            return AuthPayload(user_errors=[UserError(
                field=None, message=message, code=ErrorCode.THROTTLED,
                retry_after_seconds=wait)])
        pair, errors = await run_write(info, service.login, ctx.settings, email[:254],
                                       password[:256])
        if throttle is not None:
            if pair is not None:
                throttle.succeeded(email)
            elif errors and errors[0].code == ErrorCode.INVALID_CREDENTIALS:
                throttle.failed(email, client)
        return _payload(pair, errors)

    @strawberry.mutation(description="Trade a refresh token for a new pair; the old one is "
                         "spent, and reusing a spent one signs the whole session out.")
    async def refresh_token(self, info: strawberry.Info, refresh_token: str) -> AuthPayload:
        pair, errors = await run_write(info, service.refresh, info.context.settings,
                                       refresh_token[:200])
        return _payload(pair, errors)

    @strawberry.mutation(description="Change the caller's own name or notification language.")
    async def me_update(self, info: strawberry.Info, input: MeUpdateInput) -> MePayload:
        row, errors = await run_write(info, service.update_me, full_name=input.full_name,
                                      language=input.language)
        return MePayload(user=User.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Revoke the session of a refresh token.")
    async def logout(self, info: strawberry.Info, refresh_token: str) -> LogoutPayload:
        ok, errors = await run_write(info, service.logout, refresh_token[:200])
        return LogoutPayload(ok=bool(ok), user_errors=errors)


@strawberry.type
class UserAdminMutation:
    @strawberry.mutation(description="Create a user account.")
    async def user_create(self, info: strawberry.Info, input: UserCreateInput) -> UserPayload:
        try:
            customer, warehouses = user_ids(input.customer_id, input.warehouse_ids)
        except DomainError as exc:
            return UserPayload(user_errors=user_errors(exc))
        row, errors = await run_write(
            info, admin.create_user, email=input.email[:254], password=input.password[:256],
            role=input.role.value, full_name=input.full_name, language=input.language,
            customer_id=customer, warehouse_ids=warehouses)
        return UserPayload(user=User.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change a user's role, name, language, customer or "
                         "warehouses, or deactivate the account. You cannot change your own "
                         "role or deactivate yourself.")
    async def user_update(self, info: strawberry.Info, id: strawberry.ID,
                          input: UserUpdateInput) -> UserPayload:
        try:
            pk = parse_id(id, "User")
            changes = changes_from(input)
        except DomainError as exc:
            return UserPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, admin.update_user, pk, changes)
        return UserPayload(user=User.from_row(row) if row else None, user_errors=errors)
