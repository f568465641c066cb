"""ORM objects for the write path's hot rows, without the ORM's per-object machinery.

Every workflow step builds or loads an order and changes it, and the ORM's per-object
work costs more than the step's SQL: SQLModel's constructor sets each field through two
layers of `__setattr__` (attribute events, then pydantic's), a query builds an instance
through the loading machinery, and a flush of one changed row runs the unit of work's
dependency sort. Measured on order placement + approval, the three took about a fifth of
the SQLite writer's time; the statements they stand for cost a tenth of that.

The objects made here are the ORM's own: session-owned and persistent, with the values and
attribute history a query or a flush would leave, so a later change through normal
attribute access is tracked and written as an UPDATE, and a rolled-back savepoint expires
what it changed, as usual.

- `new(model, **values)`: `model(**values)` for a table model, without per-field events
  (SQLModel does not validate table models either);
- `insert(session, obj)`: INSERT a new object's row with one Core statement and attach it;
- `attach(session, model, record)`: the persistent object of a row read as a record
  (app/persistence/fast/rows.py), or the one the session already holds for it, unrefreshed (an
  attribute
  expired meanwhile is loaded on its next read, where a query would have filled it in);
- `register(model)`: the session writes the model's changed rows with one prepared UPDATE
  each (app/persistence/fast/driver.py) before the ORM's flush, which then finds them clean.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, event, inspect, update
from sqlalchemy.orm import configure_mappers, make_transient_to_detached, object_mapper
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import ClauseElement
from sqlmodel import Session

from app.persistence.fast import bulk, driver, statements


@functools.cache
def _fields(model: type) -> tuple[tuple[str, Any, Any], ...]:
    """(name, pydantic FieldInfo, its default factory if it takes no argument) of each
    field of a table model: pydantic works out whether a factory takes the validated data
    with `inspect.signature` on every `get_default` call (~20 us each, measured)."""
    configure_mappers()  # what the first constructor call or query would do
    return tuple((name, info, info.default_factory
                  if info.default_factory is not None
                  and not info.default_factory_takes_validated_data else None)
                 for name, info in model.model_fields.items())


def _blank(model: type) -> Any:
    """An instance with its ORM state and nothing loaded, as a query starts one."""
    _fields(model)  # configures the mappers on first use
    return inspect(model).class_manager.new_instance()


def new(model: type, **values: Any) -> Any:
    """A transient `model(**values)`: every field the constructor sets, to the same value."""
    obj = _blank(model)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))  # as the constructor
    data = obj.__dict__
    for name, info, factory in _fields(model):
        if name in values:
            data[name] = values.pop(name)
        elif factory is not None:
            data[name] = factory()
        elif info.is_required():
            raise TypeError(f"{model.__name__}() needs {name}")
        else:  # as SQLModel's constructor: a factory called, a mutable default copied
            data[name] = info.get_default(call_default_factory=True)
    if values:
        raise TypeError(f"{model.__name__} has no fields {sorted(values)}")
    return obj


@functools.cache
def _value_columns(mapper: Any) -> tuple[tuple[str, bool], ...]:
    """(attribute, whether its column has a Core default) for every column but the id,
    whose attribute and column names agree. A server default would be the database's to
    fill and fetch back, so such models are refused."""
    keys = []
    for prop in mapper.column_attrs:
        [column] = prop.columns
        if column.primary_key:
            continue
        if column.server_default is not None or prop.key != column.key:
            raise TypeError(f"objects.insert: {mapper.class_.__name__}.{prop.key} has a "
                            "server default or another column name; flush it instead")
        keys.append((prop.key, column.default is not None))
    return tuple(keys)


def insert(session: Session, obj: Any) -> int:
    """INSERT a new object's row with one Core statement and attach the object to the
    session as if a flush had written it. As a flush does, a None leaves a column with a
    Core default to its default. Returns the new id. Like any Core write, a savepoint
    rolled back later does not make the object pending again: use it in the unit's own
    transaction, as order creation does."""
    mapper = object_mapper(obj)
    [obj.id] = bulk.insert_ids(session, mapper.local_table, [_row(mapper, obj)])
    return attach_written(session, obj)


def row_with_id(obj: Any) -> tuple[Any, dict[str, Any]]:
    """(table, row) of a new object whose id is set (drawn ahead from its sequence), for a
    caller that writes it with other rows; then `attach_written`."""
    mapper = object_mapper(obj)
    return mapper.local_table, {"id": obj.id, **_row(mapper, obj)}


def attach_written(session: Session, obj: Any) -> int:
    """Attach a new object whose row was just written, as if a flush had written it."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj.id


