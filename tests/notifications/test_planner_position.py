"""The planner's outbox position (app/events/repository/consumers.py): each committed
event is planned exactly once, by whichever process gets there first, and retention keeps
what the planner has not read yet."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlmodel import Session

from app.events import topics
from app.events.housekeeping import Housekeeping
from app.events.relay import OutboxRelay
from app.events.repository import consumers, outbox
from app.notifications import planner
from app.notifications.planning import backlog, plan_pending, read_batch
from app.orders.models import Order
from app.persistence.columns import utcnow
from tests.notifications.support import rows, unique_email
from tests.support import unique


def _delivered(uow, customer_id: int, times: int) -> int:  # noqa: ANN001
    """An order and `times` DELIVERED transitions of it (a re-confirmed delivery)."""
    order = Order(number=unique("SO-DLV-"), customer_id=customer_id, status="DELIVERED")
    uow.session.add(order)
    uow.session.flush()
    for _ in range(times):
        uow.emit(topics.ORDER_STATUS_CHANGED, order_id=order.id, customer_id=customer_id,
                 from_status="SHIPPED", to_status="DELIVERED", at=utcnow().isoformat())
    return order.id


def _unplanned(uow) -> None:  # noqa: ANN001
    uow.emit("test.unplanned")


def _position(db) -> int:  # noqa: ANN001
    with Session(db.read_engine) as session:
        return consumers.position(session, planner.CONSUMER)


def test_two_planners_racing_plan_each_event_once(factory, db):
    factory.plan_notifications()
    customers = [factory.customer(email=unique_email(), phone=None) for _ in range(3)]
    for customer in customers:
        for _ in range(4):
            factory.write(_delivered, customer.id, 1)  # four orders each
    start = threading.Barrier(2)
    planned: list[int] = []

    def plan() -> None:
        start.wait()
        planned.append(plan_pending(db, limit=5))  # small batches: many rounds to race

    threads = [threading.Thread(target=plan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(planned) == 3 * 4 * 2  # EMAIL and IN_APP per delivery, however split
    for customer in customers:
        found = Counter((n.source_key, n.channel) for n in rows(factory, customer_id=customer.id))
        assert len(found) == 8 and set(found.values()) == {1}


def test_a_batch_whose_position_moved_meanwhile_writes_nothing(factory, db):
    factory.plan_notifications()
    customer = factory.customer(email=unique_email(), phone=None)
    factory.write(_delivered, customer.id, 1)
    with Session(db.read_engine) as session:
        stale = read_batch(session, 100)
    assert stale is not None and stale.rows
    assert factory.plan_notifications() == 2  # another process got there first
    with Session(db.write_engine) as session:
        assert planner.record(session, stale.start, stale.end, stale.rows) is None
        session.commit()
    assert len(rows(factory, customer_id=customer.id)) == 2
    assert _position(db) == stale.end


def test_repeated_events_of_one_batch_make_one_delivered_message(factory, db):
    factory.plan_notifications()
    customer = factory.customer(email=unique_email(), phone=None)
    order_id = factory.write(_delivered, customer.id, 3)  # one transaction, one batch
    with Session(db.read_engine) as session:
        assert backlog(session) == 3
    factory.plan_notifications()
    with Session(db.read_engine) as session:
        assert backlog(session) == 0
    found = [(n.template, n.channel, n.source_key) for n in rows(factory, customer_id=customer.id)]
    assert sorted(found) == [("order_delivered", "EMAIL", f"order_id={order_id}"),
                             ("order_delivered", "IN_APP", f"order_id={order_id}")]


async def test_retention_keeps_the_events_the_planner_has_not_read(factory, db, settings):
    factory.plan_notifications()
    customer = factory.customer(email=unique_email(), phone=None)
    factory.write(_delivered, customer.id, 1)
    factory.write(_unplanned)  # the delivery is not the newest event: not the horizon
    relay = OutboxRelay(db, bus=_NoBus(), grace=0)
    await relay.recover()  # every event published: only the planner holds this one back
    await Housekeeping(db, settings).run_once(now=utcnow() + timedelta(days=30))
    with Session(db.read_engine) as session:
        [event] = outbox.events_after(session, _position(db), {topics.ORDER_STATUS_CHANGED},
                                      {"customer_id": customer.id})
    assert factory.plan_notifications() == 2
    assert {n.channel for n in rows(factory, customer_id=customer.id)} == {"EMAIL", "IN_APP"}
    factory.update_segments()  # the other consumer of order events
    await relay.recover()
    await Housekeeping(db, settings).run_once(now=utcnow() + timedelta(days=30))
    with Session(db.read_engine) as session:
        assert outbox.min_id(session) >= event.id  # planned now, so it may go


class _NoBus:
    async def publish(self, _events) -> None:  # noqa: ANN001
        return None
