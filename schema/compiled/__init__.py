"""Compiled reads: a plain read query answered by ONE PostgreSQL statement that builds its
whole `data` JSON, instead of resolving it field by field in Python
(docs/architecture.md#compiled-reads).

The operation has been parsed, validated, priced and admitted as any other (the engine's
execution context asks here first, schema/engine/execution.py). It compiles when every
field it selects is one the repositories describe (app/persistence/json_sql.py and each
domain's json_fields module), the caller passes every field's own permission check, no
relation it crosses is cut per caller in Python (a WAREHOUSE caller's stock levels and
shipments), and its root is a supported connection (`orders`: first/after in the default
order). The page is read with the list's own scope function. Otherwise the resolvers run,
unchanged. PostgreSQL only; CRM_COMPILED_READS=0 turns it off.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import orjson
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    get_named_type,
    located_error,
)
from starlette.requests import Request

from app.errors import DomainError
from app.orders.repository import json_fields as orders
from app.persistence.json_sql import text
from schema.compiled import connection
from schema.compiled.selection import Compiler, Unsupported

log = logging.getLogger("crm.graphql")
_PLANS: OrderedDict[tuple, tuple[Any, str | None]] = OrderedDict()
_PLANS_KEPT = 500


def enabled(context: Any) -> bool:
    """On PostgreSQL, unless switched off, for HTTP requests (their body is written by
    orjson, which takes PostgreSQL's JSON text as it is)."""
    settings = getattr(context, "settings", None)
    runner = getattr(context, "runner", None)
    return (settings is not None and settings.compiled_reads and runner is not None
            and runner.db.dialect == "postgresql"
            and isinstance(getattr(context, "request", None), Request))


def answer(executor: Any) -> Any:
    """An awaitable of the operation's result from one statement, or None: the resolvers
    answer it."""
    operation = executor.operation
    context = executor.context_value
    if operation.operation is not OperationType.QUERY or not enabled(context):
        return None
    principal = getattr(context, "principal", None)
    if principal is None:
        return None
    roots = _roots(executor)
    if roots is None:
        return None
    response, nodes, field_def = roots
    try:
        first, after = connection.arguments(field_def, nodes[0], executor.variable_values)
    except Unsupported:
        return None
    try:  # before the plan: a cursor that does not decode is this request's, not the plan's
        _, params = orders.page_select(principal, after)
    except DomainError:
        return None
    key = (id(operation), principal.role, after is not None)
    kept = _PLANS.get(key)
    if kept is None or kept[0] is not operation:
        kept = (operation, _plan(executor, response, nodes, after))
        _PLANS[key] = kept
        if len(_PLANS) > _PLANS_KEPT:
            _PLANS.popitem(last=False)
    sql = kept[1]
    if sql is None:
        return None
    params.update(probe=first + 1, cj_first=first, cj_previous=after is not None)
    return _run(context, sql, params, response, nodes)


def _roots(executor: Any) -> tuple[str, list, Any] | None:
    """The one root field (`orders`, besides `__typename`) of the operation."""
    query = executor.schema.query_type
    compiler = Compiler(executor.schema, executor.fragments, executor.context_value)
    try:
        fields = compiler.fields(query, [executor.operation.selection_set])
    except Unsupported:
        return None
    roots = [(r, n) for r, n in fields.items() if n[0].name.value != "__typename"]
    if len(roots) != 1 or roots[0][1][0].name.value != "orders":
        return None
    response, nodes = roots[0]
    return response, nodes, query.fields["orders"]


def _plan(executor: Any, response: str, nodes: list, after: Any) -> str | None:
    """The statement's text for this operation and caller's role, or None."""
    schema = executor.schema
    query = schema.query_type
    compiler = Compiler(schema, executor.fragments, executor.context_value)
    try:
        compiler.allowed(query.fields["orders"])
        ctes, built = connection.statement(
            compiler, get_named_type(query.fields["orders"].type), nodes, after)
        fields = compiler.fields(query, [executor.operation.selection_set])
    except Unsupported:
        return None
    except Exception:  # a shape not foreseen: the resolvers answer it, as before
        log.exception("compiled reads: could not compile an operation; resolvers used")
        return None
    data = []
    for name in fields:
        value = built if name == response else text(query.name)  # or __typename
        data.append(f"{text(name)}, {value}")
    return f"{ctes} SELECT json_build_object({', '.join(data)})::text"


async def _run(context: Any, sql: str, params: dict[str, Any], response: str,
               nodes: list) -> ExecutionResult:
    # No wait at the heavy-query gate (schema/core/cost.py): it keeps a page's completion
    # from holding the event loop, and here PostgreSQL builds the page; the place taken
    # for it is left when the execution ends, as for any operation.
    try:
        data = await context.runner.read(orders.page_json, sql, params,
                                         deadline=context.deadline)
    except Exception as exc:  # reported as the resolver's failure would be
        error = exc if isinstance(exc, GraphQLError) else located_error(exc, nodes, [response])
        return ExecutionResult(data=None, errors=[error])
    return ExecutionResult(data=orjson.Fragment(data), errors=None)
