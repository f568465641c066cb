"""The PostgreSQL write path's round-trip savers (docs/architecture.md#round-trips): reads
read ahead in one pipeline are the rows a read would find, served once and dropped at a
write; rows sent with the COMMIT are committed with it or not at all; a unit's last rows go
together and a stale UPDATE among them still fails the unit; several stock levels change in
one statement with the per-line outcome; BEGIN carries the request's statement timeout and
the pooled connection goes back as it came. SQLite has none of this (each test says so)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, exc, select, text
from sqlalchemy.orm.exc import StaleDataError

from app.audit.models import AuditRecord
from app.ids import from_global_id
from app.inventory import ledger
from app.inventory import repository as inventory
from app.orders import repository as repo
from app.persistence import deadline as budget
from app.persistence.fast import driver, pg, statements
from app.persistence.uow import WriteSession
from app.sync.models import SyncChange
from tests.support import unique

AUDIT = AuditRecord.__table__


def _pg_only(db) -> None:  # noqa: ANN001
    if db.is_sqlite:
        pytest.skip("PostgreSQL's round trips: SQLite runs every read when asked")


def _audit_rows(factory, marker: str) -> list[str]:  # noqa: ANN001
    def fetch(session) -> list[str]:  # noqa: ANN001
        return list(session.execute(select(AUDIT.c.action).where(
            AUDIT.c.entity_type == marker).order_by(AUDIT.c.id)).scalars())
    return factory.runner.read_sync(fetch, (), {})


_ACTIONS = select(AUDIT.c.action).where(AUDIT.c.entity_type == bindparam("m")) \
    .order_by(AUDIT.c.id)


def test_reads_ahead_are_what_a_read_finds_served_once_and_dropped_at_a_write(factory, db):
    _pg_only(db)
    marker, other = unique("RA"), unique("RB")
    factory.write(lambda uow: (uow.audit("one", marker, 1), uow.audit("two", other, 2)))
    seen: list[int] = []
    pg.ROUND_TRIP_LISTENERS.append(seen.append)
    try:
        def work(uow) -> tuple:  # noqa: ANN001
            s = uow.session
            statements.prefetch(s, [(_ACTIONS, {"m": marker}), (_ACTIONS, {"m": other})])
            conn = driver.connection_of(s)
            # a row the pipeline did not see: a read now must find it, not the rows ahead
            s.execute(AUDIT.insert().values(actor_role="SYSTEM", action="three",
                                            entity_type=other, entity_id=3))
            first = statements.rows(s, _ACTIONS, {"m": marker})  # served from the pipeline
            again = statements.rows(s, _ACTIONS, {"m": marker})  # once: read anew
            statements.prefetch(s, [(_ACTIONS, {"m": marker}), (_ACTIONS, {"m": other})])
            driver.execute(conn, AUDIT.update().where(AUDIT.c.entity_type == other)
                           .values(action="changed"), {})
            after_write = statements.rows(s, _ACTIONS, {"m": other})  # dropped: read anew
            return first, again, after_write
        first, again, after_write = factory.write(work)
    finally:
        pg.ROUND_TRIP_LISTENERS.remove(seen.append)
    assert first == again == [("one",)]
    assert after_write == [("changed",), ("changed",)]
    assert seen == [1, 1]  # two reads in one round trip, twice


def test_rows_sent_with_the_commit_are_committed_with_it_or_not_at_all(factory, db):
    _pg_only(db)
    marker = unique("AC")

    def commit_with_rows(uow) -> None:  # noqa: ANN001
        uow.audit("kept", marker, 1)
        rows = [{"position": 0, "entity": marker[:40], "entity_id": i, "customer_id": None,
                 "user_id": None} for i in (1, 2)]
        assert pg.insert_at_commit(driver.connection_of(uow.session),
                                       SyncChange.__table__, rows)

    factory.write(commit_with_rows)
    assert _audit_rows(factory, marker) == ["kept"]

    def count(session) -> int:  # noqa: ANN001
        return session.execute(select(text("count(*)")).select_from(SyncChange.__table__)
                               .where(SyncChange.__table__.c.entity == marker[:40])).scalar()
    assert factory.runner.read_sync(count, (), {}) == 2

    bad = unique("AD")

    def commit_with_a_bad_row(uow) -> None:  # noqa: ANN001
        uow.audit("lost", bad, 1)
        uow.session.flush()
        assert pg.insert_at_commit(driver.connection_of(uow.session), SyncChange.__table__,
                                       [{"position": 0, "entity": "x" * 500, "entity_id": 1,
                                         "customer_id": None, "user_id": None}])

    with pytest.raises(exc.DBAPIError):
        factory.write(commit_with_a_bad_row)
    assert _audit_rows(factory, bad) == []  # the transaction is rolled back whole


async def test_a_stale_update_among_the_last_rows_fails_the_unit(kit, factory, db):
    _pg_only(db)
    admin = factory.user("ADMIN")
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 10)
    order = await kit.order(admin.token, kit.customer(), [(product, 1)])
    order_id = from_global_id(order["id"])[1]
    marker = unique("ST")

    def stale(uow) -> None:  # noqa: ANN001
        loaded = repo.lock_visible(uow.session, uow.principal, order_id)
        # the row goes behind the loaded object's back, its history and lines with it
        for table in ("order_event", "order_line"):
            uow.session.execute(text(f"DELETE FROM {table} WHERE order_id = :o"),
                                {"o": order_id})
        uow.session.execute(text("DELETE FROM sales_order WHERE id = :o"), {"o": order_id})
        loaded.notes = "changed after the row went"
        uow.audit("stale", marker, order_id)

    with pytest.raises(StaleDataError):
        factory.write(stale)
    assert _audit_rows(factory, marker) == []


async def test_several_levels_change_in_one_statement_with_each_lines_outcome(kit, factory,
                                                                              db):
    _pg_only(db)
    warehouse = kit.warehouse()
    products = [kit.product() for _ in range(3)]
    for p, q in zip(products, (5, 1, 5), strict=True):
        kit.stock(p, warehouse, q)
    lines = [ledger.StockLine(p.id, warehouse.id, 2) for p in products]

    class Seen(Exception):  # rolls the bare level changes back (no movements: the ledger)
        pass

    def changes(uow) -> None:  # noqa: ANN001
        raise Seen(list(inventory.change_levels(uow.session, inventory.RESERVE, lines)))

    with pytest.raises(Seen) as seen:
        factory.write(changes)
    found = seen.value.args[0]
    assert [c is not None for c in found] == [True, False, True]  # the second has 1 unit

    def reserve(uow) -> None:  # noqa: ANN001
        ledger.reserve(uow.session, lines, ledger.Reference("Test", None))

    with pytest.raises(ledger.InsufficientStock) as caught:
        factory.write(reserve)
    assert caught.value.product_id == products[1].id
    for p in products:
        kit.assert_ledger_consistent(p)


def test_begin_carries_the_budget_and_the_connection_goes_back_as_it_came(db):
    _pg_only(db)
    with WriteSession(db.write_engine) as session:
        budget.bound(session, budget.deadline_after(7.5), db.limits.statement_timeout_ms)
        timeout = session.execute(text("SHOW statement_timeout")).scalar()
        raw = session.connection().connection.driver_connection
        session.commit()
    assert timeout.endswith("ms") and 6000 <= int(timeout[:-2]) <= 7500
    assert raw.autocommit is False  # checked in: psycopg begins its own transactions again
    with WriteSession(db.write_engine) as session:  # no budget: the connection's own timeout
        assert session.execute(text("SHOW statement_timeout")).scalar() == "30s"
        session.rollback()
