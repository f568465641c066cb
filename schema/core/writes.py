"""Calling app services from resolvers: `run_write` runs one as a unit of work and turns
its domain errors into userErrors, `run_read` is its read counterpart, both within the
request's time budget (`Context.deadline`), and `provided` lists the input fields a client
actually sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from app.errors import DomainError, ErrorCode
from schema.core.errors import UserError, user_errors
from schema.core.permissions import note_denial

T = TypeVar("T")


async def run_write(info: Any, fn: Callable[..., T], *args: Any, **kwargs: Any
                    ) -> tuple[T | None, list[UserError]]:
    ctx = info.context
    if ctx.admission is not None:
        await ctx.admission
    try:
        result = await ctx.runner.write(
            fn, *args, principal=ctx.principal, request_id=ctx.request_id,
            deadline=ctx.deadline, **kwargs
        )
    except DomainError as exc:
        if exc.code is ErrorCode.FORBIDDEN and info.operation.operation.value == "mutation":
            # refused by the service's own rule (a state a CUSTOMER may not act in, ...)
            note_denial(ctx, f"Mutation.{info.field_name}", info.selected_fields[0].arguments,
                        exc.message)
        return None, user_errors(exc)
    return result, []


async def run_read(info: Any, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    ctx = info.context
    if ctx.admission is not None:
        await ctx.admission
    return await ctx.runner.read(fn, *args, deadline=ctx.deadline, **kwargs)


async def run_analytics(info: Any, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`run_read` on the analytics database: the read replica when CRM_ANALYTICS_DATABASE_URL
    is set (docs/deployment.md), the app's own otherwise."""
    ctx = info.context
    if ctx.admission is not None:
        await ctx.admission
    runner = getattr(ctx.services, "analytics_runner", None) or ctx.runner
    return await runner.read(fn, *args, deadline=ctx.deadline, **kwargs)


def provided(input_obj: Any, *, rename: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields a client actually sent (UNSET left out), by python name."""
    out: dict[str, Any] = {}
    for name, value in vars(input_obj).items():
        if value is strawberry.UNSET or name.startswith("_"):
            continue
        out[(rename or {}).get(name, name)] = value
    return out
