"""Capturing the changes of synced objects in a unit of work and writing them to the change
log in its serialized tail (docs/architecture.md#delta-sync).

`note` is an audit hook: every `uow.audit(...)` of a synced object (or of a child counted as
its parent's change) is remembered on the unit's session. `prepare` reads the rows' keys
(from the audit snapshots, else one SELECT per entity) and, on PostgreSQL, locks the
customers they name (shared; a reassigned one exclusive). `record` runs in the outbox's
tail (app/composition.py `append_to_outbox`) with the unit's outbox position: so a change
row becomes visible exactly when its position does, and a customer's reassignment reads its
dependents after every unit writing rows for that customer has committed (none placed
meanwhile is left out of the new owner's feed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.events.repository import outbox
from app.events.topics import SYNC_CHANGED
from app.sync import repository
from app.sync.entities import CUSTOMER_DEPENDENTS, ENTITIES, PARENTS, SHARED, Entity

_KEY = "crm_sync_changes"
Row = tuple[str, int, int | None, int | None]  # (entity, id, customer_id, user_id)


@dataclass
class Prepared:
    """A unit's change rows and the customers reassigned, whose dependents are read in
    `record`, under their customer lock."""

    rows: set[Row] = field(default_factory=set)
    reassigned: list[tuple[int, tuple[int | None, ...]]] = field(default_factory=list)


def note(uow: Any, _action: str, entity_type: str, entity_id: int | None,
         before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """The audit hook: remember a synced object's change."""
    if entity_type in ENTITIES:
        if entity_id is not None:
            uow.session.info.setdefault(_KEY, []).append((entity_type, entity_id, before, after))
        return
    parent = PARENTS.get(entity_type)
    if parent is not None:
        parent_id = (after or before or {}).get(parent[1])
        if isinstance(parent_id, int):
            uow.session.info.setdefault(_KEY, []).append((parent[0], parent_id, None, None))


def touch(uow: Any, entity: str, ids: Iterable[int]) -> None:
    """A change no audit record names (a background check's Core UPDATE): synced all the
    same. Call it wherever a synced object's visible fields change without `uow.audit`."""
    noted = uow.session.info.setdefault(_KEY, [])
    noted.extend((entity, i, None, None) for i in ids)


def touch_removed(uow: Any, entity: str, rows: Iterable[dict[str, Any]]) -> None:
    """Objects deleted without an audit record (a Core DELETE): each row's id and keys as
    they were (its customer, its owner), read by the DELETE's RETURNING, so the change row
    reaches whoever had it."""
    noted = uow.session.info.setdefault(_KEY, [])
    noted.extend((entity, row["id"], row, None) for row in rows)


def touch_rows(session: Session, entity: str, ids: Iterable[int]) -> None:
    """`touch` for code that holds the unit's session only (the stock ledger)."""
    noted = session.info.setdefault(_KEY, [])
    noted.extend((entity, i, None, None) for i in ids)


def _keys(entity: Entity, snap: dict[str, Any] | None) -> tuple[int | None, int | None] | None:
    """(customer_id, user_id) from a snapshot of the row, None when it lacks them."""
    if entity.keyed_by == SHARED:
        return (None, None)  # shared: no keys
    if snap is None or entity.via_order or entity.keys_query is not None:
        return None
    fields = [f for f in (entity.customer_field, entity.user_field) if f is not None]
    if any(f not in snap for f in fields):
        return None
    return (snap[entity.customer_field] if entity.customer_field else None,
            snap[entity.user_field] if entity.user_field else None)


def prepare(session: Session) -> Prepared | None:
    """The unit's change rows but their position (None: it changed no synced object). The
    keys come from the last audit snapshot of each object, else one SELECT per entity."""
    noted = session.info.pop(_KEY, None)
    ledgers = repository.insert_ledgers(session)  # {entity: ids}: append-only rows
    if not noted and not ledgers:
        return None
    prepared = Prepared()
    _add_ledgers(prepared, ledgers)
    befores, latest = _snapshots(noted or [])
    for name, by_id in befores.items():
        entity = ENTITIES[name]
        unknown = [i for i in by_id if latest[name, i] is None]
        keys = repository.current_keys(session, entity, unknown) if unknown else {}
        keys.update((i, latest[name, i]) for i in by_id if latest[name, i] is not None)
        for eid, snapshots in by_id.items():
            _rows(prepared, entity, eid, keys.get(eid), snapshots)
    _lock_customers(session, prepared)
    return prepared


