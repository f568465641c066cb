"""The ticket queue with its customers, assignees, messages and notes issues the same
number of SQL statements for 5 and 25 tickets (the loaders batch every relation)."""

from __future__ import annotations

from app.auth.principal import Principal
from app.auth.roles import Role
from app.tickets import service
from tests.orders.support import gid, query_statements

QUERY = """query($n: Int, $c: ID) { tickets(first: $n, filter: {customerId: $c}) {
  edges { node { number status customer { name } assignee { fullName }
  messages { body authorName } internalNotes { body } } } } }"""


async def test_ticket_queue_statement_count_does_not_grow(api, factory, db):
    agent = factory.user("CUSTOMER_SERVICE")
    customer = factory.customer()
    as_agent = Principal(agent.id, Role.CUSTOMER_SERVICE)
    for i in range(25):
        ticket = factory.write(service.create_ticket, {
            "kind": "INQUIRY", "subject": f"问题 {i}", "customer_id": customer.id,
            "assignee_id": agent.id})
        factory.write(service.reply, ticket.id, "您好", principal=as_agent)
        factory.write(service.add_note, ticket.id, "内部", principal=as_agent)
    counts = {}
    for n in (5, 25):
        db.counter.reset()
        data = await api.ok(QUERY, {"n": n, "c": gid("Customer", customer.id)}, agent.token)
        counts[n] = len(query_statements(db))
        nodes = [e["node"] for e in data["tickets"]["edges"]]
        assert len(nodes) == n and all(len(x["messages"]) == 1 for x in nodes)
        assert all(x["assignee"] is not None and x["internalNotes"] for x in nodes)
    assert counts[5] == counts[25], query_statements(db)
