"""The demo's satisfaction surveys: one per recent delivered order, most answered with
realistic scores, some low (a follow-up), some open and some expired, never after the
demo's day; the satisfaction report reads them in SQL
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.orders.models import Order
from app.surveys import service
from app.surveys.models import Survey
from app.surveys.repository import GroupBy
from tests.demo.conftest import NOW


def test_surveys_answered_low_open_and_expired(demo):
    def fetch(s):  # noqa: ANN001, ANN202
        surveys = list(s.exec(select(Survey)))
        delivered = {o.id for o in s.exec(select(Order).where(
            Order.status.in_(("DELIVERED", "COMPLETED"))))}
        report = service.satisfaction(s, NOW - timedelta(days=365), NOW, GroupBy.CARRIER)
        return surveys, delivered, report
    surveys, delivered, report = demo.runner.read_sync(fetch, (), {})
    statuses = [service.status_of(s, NOW) for s in surveys]
    assert len(surveys) > 100 and {s.order_id for s in surveys} <= delivered
    assert {"ANSWERED", "SENT", "EXPIRED"} == set(statuses)
    answered = [s for s in surveys if s.answered_at]
    assert 0.5 < len(answered) / len(surveys) < 0.8
    assert 3.5 < sum(s.csat for s in answered) / len(answered) < 4.5
    low = [s for s in answered if s.low_score]
    assert 0.1 < len(low) / len(answered) < 0.3 and all(s.comment or s.tags for s in low[:3])
    assert all(s.shipment_id for s in surveys)
    assert max(t for s in surveys for t in (s.sent_at, s.answered_at) if t) <= NOW
    assert report.total.sent == len([s for s in surveys
                                     if NOW - timedelta(days=365) <= s.sent_at < NOW])
    assert len(report.groups) >= 2 and all(g.label for g in report.groups)