def prepare_with_append(session: Session, events: Sequence[Any]
                        ) -> tuple[Prepared | None, list[int] | None]:
    """`prepare`, and on PostgreSQL the outbox append of `events` (or, for a unit that
    emitted none but changed synced objects, of its position marker) sent with the unit's
    last rows, in their round trip: (the change rows, the appended ids: the events', or
    [marker]). Where a change row's keys need a read (after those rows are written) or on
    SQLite: (`prepare`, None), and the caller appends (docs/architecture.md#round-trips)."""
    noted = session.info.get(_KEY) or []
    if session.get_bind().dialect.name != "postgresql":
        return prepare(session), None
    befores, latest = _snapshots(noted)
    if any(key is None for key in latest.values()):
        return prepare(session), None
    session.info.pop(_KEY, None)
    prepared = Prepared()
    for name, by_id in befores.items():
        for eid, snapshots in by_id.items():
            _rows(prepared, ENTITIES[name], eid, latest[name, eid], snapshots)
    synced = bool(noted) or repository.ledgers_pending(session)
    if not events and not synced:
        return prepare(session), None  # nothing to append: the unit's rows as ever
    _lock_customers(session, prepared)  # the ledgers' rows are shared: no customer
    ledgers, appended = repository.insert_ledgers_then(
        session, outbox.append_query(session, events, SYNC_CHANGED))
    _add_ledgers(prepared, ledgers)
    return (prepared if synced else None), appended


def _add_ledgers(prepared: Prepared, ledgers: dict[str, list[int]]) -> None:
    for name, ids in ledgers.items():  # shared, never change: no keys, no before
        prepared.rows.update((name, i, None, None) for i in ids)


def _snapshots(noted: list) -> tuple[dict, dict]:
    """The objects noted: their before snapshots by entity and id, and their keys as the
    last snapshot has them (None: they need a read)."""
    befores: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    latest: dict[tuple[str, int], tuple[int | None, int | None] | None] = {}
    for name, eid, before, after in noted:
        befores[name][eid]  # noqa: B018  noted even without a before snapshot
        if before:
            befores[name][eid].append(before)
        latest[name, eid] = _keys(ENTITIES[name], after)
    return befores, latest


def _lock_customers(session: Session, prepared: Prepared) -> None:
    repository.lock_customers(session, (c for _e, _i, c, _u in prepared.rows if c is not None),
                              (c for c, _owners in prepared.reassigned))


def _rows(prepared: Prepared, entity: Entity, eid: int,
          now: tuple[int | None, int | None] | None, snapshots: list[dict[str, Any]]) -> None:
    if now is not None:
        prepared.rows.add((entity.name, eid, *now))
    for before in snapshots:  # the scope it may have left (or, deleted, was in)
        old = (before.get(entity.customer_field or "", None if now is None else now[0]),
               before.get(entity.user_field) if entity.user_field else None)
        prepared.rows.add((entity.name, eid, *old))
        if entity.name == "Customer" and now is not None and old[1] != now[1]:
            prepared.reassigned.append((eid, (now[1], old[1])))


def record_plain(session: Session, prepared: Prepared | None, position: int | None = None
                 ) -> None:
    """The tail of a background writer without a unit of work (`write_in_session`: the
    notification planner and dispatcher, the webhook dispatcher), whose changes `touch_rows`
    noted and `prepare` read the keys of: their change rows at `position`, an outbox id it
    appended, else at a marker of its own. Call it last, before commit."""
    if prepared is None:
        return
    if position is None:
        position = outbox.append_marker(session, SYNC_CHANGED)
    record(session, prepared, position)


def record(session: Session, prepared: Prepared, position: int) -> None:
    """Write the unit's change rows at `position` (in the outbox's tail, after `prepare`)."""
    outbox.take_locks_now(session)  # left by `prepare` when the position came first
    rows = set(prepared.rows)
    for customer_id, owners in prepared.reassigned:
        # what hangs off a customer that changed hands changed scope too, for both owners
        for name, ids in repository.customer_dependents(session, customer_id).items():
            assert name in CUSTOMER_DEPENDENTS
            rows.update((name, eid, customer_id, owner) for eid in ids for owner in owners)
    repository.insert_changes(session, [
        {"position": position, "entity": e, "entity_id": i, "customer_id": c, "user_id": u}
        for e, i, c, u in sorted(rows, key=lambda r: (r[0], r[1], r[2] or 0, r[3] or 0))])
