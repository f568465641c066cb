"""Compiled argument conversion (schema/engine/arguments.py) gives every lean field of the real
schema exactly what strawberry's `convert_arguments` gives it, and fields whose argument
types it leaves to strawberry keep strawberry's resolver and answers. Equivalence tests:
`make check-upstream` runs them against the newest strawberry."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
)
from strawberry.permission import PermissionExtension
from strawberry.relay import GlobalID
from strawberry.types.arguments import convert_arguments
from strawberry.types.unset import UNSET

from schema.build import schema as app_schema
from schema.core.permissions import SyncPermission
from schema.engine.arguments import compile_arguments
from schema.engine.lean import lean_resolvers

pytestmark = pytest.mark.upstream
_STRAWBERRY = "strawberry-definition"


class Leaf:
    """A parsed scalar or enum value: both conversions must hand it on untouched."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Leaf({self.name})"


def _value(gtype: Any, mode: str, depth: int = 0) -> Any:
    """A value of `gtype` as graphql-core hands it to a resolver. Modes: "full" (every
    input field), "nulls" (nullable fields null), "sparse" (required fields only)."""
    nullable = not isinstance(gtype, GraphQLNonNull)
    inner = gtype.of_type if not nullable else gtype
    if nullable and mode == "nulls" and depth > 0:
        return None
    if isinstance(inner, GraphQLList):
        return [_value(inner.of_type, mode, depth + 1) for _ in range(2)]
    if isinstance(inner, GraphQLInputObjectType):
        out = {}
        for name, field in inner.fields.items():
            required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
            if mode == "sparse" and not required:
                continue
            if depth > 3 and not required:  # self-referring filters: stop somewhere
                continue
            out[name] = _value(field.type, mode, depth + 1)
        return out
    if isinstance(inner, GraphQLEnumType):
        return Leaf(f"enum {inner.name}")
    return Leaf(inner.name)


