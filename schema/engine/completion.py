"""Object and list-of-object fields completed without graphql-core's generic dispatch.

graphql-core completes every object of a result through a chain of generic steps: resolve
info, argument check and middleware look-up for the field, then `complete_value` for the
non-null wrapper, again for the list, again per item (and its non-null wrapper), then
`complete_object_value`, `collect_and_execute_subfields`, `collect_subfields` and
`execute_collected_subfields` before the object's own fields run: ~10 calls and as many
type tests per object, and an orders page has 500 objects for 10 orders.

For a field without arguments whose type is an object type, or a list of one (non-null
wrappers allowed; no union, interface or nested list), `ObjectCompletion` does the same
steps directly, with the field's shape worked out once per process. It reads a plain
attribute (`edges`, `node`, `total`) without building resolve info, as strawberry's own
resolver for such fields does (it passes none). Errors are raised, located and nulled
exactly where graphql-core does it, with the same messages; anything else (an awaitable
item, an iterable that is not a list, an `is_type_of` that says no or is async, @defer)
is handed to graphql-core's own methods at that point.

Measured: one of the changes that took S1 (the orders page) from 4.1-4.7 to 1.4-1.5 us of
GraphQL CPU per field (README "Performance"; see schema/engine/execution.py).

Upstream: written against graphql-core 3.3.2 and strawberry-graphql 0.341.2.
- Mirrors graphql-core `graphql.execution.executor.Executor.execute_field` (for a field
  without arguments: no `get_argument_values`, no middleware), `complete_value` (non-null,
  list, object), `complete_list_value` / `complete_iterable_value`,
  `complete_object_value`, `collect_and_execute_subfields` and
  `execute_collected_subfields`; the null error's text is `complete_value`'s.
- Falls back on graphql-core's `Executor.build_resolve_info`, `handle_field_error`,
  `complete_value`, `complete_awaitable_value`, `complete_awaitable_list_item_value`,
  `complete_object_value`, `settle_in_background`, `is_awaitable` and relies on
  `collect_subfields` returning (grouped field set, new defer usages, ...) and on
  `Path.add_key`.
- Relies on strawberry's "strawberry-definition" field extension (`is_basic_field`,
  `default_resolver`, `python_name`), the name of its resolver for fields without one
  (`_get_basic_result`, `GraphQLCoreConverter.from_resolver`), and the qualified name of
  the `is_type_of` it makes for object types (`..._get_is_type_of.<locals>.is_type_of`,
  an isinstance test that ignores the info argument).
- Held to plain strawberry by tests/schema/test_execution.py
  (`test_objects_and_lists_answer_as_graphql_core_does`).
Why: docs/architecture.md#completion.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.pyutils import gather_with_cancel

_STRAWBERRY = "strawberry-definition"
# a heavy operation completes its lists in stretches of about this long, the event loop
# running whatever is ready between them (docs/architecture.md#time-budget)
SLICE_SECONDS = 0.005  # read at use: tests set it
PAUSE_RATIO = 2.0  # the pause after a stretch, in stretches: a third of the loop at most
# strawberry's own `is_type_of` (an isinstance test that ignores the info argument)
_STRAWBERRY_IS_TYPE_OF = "_get_is_type_of.<locals>.is_type_of"


@dataclass(frozen=True)
class ObjectField:
    """What completing a field of object (or list of object) type takes."""

    field_def: GraphQLField
    attribute: str | None  # read straight off the source (no resolver of its own)
    non_null: bool
    list_type: GraphQLList | None  # the (nullable) list type, for a list field
    item_type: GraphQLOutputType  # what each value (or list item) is completed as
    object_type: GraphQLObjectType
    item_non_null: bool
    info_free_type_check: bool  # `is_type_of` is absent or strawberry's own


def _null_error(parent_type: Any, field_name: str) -> TypeError:
    """graphql-core's error (same text) for null in a non-null position."""
    return TypeError(f"Cannot return null for non-nullable field {parent_type}.{field_name}.")


def object_field(field_def: GraphQLField) -> ObjectField | None:
    """The completion shape of `field_def`, or None when graphql-core's path is needed."""
    definition = field_def.extensions.get(_STRAWBERRY)
    if definition is None or field_def.args or field_def.resolve is None:
        return None
    outer = field_def.type
    inner = outer.of_type if isinstance(outer, GraphQLNonNull) else outer
    list_type = inner if isinstance(inner, GraphQLList) else None
    item_type = list_type.of_type if list_type is not None else inner
    object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
    if type(object_type) is not GraphQLObjectType:
        return None
    attribute = None
    if (definition.is_basic_field and definition.default_resolver is getattr
            and getattr(field_def.resolve, "__name__", "") == "_get_basic_result"):
        attribute = definition.python_name
    check = object_type.is_type_of
    return ObjectField(
        field_def=field_def, attribute=attribute, non_null=outer is not inner,
        list_type=list_type, item_type=item_type, object_type=object_type,
        item_non_null=item_type is not object_type,
        info_free_type_check=check is None or getattr(check, "__qualname__", "").endswith(
            _STRAWBERRY_IS_TYPE_OF))


