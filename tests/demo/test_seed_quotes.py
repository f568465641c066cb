"""The demo's quotes and agreements: every state, both languages, the approval queue at
both levels, and the customer login's own quotes (docs/architecture.md
#quotes-and-price-agreements)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlmodel import select

from app.auth.models import User
from app.auth.principal import Principal
from app.auth.roles import Role
from app.quotes import repository as repo
from app.quotes.models import FreightAgreement, PriceAgreement, Quote, QuoteLine, QuoteStatus
from app.quotes.workflow import Thresholds
from tests.demo.conftest import NOW


def test_quotes_in_every_state_with_agreements(demo):
    def fetch(s):  # noqa: ANN001, ANN202
        quotes = list(s.exec(select(Quote)))
        lines = list(s.exec(select(QuoteLine)))
        buyer = s.exec(select(User).where(User.role == "CUSTOMER")).first()
        scoped = repo.scope(select(Quote), Principal(buyer.id, Role.CUSTOMER,
                                                     customer_id=buyer.customer_id))
        return (quotes, lines, list(s.exec(scoped)), len(list(s.exec(select(PriceAgreement)))),
                len(list(s.exec(select(FreightAgreement)))))
    quotes, lines, buyer_sees, prices, freight = demo.runner.read_sync(fetch, (), {})
    assert {q.status for q in quotes} == {s.value for s in QuoteStatus}
    assert {q.approval_level for q in quotes if q.status == "PENDING_APPROVAL"} == {
        "MANAGER", "FINANCE"}
    assert all(q.number.startswith("Q-") for q in quotes) and prices >= 20 and freight == 8
    levels = Thresholds(Decimal("0.10"), Decimal("0.25"))  # the settings' defaults
    for q in quotes:  # each quote's level is what its discount asks for
        assert levels.level_for(q.max_discount).value == q.approval_level, q
        mine = [ln for ln in lines if ln.quote_id == q.id]
        assert mine and sum(ln.line_total for ln in mine) == q.total
    assert any("款" in q.terms for q in quotes)  # Chinese and English terms
    assert any("payment" in q.terms.lower() or "delivery" in q.terms for q in quotes)
    # the customer login sees its sent quotes, answered or not, and nothing else
    seen = Counter(q.status for q in buyer_sees)
    assert set(seen) == {"SENT", "ACCEPTED", "REJECTED", "EXPIRED"} and seen["SENT"] >= 1
    assert all(q.sent_at is not None for q in buyer_sees)
    # nothing happens after the demo's day (tests/demo/test_seed_dates.py)
    times = [t for q in quotes for t in (q.created_at, q.updated_at, q.submitted_at,
                                          q.approved_at, q.sent_at, q.decided_at) if t]
    assert max(times) <= NOW
