"""Capturing the changes of synced objects in a unit of work and writing them to the change
log in its serialized tail (docs/architecture.md#delta-sync).

`note` is an audit hook: every `uow.audit(...)` of a synced object (or of a child counted as
its parent's change) is remembered on the unit's session. `record` runs in the outbox's
tail (app/composition.py `append_to_outbox`), under the append lock, with the unit's outbox
position: so a change row becomes visible exactly when its position does, in commit order,
and a customer's reassignment reads its dependents after every earlier unit has committed
(none placed meanwhile is left out of the new owner's feed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from app.sync import repository
from app.sync.entities import CUSTOMER_DEPENDENTS, ENTITIES, PARENTS

_KEY = "crm_sync_changes"
Noted = tuple[str, int, dict[str, Any] | None]  # (entity, id, the before snapshot)


def note(uow: Any, _action: str, entity_type: str, entity_id: int | None,
         before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """The audit hook: remember a synced object's change."""
    if entity_type in ENTITIES:
        if entity_id is not None:
            uow.session.info.setdefault(_KEY, []).append((entity_type, entity_id, before))
        return
    parent = PARENTS.get(entity_type)
    if parent is not None:
        parent_id = (after or before or {}).get(parent[1])
        if isinstance(parent_id, int):
            uow.session.info.setdefault(_KEY, []).append((parent[0], parent_id, None))


def touch(uow: Any, entity: str, ids: Iterable[int]) -> None:
    """A change no audit record names (a background check's Core UPDATE): synced all the
    same. Call it wherever a synced object's visible fields change without `uow.audit`."""
    noted = uow.session.info.setdefault(_KEY, [])
    noted.extend((entity, i, None) for i in ids)


def pending(session: Session) -> bool:
    return bool(session.info.get(_KEY))


def record(session: Session, position: int) -> None:
    """Write the unit's change rows at `position` (call under the outbox's append lock)."""
    noted: list[Noted] = session.info.pop(_KEY, [])
    befores: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for entity, eid, before in noted:
        befores[entity][eid]  # noqa: B018  noted even without a before snapshot
        if before:
            befores[entity][eid].append(before)
    rows: set[tuple[str, int, int | None, int | None]] = set()
    for name, by_id in befores.items():
        entity = ENTITIES[name]
        keys = repository.current_keys(session, entity, by_id)
        for eid, snapshots in by_id.items():
            now = keys.get(eid)
            if now is not None:
                rows.add((name, eid, *now))
            for before in snapshots:  # the scope it may have left (or, deleted, was in)
                old = (before.get(entity.customer_field or "", None if now is None else now[0]),
                       before.get(entity.user_field or "") if entity.user_field else None)
                rows.add((name, eid, *old))
                if name == "Customer" and now is not None and old[1] != now[1]:
                    _reassigned(session, eid, (now[1], old[1]), rows)
    repository.insert_changes(session, [
        {"position": position, "entity": e, "entity_id": i, "customer_id": c, "user_id": u}
        for e, i, c, u in sorted(rows, key=lambda r: (r[0], r[1], r[2] or 0, r[3] or 0))])


def _reassigned(session: Session, customer_id: int, owners: tuple[int | None, ...],
                rows: set[tuple[str, int, int | None, int | None]]) -> None:
    """A customer changed hands: what hangs off it changed scope too, for both owners."""
    for name, ids in repository.customer_dependents(session, customer_id).items():
        assert name in CUSTOMER_DEPENDENTS
        for eid in ids:
            for owner in owners:
                rows.add((name, eid, customer_id, owner))
