"""Service tests of customer segments on the real database (SQLite, or PostgreSQL with
make test-pg): exact RFM scores and segments of a hand-computed fixture, the incremental
recompute after order events, the churn warning exactly once, preferences and the
due-to-reorder list, saved segment counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.catalog import service as catalog_service
from app.cli import migrate
from app.notifications.models import Notification
from app.orders.models import Order
from app.persistence.db import Database
from app.persistence.uow import Runner
from app.segments import jobs, repository, service
from app.segments.models import CustomerSegment
from app.segments.repository import Criteria
from app.segments.scoring import SegmentRules, segment_of
from tests.demo.conftest import fresh_database
from tests.segments.fixture import CASES, THRESHOLDS, T, day, write_orders
from tests.support import unique


def _product(factory, category: str):  # noqa: ANN001, ANN202
    return factory.write(catalog_service.create_product, {
        "sku": unique("SKU-"), "name": unique("货品 "), "price": Decimal("10"),
        "cost": Decimal("1"), "category": category})


@pytest.fixture(scope="module")
def fixture(factory):  # noqa: ANN001, ANN201
    """The five customers of CASES, owned by one sales rep; the VIP buys 2 tea and 1 cups
    in each order, the others 1 tea."""
    rep = factory.user("SALES")
    tea, cups = _product(factory, "茶叶"), _product(factory, "茶具")
    ids = {}
    for name, (orders, *_rest) in CASES.items():
        customer = factory.customer(owner_id=rep.id, region="East")
        lines = [(tea, 2), (cups, 1)] if name == "vip" else [(tea, 1)]
        factory.write(write_orders, customer.id, orders, lines)
        ids[name] = customer.id
    return {"rep": rep, "ids": ids, "tea": tea, "cups": cups}


def _rows(runner: Runner, ids: list[int]) -> dict[int, CustomerSegment]:
    return runner.read_sync(repository.segments_by_customer, (ids,), {})


def _check(rows: dict[int, CustomerSegment], ids: dict[str, int]) -> None:
    for name, (_orders, scores, segment, cadence, next_offset) in CASES.items():
        row = rows[ids[name]]
        assert (row.r_score, row.f_score, row.m_score) == scores, name
        assert row.segment == segment == segment_of(*scores, THRESHOLDS), name
        if cadence is None:
            assert row.cadence_days is None and row.next_order_at is None, name
        else:
            assert row.cadence_days == pytest.approx(cadence), name
            assert abs(row.next_order_at - day(next_offset)) < timedelta(seconds=1), name
    assert rows[ids["vip"]].monetary == Decimal("25000.00")
    assert rows[ids["potential"]].order_count == 1  # the cancelled order does not count


def test_thresholds_give_the_hand_computed_scores(factory, runner, fixture) -> None:  # noqa: ANN001
    ids = fixture["ids"]
    result = factory.write(service.recompute_customers, list(ids.values()), T, THRESHOLDS)
    assert result.scored == 5
    _check(_rows(runner, list(ids.values())), ids)
    # the full recompute writes the same rows for them (thresholds ignore the others)
    factory.write(service.recompute_all, T, THRESHOLDS)
    _check(_rows(runner, list(ids.values())), ids)


def test_churn_warning_exactly_once_per_move(factory, runner, fixture) -> None:  # noqa: ANN001
    ids, rep = fixture["ids"], fixture["rep"]
    mine = list(ids.values())
    factory.write(service.recompute_customers, mine, T, THRESHOLDS)
    factory.plan_notifications()
    before = _warnings(runner, rep.id)
    # 100 days on: the REGULAR customer's last order is 150 days old (R 2): AT_RISK
    later = T + timedelta(days=100)
    first = factory.write(service.recompute_customers, mine, later, THRESHOLDS)
    assert [(m.customer_id, m.from_segment, m.to_segment) for m in first.churn] == [
        (ids["regular"], "REGULAR", "AT_RISK")]
    row = _rows(runner, [ids["regular"]])[ids["regular"]]
    assert (row.segment, row.previous_segment) == ("AT_RISK", "REGULAR")
    # the VIP (R 3 now) is REGULAR: no warning for that move
    assert _rows(runner, [ids["vip"]])[ids["vip"]].segment == "REGULAR"
    again = factory.write(service.recompute_customers, mine, later + timedelta(days=1),
                          THRESHOLDS)
    assert again.churn == []
    factory.plan_notifications()
    warnings = _warnings(runner, rep.id)
    assert len(warnings) - len(before) == 2  # one in-app and one e-mail row, for one move
    assert {w.channel for w in warnings[len(before):]} == {"IN_APP", "EMAIL"}
    # back where they were, for the other tests
    factory.write(service.recompute_customers, mine, T, THRESHOLDS)


def _warnings(runner: Runner, user_id: int) -> list[Notification]:
    def fetch(session: Session) -> list[Notification]:
        return list(session.exec(select(Notification).where(
            Notification.user_id == user_id, Notification.template == "staff_churn_warning")
            .order_by(Notification.id)))
    return runner.read_sync(fetch, (), {})


def test_preferences_and_due_to_reorder(factory, runner, fixture) -> None:  # noqa: ANN001
    ids, rep = fixture["ids"], fixture["rep"]
    factory.write(service.recompute_customers, list(ids.values()), T, THRESHOLDS)
    prefs = runner.read_sync(repository.preferences_by_customer, ([ids["vip"]],), {})
    p = prefs[ids["vip"]]
    assert [(c.category, c.quantity, c.orders) for c in p.top_categories] == [
        ("茶叶", 10, 5), ("茶具", 5, 5)]
    assert [(t.product_id, t.orders, t.quantity, t.usual_quantity) for t in p.top_products] \
        == [(fixture["tea"].id, 5, 10, 2), (fixture["cups"].id, 5, 5, 1)]
    assert p.cadence_days == pytest.approx(10.0)
    sales = Principal(user_id=rep.id, role=Role.SALES)
    due = runner.read_sync(service.due_to_reorder, (sales, 7, 50), {"now": T})
    # overdue first; the LOST customer is left out, POTENTIAL has no cadence
    assert [c.id for c in due] == [ids["at_risk"], ids["regular"], ids["vip"]]
    soon = runner.read_sync(service.due_to_reorder, (sales, 7, 50),
                            {"now": T - timedelta(days=60)})
    assert [c.id for c in soon] == [ids["at_risk"]]  # the others are due later


def test_saved_segment_counts_in_scope(factory, runner, fixture) -> None:  # noqa: ANN001
    ids, rep = fixture["ids"], fixture["rep"]
    factory.write(service.recompute_customers, list(ids.values()), T, THRESHOLDS)
    sales = Principal(user_id=rep.id, role=Role.SALES)
    other = Principal(user_id=factory.user("SALES").id, role=Role.SALES)
    value = Criteria(segments=("VIP", "REGULAR", "AT_RISK"), regions=("East",))
    row = factory.write(service.save_segment, unique("High value "), value)
    assert runner.read_sync(service.segment_count, (sales, row.criteria), {}) == 3
    assert runner.read_sync(service.segment_count, (other, row.criteria), {}) == 0
    assert runner.read_sync(service.segment_counts, (sales,), {}) == {
        "VIP": 1, "REGULAR": 1, "POTENTIAL": 1, "AT_RISK": 1, "LOST": 1}
    recent = Criteria(min_recency_score=4)
    assert runner.read_sync(service.segment_count, (sales, recent.to_json()), {}) == 3


async def test_incremental_recompute_after_order_events(factory, runner, kit) -> None:  # noqa: ANN001
    """An order placed through the API: the updater (what the server's background consumer
    runs) scores its customer from the order's events."""
    jobs.update_pending(runner)  # what earlier tests left
    admin = factory.user("ADMIN")
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 10)
    customer = kit.customer()
    assert _rows(runner, [customer.id]) == {}
    order = await kit.order(admin.token, customer, [(product, 2)])
    await kit.ok_step("orderSubmit", order["id"], admin.token)
    await kit.ok_step("orderApprove", order["id"], admin.token)
    assert jobs.update_pending(runner) >= 1
    row = _rows(runner, [customer.id])[customer.id]
    assert row.order_count == 1 and row.monetary > 0
    await kit.ok_step("orderCancel", order["id"], admin.token, reason="test")
    jobs.update_pending(runner)
    assert _rows(runner, [customer.id]) == {}  # no purchases left: no segment


