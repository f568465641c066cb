"""Lean resolvers: strawberry's per-call wrapper, minus the generic machinery.

Strawberry calls every resolver through a chain that builds an `Info`, converts arguments,
runs the field extensions and handles errors: about 5 us per call for a relation field, and
an orders page runs thousands of them (`product`, `stockLevels`, `warehouse`); for a
mutation, converting its input walks the input's types again on every call. For a resolver
(plain or `async def`) with no error handler and no extension other than `requires(...)`,
whose arguments schema/engine/arguments.py can convert, the lean resolver builds the same `Info`,
converts the arguments with the conversion compiled for the field, applies the same
permission checks as `PermissionExtension` (after the conversion, same error on denial)
and calls the function with the same arguments. Everything else keeps strawberry's resolver.

Measured: ~5 us per call saved for a relation field (profiled); with arguments.py, every
field with a resolver, mutations included, is lean except the subscriptions. README
"Performance" counts lean resolvers with compiled argument conversion among what took the
GraphQL side close to strawberry's floor (S3: 2.66-2.73 ms of server CPU per order for
GraphQL against 2.10-2.27 for the same services behind a hand-written endpoint).

Upstream: written against strawberry-graphql 0.341.2 (graphql-core 3.3.2).
- Mirrors the resolvers strawberry's `GraphQLCoreConverter.from_resolver` makes
  (`_resolver` / `_async_resolver`: `_strawberry_info_from_graphql`, i.e.
  `config.info_class(_raw_info=info, _field=field)`, then `_get_result_with_extensions`
  down to `StrawberryField.get_result` and `StrawberryResolver.__call__`, with arguments
  from `convert_arguments`), and `PermissionExtension.resolve` (each permission's
  `has_permission(source, info, **kwargs)`, `_on_unauthorized`; strawberry chains field
  extensions so that the last one added runs first).
- Relies on `StrawberryField.base_resolver`, `is_async`, `is_subscription`, `extensions`,
  `arguments`; `StrawberryResolver.wrapped_func`, `info_parameter`, `self_parameter`,
  `root_parameter`, `parent_parameter`; `PermissionExtension.permissions` and
  `fail_silently`; `Schema.exception_handlers`, `Schema.config.info_class`,
  `Schema.schema_converter.scalar_registry`, `Schema._schema` (the graphql-core schema)
  and the resolver names `_resolver` / `_async_resolver`.
- Known difference: a `SyncPermission` returning an awaitable (against its contract) is
  refused with `PermissionReturnedNonBooleanError` here, and with
  `PermissionReturnedAwaitableInSyncContextError` by strawberry 0.341.2.
- Held to plain strawberry by tests/schema/test_execution.py and
  tests/schema/test_arguments.py (answers, refusals, the fields left to strawberry).
Why: docs/architecture.md#lean-resolvers.
"""

from __future__ import annotations

from inspect import isawaitable, iscoroutinefunction
from typing import Any

from graphql import GraphQLObjectType
from strawberry.exceptions import PermissionReturnedNonBooleanError
from strawberry.permission import PermissionExtension
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from schema.core.permissions import SyncPermission
from schema.engine.arguments import compile_arguments

_STRAWBERRY = "strawberry-definition"
_STRAWBERRY_RESOLVERS = ("_resolver", "_async_resolver")  # what strawberry gives a field


def _lean_resolver(field: Any, info_class: type, checks: list[tuple[Any, Any]],
                   convert: Any) -> Any:
    resolver = field.base_resolver
    fn = resolver.wrapped_func
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    with_self = resolver.self_parameter is not None
    # where the resolver asks for the parent object under another name (`root`, `parent`)
    source_names = tuple(p.name for p in (resolver.root_parameter, resolver.parent_parameter)
                         if p is not None)

    def call(source: Any, info: Any, kwargs: dict[str, Any]) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=field)
        arguments = convert(kwargs) if convert is not None else {}
        for name in source_names:
            arguments[name] = source
        for extension, permission in checks:  # as PermissionExtension.resolve
            allowed = permission.has_permission(source, strawberry_info, **arguments)
            if allowed is not True:
                if allowed is False:
                    return extension._on_unauthorized(permission)
                raise PermissionReturnedNonBooleanError(permission, allowed)
        if info_name is not None:
            arguments[info_name] = strawberry_info
        return fn(source, **arguments) if with_self else fn(**arguments)

    if field.is_async:
        # positional-only: a field may take an argument named `source` or `info`
        # (Query.aggregate(source:), exportCreate(source:))
        async def resolve_async(source: Any, info: Any, /, **kwargs: Any) -> Any:
            result = call(source, info, kwargs)
            return await result if isawaitable(result) else result

        return resolve_async

    def resolve(source: Any, info: Any, /, **kwargs: Any) -> Any:
        return call(source, info, kwargs)

    return resolve


def _permission_checks(field: Any) -> list[tuple[Any, Any]] | None:
    """The (extension, permission) pairs of `requires(...)` and the other sync permissions,
    or None for other extensions."""
    checks = []
    # strawberry chains the extensions so that the last one added checks first
    for extension in reversed(field.extensions):
        if type(extension) is not PermissionExtension or extension.fail_silently:
            return None
        for permission in extension.permissions:
            if not isinstance(permission, SyncPermission) or \
                    iscoroutinefunction(type(permission).has_permission):
                return None
            checks.append((extension, permission))
    return checks


def lean_resolvers(schema: Any) -> Any:
    """Give the eligible fields of a built strawberry schema a lean resolver."""
    if schema.exception_handlers:
        return schema
    config, registry = schema.config, schema.schema_converter.scalar_registry
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field_def in graphql_type.fields.values():
            field = field_def.extensions.get(_STRAWBERRY)
            if (getattr(field, "base_resolver", None) is None or field.is_subscription
                    or getattr(field_def.resolve, "__name__", "") not in _STRAWBERRY_RESOLVERS
                    # the lean resolver calls the function as these two would
                    or type(field).get_result is not StrawberryField.get_result
                    or type(field.base_resolver).__call__ is not StrawberryResolver.__call__):
                continue
            checks = _permission_checks(field)
            if checks is None:
                continue
            convert = None
            if field.arguments:
                convert = compile_arguments(field.arguments, config, registry)
                if convert is None:
                    continue
            field_def.resolve = _lean_resolver(field, config.info_class, checks, convert)
    return schema
