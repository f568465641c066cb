"""`syncChanges`: a delta (or first, full) sync of the objects a mobile client keeps
offline (docs/architecture.md#delta-sync)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.errors import DomainError, ErrorCode, Forbidden
from app.events.repository import outbox
from app.sync import repository
from app.sync.entities import ENTITIES, may_read
from app.sync.tokens import Window, decode_cursor, decode_token, encode_cursor, encode_token

MAX_PAGE = 100


@dataclass(frozen=True)
class Change:
    entity: str
    id: int
    cursor: str


@dataclass(frozen=True)
class SyncPage:
    changes: list[Change]
    has_next: bool
    token: str | None  # on the last page only: the `since` of the next sync
    full: bool
    rows: dict[tuple[str, int], Any] = field(default_factory=dict)  # absent: removed


class SyncTokenExpired(DomainError):
    code = ErrorCode.SYNC_TOKEN_EXPIRED


def entities_for(principal: Principal, names: Sequence[str] | None) -> tuple[str, ...]:
    """The requested entities (None: every one the caller may read), each once, in a fixed
    order; FORBIDDEN for one named that the caller may not read at all."""
    if names is None:
        return tuple(sorted(n for n, e in ENTITIES.items() if may_read(e, principal)))
    if not names:
        raise DomainError("name at least one entity, or none for all", field=["entities"])
    denied = sorted({n for n in names if not may_read(ENTITIES[n], principal)})
    if denied:
        raise Forbidden(f"you may not read {', '.join(denied)}", field=["entities"])
    return tuple(sorted(set(names)))


def read_changes(session: Session, principal: Principal, entities: tuple[str, ...],
                 since: str | None, after: str | None, first: int) -> SyncPage:
    """One page of a sync: with `after` the next page of the sync it names; else a delta
    from the token `since`, or, without it, a full sync of every visible object."""
    if not 0 < first <= MAX_PAGE:
        raise DomainError(f"first must be 1 to {MAX_PAGE}", field=["first"])
    if after is not None:
        window = decode_cursor(after)
        if window.entities != entities:
            raise DomainError("the cursor belongs to a sync of other entities", field=["after"])
    elif since is not None:
        position, covered = decode_token(since)
        if not set(entities) <= set(covered):
            raise DomainError("the token was issued for other entities: sync "
                              f"{', '.join(sorted(set(entities) - set(covered)))} in full",
                              field=["since"])
        window = Window(entities, position, outbox.settled_max(session))
    else:
        window = Window(entities, None, outbox.settled_max(session))
    if not entities:  # a role that reads none of them: nothing, ever
        page = _page([], False, window, full=window.since is None)
    elif window.since is None:
        page = _full(session, principal, window, first)
    else:
        page = _delta(session, principal, window, first)
    _read_rows(session, principal, page)
    return page


def _read_rows(session: Session, principal: Principal, page: SyncPage) -> None:
    """Each changed object as the caller may see it now, one statement per entity: what is
    not there (deleted, or out of the caller's scope) is removed."""
    ids: dict[str, list[int]] = {}
    for change in page.changes:
        ids.setdefault(change.entity, []).append(change.id)
    for name, some in ids.items():
        found = repository.visible_rows(session, principal, ENTITIES[name], some)
        page.rows.update(((name, i), row) for i, row in found.items())


def _delta(session: Session, principal: Principal, window: Window, first: int) -> SyncPage:
    after = tuple(window.after) if window.after else None
    rows = repository.delta_page(session, principal, window.entities, window.since,
                                 window.upto, after, first + 1)
    oldest = outbox.min_id(session)  # read after the page: deleted before or during it
    if oldest is not None and window.since < oldest - 1:
        raise SyncTokenExpired("the sync token is older than the change history kept: "
                               "sync again without `since` (a full sync)", field=["since"])
    changes = [Change(e, i, encode_cursor(Window(window.entities, window.since, window.upto,
                                                 (p, e, i))))
               for p, e, i in rows[:first]]
    return _page(changes, len(rows) > first, window, full=False)


def _full(session: Session, principal: Principal, window: Window, first: int) -> SyncPage:
    index, last = window.after or (0, 0)
    changes: list[Change] = []
    while index < len(window.entities) and len(changes) <= first:
        name = window.entities[index]
        ids = repository.visible_ids(session, principal, ENTITIES[name], last,
                                     first + 1 - len(changes))
        changes += [Change(name, i, encode_cursor(Window(window.entities, None, window.upto,
                                                         (index, i)))) for i in ids]
        if len(changes) <= first:
            index, last = index + 1, 0
    return _page(changes[:first], len(changes) > first, window, full=True)


def _page(changes: list[Change], has_next: bool, window: Window, *, full: bool) -> SyncPage:
    token = None if has_next else encode_token(window.upto, window.entities)
    return SyncPage(changes, has_next, token, full)
