"""Argument conversion compiled once per field, for the lean resolvers (schema/engine/lean.py).

Strawberry converts a field's arguments on every call by walking their types: each input
field's annotation is resolved again, names are converted again, and each value is checked
against every kind of type (profiled: ~18% of the event loop for `orderCreate`). The
result depends only on the types, so `compile_arguments` walks them once and returns a
function that does what `strawberry.types.arguments.convert_arguments` does for these
values: inputs become their classes (fields left out take the class defaults, a field
without one is None), lists are copied, optional values keep None and UNSET, scalars and
enums are left as graphql-core parsed them. Types it does not know (Maybe, GlobalID,
inputs with `from_input`, ...) make it return None: the field keeps strawberry's resolver.

Measured: strawberry's conversion took ~18% of the event loop for `orderCreate`
(profiled); README "Performance" counts compiled argument conversion among what took the
GraphQL side close to strawberry's floor.

Upstream: written against strawberry-graphql 0.341.2 (graphql-core 3.3.2).
- Mirrors `strawberry.types.arguments.convert_arguments` and `convert_argument` (names by
  `config.name_converter.from_argument` / `from_field`; Optional, List, scalars, enums,
  lazy types and input objects; None and UNSET kept).
- Relies on `StrawberryArgument.type` / `python_name`; `StrawberryOptional`,
  `StrawberryList`, `StrawberryMaybe`, `LazyType.resolve_type`; an input's
  `__strawberry_definition__` (`fields`, `is_input`, `from_input`) and its fields'
  `resolve_type(type_definition=...)`, `default_value`, `default_factory`;
  `strawberry.scalars.is_scalar(type, scalar_registry)`, `StrawberryEnumDefinition`,
  `has_enum_definition`, `has_object_definition`, `GlobalID`, `UNSET`; and on graphql-core
  having checked required fields and parsed scalars and enums before the resolver runs.
- Held to `convert_arguments` for every field of the app's schema that takes arguments,
  in three value shapes, by tests/schema/test_arguments.py.
Why: docs/architecture.md#argument-compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING
from typing import Any

from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]


class Unsupported(Exception):
    """A type this module leaves to strawberry."""


def _identity(value: Any) -> Any:
    return value


def _is_leaf(type_: Any, registry: Any) -> bool:
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if type_ is GlobalID:  # decoded by strawberry itself
        raise Unsupported(type_)
    return is_scalar(type_, registry) or isinstance(type_, StrawberryEnumDefinition) or \
        has_enum_definition(type_)


def _nullable(inner: Convert) -> Convert:
    """None and UNSET pass through, as strawberry returns them before any conversion."""
    def convert(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        return inner(value)
    return convert


def _input(type_: type, config: Any, registry: Any, memo: dict[type, list]) -> Convert:
    if type_ in memo:  # an input that refers to itself (filters with and/or): late-bound
        cell = memo[type_]
        return lambda value: cell[0](value)
    cell = memo[type_] = [None]
    definition = type_.__strawberry_definition__
    if definition.from_input is not None:
        raise Unsupported(type_)
    # fields without a default are None unless given (graphql-core has checked the required)
    nones = {f.python_name: None for f in definition.fields
             if f.default_value is MISSING and f.default_factory is MISSING} \
        if definition.is_input else {}
    fields = tuple((config.name_converter.from_field(f), f.python_name,
                    _compile(f.resolve_type(type_definition=definition), config, registry, memo))
                   for f in definition.fields)

    def convert(value: Any) -> Any:
        kwargs = dict(nones)
        for graphql_name, python_name, field_convert in fields:
            if graphql_name in value:
                kwargs[python_name] = field_convert(value[graphql_name])
        return type_(**kwargs)

    cell[0] = convert
    return convert


def _compile(type_: Any, config: Any, registry: Any, memo: dict[type, list]) -> Convert:
    if isinstance(type_, StrawberryMaybe):
        raise Unsupported(type_)
    if isinstance(type_, StrawberryOptional):
        return _compile(type_.of_type, config, registry, memo)
    if isinstance(type_, StrawberryList):
        item = type_.of_type
        if isinstance(item, StrawberryOptional):
            item = item.of_type
        if _is_leaf(item, registry):
            # copied: graphql-core hands every request that omits it the same default list
            return _nullable(list)
        convert_item = _compile(type_.of_type, config, registry, memo)
        return _nullable(lambda value: [convert_item(x) for x in value])
    if _is_leaf(type_, registry):
        return _nullable(_identity)
    if isinstance(type_, LazyType):
        return _compile(type_.resolve_type(), config, registry, memo)
    if has_object_definition(type_):
        return _nullable(_input(type_, config, registry, memo))
    raise Unsupported(type_)


def compile_arguments(arguments: list[StrawberryArgument], config: Any, registry: Any
                      ) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """kwargs from graphql-core (GraphQL names) -> the resolver's (Python names, converted),
    or None when an argument's type is left to strawberry."""
    memo: dict[type, list] = {}
    try:
        plan = tuple((config.name_converter.from_argument(a), a.python_name,
                      _compile(a.type, config, registry, memo)) for a in arguments)
    except Unsupported:
        return None

    def convert(kwargs: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for graphql_name, python_name, convert_value in plan:
            if graphql_name in kwargs:
                out[python_name] = convert_value(kwargs[graphql_name])
        return out

    return convert