def _row(mapper: Any, obj: Any) -> dict[str, Any]:
    return {key: value for key, has_default in _value_columns(mapper)
            if (value := getattr(obj, key)) is not None or not has_default}


def attach(session: Session, model: type, record: Any) -> Any:
    """The session's object for `record`'s row (a record of all the model's columns)."""
    found = session.identity_map.get(identity_key(model, record.id))
    if found is not None:
        return found
    obj = _blank(model)
    obj.__dict__.update(record._asdict())
    make_transient_to_detached(obj)  # as loaded: no history, an identity key
    session.add(obj)
    return obj


# Changed rows, written ahead of the ORM's flush ---------------------------------------

_REGISTERED: set[type] = set()


def register(model: type) -> type:
    """Write `model`'s changed rows with a prepared UPDATE by id (a class decorator). Only
    for models whose changes are plain column values: no version counter or update
    defaults for the ORM to add, no relationships (checked at the first flush, once
    every mapper is configured)."""
    _REGISTERED.add(model)
    return model


@functools.cache
def _columns(model: type) -> frozenset[str]:
    mapper = inspect(model)
    if mapper.version_id_col is not None or mapper.relationships or any(
            c.onupdate is not None or c.server_onupdate is not None
            for c in mapper.local_table.c):
        raise TypeError(f"objects.register: {model.__name__} needs the ORM's flush")
    return frozenset(p.key for p in mapper.column_attrs)


def _update(model: type, keys: tuple[str, ...]) -> Any:
    table = model.__table__
    return statements.once(("objects.update", model, keys), lambda: update(table).where(
        table.c.id == bindparam("id_")).values({k: bindparam(k) for k in keys}))


def _plain(state: Any) -> bool:
    """Changed column values only, each a plain value (a SQL expression assigned to an
    attribute, or a changed id, is the ORM's to write)."""
    committed = state.committed_state
    if not committed or "id" in committed or not _columns(state.class_).issuperset(committed):
        return False
    data = state.dict
    return not any(isinstance(data.get(k), ClauseElement) for k in committed)


@event.listens_for(Session, "before_flush")
def _write_changed(session: Session, _flush_context: Any, objects: Any) -> None:
    if objects:  # a flush of chosen objects only: left whole to the ORM
        return
    for stmt, params in take_changed(session):
        if driver.execute(driver.connection_of(session), stmt, params) != 1:
            raise stale(stmt, params)


def stale(stmt: Any, params: dict[str, Any]) -> StaleDataError:
    return StaleDataError(f"UPDATE of {stmt.table.name} {params['id_']} matched no row")


def take_changed(session: Session) -> list[tuple[Any, dict[str, Any]]]:
    """The registered models' changed rows as (UPDATE, parameters), each to change exactly
    one row, in primary-key order; the objects are marked written, as a flush leaves them.
    The caller runs them before commit (the flush above, or a batch of the unit's last
    rows: app/sync/repository.py) and raises `stale` for one that changed no row."""
    deleted = session._deleted  # noqa: SLF001  rows this flush deletes are not updated first
    states = [s for s in session.identity_map._modified  # noqa: SLF001  what a flush reads
              if s.class_ in _REGISTERED and s.key and not s.deleted and s not in deleted
              and _plain(s)]
    # in primary-key order, as the ORM's flush: concurrent units lock rows in one order
    states.sort(key=lambda s: s.key[1])
    written, updates = [], []
    for state in states:
        committed, data = state.committed_state, state.dict
        # as the ORM's flush: a value set back to what it was is not written
        keys = tuple(sorted(k for k, old in committed.items()
                            if old is NO_VALUE or data.get(k) != old))
        written.append(state)
        if not keys:
            continue
        params = {k: data[k] for k in keys}
        params["id_"] = state.identity[0]
        updates.append((_update(state.class_, keys), params))
    if written:
        # What the flush does with rows it wrote: the transaction remembers them (a
        # rollback expires them) and their values become the committed ones.
        session._register_altered(written)  # noqa: SLF001
        for state in written:
            state._commit_all(state.dict, session.identity_map)  # noqa: SLF001
    return updates
