"""Query cost limit: a runaway query is refused before it touches the database.

The cost estimates how many fields the query would resolve: each field costs 1, times the
sizes of the lists around it. A connection's size is its `first`/`last` argument (default
page otherwise) and applies to its `edges`/`nodes` only, not to `pageInfo`/`totalCount`; a
plain list is as long as a list argument it is given (`nodes(ids:)`) or DEFAULT_LIST_SIZE.
Nested lists multiply. The check runs after validation and before execution, so a refused
query has run no resolver and no SQL (benchmark S2: refused in 0.29 ms, no SQL;
docs/architecture.md#request-policy).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from app.errors import DeadlineExceeded
from app.persistence.pagination import DEFAULT_PAGE
from schema.core.context import app_settings

DEFAULT_LIST_SIZE = 10
_CACHE_SIZE = 2_000


class _Estimator:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], defaults: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults

    def value(self, node: Any) -> Any:
        if isinstance(node, VariableNode):
            name = node.name.value
            return self.variables.get(name, self.defaults.get(name))
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return node.values
        return None

    def size(self, field: FieldNode, returns_list: bool, connection: bool) -> int:
        args = {a.name.value: self.value(a.value) for a in field.arguments or ()}
        for name in ("first", "last"):
            if isinstance(args.get(name), int):
                return max(0, args[name])
        if connection:
            return DEFAULT_PAGE
        if returns_list:
            for value in args.values():
                if isinstance(value, list | tuple):
                    return len(value)
            return DEFAULT_LIST_SIZE
        return 1

    def selections(self, parent: GraphQLNamedType, selection_set: SelectionSetNode,
                   multiplier: int, inside: int | None = None) -> int:
        """Cost of a selection set; `inside` multiplies a connection's edges/nodes only."""
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if inside is not None and sel.name.value in ("edges", "nodes"):
                    # the connection's size stands in for the length of these lists
                    total += self.field(parent, sel, multiplier * inside, sized=True)
                else:
                    total += self.field(parent, sel, multiplier)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                target = self.schema.get_type(cond.name.value) if cond else parent
                total += self.selections(target or parent, sel.selection_set, multiplier, inside)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is not None:
                    target = self.schema.get_type(frag.type_condition.name.value) or parent
                    total += self.selections(target, frag.selection_set, multiplier, inside)
        return total

    def field(self, parent: GraphQLNamedType, node: FieldNode, multiplier: int,
              sized: bool = False) -> int:
        name = node.name.value
        if name.startswith("__"):  # introspection: answered from memory
            return 0 if name == "__typename" else 1
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None or node.selection_set is None:
            return multiplier
        child = get_named_type(definition.type)
        returns_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        connection = "edges" in getattr(child, "fields", {}) and "pageInfo" in child.fields
        n = 1 if sized else self.size(node, returns_list, connection)
        if connection:
            return multiplier + self.selections(child, node.selection_set, multiplier, n)
        return multiplier + self.selections(child, node.selection_set, multiplier * n)


def estimate_cost(schema: GraphQLSchema, document: Any, operation_name: str | None,
                  variables: dict[str, Any] | None) -> int:
    operation, fragments = None, {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode) and (
                operation_name is None or (definition.name
                                           and definition.name.value == operation_name)):
            operation = operation or definition
    if operation is None:
        return 0
    defaults = {}
    for var in operation.variable_definitions or ():
        if isinstance(var.default_value, IntValueNode):
            defaults[var.variable.name.value] = int(var.default_value.value)
    root = schema.get_root_type(operation.operation)
    estimator = _Estimator(schema, fragments, variables or {}, defaults)
    return estimator.selections(root, operation.selection_set, 1)


def _cache_key(query: str | None, operation_name: str | None,
               variables: dict[str, Any] | None) -> tuple:
    """Only int and list-length variables can change the cost."""
    shape = tuple(sorted(
        (k, v if isinstance(v, int) else len(v) if isinstance(v, list) else None)
        for k, v in (variables or {}).items()))
    return query, operation_name, shape


