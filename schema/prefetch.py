"""Look-ahead loading for lists: one batched query per relation level, before the fields run.

A list resolver (the orders connection, `Customer.orders`, ...) calls `prefetch_connection`
or `prefetch` with the rows it returns. Guided by the query's selection set (fragments,
aliases and @skip/@include included; fields not selected are never loaded), it loads every
registered relation for all rows at once through the per-request dataloaders, then the
relations of those rows, and so on. The relation fields then find their values loaded and
resolve synchronously (`Loaders.resolve`), which is what keeps a 100-order page cheap:
graphql-core runs no coroutine, future or task per nested object.

Prefetching never decides what a caller sees: the fields still apply their permission and
row-scope rules to what they return. It only skips a relation the caller lacks the
permission for (the field will refuse it anyway), and a failed load is left to the field,
which reports it where it belongs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import get_named_type, is_abstract_type
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from app.auth.roles import Perm
from schema.loaders import MISSING


@dataclass(frozen=True)
class Relation:
    """How `<type>.<field>` is loaded: the row's `key` attribute through `loader`.

    `child` is the GraphQL type of the related rows (None for a value with no relations
    of its own, e.g. a sum); `rows(value)` lists the related rows a loaded value holds;
    `by_id`: the loader is keyed by the related row's own id (e.g. `product_by_id`).
    """

    loader: str
    key: str
    child: str | None = None
    rows: Callable[[Any], Iterable[Any]] | None = None
    perm: Perm | None = None
    by_id: bool = False


_RELATIONS: dict[str, dict[str, Relation]] = {}


def _one(value: Any) -> Iterable[Any]:
    return () if value is None else (value,)


def _many(value: Any) -> Iterable[Any]:
    return value


def register_relation(type_name: str, field_name: str, loader: str, key: str, *,
                      child: str | None = None, many: bool = False,
                      rows: Callable[[Any], Iterable[Any]] | None = None,
                      perm: Perm | None = None, by_id: bool = False) -> None:
    """Declare that `type_name.field_name` (GraphQL names) resolves through `loader`, keyed
    by the row attribute `key`."""
    _RELATIONS.setdefault(type_name, {})[field_name] = Relation(
        loader=loader, key=key, child=child, rows=rows or (_many if many else _one), perm=perm,
        by_id=by_id)


def _included(directives: dict[str, dict[str, Any]]) -> bool:
    if directives.get("skip", {}).get("if") is True:
        return False
    include = directives.get("include")
    return include is None or include.get("if") is True


def _applies(info: Any, condition: str | None, type_name: str) -> bool:
    """Whether a fragment with this type condition applies to objects of `type_name`."""
    if condition is None or condition == type_name:
        return True
    schema = info._raw_info.schema
    abstract = schema.get_type(condition)
    return abstract is not None and is_abstract_type(abstract) and schema.is_sub_type(
        abstract, schema.get_type(type_name))


def _fields(info: Any, selections: Iterable[Any], type_name: str) -> Iterable[SelectedField]:
    """The fields selected on `type_name`, fragments flattened."""
    for sel in selections:
        if not _included(sel.directives):
            continue
        if isinstance(sel, SelectedField):
            yield sel
        elif isinstance(sel, FragmentSpread | InlineFragment) and _applies(
                info, sel.type_condition, type_name):
            yield from _fields(info, sel.selections, type_name)


def _plan(info: Any, type_name: str, selections: Iterable[Any]
          ) -> dict[Relation, list[Any]]:
    """Selected relations of `type_name`, each with its (merged) sub-selections."""
    relations = _RELATIONS.get(type_name)
    if not relations:
        return {}
    principal = info.context.principal
    plan: dict[Relation, list[Any]] = {}
    for field in _fields(info, selections, type_name):
        relation = relations.get(field.name)
        if relation is None or (relation.perm is not None and not (
                principal is not None and principal.can(relation.perm))):
            continue
        plan.setdefault(relation, []).extend(field.selections)
    return plan


async def prefetch(info: Any, type_name: str, rows: list[Any],
                   selections: Iterable[Any]) -> None:
    """Load the selected relations of `rows` (objects of `type_name`), level by level."""
    plan = _plan(info, type_name, selections)
    if rows and plan:
        await asyncio.gather(*(_load(info, relation, rows, subs)
                               for relation, subs in plan.items()))


async def _load(info: Any, relation: Relation, rows: list[Any], selections: list[Any]) -> None:
    loaders = info.context.loaders
    keys = [getattr(row, relation.key) for row in rows]
    loads = [loaders.load_many(relation.loader, keys)]
    if relation.by_id and relation.child is not None and selections:
        # the related rows' relations keyed by their own id need not wait for the rows:
        # the keys are these (e.g. an order line's product and that product's stock
        # levels load together, in one hand-off to the database)
        loads += [loaders.load_many(r.loader, keys)
                  for r in _plan(info, relation.child, selections) if r.key == "id"]
    done = await asyncio.gather(*loads, return_exceptions=True)
    if relation.child is None or not selections or any(
            isinstance(result, BaseException) for result in done):
        return  # on a failure, the field reports it where it belongs
    children: list[Any] = []
    for key in dict.fromkeys(keys):
        value = MISSING if key is None else loaders.peek(relation.loader, key)
        if value is not MISSING:
            children.extend(relation.rows(value))
    await prefetch(info, relation.child, children, selections)


def connection_nodes(info: Any) -> list[Any]:
    """The selections on the nodes of the connection this field returns (`edges { node }`
    and `nodes`)."""
    connection = get_named_type(info._raw_info.return_type)
    edge = get_named_type(connection.fields["edges"].type).name
    out: list[Any] = []
    for field in info.selected_fields:
        for sel in _fields(info, field.selections, connection.name):
            if sel.name == "nodes":
                out += sel.selections
            elif sel.name == "edges":
                out += [s for item in _fields(info, sel.selections, edge)
                        if item.name == "node" for s in item.selections]
    return out


async def prefetch_connection(info: Any, type_name: str, rows: list[Any]) -> None:
    """`prefetch` for a connection of `type_name` rows."""
    if rows:
        await prefetch(info, type_name, rows, connection_nodes(info))
