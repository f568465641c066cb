"""The Relay `Node` interface and global-ID lookups (`node`, `nodes`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from app.errors import DomainError, ValidationFailed
from app.ids import from_global_id, parse_id, to_global_id

NodeFetch = Callable[[Any, int], Awaitable[Any]]
_FETCHERS: dict[str, NodeFetch] = {}


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


def register_node(type_name: str, fetch: NodeFetch) -> None:
    """`fetch(info, pk)` returns the object, or None when missing or out of the caller's scope."""
    _FETCHERS[type_name] = fetch


def parse_ids(*specs: tuple[str | None, str, list[str] | str]) -> list[int | None]:
    """Decode several global IDs, reporting every bad one: (value, type, field path)."""
    out: list[int | None] = []
    errors: list[DomainError] = []
    for raw, type_name, field in specs:
        if raw is None:
            out.append(None)
            continue
        try:
            out.append(parse_id(raw, type_name))
        except DomainError as exc:
            exc.field = [field] if isinstance(field, str) else field
            errors.append(exc)
            out.append(None)
    if errors:
        raise ValidationFailed(errors)
    return out


def gid(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(to_global_id(type_name, pk))


async def resolve_node(info: Any, global_id: str) -> Any:
    try:
        type_name, pk = from_global_id(global_id)
    except ValueError:
        return None
    fetch = _FETCHERS.get(type_name)
    if fetch is None:
        return None
    return await fetch(info, pk)


async def lookup(info: Any, global_id: str, type_name: str) -> Any:
    """A single-object query (`order(id:)`, `product(id:)`, ...): the object when the ID
    is of `type_name` and visible to the caller; null for a malformed, foreign-typed,
    missing or out-of-scope ID alike."""
    try:
        kind, pk = from_global_id(global_id)
    except ValueError:
        return None
    if kind != type_name:
        return None
    return await _FETCHERS[type_name](info, pk)
