"""The Relay `Node` interface and global-ID lookups (`node`, `nodes`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from app.ids import from_global_id, to_global_id

NodeFetch = Callable[[Any, int], Awaitable[Any]]
_FETCHERS: dict[str, NodeFetch] = {}


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


def register_node(type_name: str, fetch: NodeFetch) -> None:
    """`fetch(info, pk)` returns the object, or None when missing or out of the caller's scope."""
    _FETCHERS[type_name] = fetch


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
