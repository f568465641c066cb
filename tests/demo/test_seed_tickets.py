"""The demo's tickets: every state, SLA breaches, a merged pair, a delivery change waiting
for approval, and the customer login's own tickets, its internal notes kept apart
(docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from sqlmodel import select

from app.auth.models import User
from app.auth.principal import Principal
from app.auth.roles import Role
from app.tickets import repository as repo
from app.tickets.models import Ticket, TicketMessage, TicketStatus
from tests.demo.conftest import NOW


def test_tickets_in_every_state_with_breaches_and_a_merged_pair(demo):
    def fetch(s):  # noqa: ANN001, ANN202
        buyer = s.exec(select(User).where(User.role == "CUSTOMER")).first()
        scoped = repo.scope(select(Ticket), Principal(buyer.id, Role.CUSTOMER,
                                                      customer_id=buyer.customer_id))
        return (list(s.exec(select(Ticket))), list(s.exec(select(TicketMessage))),
                list(s.exec(scoped)))
    tickets, messages, mine = demo.runner.read_sync(fetch, (), {})
    assert {t.status for t in tickets} == {s.value for s in TicketStatus}
    assert sum(1 for t in tickets if t.response_breached_at) >= 5
    assert sum(1 for t in tickets if t.resolution_breached_at) >= 3
    merged = [t for t in tickets if t.merged_into_id]
    assert len(merged) == 1 and merged[0].close_reason == "MERGED"
    assert any(t.kind == "DELIVERY_CHANGE" and t.change_status == "PENDING" for t in tickets)
    assert {t.status for t in mine} == {s.value for s in TicketStatus}
    assert any(m.internal for m in messages) and any(not m.internal for m in messages)
    assert all(t.assignee_id is None for t in tickets if t.status == "NEW")
    times = [x for t in tickets for x in (t.created_at, t.first_responded_at, t.resolved_at,
                                           t.closed_at) if x]
    assert max(times) <= NOW