def test_quintiles_on_a_database_of_its_own(factory) -> None:  # noqa: ANN001
    """Customer i of 5 has i orders of 100 * i each, the last 10 * (6 - i) days ago: every
    score of customer i is i, the customers' fifth by rank."""
    with fresh_database() as url:
        migrate(url)
        db = Database(url)
        try:
            runner = Runner(db, settings=factory.settings)
            tea = runner.write_sync(catalog_service.create_product, {
                "sku": "Q-1", "name": "q", "price": Decimal("1"), "cost": Decimal("1")},
                principal=Principal(user_id=0, role=Role.ADMIN))
            ids = []
            for i in range(1, 6):
                customer_id = runner.write_sync(_customer, f"Q{i}")
                specs = [(-10 * (6 - i) - 30 * k, str(100 * i), "COMPLETED")
                         for k in range(i)]
                runner.write_sync(write_orders, customer_id, specs, [(tea, 1)])
                ids.append(customer_id)
            runner.write_sync(service.recompute_all, T, SegmentRules())
            rows = runner.read_sync(repository.segments_by_customer, (ids,), {})
            assert [(rows[c].r_score, rows[c].f_score, rows[c].m_score, rows[c].segment)
                    for c in ids] == [(1, 1, 1, "LOST"), (2, 2, 2, "LOST"),
                                      (3, 3, 3, "REGULAR"), (4, 4, 4, "VIP"),
                                      (5, 5, 5, "VIP")]
            # one customer again, against the stored others: the same scores
            runner.write_sync(service.recompute_customers, [ids[2]], T, SegmentRules())
            row = runner.read_sync(repository.segments_by_customer, ([ids[2]],), {})[ids[2]]
            assert (row.r_score, row.f_score, row.m_score) == (3, 3, 3)
        finally:
            db.dispose()


