"""The RFM rules: how recency, frequency and monetary value become scores 1-5, and scores
a segment. Plain values, no SQL: the repository turns them into SQL expressions
(docs/architecture.md#customer-segments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.config import Settings


@dataclass(frozen=True)
class SegmentRules:
    # "quintiles": each score is the customer's fifth of all scored customers (ties share
    # it); "thresholds": the fixed steps below
    scoring: str = "quintiles"
    recency_days: tuple[int, ...] = (30, 60, 120, 240)  # at most: scores 5, 4, 3, 2
    frequency: tuple[int, ...] = (2, 3, 5, 8)  # orders at least: scores 2, 3, 4, 5
    monetary: tuple[int, ...] = (1000, 5000, 20000, 50000)  # spent at least: 2, 3, 4, 5
    vip_min_score: int = 4  # VIP: R, F and M each at least this
    value_min_score: int = 3  # high value: F or M at least this
    at_risk_max_recency: int = 2  # AT_RISK (high value) or LOST (the others): R at most

    @classmethod
    def from_settings(cls, settings: Settings) -> SegmentRules:
        return cls(scoring=settings.segment_scoring,
                   recency_days=settings.segment_recency_days,
                   frequency=settings.segment_frequency, monetary=settings.segment_monetary,
                   vip_min_score=settings.segment_vip_min_score,
                   value_min_score=settings.segment_value_min_score,
                   at_risk_max_recency=settings.segment_at_risk_max_recency)

    def recency_cutoffs(self, as_of: datetime) -> list[tuple[datetime, int]]:
        """(last order on or after, score), best first."""
        return [(as_of - timedelta(days=d), 5 - i) for i, d in enumerate(self.recency_days)]


def segment_of(r: int, f: int, m: int, rules: SegmentRules) -> str:
    """The rule the SQL CASE of the repository applies, in Python (tests, documentation):
    VIP, then AT_RISK / LOST by recency, then REGULAR for high value, else POTENTIAL."""
    high_value = f >= rules.value_min_score or m >= rules.value_min_score
    if min(r, f, m) >= rules.vip_min_score:
        return "VIP"
    if r <= rules.at_risk_max_recency:
        return "AT_RISK" if high_value else "LOST"
    return "REGULAR" if high_value else "POTENTIAL"