class QueryCostLimit(SchemaExtension):
    """Refuses an operation whose estimated cost is over `settings.max_query_cost`."""

    _cache: OrderedDict[tuple, int] = OrderedDict()
    _requested: int | None = None
    _budget: int = 0

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        settings = app_settings(self)
        budget = self._budget = settings.max_query_cost
        admission = None
        if ctx.graphql_document is not None:
            cost = self._requested = self._cost(ctx)
        if ctx.graphql_document is not None and budget > 0:
            if cost > budget:
                ctx.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(
                    f"query cost {cost} exceeds the budget of {budget}: ask for fewer items "
                    "(first/last) or fewer nested lists",
                    extensions={"code": "QUERY_COST_EXCEEDED", "cost": cost,
                                "budget": budget})])
            elif 0 < settings.heavy_query_cost < cost:
                admission = _admission(ctx.context, settings.heavy_queries)
        try:
            yield
        finally:
            if admission is not None:
                _leave(*admission)

    def get_results(self) -> dict[str, Any]:
        """`extensions.cost` of every HTTP response that executed: `requested`, the estimate
        (fields times list sizes, as the limit checks it) plus the rows each aggregate was
        priced at before it ran; `actual`, the same with the rows the aggregates scanned
        (docs/architecture.md#analytics). Not on subscriptions' events."""
        context = self.execution_context.context
        if self._requested is None or not isinstance(getattr(context, "request", None),
                                                     Request):
            return {}
        return {"cost": {"requested": self._requested + context.rows_estimated,
                         "actual": self._requested + context.rows_scanned,
                         "budget": self._budget}}

    def _cost(self, ctx: Any) -> int:
        key = _cache_key(ctx.query, ctx.operation_name, ctx.variables)
        cached = self._cache.get(key) if ctx.query is not None else None
        if cached is not None:
            return cached
        cost = estimate_cost(ctx.schema._schema, ctx.graphql_document, ctx.operation_name,
                             ctx.variables)
        if ctx.query is not None:
            self._cache[key] = cost
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return cost


# Heavy operations (estimated over CRM_HEAVY_QUERY_COST) take a place at the gate of their
# event loop before their first read or write, and leave it when their execution ends: the
# event loop runs a page's completion without a pause, so a few heavy operations at once
# held /healthz and the orders page for hundreds of ms (benchmark S7,
# docs/architecture.md#time-budget). Waiting counts against the request's time budget.
_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary())


def _gate(places: int) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = _GATES[loop] = asyncio.Semaphore(places)
    return gate


async def _enter(gate: asyncio.Semaphore, deadline: float | None) -> None:
    left = None if deadline is None else max(0.0, deadline - time.monotonic())
    try:
        await asyncio.wait_for(gate.acquire(), left)
    except TimeoutError:
        raise DeadlineExceeded from None


def _admission(context: Any, places: int) -> tuple[asyncio.Semaphore, asyncio.Task] | None:
    """Start waiting for a place, for an HTTP operation (a WebSocket's share one context)."""
    if not isinstance(getattr(context, "request", None), Request):
        return None
    gate = _gate(places)
    task = asyncio.ensure_future(_enter(gate, context.deadline))
    context.admit_after(task)
    return gate, task


def _leave(gate: asyncio.Semaphore, task: asyncio.Task) -> None:
    if not task.done():
        task.cancel()
    elif not task.cancelled() and task.exception() is None:
        gate.release()


def charge(info: Any, estimated: int, scanned: int) -> None:
    """An aggregate's price in rows: counted before it ran, and scanned."""
    info.context.rows_estimated += estimated
    info.context.rows_scanned += scanned


def expanded_fields(document: DocumentNode, limit: int) -> int:
    """How many field selections the document's operations hold once every fragment spread
    is replaced by its fragment; counting stops soon after `limit`. Each fragment is counted
    once (memoized), so a document whose expansion doubles per fragment costs its size to
    measure, not the expansion's (docs/architecture.md#request-policy)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, int] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> int:
        if name in memo:
            return memo[name]
        definition = fragments.get(name)
        if definition is None or name in visiting:  # unknown or a cycle: validation says so
            return 0
        visiting.add(name)
        memo[name] = size(definition.selection_set)
        visiting.discard(name)
        return memo[name]

    def size(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment(selection.name.value)
            if total > limit:
                break
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += size(definition.selection_set)
            if total > limit:
                break
    return total


def expansion_error(count: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"the query selects more than {limit} fields once its fragments are expanded "
        f"({count} counted before stopping)", extensions={"code": "QUERY_TOO_LARGE"})