def _customer(uow, code: str) -> int:  # noqa: ANN001
    from app.customers.models import Customer

    row = Customer(code=code, name=code)
    uow.session.add(row)
    uow.session.flush()
    return row.id


def _cancel_all(uow, customer_id: int) -> None:  # noqa: ANN001
    uow.session.execute(update(Order).where(Order.customer_id == customer_id)
                        .values(status="CANCELLED"))


def test_unchanged_rows_are_left_and_customers_without_purchases_go(factory, runner) -> None:  # noqa: ANN001
    """A recompute rewrites only the rows whose figures changed (S8,
    docs/architecture.md#customer-segments) and removes those of customers without
    purchases."""
    customer = factory.customer()
    factory.write(write_orders, customer.id, [(-20, "100", "COMPLETED"),
                                              (-10, "100", "COMPLETED")])
    assert factory.write(service.recompute_customers, [customer.id], T, THRESHOLDS).scored == 1
    assert _rows(runner, [customer.id])[customer.id].computed_at == T
    later = T + timedelta(days=1)  # the same scores a day on: the row is left as it was
    assert factory.write(service.recompute_customers, [customer.id], later,
                         THRESHOLDS).scored == 1
    assert _rows(runner, [customer.id])[customer.id].computed_at == T
    factory.write(write_orders, customer.id, [(0, "100", "COMPLETED")])
    factory.write(service.recompute_customers, [customer.id], later, THRESHOLDS)
    row = _rows(runner, [customer.id])[customer.id]
    assert (row.order_count, row.computed_at) == (3, later)
    assert row.cadence_days == pytest.approx(10.0)  # 20 days over two gaps
    factory.write(_cancel_all, customer.id)
    assert factory.write(service.recompute_customers, [customer.id], later,
                         THRESHOLDS).scored == 0
    assert customer.id not in _rows(runner, [customer.id])