def _shape(value: Any) -> Any:
    """A comparable form: input objects by class and fields, lists item by item."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,
                {f.name: _shape(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, list):
        return ["list", [_shape(v) for v in value]]
    if value is UNSET:
        return "UNSET"
    return value


def _fields_with_arguments() -> list[tuple[str, Any, Any]]:
    out = []
    for graphql_type in app_schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field_def in graphql_type.fields.items():
            field = field_def.extensions.get(_STRAWBERRY)
            if field is not None and field.arguments and not field.is_subscription:
                out.append((f"{graphql_type.name}.{name}", field_def, field))
    return out


FIELDS = _fields_with_arguments()


def test_every_field_with_arguments_is_compiled():
    assert len(FIELDS) > 60  # queries with filters, and every mutation
    names = {name for name, _, _ in FIELDS}
    assert {"Mutation.orderCreate", "Mutation.orderApprove", "Query.orders"} <= names
    left = [name for name, field_def, _ in FIELDS
            if field_def.resolve.__name__ not in ("resolve", "resolve_async")]
    assert left == []


@pytest.mark.parametrize("mode", ["full", "nulls", "sparse"])
def test_conversion_equals_strawberrys_for_every_field(mode: str):
    config = app_schema.config
    registry = app_schema.schema_converter.scalar_registry
    checked = 0
    for name, field_def, field in FIELDS:
        convert = compile_arguments(field.arguments, config, registry)
        assert convert is not None, name
        kwargs = {arg_name: _value(arg.type, mode) for arg_name, arg in field_def.args.items()}
        want = convert_arguments(dict(kwargs), field.arguments, scalar_registry=registry,
                                 config=config)
        got = convert(dict(kwargs))
        assert _shape(got) == _shape(want), name
        for arg in field.arguments:  # lists are copies, as strawberry's are
            given = kwargs.get(config.name_converter.from_argument(arg))
            if isinstance(given, list):
                assert got[arg.python_name] is not given, name
        checked += 1
    assert checked == len(FIELDS)


def test_arguments_left_out_stay_left_out():
    field = next(f for name, _, f in FIELDS if name == "Mutation.orderConfirmDelivery")
    convert = compile_arguments(field.arguments, app_schema.config,
                                app_schema.schema_converter.scalar_registry)
    assert convert({"id": "T3JkZXI6MQ=="}) == {"id": "T3JkZXI6MQ=="}
    assert convert({"id": "x", "rating": None}) == {"id": "x", "rating": None}


# Types left to strawberry ------------------------------------------------------------

@strawberry.enum
class Size(Enum):
    S = "S"
    M = "M"


@strawberry.input
class Plain:
    size: Size
    tags: list[str] | None = None
    count: int = 2
    note: str | None = None


@strawberry.input
class Hooked:
    """Builds itself from the raw value (`from_input`): left to strawberry."""

    text: str


@strawberry.input
class Filter:
    """Refers to itself, as filters with and / or do."""

    name: str | None = None
    any_of: list[Filter] | None = None


class Odd(SyncPermission):
    """Answers something other than a bool: strawberry reports it, so must the lean path."""

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return "yes"  # type: ignore[return-value]


class Deny(SyncPermission):
    def __init__(self, name: str) -> None:
        self.name = name

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False

    def on_unauthorized(self) -> None:
        raise PermissionError(f"denied by {self.name}")


class AsyncDeny(SyncPermission):
    """Wrongly declared sync: awaited by strawberry, so left to strawberry."""

    async def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


def _hooked_from_input(cls: type, value: dict, _context: Any) -> Hooked:
    return cls(text=value["text"].upper())


Hooked.__strawberry_definition__.from_input = _hooked_from_input


@strawberry.type
class ArgQuery:
    @strawberry.field
    def plain(self, value: Plain, many: list[Plain] | None = None) -> str:
        return repr((value, many))

    @strawberry.field
    def node(self, id: GlobalID) -> str:
        return f"{id.type_name}:{id.node_id}"

    @strawberry.field
    def maybe(self, text: strawberry.Maybe[str | None] = None) -> str:
        return repr(text)

    @strawberry.field
    def hooked(self, value: Hooked) -> str:
        return value.text

    @strawberry.field
    async def later(self, value: Plain) -> str:
        return repr(value)

    @strawberry.field
    def filtered(self, where: Filter) -> str:
        return repr(where)

    @strawberry.field(extensions=[PermissionExtension(permissions=[Odd()])])
    def odd(self) -> str | None:
        return "odd"

    @strawberry.field(extensions=[PermissionExtension(permissions=[Deny("first")]),
                                  PermissionExtension(permissions=[Deny("second")])])
    def twice(self) -> str | None:
        return "twice"

    @strawberry.field(extensions=[PermissionExtension(permissions=[AsyncDeny()])])
    async def awaited(self) -> str | None:
        return "secret"


ARG_QUERY = """{ plain(value: {size: S, tags: ["a"]}, many: [{size: M}, {size: S, note: null}])
  node(id: "VXNlcjox") maybe(text: null) hooked(value: {text: "hi"})
  later(value: {size: M})
  filtered(where: {anyOf: [{name: "a"}, {anyOf: [{name: "b"}], name: null}]}) }"""
DENIED_QUERY = "{ odd twice awaited }"


async def test_fields_left_to_strawberry_answer_the_same():
    plain = strawberry.Schema(query=ArgQuery)
    lean = lean_resolvers(strawberry.Schema(query=ArgQuery))
    fields = lean._schema.query_type.fields
    assert fields["plain"].resolve.__name__ == "resolve"
    assert fields["later"].resolve.__name__ == "resolve_async"
    assert fields["filtered"].resolve.__name__ == "resolve"
    for kept in ("node", "maybe", "hooked", "awaited"):  # GlobalID, Maybe, from_input, async
        assert fields[kept].resolve.__name__ in ("_resolver", "_async_resolver"), kept
    want = await plain.execute(ARG_QUERY)
    got = await lean.execute(ARG_QUERY)
    assert want.errors is None and got.errors is None
    assert got.data == want.data
    assert got.data["hooked"] == "HI" and got.data["node"] == "User:1"
    assert "any_of=[Filter(name='b', any_of=None)]" in got.data["filtered"]


async def test_refusals_as_strawberry_reports_them():
    plain = strawberry.Schema(query=ArgQuery)
    lean = lean_resolvers(strawberry.Schema(query=ArgQuery))
    want = await plain.execute(DENIED_QUERY)
    got = await lean.execute(DENIED_QUERY)
    assert got.data == want.data
    messages = sorted((e.path[0], e.message) for e in got.errors)
    assert messages == sorted((e.path[0], e.message) for e in want.errors)
    assert ("twice", "denied by second") in messages  # the last extension checks first
    assert {path for path, _ in messages} == {"odd", "twice", "awaited"}
