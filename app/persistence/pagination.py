"""Keyset (cursor) pagination shared by every repository list.

A cursor holds the sort values of a row plus its id, so pages stay stable
while rows are inserted. `first/after` walk forward, `last/before` backward.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Select
from sqlmodel import Session

from app.errors import DomainError

T = TypeVar("T")
MAX_PAGE = 100
DEFAULT_PAGE = 20


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    with_total: bool = False

    def validated(self) -> PageRequest:
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_PAGE:
                raise DomainError(f"{name} must be between 0 and {MAX_PAGE}", field=[name])
        if self.first is not None and self.last is not None:
            raise DomainError("use either first or last, not both", field=["last"])
        return self

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        if self.backward:
            return self.last if self.last is not None else DEFAULT_PAGE
        return self.first if self.first is not None else DEFAULT_PAGE


@dataclass
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total: int | None = None


SortKey = Sequence[tuple[InstrumentedAttribute, bool]]  # (column, descending)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _python_type(column: InstrumentedAttribute) -> type | None:
    col_type = getattr(column.type, "impl", column.type)  # unwrap TypeDecorators
    try:
        return col_type.python_type
    except NotImplementedError:
        return None


def _decode_value(column: InstrumentedAttribute, raw: Any) -> Any:
    python_type = _python_type(column)
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is date:
        return date.fromisoformat(raw)
    if python_type is Decimal:
        return Decimal(raw)
    if python_type in (int, str, bool) and not isinstance(raw, python_type):
        raise ValueError
    return raw


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([_encode_value(v) for v in values])).decode()


def decode_cursor(cursor: str, columns: Sequence[InstrumentedAttribute], arg: str) -> list[Any]:
    try:
        if len(cursor) > 1000:
            raise ValueError
        raw = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError
        return [_decode_value(c, v) for c, v in zip(columns, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error, InvalidOperation, orjson.JSONDecodeError):
        raise DomainError(f"invalid cursor in {arg}", field=[arg]) from None


def _after_clause(columns: SortKey, values: list[Any], forward: bool):  # noqa: ANN202
    """Rows strictly after `values` in the (possibly reversed) sort order."""
    clauses = []
    for i, (col, desc) in enumerate(columns):
        go_down = desc == forward  # descending when walking forward on a desc key
        cmp = col < values[i] if go_down else col > values[i]
        equal = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        clauses.append(and_(*equal, cmp))
    return or_(*clauses)


@dataclass(frozen=True)
class Keyset:
    """A list's order as keyset paging walks it: the sort key, then the id (in the direction
    of the key's last column) so that every row has a place of its own. A cursor holds a
    row's values of these columns."""

    columns: tuple[tuple[InstrumentedAttribute, bool], ...]

    @classmethod
    def of(cls, sort: SortKey, id_column: InstrumentedAttribute) -> Keyset:
        return cls((*sort, (id_column, sort[-1][1])))

    def order_by(self, forward: bool = True) -> list[Any]:
        """ORDER BY terms; walking backward reverses every key."""
        return [c.desc() if desc == forward else c.asc() for c, desc in self.columns]

    def after(self, cursor: str, arg: str, forward: bool = True):  # noqa: ANN201
        """Rows strictly after the cursor's row when walking `forward`, else before it;
        a cursor that does not decode is a DomainError on `arg`."""
        values = decode_cursor(cursor, [c for c, _ in self.columns], arg)
        return _after_clause(self.columns, values, forward)

    def after_values(self, values: list[Any], forward: bool = True):  # noqa: ANN201
        """`after` for values already decoded (bound parameters of a statement built once)."""
        return _after_clause(self.columns, values, forward)

    def cursors(self, rows: Sequence[Any]) -> list[str]:
        keys = [c.key for c, _ in self.columns]
        return [encode_cursor([getattr(r, k) for k in keys]) for r in rows]


def paginate(
    session: Session,
    stmt: Select,
    sort: SortKey,
    page: PageRequest,
    id_column: InstrumentedAttribute,
) -> Page[Any]:
    """Run `stmt` (a select of one entity) one page at a time, keyed by `sort` + id."""
    page = page.validated()
    keyset = Keyset.of(sort, id_column)
    total = None
    if page.with_total:
        total = session.execute(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        ).scalar_one()
    forward = not page.backward
    query = stmt
    cursor = page.after if forward else page.before
    if cursor:
        query = query.where(keyset.after(cursor, "after" if forward else "before", forward))
    size = page.size
    query = query.order_by(*keyset.order_by(forward)).limit(size + 1)
    rows = list(session.exec(query).all()) if size else []
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    return Page(
        items=rows,
        cursors=keyset.cursors(rows),
        has_next=more if forward else page.before is not None,
        has_previous=more if not forward else page.after is not None,
        total=total,
    )
