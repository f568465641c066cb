"""The benchmark's floor with the database (tests/bench/floor_db.py) bounds what S3 could
reach only while it does the work the order workflow does. Here one order goes through the
real API and one through the floor, for the same customer and product: both must end
CONFIRMED with their stock reserved, and write the same number of rows to every table the
workflow writes, notifications included once the planner has read their events. A workflow
change that writes more (or a floor that skips work) fails."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from app.notifications.planning import plan_pending
from tests.bench.floor_db import RawOrders
from tests.bench.scenarios.s3_orders import APPROVE, CREATE
from tests.orders.support import gid, pk

TABLES = ("sales_order", "order_line", "order_event", "order_allocation", "stock_movement",
          "notification", "audit_record", "outbox_event", "sync_change")
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _counts(kit) -> dict[str, int]:  # noqa: ANN001
    def fetch(session) -> dict[str, int]:  # noqa: ANN001
        return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in TABLES}
    return kit.read(fetch)


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in TABLES}


def _written(kit, order_id: int, number: str, outbox_after: int) -> dict:  # noqa: ANN001
    """What one order left behind, with its own ids and number taken out."""
    def fetch(session) -> dict:  # noqa: ANN001
        def rows(sql: str, **params: object) -> list[tuple]:
            return [tuple(r) for r in session.execute(text(sql), params)]
        topics = dict(rows("SELECT id, topic FROM outbox_event WHERE id > :after",
                           after=outbox_after))
        return {
            "order": rows("SELECT status, priority, version, subtotal, total, ship_region, "
                          "ship_recipient, ship_address, contact_id IS NOT NULL "
                          "FROM sales_order WHERE id = :o", o=order_id),
            "lines": rows("SELECT product_id, quantity, unit_price, line_total FROM order_line "
                          "WHERE order_id = :o ORDER BY id", o=order_id),
            "allocations": sorted(rows("SELECT product_id, warehouse_id, quantity FROM "
                                       "order_allocation WHERE order_id = :o", o=order_id)),
            "history": rows("SELECT type, from_status, to_status, details FROM order_event "
                            "WHERE order_id = :o ORDER BY id", o=order_id),
            "audit": rows("SELECT action FROM audit_record WHERE entity_type = 'Order' AND "
                          "entity_id = :o ORDER BY id", o=order_id),
            "movements": sorted(rows("SELECT product_id, warehouse_id, reserved_delta FROM "
                                     "stock_movement WHERE reference_id = :o", o=order_id)),
            "notifications": sorted(
                (channel, template, language, status, subject.replace(number, "N"),
                 body.replace(number, "N"), source.replace(str(order_id), "O"), topics[event])
                for channel, template, language, status, subject, body, source, event in rows(
                    "SELECT channel, template, language, status, subject, body, source_key, "
                    "event_id FROM notification WHERE source_key = :k", k=f"order_id={order_id}")),
            "outbox": sorted(topics.values()),
        }
    return kit.read(fetch)


def _max_outbox(kit) -> int:  # noqa: ANN001
    return kit.read(lambda s: s.execute(text("SELECT max(id) FROM outbox_event")).scalar_one())


class Statements:
    """The SQL the SQLite driver runs (one per executemany row), transaction control left
    out: SQLAlchemy's statement events cannot see the floor's raw cursor, the driver can."""

    def __init__(self, db) -> None:  # noqa: ANN001
        with db.write_engine.connect() as conn:  # the writer's one pooled connection
            self.driver = conn.connection.driver_connection
        self.seen: list[str] = []

    def __enter__(self) -> list[str]:
        self.driver.set_trace_callback(self._trace)
        return self.seen

    def __exit__(self, *_exc: object) -> None:
        self.driver.set_trace_callback(None)

    def _trace(self, sql: str) -> None:
        if not sql.lstrip().upper().startswith(_CONTROL):
            self.seen.append(sql)


async def test_floor_db_runs_what_the_workflow_runs(kit, factory, db, app, monkeypatch):  # noqa: ANN001
    if not db.is_sqlite:
        pytest.skip("the floor with the database is SQLite's (the S3 target is SQLite's)")
    # Both on this process's writer thread, whose connection the driver trace sees; the
    # floor's units run there too, and the SQL does not depend on the writer that runs it.
    runner = app.state.crm.runner
    monkeypatch.setattr(runner, "settings", replace(runner.settings, sqlite_writer="thread"))
    admin = factory.user("ADMIN")
    customer = kit.customer()
    east, north = kit.warehouse("华东"), kit.warehouse("华北")
    tea, rice = kit.product("25.00"), kit.product("7.50")
    kit.stock(tea, east, 10)  # no warehouse holds both: every order splits
    kit.stock(rice, north, 10)
    items = [(tea, 3), (rice, 2)]
    variables = {"input": {"customerId": gid("Customer", customer.id), "submit": True,
                           "lines": [{"productId": gid("Product", p.id), "quantity": q}
                                     for p, q in items]}}

    plan_pending(db)  # what earlier tests left to the planner (this app runs none)
    before, outbox = _counts(kit), _max_outbox(kit)
    with Statements(db) as real_sql:
        created = (await kit.api.ok(CREATE, variables, admin.token))["orderCreate"]
        approved = (await kit.api.ok(APPROVE, {"id": created["order"]["id"]},
                                     admin.token))["orderApprove"]
    assert approved["order"]["status"] == "CONFIRMED", approved
    assert plan_pending(db) == 6
    real_rows = _delta(_counts(kit), before)
    real = _written(kit, pk(created["order"]["id"]), created["order"]["number"], outbox)

    raw = RawOrders(runner, actor_id=admin.id, publish=app.state.crm.publish)
    before, outbox = _counts(kit), _max_outbox(kit)
    with Statements(db) as floor_sql:
        placed = await raw.create(customer.id, [(p.id, q) for p, q in items])
        confirmed = await raw.approve(placed["order"]["id"])
    assert confirmed["error"] is None and confirmed["order"]["status"] == "CONFIRMED"
    assert plan_pending(db) == 6
    floor_rows = _delta(_counts(kit), before)
    floor = _written(kit, placed["order"]["id"], placed["order"]["number"], outbox)

    assert len(floor_sql) == len(real_sql), (floor_sql, real_sql)
    assert floor_rows == real_rows
    for key in real:
        assert floor[key] == real[key], (key, floor[key], real[key])
    assert len(real["allocations"]) == 2 and len(real["notifications"]) == 6
    assert kit.reserved(tea) == 6 and kit.reserved(rice) == 4
    kit.assert_ledger_consistent(tea)
    kit.assert_ledger_consistent(rice)
    again = await raw.approve(placed["order"]["id"])  # refused, and nothing written
    assert again["error"][0] == "INVALID_TRANSITION"
    assert _delta(_counts(kit), before) == floor_rows
