"""Look-ahead loading for lists: one batched query per relation level, before the fields run.

A list resolver (the orders connection, `Customer.orders`, ...) calls `read_connection`,
`prefetch_connection` or `prefetch` with the rows it returns. Guided by the query's
selection set (fragments, aliases and @skip/@include included; fields not selected are never
loaded), it plans every registered relation to load for all rows at once, then the
relations of those rows, and so on; the whole plan then runs in one worker-thread hand-off
and one session (with the list's own query, for `read_connection`), one statement per
relation level, and leaves the values in the per-request loaders. The relation fields then
find their values loaded and resolve synchronously (`Loaders.resolve`), which is what keeps
a 100-order page cheap: graphql-core runs no coroutine, future or task per nested object.

Prefetching never decides what a caller sees: the fields still apply their permission and
row-scope rules to what they return. It only skips a relation the caller lacks the
permission for (the field will refuse it anyway), and a failed load is left to the field,
which loads it again and reports the failure where it belongs.

Measured (README "Performance"): statements per request stay flat as pages grow (the
orders page 6 at 10, 50 and 100 orders; the analyst query 9), and loading a list with
every relation level in one hand-off is among the changes that took S1 from 4.1-4.7 to
1.4-1.5 us of GraphQL CPU per field.

Upstream: written against strawberry-graphql 0.341.2 and graphql-core 3.3.2; it overrides
nothing but reads the selection the way strawberry exposes it.
- Relies on strawberry's `Info.selected_fields` (`strawberry.types.nodes.convert_selections`:
  `SelectedField`, `FragmentSpread`, `InlineFragment` with `name`, `selections`,
  `type_condition` and `directives` as {name: {argument: value}}, variables applied) and
  on `Info._raw_info`, the private graphql-core `GraphQLResolveInfo` (`schema`,
  `return_type`).
- Relies on graphql-core's `get_named_type`, `is_abstract_type`,
  `GraphQLSchema.get_type` and `is_sub_type`.
- Exercised through HTTP by tests/schema/test_prefetch.py (fragments, aliases, @skip and
  @include; statement counts), part of `make check-upstream`.
Why: docs/architecture.md#loading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import get_named_type, is_abstract_type
from sqlmodel import Session
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from app.auth.roles import Perm
from schema.loading.loaders import MISSING, Loaders


@dataclass(frozen=True)
class Relation:
    """How `<type>.<field>` is loaded: the row's `key` attribute through `loader`.

    `child` is the GraphQL type of the related rows (None for a value with no relations
    of its own, e.g. a sum); `rows(value)` lists the related rows a loaded value holds.
    """

    loader: str
    key: str
    child: str | None = None
    rows: Callable[[Any], Iterable[Any]] | None = None
    perm: Perm | None = None


_RELATIONS: dict[str, dict[str, Relation]] = {}


def _one(value: Any) -> Iterable[Any]:
    return () if value is None else (value,)


def _many(value: Any) -> Iterable[Any]:
    return value


def register_relation(type_name: str, field_name: str, loader: str, key: str, *,
                      child: str | None = None, many: bool = False,
                      rows: Callable[[Any], Iterable[Any]] | None = None,
                      perm: Perm | None = None) -> None:
    """Declare that `type_name.field_name` (GraphQL names) resolves through `loader`, keyed
    by the row attribute `key`."""
    _RELATIONS.setdefault(type_name, {})[field_name] = Relation(
        loader=loader, key=key, child=child, rows=rows or (_many if many else _one), perm=perm)


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


@dataclass(frozen=True)
class Step:
    """Load `relation` for a set of rows, then `then` for the related rows."""

    relation: Relation
    then: tuple[Step, ...]


def _steps(info: Any, type_name: str, selections: Iterable[Any]) -> tuple[Step, ...]:
    """The look-ahead plan for objects of `type_name` (planned here, on the event loop,
    where the selection is; run by `_walk` in a worker thread)."""
    return tuple(Step(relation, _steps(info, relation.child, subs)
                      if relation.child is not None and subs else ())
                 for relation, subs in _plan(info, type_name, selections).items())


def _walk(session: Session, loaders: Loaders, batches: list[tuple[tuple[Step, ...], list]]
          ) -> None:
    """Run plans level by level: each loader once per level, for the rows of every plan
    at that level (e.g. the customers of all orders on the page, in one statement)."""
    level = batches
    while level:
        keys: dict[str, list[Any]] = {}
        for steps, rows in level:
            for step in steps:
                attr = step.relation.key
                keys.setdefault(step.relation.loader, []).extend(getattr(r, attr) for r in rows)
        failed = set()
        for name, wanted in keys.items():
            try:
                loaders.fill(session, name, wanted)
            except Exception:  # left to the fields: they load it again and report the error
                session.rollback()  # PostgreSQL refuses further statements after a failure
                failed.add(name)
        level = [(step.then, _related(loaders, step.relation, rows))
                 for steps, rows in level for step in steps
                 if step.then and step.relation.loader not in failed]


def _related(loaders: Loaders, relation: Relation, rows: list[Any]) -> list[Any]:
    """The rows `relation` loaded for `rows`."""
    out: list[Any] = []
    for key in dict.fromkeys(getattr(row, relation.key) for row in rows):
        value = MISSING if key is None else loaders.peek(relation.loader, key)
        if value is not MISSING:
            out.extend(relation.rows(value))
    return out


async def prefetch(info: Any, type_name: str, rows: list[Any],
                   selections: Iterable[Any]) -> None:
    """Load the selected relations of `rows` (objects of `type_name`), level by level, in
    one hand-off shared with the other prefetches of this event-loop turn."""
    steps = _steps(info, type_name, selections)
    if rows and steps:
        await info.context.loaders.together(_walk, (steps, list(rows)))


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


async def read_connection(info: Any, type_name: str, fn: Callable[..., Any], *args: Any
                          ) -> Any:
    """`fn(session, *args)`, a page of `type_name` rows (app.persistence.pagination.Page), and the
    look-ahead loads of the connection's nodes, in one worker-thread hand-off and session."""
    loaders = info.context.loaders
    steps = _steps(info, type_name, connection_nodes(info))

    def page_and_relations(session: Session) -> Any:
        page = fn(session, *args)
        if steps and page.items:
            _walk(session, loaders, [(steps, list(page.items))])
        return page

    return await loaders.run(page_and_relations)
