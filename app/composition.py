"""The composition root's one job for persistence: plug the app into it, in this process.

app/persistence/ imports no domain (docs/architecture.md#layers, #the-unit-of-work): the
unit of work does not know the audit log, the outbox or the tables. Every process that runs
units of work calls `install()` once before its first: the ASGI app (schema/asgi.py
`create_app`), the CLI (app/cli.py), the SQLite writer process (app/writer_child.py, its
entry point) and the tests (tests/conftest.py). It

* imports the table registry (app.models): a unit's flush may reach any table, so every
  mapper must be configured, in the writer process as in the server;
* installs the unit of work's hooks (app/persistence/uow.py): the audit row every
  `uow.audit(...)` defers, and, last before commit, the outbox append that makes the
  unit's events the ones the bus carries after commit;
* names the writer process's entry point, app/writer_child.py, to the server's side
  (app/persistence/sqlite/process.py), since persistence may not name the app's modules.

The hooks are the app's code, kept here, where the layers meet, rather than in persistence.
"""

from __future__ import annotations

from typing import Any

import app.models  # noqa: F401  the table registry: every table mapped
from app.audit import repository as audit_log
from app.events.bus import DomainEvent
from app.events.repository import outbox
from app.events.topics import SYNC_CHANGED
from app.persistence import uow as units
from app.persistence.columns import utcnow
from app.persistence.sqlite import process
from app.sync import capture as sync_capture

WRITER_CHILD = "app.writer_child"  # `python -m app.writer_child FD URL`


def install() -> None:
    """Plug the app into persistence in this process (installing again changes nothing)."""
    units.on_audit(audit_row)
    units.on_audit(sync_capture.note)  # the delta sync's change log (app/sync/capture.py)
    units.before_commit(append_to_outbox)  # last: it writes the deferred rows first
    process.use_child_entry(WRITER_CHILD)


def audit_row(uow: units.UnitOfWork, action: str, entity_type: str, entity_id: int | None,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """`uow.audit(...)`: an audit_record row, deferred to just before commit."""
    principal = uow.principal
    audit_log.defer_record(uow.session, {
        "actor_id": uow.actor_id,
        "actor_role": (None if principal is None else
                       "SYSTEM" if principal.is_system else principal.role.value),
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "request_id": uow.request_id,
        "created_at": utcnow(),
    })


def append_to_outbox(uow: units.UnitOfWork) -> None:
    """Append the unit's events to the outbox, last before commit: notifications and other
    consumers read them from there after commit (app/notifications/planning.py). They
    become `uow.to_publish`, with their outbox ids, for the bus after commit. The delta
    sync's change rows go in with them, at the unit's last outbox id (a marker event when
    it emitted none: docs/architecture.md#delta-sync)."""
    # the rows' keys, their customers locked; on PostgreSQL the append goes with the
    # unit's last rows where it can (docs/architecture.md#round-trips)
    synced, appended = sync_capture.prepare_with_append(uow.session, uow.events)
    if appended is not None:
        ids = appended if uow.events else []  # else [the marker]
        position = appended[-1] if appended else None
    else:
        if not uow.events and synced is None:
            return
        ids = outbox.append_last(uow.session, uow.events)
        position = ids[-1] if ids else None
        if synced is not None and position is None:
            position = outbox.append_marker(uow.session, SYNC_CHANGED)
    if synced is not None:
        sync_capture.record(uow.session, synced, position)
    if not ids:
        return
    uow.to_publish = [DomainEvent(topic=e.topic, payload=e.payload, id=i)
                      for e, i in zip(uow.events, ids, strict=True)]
