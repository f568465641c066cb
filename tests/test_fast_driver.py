"""The SQLite write path's direct cursor execution (app/persistence/fast/driver.py): rows written
through it
read back exactly as through SQLAlchemy, errors arrive as SQLAlchemy's, statement counters
still see every statement, and statements it cannot run go through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Integer, bindparam, exc, insert, select, update

from app.audit.models import AuditRecord
from app.orders.models import OrderLine
from app.persistence.fast import bulk, driver, shaping
from tests.support import unique

AUDIT = AuditRecord.__table__
LINES = OrderLine.__table__
WHEN = datetime(2026, 11, 23, 8, 30, 15, 123456, tzinfo=UTC)


def _audit_row(marker: str, n: int) -> dict:
    return {"actor_id": None, "actor_role": "SYSTEM", "action": f"a{n}", "entity_type": marker,
            "entity_id": n, "before": None, "after": {"名": "上海", "n": n, "x": [1.5, None]},
            "request_id": None, "created_at": WHEN}


def _read(factory, marker: str) -> list[tuple]:  # noqa: ANN001
    def fetch(session) -> list[tuple]:  # noqa: ANN001
        stmt = (select(AUDIT.c.action, AUDIT.c.entity_id, AUDIT.c.before, AUDIT.c.after,
                       AUDIT.c.created_at).where(AUDIT.c.entity_type == marker)
                .order_by(AUDIT.c.id))
        return [tuple(r) for r in session.execute(stmt)]
    return factory.runner.read_sync(fetch, (), {})


def test_rows_read_back_as_written_and_ids_come_in_row_order(factory, db):
    marker = unique("F")

    def work(uow) -> list[int]:  # noqa: ANN001
        conn = uow.session.connection()
        count = driver.execute(conn, insert(AUDIT), [_audit_row(marker, 1),
                                                      _audit_row(marker, 2)])
        assert count == (2 if db.is_sqlite else -1)  # psycopg's executemany: unknown
        ids = bulk.insert_ids(uow.session, AUDIT, [_audit_row(marker, n) for n in (3, 4, 5)])
        changed = driver.execute(conn, update(AUDIT).where(
            AUDIT.c.entity_type == bindparam("m"), AUDIT.c.entity_id == bindparam("n"))
            .values(action=bindparam("action")), {"m": marker, "n": 2, "action": "changed"})
        assert changed == 1
        return ids

    ids = factory.write(work)
    assert ids == sorted(ids) and len(set(ids)) == 3
    rows = _read(factory, marker)
    assert [r[0] for r in rows] == ["a1", "changed", "a3", "a4", "a5"]
    for _action, n, before, after, created in rows:
        assert before is None and after == {"名": "上海", "n": n, "x": [1.5, None]}
        assert created == WHEN  # aware UTC, microseconds kept
    if db.is_sqlite:  # the fast path took them (PostgreSQL always uses SQLAlchemy)
        assert any(p is not None and p.sql.startswith("INSERT INTO audit_record")
                   for p in shaping.PREPARED.values())


def test_a_constraint_violation_is_sqlalchemys_integrity_error_and_rolls_back(factory):
    marker = unique("F")

    def work(uow) -> None:  # noqa: ANN001
        uow.audit("kept only if the unit commits", marker, 1)
        driver.execute(uow.session.connection(), insert(LINES), {
            "order_id": 999_999_999, "product_id": 1, "sku": "X", "name": "x", "quantity": 1,
            "unit_price": Decimal("1.00"), "discount_rate": Decimal("0"),
            "line_total": Decimal("1.00"), "quantity_shipped": 0, "quantity_delivered": 0,
            "quantity_returned": 0})  # no such order: the foreign key refuses it

    with pytest.raises(exc.IntegrityError):
        factory.write(work)
    assert _read(factory, marker) == []


def test_statement_counters_see_the_fast_path(factory, db):
    marker = unique("F")
    db.counter.reset()
    factory.write(lambda uow: driver.execute(uow.session.connection(), insert(AUDIT),
                                              [_audit_row(marker, 1)]))
    assert any(s.startswith("INSERT INTO audit_record") for s in db.counter.statements)


def test_a_statement_needing_python_defaults_goes_through_sqlalchemy(factory):
    marker = unique("F")
    row = _audit_row(marker, 1)
    del row["created_at"]  # the column's Python-side default (utcnow) must fill it

    factory.write(lambda uow: driver.execute(uow.session.connection(), insert(AUDIT), row))
    [(_action, _n, _before, _after, created)] = _read(factory, marker)
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60


def test_a_missing_parameter_is_refused(factory):
    stmt = update(AUDIT).where(AUDIT.c.id == bindparam("row_id")).values(action=bindparam("a"))
    with pytest.raises((KeyError, exc.StatementError)):
        factory.write(lambda uow: driver.execute(uow.session.connection(), stmt,
                                                  {"row_id": 1}))


def test_json_columns_keep_json_dumps_semantics_through_orjson(factory):
    """The engines encode JSON columns with orjson (app.persistence.db.JSON_CODEC): integer keys
    still
    become strings, as with json.dumps; dates become ISO strings; text is stored unescaped
    and reads back the same, through the ORM path and the direct cursor path alike."""
    marker = unique("J")
    after = {1: "one", "名": "上海", "when": WHEN, "nested": {2: [True, None, 2.5]}}

    def work(uow) -> None:  # noqa: ANN001
        bulk.insert_ids(uow.session, AUDIT, [{**_audit_row(marker, 1), "after": after}])
        uow.audit("json.codec", marker, 2, before={3: "x"}, after=after)

    factory.write(work)
    rows = _read(factory, marker)
    expected = {"1": "one", "名": "上海", "when": WHEN.isoformat(),
                "nested": {"2": [True, None, 2.5]}}
    assert [r[3] for r in rows] == [expected, expected]
    assert rows[1][2] == {"3": "x"}


# SELECTs --------------------------------------------------------------------------------

# Built once, as the fast path requires: an expanding IN list, a literal IN list and a LIMIT
# (constants of the statement), and columns of several types (JSON, datetime, text).
_SELECT = (select(AUDIT.c.action, AUDIT.c.entity_id, AUDIT.c.after, AUDIT.c.created_at,
                  AUDIT.c.before)
           .where(AUDIT.c.entity_type == bindparam("marker"),
                  AUDIT.c.entity_id.in_(bindparam("ids", expanding=True)),
                  AUDIT.c.actor_role.in_(["SYSTEM", "ADMIN"]))
           .order_by(AUDIT.c.entity_id).limit(10))


def test_select_rows_read_what_sqlalchemy_reads(factory, db):
    """Same rows, same Python values (JSON decoded, datetimes aware), for lists of several
    lengths, and every run is seen by the statement counters."""
    marker = unique("S")
    factory.write(lambda uow: bulk.insert_ids(uow.session, AUDIT, [
        _audit_row(marker, n) for n in range(1, 6)]))

    def both(uow, ids: list[int]) -> tuple[list[tuple], list[tuple]]:  # noqa: ANN001
        conn = uow.session.connection()
        params = {"marker": marker, "ids": ids}
        return (driver.select_rows(conn, _SELECT, params),
                [tuple(r) for r in conn.execute(_SELECT, params)])

    long = list(range(1, 2 + shaping.MAX_PREPARED_LIST))  # goes through SQLAlchemy
    for ids in ([2], [5, 1, 3], [4, 999], [], long):
        db.counter.reset()
        fast, slow = factory.write(both, ids)
        assert fast == slow
        assert [r[1] for r in fast] == sorted(i for i in ids if i <= 5)
        assert len(db.counter.statements) == 2
    [row] = factory.write(both, [3])[0]
    assert row == ("a3", 3, {"名": "上海", "n": 3, "x": [1.5, None]}, WHEN, None)
    if db.is_sqlite:  # prepared once per list length, up to MAX_PREPARED_LIST
        assert sum(1 for k in shaping.PREPARED if k[:2] == ("select", _SELECT)) == 4


def test_select_rows_report_a_driver_error_as_sqlalchemys(factory):
    broken = select(AUDIT.c.id).where(AUDIT.c.id == bindparam("id")).where(
        AUDIT.c.entity_id / 0 == bindparam("x"))  # valid SQL; a bad parameter type below
    with pytest.raises(exc.StatementError):
        factory.write(lambda uow: driver.select_rows(uow.session.connection(), broken,
                                                      {"id": 1, "x": object()}))


def test_select_rows_convert_parameters_and_constants_by_their_types(factory, db):
    """Parameters and constants of the statement go through their types' bind processors
    (an aware datetime, in another zone too, as the UTC text the column stores); a
    parameter rendered into the SQL (`literal_execute`) is never reused from a cache."""
    from datetime import timedelta, timezone

    marker = unique("P")
    factory.write(lambda uow: bulk.insert_ids(uow.session, AUDIT, [
        {**_audit_row(marker, n), "created_at": WHEN + timedelta(seconds=n)}
        for n in range(1, 6)]))
    at = (select(AUDIT.c.entity_id).where(AUDIT.c.entity_type == bindparam("m"),
                                          AUDIT.c.created_at == bindparam("when"))
          .where(AUDIT.c.created_at <= WHEN + timedelta(seconds=4)))
    shanghai = (WHEN + timedelta(seconds=2)).astimezone(timezone(timedelta(hours=8)))
    limited = (select(AUDIT.c.entity_id).where(AUDIT.c.entity_type == bindparam("m"))
               .order_by(AUDIT.c.id).limit(bindparam("n", type_=Integer, literal_execute=True)))

    def both(uow, stmt, params: dict) -> tuple[list, list]:  # noqa: ANN001
        conn = uow.session.connection()
        return (driver.select_rows(conn, stmt, params),
                [tuple(r) for r in conn.execute(stmt, params)])

    fast, slow = factory.write(both, at, {"m": marker, "when": shanghai})
    assert fast == slow == [(2,)]
    for n in (2, 4):
        fast, slow = factory.write(both, limited, {"m": marker, "n": n})
        assert fast == slow == [(i,) for i in range(1, n + 1)]
