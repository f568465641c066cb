"""Operation-level and field-level permission checks, visible in the schema.

`requires(perm)` guards a root or relation field; the rule is printed in the SDL
as `@requires(permission: "...")` so the SPA and analysts can read it. The three layers
(operation, row, field): docs/architecture.md#permissions.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from app.audit.service import Attempt
from app.auth.principal import Principal
from app.auth.roles import Perm


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="The permission a caller needs for this field (see `me { permissions }`).",
)
class Requires:
    permission: str


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Field-level rule: who sees this value, and for whom it is masked or hidden.",
)
class Visibility:
    rule: str


def unauthenticated(message: str = "authentication required") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def forbidden(message: str = "forbidden") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


MAX_DENIALS = 20  # audited per request: an aliased flood of refusals writes no more


def _ids(values: Any) -> list[Any]:
    """`id` and `...Id` / `..._id` entries of arguments (a dict, or an input object)."""
    items = values.items() if isinstance(values, dict) else vars(values).items() \
        if hasattr(values, "__dict__") else ()
    return [v for k, v in items if k == "id" or k.endswith(("Id", "_id"))]


def _target(arguments: dict[str, Any]) -> str | None:
    """The object a refused call aimed at: its `id` / `...Id` argument or that field of its
    input (a global ID as sent, at most 200 characters)."""
    for value in [*_ids(arguments), *_ids(arguments.get("input"))]:
        if isinstance(value, str) and value:
            return value[:200]
    return None


def note_denial(context: Any, operation: str, arguments: dict[str, Any], reason: str
                ) -> None:
    """Keep a refused mutation for the audit log, written when the operation ends
    (schema/asgi.py `GraphQLApp.execute_operation`)."""
    if len(context.denials) < MAX_DENIALS:
        context.denials.append(Attempt(operation, _target(arguments), reason))


def current_principal(info: Any) -> Principal:
    """The caller, or an UNAUTHENTICATED error (naming a bad/expired token)."""
    ctx = info.context
    if ctx.principal is None:
        raise unauthenticated(ctx.token_error or "authentication required")
    return ctx.principal


class SyncPermission(BasePermission):
    """A permission whose `has_permission` is a plain function returning a bool (never an
    awaitable): schema/engine/lean.py runs such checks itself, without strawberry's chain."""


class HasPermission(SyncPermission):
    def __init__(self, perm: Perm | None) -> None:
        self.perm = perm
        self._schema_directive = Requires(permission=perm.value if perm else "authenticated")

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = current_principal(info)
        return self.perm is None or principal.can(self.perm)

    def on_unauthorized(self) -> None:
        raise forbidden(f"requires permission {self.perm.value}" if self.perm else "forbidden")


def requires(perm: Perm | None = None) -> list[PermissionExtension]:
    """Field extensions for `@strawberry.field(extensions=requires(Perm.X))`."""
    return [PermissionExtension(permissions=[HasPermission(perm)])]


def authenticated() -> list[PermissionExtension]:
    return requires(None)


def visibility(rule: str) -> list[object]:
    return [Visibility(rule=rule)]
