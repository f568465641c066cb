"""The execution context: strawberry's, with measured speed-ups for large results.

1. Plain scalar attributes. Most fields of a page are scalars read straight off an object
   (`id`, `name`, `quantity`): strawberry resolves them with `getattr`, yet graphql-core
   still builds a resolve-info object, calls a chain of wrappers and completes the value
   through its generic path. For such fields (no resolver, no field extension, a scalar or
   enum type, strawberry's default `getattr` resolver, no middleware) this reads the
   attribute and applies the type's own output coercion, as graphql-core would (a str for
   String or ID, a bool for Boolean, a 32-bit int for Int is what that coercion returns
   unchanged, so it is taken as it is), with the fields of each selection set looked up
   once per request rather than once per object. Anything
   unusual (a null for a non-null field, a coercion error, an awaitable) takes
   graphql-core's own path, so errors and their paths are exactly what they were.

2. A stack pad for the completion of a resolved value. CPython 3.11 keeps Python frames in
   16 KB chunks and frees a chunk as soon as its first frame returns (cpython issue
   gh-142183, fixed in later versions by caching a chunk). Completing a 100-order page is a
   recursion about 16 KB deep, so some call depth inside it sits on a chunk boundary, and
   every field completed at that depth costs an mmap and a munmap: measured 6,000 to
   20,000 pairs per request, depending only on where the recursion happened to start.
   Completing from inside a frame too large for any partly used chunk starts the
   recursion in a fresh 64 KB chunk with 38 KB of room, so the boundary is never crossed.

3. Object and list-of-object fields skip graphql-core's generic completion chain
   (schema/engine/completion.py); how each field is executed is worked out once per process.

4. No reference cycle through the context (see `ExecutionContext.__init__`), so that a
   request's objects are freed when it ends rather than by the cyclic collector.

Measured (README "Performance", S1 the orders page): GraphQL CPU per returned field at 10
orders went from 4.1-4.7 us to 1.4-1.5 us (calibration 18.6 ms; 2.1-2.3 us at 36.6 ms)
through the changes the README lists, 1 to 4 here among them, with the look-ahead loading
of schema/loading/ and remembered access tokens. The last full run measured 1.55 / 1.22 /
1.13 us per field for 10 / 50 / 100 orders on SQLite (target: at most 4 us). The cycle of
4 alone left 0.57-0.86 ms a request to the cyclic collector, 0.21 ms without it (commit
72ae678).

Upstream: written against graphql-core 3.3.2 and strawberry-graphql 0.341.2.
- Mirrors graphql-core `graphql.execution.executor.Executor.execute_fields` (the loop,
  with the plain-attribute shortcut added) and `Executor.complete_awaitable_value` (the
  same steps, completing from inside the stack pad).
- Replaces what graphql-core's `Executor.__init__` builds as `self.async_helpers`
  (`GraphQLResolveInfoHelpers(gather=self.gather_async_work,
  track=self.track_async_work)`): `gather_async_work` is `gather_with_cancel`, as `_gather`
  here; `track` reaches `track_async_work` through a weak reference.
- Relies on graphql-core's `Executor.execute_field`, `complete_value`,
  `handle_field_error`, `settle_in_background`, `with_abort_signal`, `is_awaitable`,
  `middleware_manager`, `schema.get_field` / `get_directive`, `Path`,
  `gather_with_cancel`, the scalars' `coerce_output_value`, and the grouped field set
  being the same object for every item of a list (the per-request field plans).
- Relies on strawberry's `StrawberryGraphQLCoreExecutionContext` (the base class), the
  "strawberry-definition" key of a GraphQL field's extensions (the `StrawberryField`:
  `is_basic_field`, `default_resolver`, `python_name`), and the name of the resolver
  strawberry gives fields without one (`_get_basic_result`, made in
  `GraphQLCoreConverter.from_resolver`).
- Held to plain strawberry by tests/schema/test_execution.py (data, errors and paths).
Why: docs/architecture.md#execution.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLResolveInfoHelpers,
    GraphQLString,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import schema.compiled as compiled_reads
from schema.engine import completion
from schema.engine.completion import ObjectCompletion, object_field

_STRAWBERRY = "strawberry-definition"
_PLAIN_TYPES = frozenset({str, int, float, bool, Decimal, datetime, date})  # never awaitable
_PAD_SLOTS = 3_200  # 25 KB: more than a 16 KB chunk holds, so the frame opens a 64 KB chunk
# value types graphql-core's built-in scalars return unchanged (Int: within 32 bits)
_AS_IS = {id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool,
          id(GraphQLInt): int}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _padded(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


# The frame of `_padded` reserves _PAD_SLOTS unused value-stack slots (see the docstring).
_padded.__code__ = _padded.__code__.replace(
    co_stacksize=_padded.__code__.co_stacksize + _PAD_SLOTS)


def _plain_attribute(field_def: GraphQLField | None) -> tuple[str, Any, bool, type | None] | None:
    """(attribute, leaf type, non-null, type returned as is) for a plain scalar attribute."""
    definition = field_def.extensions.get(_STRAWBERRY) if field_def else None
    if definition is None:
        return None
    resolve = field_def.resolve
    leaf = get_nullable_type(field_def.type)
    if (not definition.is_basic_field or resolve is None
            # strawberry's resolver for fields without resolver, extension or error handler
            or getattr(resolve, "__name__", "") != "_get_basic_result"
            or definition.default_resolver is not getattr or not is_leaf_type(leaf)):
        return None
    return definition.python_name, leaf, leaf is not field_def.type, _AS_IS.get(id(leaf))


def _gather(values: Any) -> Any:
    return gather_with_cancel(*values)


def _tracker(executor: weakref.ref) -> Callable[[Any], None]:
    def track(values: Any) -> None:
        live = executor()
        if live is not None:  # it runs as long as the execution does
            live.track_async_work(values)
    return track


_KINDS: dict[int, tuple[GraphQLField, Any, Any]] = {}  # by field: (field, plain, object)


def _kind(field_def: GraphQLField | None) -> tuple[Any, Any]:
    """(plain attribute, object field): how a field is executed, worked out once."""
    if field_def is None:
        return None, None
    known = _KINDS.get(id(field_def))
    if known is None or known[0] is not field_def:
        plain = _plain_attribute(field_def)
        known = _KINDS[id(field_def)] = (field_def, plain,
                                         None if plain else object_field(field_def))
    return known[1], known[2]


class ExecutionContext(ObjectCompletion, StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers hold bound methods of the context: a reference cycle that
        # left the context, and with it the request's loaders, rows and API objects (~1,200
        # objects for 10 orders), to the cyclic collector (measured: 0.5 ms a request)
        # instead of being freed when the request ends.
        self.async_helpers = GraphQLResolveInfoHelpers(gather=_gather,
                                                       track=_tracker(weakref.ref(self)))
        middleware = self.middleware_manager
        # the shortcuts stand in for graphql-core's path without middleware or @defer/@stream
        self._fast = (middleware is None or not middleware.middlewares) and not (
            self.schema.get_directive("defer") or self.schema.get_directive("stream"))
        # per selection set (graphql-core hands every item of a list the same one)
        self._field_plans: dict[int, tuple[Any, list[tuple]]] = {}
        # a heavy operation (admitted through the gate of schema/core/cost.py) completes its
        # lists in slices, so that others' requests are not held behind it
        if getattr(self.context_value, "admission", None) is not None:
            self.slice_ends = time.monotonic() + completion.SLICE_SECONDS

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """A plain read query that compiles to one SQL statement is answered by it
        (schema/compiled/); any other operation runs as graphql-core's."""
        if not args and not kwargs:
            compiled = compiled_reads.answer(self)
            if compiled is not None:
                return compiled
        return super().execute_operation(*args, **kwargs)

    def build_per_event_executor(self, payload: Any) -> Any:
        """A subscription's executor for one event: graphql-core's shallow copy, with memos
        of its own. Shared (graphql-core 3.3.2 copies the dict of its `collect_subfields`
        memo, and ours of field plans, by reference), they kept every event's selection sets
        for as long as the subscription ran: the soak's memory growth
        (docs/architecture.md#soak)."""
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        executor._field_plans = {}
        return executor

    def _field_plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list:
        """(response name, field details, plain attribute, object field, field name) per
        selected field."""
        cached = self._field_plans.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        get_field = self.schema.get_field
        plan = []
        for name, details in grouped_field_set.items():
            field_name = details[0].node.name.value
            plain, obj = _kind(get_field(parent_type, field_name)) if self._fast else (None, None)
            plan.append((name, details, plain, obj, field_name))
        # the set is kept with its plan, so that its id cannot be reused meanwhile
        self._field_plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: Any, position_context: Any) -> Any:
        """graphql-core's `Executor.execute_fields`, with plain scalar attributes read and
        coerced in the loop itself (see the module docstring); everything else as there."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, details, plain, obj, field_name in self._field_plan(
                    parent_type, grouped_field_set):
                if obj is not None and position_context is None:
                    result = self.execute_object_field(
                        parent_type, source_value, details, obj,
                        Path(path, response_name, parent_type.name), field_name)
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
                    continue
                if plain is not None:
                    name, leaf, non_null, as_is = plain
                    value = getattr(source_value, name, None)
                    if value is None:
                        if not non_null and hasattr(source_value, name):
                            results[response_name] = None
                            continue
                    elif type(value) is as_is and (as_is is not int
                                                   or _INT_MIN <= value <= _INT_MAX):
                        results[response_name] = value
                        continue
                    elif type(value) in _PLAIN_TYPES or not is_awaitable(value):
                        try:
                            coerced = leaf.coerce_output_value(value)
                        except Exception:  # graphql-core's path reports it
                            coerced = None
                        if coerced is not None and coerced is not Undefined:
                            results[response_name] = coerced
                            continue
                result = self.execute_field(parent_type, source_value, details,
                                            Path(path, response_name, parent_type.name),
                                            position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # settle the awaitables other fields created: they may fail too
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    async def complete_awaitable_value(self, return_type: Any, field_details_list: Any,
                                       info: Any, path: Any, result: Any,
                                       position_context: Any) -> Any:
        """graphql-core's, completing objects and lists from inside the stack pad."""
        try:
            resolved = await self.with_abort_signal(result)
            args = (return_type, field_details_list, info, path, resolved, position_context)
            if is_leaf_type(get_named_type(return_type)):
                completed = self.complete_value(*args)
            else:
                completed = _padded(self.complete_value, *args)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            completed = None
        return completed
