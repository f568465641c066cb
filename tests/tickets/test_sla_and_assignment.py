"""SLA due times and breach detection on a fixture clock, escalation, and automatic
assignment to the least loaded agent, also when creates race
(docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from app.auth.principal import SYSTEM
from app.notifications.repository import source_key
from app.tickets import breaches, service
from app.tickets.models import Ticket
from tests.activities.support import notifications
from tests.tickets import support as t


def _open(factory, customer, priority="HIGH", now=t.T0, **extra):  # noqa: ANN001, ANN201
    data = {"kind": "COMPLAINT", "subject": "包裹破损 / damaged", "priority": priority,
            "customer_id": customer.id, **extra}
    return factory.write(service.create_ticket, data, now)


def test_due_times_follow_priority_and_tier(factory):
    standard, gold = factory.customer(), factory.customer(tier="GOLD")
    agent = factory.user("CUSTOMER_SERVICE")
    high = _open(factory, standard, "HIGH", assignee_id=agent.id)
    assert high.first_response_due_at == t.T0 + timedelta(minutes=60)
    assert high.resolution_due_at == t.T0 + timedelta(minutes=480)
    urgent_gold = _open(factory, gold, "URGENT", assignee_id=agent.id)
    assert urgent_gold.first_response_due_at == t.T0 + timedelta(minutes=15)
    assert urgent_gold.resolution_due_at == t.T0 + timedelta(minutes=120)
    assert (high.status, high.assignee_id) == ("OPEN", agent.id)


def test_breaches_are_marked_once_and_escalate(factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    manager = factory.user("MANAGER")
    ticket = _open(factory, customer, "NORMAL", assignee_id=agent.id)  # 240 / 1440 min
    check = breaches.check_breaches
    before = factory.write(check, t.T0 + timedelta(minutes=239), principal=SYSTEM)
    assert ticket.id not in {pk for pk, _ in before.breached}

    late = factory.write(check, t.T0 + timedelta(minutes=241), principal=SYSTEM)
    assert (ticket.id, "FIRST_RESPONSE") in late.breached
    with ThreadPoolExecutor(2) as pool:  # two runs racing: one claims it
        runs = [pool.submit(factory.runner.write_sync, check,
                            t.T0 + timedelta(minutes=242), principal=SYSTEM)
                for _ in range(2)]
        again = [r.result() for r in runs]
    assert all(ticket.id not in {pk for pk, _ in r.breached} for r in again)
    assert len(t.events(factory, "ticket.breached", ticket.id)) == 1

    overdue = factory.write(check, t.T0 + timedelta(minutes=1441), principal=SYSTEM)
    assert (ticket.id, "RESOLUTION") in overdue.breached and ticket.id in overdue.escalated
    row = t.row(factory, Ticket, ticket.id)
    assert row.priority == "HIGH" and row.resolution_breached_at is not None
    escalated = t.events(factory, "ticket.escalated", ticket.id)
    assert [(e["from_priority"], e["priority"]) for e in escalated] == [("NORMAL", "HIGH")]

    factory.plan_notifications()
    notices = notifications(factory, "staff_ticket_breached",
                            source_key("ticket_id", ticket.id))
    users = {n.user_id for n in notices if n.channel == "IN_APP"}
    assert {agent.id, manager.id} <= users


def test_a_first_response_in_time_is_no_breach(factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    ticket = _open(factory, customer, "HIGH", assignee_id=agent.id)
    factory.write(service.reply, ticket.id, "您好，我们正在处理。",
                  t.T0 + timedelta(minutes=30), principal=_agent(agent))
    result = factory.write(breaches.check_breaches, t.T0 + timedelta(minutes=90),
                           principal=SYSTEM)
    assert ticket.id not in {pk for pk, _ in result.breached}
    row = t.row(factory, Ticket, ticket.id)
    assert (row.status, row.first_responded_at) == ("PENDING_CUSTOMER",
                                                    t.T0 + timedelta(minutes=30))


def _agent(user):  # noqa: ANN001, ANN202
    from app.auth.principal import Principal
    from app.auth.roles import Role
    return Principal(user_id=user.id, role=Role(user.role))


def _water_fill(load: dict[int, int], n: int) -> dict[int, int]:
    """What n assignments to the least loaded agent (lowest id on a tie) leave."""
    out = dict(load)
    for _ in range(n):
        pick = min(out, key=lambda k: (out[k], k))
        out[pick] += 1
    return out


def test_automatic_assignment_balances_load(factory):
    customer = factory.customer()
    factory.user("CUSTOMER_SERVICE")
    factory.user("CUSTOMER_SERVICE")
    before = t.load(factory)
    for _ in range(5):
        _open(factory, customer)
    assert t.load(factory) == _water_fill(before, 5)


def test_racing_creates_keep_the_balance(factory):
    customer = factory.customer()
    factory.user("CUSTOMER_SERVICE")
    before = t.load(factory)
    data = {"kind": "INQUIRY", "subject": "并发", "customer_id": customer.id}
    with ThreadPoolExecutor(4) as pool:
        runs = [pool.submit(factory.runner.write_sync, service.create_ticket, dict(data),
                            principal=SYSTEM) for _ in range(8)]
        made = [r.result() for r in runs]
    assert all(m.assignee_id is not None for m in made)
    assert t.load(factory) == _water_fill(before, 8)
