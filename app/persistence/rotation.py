"""`crm rotate-data-key`: every encrypted value under the current key, every keyed hash
the current key's (docs/architecture.md#personal-data-at-rest).

Table by table, in batches of rows by id, each batch its own transaction: a row is read
as stored (no decryption by the column types), and written only if a value is plain text
or under another key, or a keyed hash is missing or another key's. So a run stopped at any
point (a crash, `max_batches`) is finished by running it again: what it did is skipped.
The rows of a batch are locked as they are read (PostgreSQL `FOR UPDATE`; SQLite's writer
transaction), so a change the app makes meanwhile is not overwritten.

Audit snapshots (`SealedJSON` columns) have their ciphertexts re-encrypted; values that
were stored in plain text before a key was set stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, MetaData, String, Table, bindparam, select, type_coerce, update

from app.persistence.crypto import PREFIX, EncryptedString, Keyring, Sealed, SealedJSON

BATCH = 500


@dataclass
class _Plan:
    table: Table
    encrypted: list[str]
    lookups: list[tuple[str, str, str]]  # (hash column, source column, kind)
    sealed_json: list[str]


@dataclass
class Rotation:
    """What a run did: rows read and rows rewritten, per table; batches that wrote."""

    read: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    finished: bool = True


def _plans(metadata: MetaData) -> list[_Plan]:
    plans = []
    for table in metadata.sorted_tables:
        if "id" not in table.c:
            continue
        encrypted = [c.key for c in table.c if isinstance(c.type, EncryptedString)]
        lookups = [(c.key, *c.info["lookup_of"]) for c in table.c if "lookup_of" in c.info]
        sealed_json = [c.key for c in table.c if isinstance(c.type, SealedJSON)]
        if encrypted or lookups or sealed_json:
            plans.append(_Plan(table, encrypted, lookups, sealed_json))
    return plans


def _raw_select(plan: _Plan, after: int, size: int, lock: bool) -> Any:
    t = plan.table
    columns = [t.c.id, *(type_coerce(t.c[k], String).label(k) for k in plan.encrypted),
               *(t.c[h] for h, _, _ in plan.lookups),
               *(type_coerce(t.c[k], JSON(none_as_null=True)).label(k)
                 for k in plan.sealed_json)]
    stmt = select(*columns).where(t.c.id > after).order_by(t.c.id).limit(size)
    return stmt.with_for_update() if lock else stmt


def _reseal(snapshot: Any, keyring: Keyring) -> Any:
    """A snapshot with its ciphertexts not under the current key decrypted and marked to
    be encrypted again; None if it needs nothing."""
    if not isinstance(snapshot, dict):
        return None
    stale = {k for k, v in snapshot.items()
             if isinstance(v, str) and v.startswith(PREFIX) and not keyring.is_current(v)}
    if not stale:
        return None
    return {k: Sealed(keyring.decrypt(v)) if k in stale else v for k, v in snapshot.items()}


def _changes(plan: _Plan, row: Any, keyring: Keyring) -> dict[str, Any]:
    values = row._mapping
    out: dict[str, Any] = {}
    for key in plan.encrypted:
        stored = values[key]
        if not keyring.is_current(stored):
            out[key] = keyring.decrypt(stored)  # the column type encrypts it again
    for hashed, source, kind in plan.lookups:
        stored = values[source]
        plain = keyring.decrypt(stored) if stored else stored
        expected = keyring.lookup(kind, plain)
        if values[hashed] != expected:
            out[hashed] = expected
    for key in plan.sealed_json:
        resealed = _reseal(values[key], keyring)
        if resealed is not None:
            out[key] = resealed
    return out


def _write(conn: Any, plan: _Plan, row_id: int, changes: dict[str, Any]) -> None:
    t = plan.table
    stmt = update(t).where(t.c.id == bindparam("id_")).values(
        {k: bindparam(k, type_=t.c[k].type) for k in changes})
    conn.execute(stmt, {**changes, "id_": row_id})


def rotate(engine: Any, metadata: MetaData, keyring: Keyring, *, batch: int = BATCH,
           max_batches: int | None = None,
           progress: Callable[[str], None] = lambda _line: None) -> Rotation:
    """Bring every table of `metadata` under the current key of `keyring`, which `engine`
    must hold (app/persistence/crypto.py `install`)."""
    if engine.dialect.crm_keyring is not keyring:
        raise ValueError("rotate: the engine encrypts with another keyring")
    done = Rotation()
    lock = engine.dialect.name != "sqlite"
    for plan in _plans(metadata):
        name, after = plan.table.name, 0
        done.read[name] = done.rewritten[name] = 0
        while True:
            if max_batches is not None and done.batches >= max_batches:
                done.finished = False
                return done
            with engine.begin() as conn:
                rows = conn.execute(_raw_select(plan, after, batch, lock)).all()
                if not rows:
                    break
                written = 0
                for row in rows:
                    changes = _changes(plan, row, keyring)
                    if changes:
                        _write(conn, plan, row.id, changes)
                        written += 1
            after = rows[-1].id
            done.read[name] += len(rows)
            done.rewritten[name] += written
            if written:
                done.batches += 1
                progress(f"{name}: {done.rewritten[name]} rows rewritten of "
                         f"{done.read[name]} read (up to id {after})")
        progress(f"{name}: done, {done.rewritten[name]} rows rewritten of {done.read[name]}")
    return done