class ObjectCompletion:
    """Mixed into the execution context (schema/engine/execution.py): graphql-core's `Executor`
    methods are the fallbacks."""

    # when the current stretch of a heavy operation's completion ends (time.monotonic());
    # None: not heavy, lists complete in one go
    slice_ends: float | None = None

    def execute_object_field(self, parent_type: GraphQLObjectType, source: Any,
                             details: Any, field: ObjectField, path: Any,
                             field_name: str) -> Any:
        """graphql-core's `execute_field` for an object-typed field."""
        info = None
        try:
            if field.attribute is None:
                info = self._resolve_info(parent_type, details, field, path)
                result = field.field_def.resolve(source, info)
            else:
                result = getattr(source, field.attribute)
            if self.is_awaitable(result):
                info = info or self._resolve_info(parent_type, details, field, path)
                return self.complete_awaitable_value(field.field_def.type, details, info,
                                                     path, result, None)
            completed = self._complete(parent_type, details, field, info, path, result,
                                       field_name)
            if self.is_awaitable(completed):
                return self._await_completed(completed, field.field_def.type, details, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.field_def.type, details, path)
            return None
        return completed

    def _resolve_info(self, parent_type: Any, details: Any, field: ObjectField,
                      path: Any) -> Any:
        return self.build_resolve_info(field.field_def, [d.node for d in details],
                                       parent_type, path)

    async def _await_completed(self, completed: Any, return_type: Any, details: Any,
                               path: Any) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    def _complete(self, parent_type: Any, details: Any, field: ObjectField, info: Any,
                  path: Any, result: Any, field_name: str) -> Any:
        """`complete_value` from the field's type down (non-null, list, object)."""
        if isinstance(result, Exception):
            raise result
        if result is None:
            if field.non_null:
                raise _null_error(parent_type, field_name)
            return None
        if field.list_type is None:
            return self._complete_object(parent_type, details, field, info, path, result)
        if type(result) is not list and type(result) is not tuple:
            info = info or self._resolve_info(parent_type, details, field, path)
            return self.complete_value(field.list_type, details, info, path, result, None)
        return self._complete_items(parent_type, details, field, info, path, result,
                                    field_name)

    def _complete_object(self, parent_type: Any, details: Any, field: ObjectField,
                         info: Any, path: Any, result: Any) -> Any:
        """`complete_object_value` and the collection of its sub-fields."""
        object_type = field.object_type
        check = object_type.is_type_of
        if check is not None:
            if info is None and not field.info_free_type_check:
                info = self._resolve_info(parent_type, details, field, path)
            if check(result, info) is not True:  # no, or async: graphql-core decides
                info = info or self._resolve_info(parent_type, details, field, path)
                return self.complete_object_value(object_type, details, info, path, result,
                                                  None)
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, details)
        if new_defer_usages:
            info = info or self._resolve_info(parent_type, details, field, path)
            return self.complete_object_value(object_type, details, info, path, result, None)
        return self.execute_fields(object_type, result, path, grouped_field_set, None)

    def _complete_items(self, parent_type: Any, details: Any, field: ObjectField, info: Any,
                        path: Any, items: Any, field_name: str, start: int = 0,
                        completed: list[Any] | None = None,
                        pending: list[int] | None = None) -> Any:
        """`complete_iterable_value` for a list of objects (from `start`: a continuation)."""
        is_awaitable = self.is_awaitable
        item_type = field.item_type
        completed = [] if completed is None else completed
        pending = [] if pending is None else pending
        sliced = self.slice_ends is not None
        try:
            for index in range(start, len(items)):
                if sliced and index > start and time.monotonic() >= self.slice_ends:
                    return self._complete_later(parent_type, details, field, info, path,
                                                items, field_name, index, completed, pending)
                item = items[index]
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    info = info or self._resolve_info(parent_type, details, field, path)
                    completed.append(self.complete_awaitable_list_item_value(
                        item, item_type, details, info, item_path, None))
                    pending.append(index)
                    continue
                try:
                    if isinstance(item, Exception):
                        raise item
                    if item is None:
                        if field.item_non_null:
                            raise _null_error(parent_type, field_name)
                        value = None
                    else:
                        value = self._complete_object(parent_type, details, field, info,
                                                      item_path, item)
                    if is_awaitable(value):
                        value = self._await_completed(value, item_type, details, item_path)
                        pending.append(index)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, details, item_path)
                    value = None
                completed.append(value)
        except Exception:
            # settle the awaitables already started or still in the list: they may fail too
            started = [completed[at] for at in pending]
            started += [item for item in items[len(completed) + 1:] if is_awaitable(item)]
            if started:
                self.settle_in_background(started)
            raise
        if not pending:
            return completed
        return self._gather_items(completed, pending)

    async def _complete_later(self, parent_type: Any, details: Any, field: ObjectField,
                              info: Any, path: Any, items: Any, field_name: str, start: int,
                              completed: list[Any], pending: list[int]) -> list[Any]:
        """The rest of a heavy operation's list, after the event loop has run what is ready
        (docs/architecture.md#time-budget)."""
        # a pause twice as long as the stretch: a heavy operation has a third of the loop
        await asyncio.sleep(SLICE_SECONDS * PAUSE_RATIO)
        self.slice_ends = time.monotonic() + SLICE_SECONDS
        rest = self._complete_items(parent_type, details, field, info, path, items,
                                    field_name, start, completed, pending)
        return await rest if self.is_awaitable(rest) else rest

    @staticmethod
    async def _gather_items(completed: list[Any], pending: list[int]) -> list[Any]:
        if len(pending) == 1:
            completed[pending[0]] = await completed[pending[0]]
        else:
            awaited = await gather_with_cancel(*(completed[index] for index in pending))
            for index, value in zip(pending, awaited, strict=True):
                completed[index] = value
        return completed
