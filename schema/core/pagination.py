"""Relay connections over `app.persistence.pagination.Page`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from app.persistence.pagination import Page, PageRequest

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        description="Rows matching the filter; computed only when selected."
    )

    @strawberry.field(description="The nodes of `edges`, without cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def wants_total(info: Any) -> bool:
    """Whether `totalCount` is selected, so the COUNT query runs only when asked for."""
    for field in info.selected_fields:
        for sel in field.selections:
            if getattr(sel, "name", None) == "totalCount":
                return True
            for inner in getattr(sel, "selections", []) or []:  # fragments
                if getattr(inner, "name", None) == "totalCount":
                    return True
    return False


def page_request(info: Any, first: int | None, after: str | None, last: int | None,
                 before: str | None) -> PageRequest:
    return PageRequest(first=first, after=after, last=last, before=before,
                       with_total=wants_total(info))


def to_connection(page: Page[Any], convert: Callable[[Any], T]) -> Connection[T]:
    edges = [Edge(cursor=c, node=convert(item)) for item, c in zip(page.items, page.cursors,
                                                                  strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        total_count=page.total,
    )
