"""Append-only rows written in bulk (app/persistence/fast/bulk.py): deferred rows commit with the
unit of
work, vanish with a rolled-back savepoint or unit, and ids come back in row order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.errors import DomainError
from app.events.models import OutboxEvent
from app.persistence.fast import bulk, objects
from tests.support import unique

AUDIT = AuditRecord.__table__


def _actions(factory, marker: str) -> list[str]:  # noqa: ANN001
    def fetch(session) -> list[str]:  # noqa: ANN001
        stmt = select(AUDIT.c.action).where(AUDIT.c.entity_type == marker).order_by(AUDIT.c.id)
        return list(session.execute(stmt).scalars())
    return factory.runner.read_sync(fetch, (), {})


def test_deferred_rows_commit_and_a_rolled_back_savepoint_drops_only_its_own(factory):
    marker = unique("T")

    def work(uow) -> None:  # noqa: ANN001
        uow.audit("before", marker, 1)
        savepoint = uow.session.begin_nested()
        uow.audit("inside", marker, 2)
        assert [r["action"] for r in bulk.pending(uow.session, AUDIT)] == ["before", "inside"]
        savepoint.rollback()
        uow.audit("after", marker, 3)

    factory.write(work)
    assert _actions(factory, marker) == ["before", "after"]


def test_rows_written_before_a_savepoint_survive_its_rollback(factory):
    marker = unique("T")

    def work(uow) -> None:  # noqa: ANN001
        savepoint = uow.session.begin_nested()
        uow.audit("written early", marker, 1)
        bulk.write_deferred(uow.session)  # now in the database, inside the savepoint
        uow.audit("deferred", marker, 2)
        savepoint.rollback()  # undoes both: one in the database, one in the buffer
        uow.audit("kept", marker, 3)

    factory.write(work)
    assert _actions(factory, marker) == ["kept"]


def test_a_failed_unit_of_work_writes_none_of_its_rows(factory):
    marker = unique("T")

    def fails(uow) -> None:  # noqa: ANN001
        uow.audit("never", marker, 1)
        raise DomainError("refused")

    with pytest.raises(DomainError):
        factory.write(fails)
    assert _actions(factory, marker) == []


def test_a_failure_that_keeps_its_writes_keeps_its_audit(factory):
    marker = unique("T")

    def refuses(uow) -> None:  # noqa: ANN001
        uow.audit("kept", marker, 1)
        error = DomainError("refused, but the revocation stays")
        error.keep_writes = True
        raise error

    with pytest.raises(DomainError):
        factory.write(refuses)
    assert _actions(factory, marker) == ["kept"]


@pytest.mark.parametrize("count", [7, 150])  # 150: in chunks of 64, 64, 16, 4 and 2 rows
def test_insert_ids_are_in_row_order(factory, count):
    topics = [unique("test.bulk.") for _ in range(count)]

    def insert(uow) -> list[int]:  # noqa: ANN001
        rows = [{"topic": t, "payload": {"n": i}} for i, t in enumerate(topics)]
        return bulk.insert_ids(uow.session, OutboxEvent.__table__, rows)

    ids = factory.write(insert)
    assert ids == sorted(ids) and len(set(ids)) == count

    def fetch(session) -> dict[int, str]:  # noqa: ANN001
        table = OutboxEvent.__table__
        rows = session.execute(select(table.c.id, table.c.topic).where(table.c.id.in_(ids)))
        return {row.id: row.topic for row in rows}

    stored = factory.runner.read_sync(fetch, (), {})
    assert [stored[i] for i in ids] == topics


def test_an_object_inserted_by_objects_insert_is_persistent_and_its_changes_are_updates(
        factory, db):
    """Same row as an ORM flush writes; the object is then the session's own, so a later
    change is one UPDATE (not a second INSERT) and a re-read is an identity-map hit."""
    from app.inventory.models import Warehouse

    code = unique("W")[:30]

    def work(uow) -> tuple[int, int]:  # noqa: ANN001
        s = uow.session
        # region None: a flush leaves it to the column's default, and so must objects.insert
        twin = Warehouse(code=code + "o", name="仓库 orm", region=None)
        s.add(twin)
        s.flush()
        db.counter.reset()
        fast = Warehouse(code=code + "f", name="仓库 orm", region=None,
                         created_at=twin.created_at)
        new_id = objects.insert(s, fast)
        assert fast.id == new_id and s.get(Warehouse, new_id) is fast
        fast.name = "仓库 fast"
        s.flush()
        kinds = [st.split()[0] for st in db.counter.statements if "warehouse" in st]
        assert kinds == ["INSERT", "UPDATE"], db.counter.statements
        return twin.id, new_id

    twin_id, fast_id = factory.write(work)

    def read(session) -> list[tuple]:  # noqa: ANN001
        t = Warehouse.__table__
        stmt = select(t).where(t.c.id.in_([twin_id, fast_id])).order_by(t.c.id)
        return [tuple(r) for r in session.execute(stmt)]

    orm_row, fast_row = factory.runner.read_sync(read, (), {})
    assert fast_row[1:] == (code + "f", "仓库 fast", *orm_row[3:])
    assert orm_row[3] == ""  # the default, not NULL
