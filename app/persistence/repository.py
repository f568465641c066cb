"""The base repository: what every domain repository's lists share.

- sort tables: `sort_table(XSort, {"NAME": column})` turns an enum of `NAME_ASC` /
  `NAME_DESC` members into the sort keys keyset paging walks;
- filters: each helper returns a condition, or None when its input is empty, and
  `where(stmt, ...)` applies the conditions that are not None, so a list's filter is one
  declaration of what each field means (`equal`, `one_of`, `in_period`, `in_range`,
  `contains` with LIKE escaping);
- pages: `paginate` (app/persistence/pagination.py: keyset cursors, `first/after`,
  `last/before`, totals);
- batches: `grouped` (a dataloader's rows per key).

Domain repositories add only their own queries and row scopes on top.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from app.persistence.pagination import Keyset, Page, PageRequest, SortKey, paginate

__all__ = ["Keyset", "Page", "PageRequest", "SortKey", "contains", "equal", "grouped",
           "in_period", "in_range", "like", "one_of", "paginate", "sort_table", "where"]

E = TypeVar("E", bound=Enum)
Columns = InstrumentedAttribute | tuple[InstrumentedAttribute, ...]


# Sort tables -----------------------------------------------------------------------

def sort_table(sorts: type[E], columns: Mapping[str, Columns]) -> dict[E, SortKey]:
    """{member: sort key} for every member of `sorts`, each named `<NAME>_ASC` or
    `<NAME>_DESC`: NAME's column in that direction. A tuple of columns sorts by the first
    in the member's direction, then by the others ascending (tie-breaks). A member without
    a column is an error at import, not a KeyError on the first request."""
    table: dict[E, SortKey] = {}
    for member in sorts:
        name, _, direction = member.name.rpartition("_")
        if direction not in ("ASC", "DESC") or name not in columns:
            raise ValueError(f"{sorts.__name__}.{member.name}: no column for {name!r} or "
                             "no _ASC/_DESC suffix")
        spec = columns[name]
        first, *ties = spec if isinstance(spec, tuple) else (spec,)
        table[member] = [(first, direction == "DESC"), *((c, False) for c in ties)]
    return table


# Filters ---------------------------------------------------------------------------

def where(stmt: Any, *conditions: Any) -> Any:
    """`stmt` restricted by every condition that is not None."""
    present = [c for c in conditions if c is not None]
    return stmt.where(*present) if present else stmt


def equal(column: InstrumentedAttribute, value: Any) -> Any:
    """column = value; None: no condition."""
    return None if value is None else column == value


def one_of(column: InstrumentedAttribute, values: Collection[Any] | None) -> Any:
    """column IN values; None: no condition (an empty collection matches nothing)."""
    return None if values is None else column.in_(list(values))


def in_period(column: InstrumentedAttribute, after: Any = None, before: Any = None) -> Any:
    """after <= column < before (timestamps, dates), either end open when None."""
    parts = [c for c in (None if after is None else column >= after,
                         None if before is None else column < before) if c is not None]
    return and_(*parts) if parts else None


def in_range(column: InstrumentedAttribute, low: Any = None, high: Any = None) -> Any:
    """low <= column <= high (amounts, quantities), either end open when None."""
    parts = [c for c in (None if low is None else column >= low,
                         None if high is None else column <= high) if c is not None]
    return and_(*parts) if parts else None


def like(text: str) -> str:
    """A LIKE pattern for 'contains `text`' (trimmed), its wildcards and escape taken
    literally (ESCAPE '\\')."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(text: str | None, *columns: InstrumentedAttribute) -> Any:
    """Any of `columns` contains `text`, ignoring case; blank text: no condition."""
    if not text or not text.strip():
        return None
    pattern = like(text)
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))


# Batches ---------------------------------------------------------------------------

def grouped(found: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    """Rows by their `key` attribute, each group in the rows' order (a dataloader's batch:
    a key without rows is simply absent)."""
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in found:
        out[getattr(row, key)].append(row)
    return out
