"""Lean resolvers: strawberry's per-call wrapper, minus the generic machinery, for simple
relation fields.

Strawberry calls every resolver through a chain that builds an `Info`, converts arguments,
runs the field extensions and handles errors: about 5 us per call, and an orders page runs
thousands of relation fields (`product`, `stockLevels`, `warehouse`). For a plain `def`
resolver taking `(self[, info])`, with no arguments, no error handler and no extension
other than `requires(...)`, the lean resolver builds the same `Info`, applies the same
permission checks as `PermissionExtension.resolve` (same error on denial) and calls the
function. Everything else keeps strawberry's resolver.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension

from schema.permissions import HasPermission

_STRAWBERRY = "strawberry-definition"


def _lean_resolver(field: Any, info_class: type, checks: list[tuple[Any, Any]]) -> Any:
    fn = field.base_resolver.wrapped_func
    info_name = field.base_resolver.info_parameter.name if \
        field.base_resolver.info_parameter else None

    def resolve(source: Any, info: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=field)
        for extension, permission in checks:  # as PermissionExtension.resolve
            if not permission.has_permission(source, strawberry_info):
                return extension._on_unauthorized(permission)
        if info_name is None:
            return fn(source)
        return fn(source, **{info_name: strawberry_info})

    return resolve


def _permission_checks(field: Any) -> list[tuple[Any, Any]] | None:
    """The (extension, permission) pairs of `requires(...)`, or None for other extensions."""
    checks = []
    for extension in field.extensions:
        if type(extension) is not PermissionExtension or extension.fail_silently:
            return None
        for permission in extension.permissions:
            if type(permission) is not HasPermission:
                return None
            checks.append((extension, permission))
    return checks


def lean_resolvers(schema: Any) -> Any:
    """Give the eligible fields of a built strawberry schema a lean resolver."""
    if schema.exception_handlers:
        return schema
    info_class = schema.config.info_class
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field_def in graphql_type.fields.values():
            field = field_def.extensions.get(_STRAWBERRY)
            resolver = getattr(field, "base_resolver", None)
            if (resolver is None or field.is_async or field.arguments or field.is_subscription
                    or resolver.self_parameter is None or resolver.root_parameter is not None
                    or resolver.parent_parameter is not None
                    or getattr(field_def.resolve, "__name__", "") != "_resolver"):
                continue
            checks = _permission_checks(field)
            if checks is not None:
                field_def.resolve = _lean_resolver(field, info_class, checks)
    return schema
