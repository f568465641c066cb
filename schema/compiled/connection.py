"""The root `orders` connection compiled: its page read as the list reads it (the list's
scope and keyset, app/orders/repository/json_fields.py), its edges, nodes and pageInfo
built in SQL. Arguments other than `first`/`after` (filters, another sort, backward paging,
`totalCount`) are left to the resolver (docs/architecture.md#compiled-reads)."""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLObjectType, get_named_type
from graphql.execution.values import get_argument_values

from app.errors import DomainError
from app.orders.repository import json_fields as orders
from app.persistence.json_sql import Row, text
from app.persistence.pagination import DEFAULT_PAGE, MAX_PAGE
from schema.compiled.selection import Compiler, Unsupported

_DEFAULT_SORT = "CREATED_AT_DESC"


def arguments(field_def: Any, node: FieldNode, variables: dict[str, Any]) -> tuple[int, Any]:
    """(first, after) of a root `orders` that compiles."""
    args = get_argument_values(field_def, node, variables)
    first, after = args.get("first"), args.get("after")
    sort = args.get("sort")
    if any(args.get(name) is not None for name in ("last", "before", "filter")) or (
            sort is not None and getattr(sort, "value", sort) != _DEFAULT_SORT):
        raise Unsupported
    first = DEFAULT_PAGE if first is None else first
    if not 0 < first <= MAX_PAGE:  # the list's own error, or an empty page
        raise Unsupported
    return first, after


def statement(compiler: Compiler, connection: GraphQLObjectType, nodes: list[FieldNode],
              after: Any) -> tuple[str, str]:
    """(the WITH clause reading the page, the connection's JSON expression over it)."""
    try:
        page_sql, _ = orders.page_select(compiler.principal, after)
    except DomainError:
        raise Unsupported from None  # a bad cursor: the list's error
    parts = []
    for response, selected in compiler.fields(connection, [n.selection_set for n in nodes]
                                              ).items():
        parts.append(f"{text(response)}, {_part(compiler, connection, selected)}")
    ctes = (f"WITH page AS ({page_sql}), shown AS (SELECT * FROM page ORDER BY "
            f"{orders.order_by(Row('page'))} LIMIT %(cj_first)s)")
    return ctes, f"json_build_object({', '.join(parts)})"


def _part(compiler: Compiler, connection: GraphQLObjectType, nodes: list[FieldNode]) -> str:
    name = nodes[0].name.value
    if name == "__typename":
        return text(connection.name)
    if any(n.arguments for n in nodes):
        raise Unsupported
    field_def = connection.fields.get(name)
    if field_def is None:
        raise Unsupported
    child_type = get_named_type(field_def.type)
    if name == "pageInfo":
        return _page_info(compiler, child_type, nodes)
    if name == "nodes":
        row = compiler.alias()
        node = compiler.object(child_type, row, nodes)
        return (f"coalesce((SELECT json_agg({node} ORDER BY {orders.order_by(row)}) "
                f"FROM shown {row}), '[]'::json)")
    if name == "edges":
        row = compiler.alias()
        edge = []
        for response, selected in compiler.fields(child_type, [n.selection_set for n in nodes]
                                                  ).items():
            edge.append(f"{text(response)}, {_edge(compiler, child_type, row, selected)}")
        return (f"coalesce((SELECT json_agg(json_build_object({', '.join(edge)}) ORDER BY "
                f"{orders.order_by(row)}) FROM shown {row}), '[]'::json)")
    raise Unsupported  # totalCount


def _edge(compiler: Compiler, edge: GraphQLObjectType, row: Row, nodes: list[FieldNode]) -> str:
    name = nodes[0].name.value
    if name == "__typename":
        return text(edge.name)
    if name == "cursor":
        return orders.cursor(row)
    if name == "node":
        return compiler.object(get_named_type(edge.fields["node"].type), row, nodes)
    raise Unsupported


def _page_info(compiler: Compiler, page_info: GraphQLObjectType, nodes: list[FieldNode]) -> str:
    parts = []
    for response, selected in compiler.fields(page_info, [n.selection_set for n in nodes]
                                              ).items():
        name = selected[0].name.value
        if name == "__typename":
            value = text(page_info.name)
        elif name == "hasNextPage":
            value = "((SELECT count(*) FROM page) > %(cj_first)s)"
        elif name == "hasPreviousPage":  # forward paging: whether a cursor was given
            value = "%(cj_previous)s"
        elif name in ("startCursor", "endCursor"):
            row = compiler.alias()  # the first or the last row shown
            order = orders.order_by(row, reverse=name == "endCursor")
            value = f"(SELECT {orders.cursor(row)} FROM shown {row} ORDER BY {order} LIMIT 1)"
        else:
            raise Unsupported
        parts.append(f"{text(response)}, {value}")
    return f"json_build_object({', '.join(parts)})"
