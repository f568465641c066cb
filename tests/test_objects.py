"""ORM objects without the ORM's per-object machinery (app/persistence/fast/objects.py), checked
against the
real database: `new` builds what the constructor builds, `insert` and `attach` leave the
session's own persistent objects, and the registered-model flush hook writes changed orders
as the ORM's flush would (clean afterwards, undone by a rolled-back savepoint, stale rows
refused). Also the SQLite dialect's savepoints sent to the driver (app/persistence/db.py) and
`driver.connection_of`, the session's connection remembered per transaction."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, insert, inspect, literal, select, update
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

import app.orders.repository  # noqa: F401  registers Order with objects (its repository does)
from app.audit.models import AuditRecord
from app.orders.models import Order
from app.persistence.db import SQLiteDialect
from app.persistence.fast import driver, objects, rows
from tests.support import unique

ORDERS = Order.__table__
AUDIT = AuditRecord.__table__


@pytest.fixture(scope="module")
def customer_id(factory) -> int:  # noqa: ANN001
    return factory.customer().id


def _order(uow, customer_id: int, **values) -> Order:  # noqa: ANN001, ANN003
    order = objects.new(Order, number=unique("OBJ-"), customer_id=customer_id, **values)
    objects.insert(uow.session, order)
    return order


def _row(factory, order_id: int) -> dict:  # noqa: ANN001
    stmt = select(ORDERS).where(ORDERS.c.id == order_id)
    return factory.runner.read_sync(lambda s: dict(s.execute(stmt).mappings().one()), (), {})


def _audit(marker: str, action: str) -> Insert:
    return insert(AUDIT).values(action=action, entity_type=marker, created_at=datetime.now(UTC))


def _actions(factory, marker: str) -> list[str]:  # noqa: ANN001
    stmt = select(AUDIT.c.action).where(AUDIT.c.entity_type == marker).order_by(AUDIT.c.id)
    return factory.runner.read_sync(lambda session: list(session.execute(stmt).scalars()),
                                    (), {})


def _order_statements(db) -> list[str]:  # noqa: ANN001  the verb of each
    return [st.split()[0] for st in db.counter.statements if "sales_order" in st]


def test_new_sets_every_field_to_what_the_constructor_sets():
    args = {"number": "N-1", "customer_id": 7, "notes": "n", "priority": 3,
            "promised_date": date(2026, 1, 2), "total": Decimal("12.50")}
    made, built = objects.new(Order, **args), Order(**args)
    assert inspect(made).transient
    made_values = {k: v for k, v in made.__dict__.items() if k != "_sa_instance_state"}
    built_values = {k: v for k, v in built.__dict__.items() if k != "_sa_instance_state"}
    assert set(made_values) == set(built_values) == set(Order.model_fields)
    now = datetime.now(UTC)
    for stamp in ("created_at", "updated_at"):  # default factories, called for each object
        for values in (made_values, built_values):  # aware datetimes of about now
            assert abs(now - values.pop(stamp)) < timedelta(minutes=1)
    assert made_values == built_values and made_values["status"] == "DRAFT"

    with pytest.raises(TypeError, match="colour"):
        objects.new(Order, number="N-2", customer_id=7, colour="red")
    with pytest.raises(TypeError, match="needs number"):
        objects.new(Order, customer_id=7)


def test_attach_returns_the_object_the_session_holds_without_refreshing_it(factory,
                                                                          customer_id):
    def work(uow) -> None:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id, notes="held")
        driver.connection_of(s).execute(
            update(ORDERS).where(ORDERS.c.id == order.id).values(notes="behind"))
        record = rows.by_id(s, Order, [order.id])[order.id]
        assert record.notes == "behind"
        assert objects.attach(s, Order, record) is order
        assert order.notes == "held"  # as a query without populate_existing leaves it

    factory.write(work)


def test_attach_makes_a_clean_persistent_object_whose_change_is_one_update(factory, db,
                                                                          customer_id):
    order_id = factory.write(lambda uow: _order(uow, customer_id, priority=2).id)

    def work(uow) -> None:  # noqa: ANN001
        s = uow.session
        record = rows.by_id(s, Order, [order_id])[order_id]
        db.counter.reset()
        order = objects.attach(s, Order, record)
        assert inspect(order).persistent and order in s
        assert not s.dirty and not s.is_modified(order)
        assert {k: getattr(order, k) for k in record._fields} == record._asdict()
        assert s.get(Order, order_id) is order
        assert db.counter.count == 0, db.counter.statements  # everything was loaded
        order.priority = 9
        s.flush()
        assert _order_statements(db) == ["UPDATE"], db.counter.statements
        assert db.counter.count == 1, db.counter.statements

    factory.write(work)
    assert _row(factory, order_id)["priority"] == 9


def test_an_inserted_order_changed_is_one_insert_one_update_and_left_clean(factory, db,
                                                                        customer_id):
    orm_updates: list[int] = []

    def orm_update(_mapper, _conn, target) -> None:  # noqa: ANN001
        orm_updates.append(target.id)

    def work(uow) -> Order:  # noqa: ANN001
        s = uow.session
        order = objects.new(Order, number=unique("OBJ-"), customer_id=customer_id)
        db.counter.reset()
        assert objects.insert(s, order) == order.id and s.get(Order, order.id) is order
        order.notes, order.priority = "two values", 7
        s.flush()
        assert _order_statements(db) == ["INSERT", "UPDATE"], db.counter.statements
        assert not s.is_modified(order) and not s.dirty
        db.counter.reset()
        s.flush()
        assert db.counter.count == 0, db.counter.statements
        return order

    event.listen(Order, "before_update", orm_update)
    try:
        order = factory.write(work)
    finally:
        event.remove(Order, "before_update", orm_update)
    assert orm_updates == []  # written by objects' hook: the ORM's flush found it clean
    row = _row(factory, order.id)
    assert (row["notes"], row["priority"]) == ("two values", 7)
    assert (row["number"], row["status"], row["created_at"]) == (
        order.number, "DRAFT", order.created_at)


def test_only_values_that_differ_are_written(factory, db, customer_id):
    """As the ORM's flush: a value set back to what it was is not in the UPDATE, and an
    object whose every change was undone runs no statement and ends clean."""
    def work(uow) -> None:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id, notes="same")
        order.notes, order.priority = "same", 3
        db.counter.reset()
        s.flush()
        [statement] = db.counter.statements
        assert "priority" in statement and "notes" not in statement, statement
        order.priority = 3
        db.counter.reset()
        s.flush()
        assert db.counter.count == 0 and not s.is_modified(order)

    factory.write(work)
    assert set(objects.new(Order, number="N", customer_id=1).model_fields_set) == {
        "number", "customer_id"}


def test_an_order_changed_then_deleted_is_only_deleted(factory, db, customer_id):
    def work(uow) -> int:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id)
        order.notes = "about to go"
        s.delete(order)
        db.counter.reset()
        s.flush()
        assert _order_statements(db) == ["DELETE"], db.counter.statements
        return order.id

    order_id = factory.write(work)
    assert factory.runner.read_sync(lambda session: session.get(Order, order_id), (), {}) is None


def test_an_expression_assigned_to_a_column_is_left_to_the_orm(factory, customer_id):
    def work(uow) -> int:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id, priority=1)
        order.priority = Order.priority + 4  # rendered into the UPDATE by the ORM
        s.flush()
        return order.id

    assert _row(factory, factory.write(work))["priority"] == 5


def test_a_rolled_back_savepoint_expires_what_the_hook_wrote(factory, db, customer_id):
    def work(uow) -> int:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id, notes="kept")
        order.priority = 5  # flushed before the savepoint: stays
        savepoint = s.begin_nested()
        order.notes = "undone"
        s.flush()
        savepoint.rollback()
        assert "notes" in inspect(order).expired_attributes
        db.counter.reset()
        assert (order.notes, order.priority) == ("kept", 5)  # read back from the database
        assert _order_statements(db) == ["SELECT"], db.counter.statements
        return order.id

    row = _row(factory, factory.write(work))
    assert (row["notes"], row["priority"]) == ("kept", 5)


def test_a_savepoint_begun_after_connection_of_undoes_the_hooks_update(factory,
                                                                      customer_id):
    def work(uow) -> int:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id, notes="kept")  # connection_of remembered
        savepoint = s.begin_nested()
        order.notes = "undone"
        s.flush()
        savepoint.rollback()
        return order.id

    assert _row(factory, factory.write(work))["notes"] == "kept"


def test_an_update_of_a_row_deleted_behind_the_session_is_stale(factory, customer_id):
    def work(uow) -> None:  # noqa: ANN001
        s = uow.session
        order = _order(uow, customer_id)
        driver.connection_of(s).execute(delete(ORDERS).where(ORDERS.c.id == order.id))
        order.notes = "nowhere"
        s.flush()

    with pytest.raises(StaleDataError, match="matched no row"):
        factory.write(work)


def test_sqlite_savepoints_go_to_the_driver_and_undo_only_their_own_rows(factory, db):
    if not db.is_sqlite:
        pytest.skip("the savepoint dialect is SQLite's")
    assert isinstance(db.write_engine.dialect, SQLiteDialect)
    marker = unique("SP")
    executed: list[object] = []  # statements through Connection.execute
    sent: list[str] = []  # everything the cursor ran

    def on_execute(_conn, clause, *_args) -> None:  # noqa: ANN001
        executed.append(clause)

    def on_cursor(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(db.write_engine, "before_execute", on_execute)
    event.listen(db.write_engine, "before_cursor_execute", on_cursor)
    try:
        db.counter.reset()
        with Session(db.write_engine) as s:
            savepoint = s.begin_nested()
            s.execute(_audit(marker, "undone"))
            savepoint.rollback()
            savepoint = s.begin_nested()
            s.execute(_audit(marker, "kept"))
            savepoint.commit()
            s.commit()
    finally:
        event.remove(db.write_engine, "before_execute", on_execute)
        event.remove(db.write_engine, "before_cursor_execute", on_cursor)

    assert all(isinstance(clause, Insert) for clause in executed), executed
    control = [st for st in sent if re.match(r"(SAVEPOINT|RELEASE|ROLLBACK TO)\b", st)]
    names = [st.split()[-1] for st in control]
    assert control == [f"SAVEPOINT {names[0]}", f"ROLLBACK TO SAVEPOINT {names[0]}",
                       f"SAVEPOINT {names[2]}", f"RELEASE SAVEPOINT {names[2]}"], sent
    assert db.counter.count == 2  # the two INSERTs: savepoints are transaction control
    assert _actions(factory, marker) == ["kept"]


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_connection_of_is_the_sessions_connection_in_each_transaction(db, end):
    with Session(db.write_engine) as s:
        first = driver.connection_of(s)
        assert first is s.connection() and driver.connection_of(s) is first
        getattr(s, end)()
        s.execute(select(literal(1)))  # the next transaction, begun by the session
        second = driver.connection_of(s)
        assert second is s.connection() and driver.connection_of(s) is second
        assert first.closed and not second.closed
        assert second.execute(select(literal(2))).scalar_one() == 2
        assert rows.by_id(s, Order, [-1]) == {}  # a SELECT through connection_of
        s.rollback()


def test_a_statement_through_connection_of_is_undone_by_its_savepoint(factory, db):
    marker = unique("SP")
    with Session(db.write_engine) as s:
        driver.connection_of(s)  # a unit of work's first statement remembers it
        savepoint = s.begin_nested()
        driver.connection_of(s).execute(_audit(marker, "undone"))
        savepoint.rollback()
        s.commit()
    assert _actions(factory, marker) == []
