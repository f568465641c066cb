"""The quotes list with its lines, their products and customers issues the same number of
SQL statements for 5 and 25 quotes (the loaders batch every relation)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.auth.principal import Principal
from app.auth.roles import Role
from app.quotes import service as quotes
from tests.orders.support import query_statements
from tests.quotes.support import today

QUERY = """query($n: Int) { quotes(first: $n) { edges { node {
  number status total { amount } customer { name }
  lines { quantity unitPrice { amount } product { name } }
} } } }"""


async def test_quotes_list_statement_count_does_not_grow(kit, factory, db):
    rep = factory.user("SALES")
    customers = [kit.customer(owner_id=rep.id) for _ in range(5)]
    tea, cup = kit.product("10.00"), kit.product("5.00")
    principal = Principal(rep.id, Role.SALES)
    for i in range(25):
        factory.write(quotes.create_quote, quotes.QuoteDraft(
            customer_id=customers[i % 5].id, valid_until=today() + timedelta(days=9),
            lines=(quotes.QuoteLineRequest(tea.id, 1 + i % 3),
                   quotes.QuoteLineRequest(cup.id, 2, discount_rate=Decimal("0.05")))),
            principal=principal)
    counts = {}
    for n in (5, 25):
        db.counter.reset()
        data = await kit.api.ok(QUERY, {"n": n}, rep.token)
        counts[n] = len(query_statements(db))
        nodes = [e["node"] for e in data["quotes"]["edges"]]
        assert len(nodes) == n and all(len(node["lines"]) == 2 for node in nodes)
        assert all(node["customer"]["name"] for node in nodes)
    assert counts[5] == counts[25], query_statements(db)
    assert counts[25] <= 5, query_statements(db)  # quotes, customers, lines, products
