"""Delivery performance of the network (`deliveryPerformance`) and the shipments at risk
of arriving late (`shipmentsAtRisk`) (docs/architecture.md#delivery-performance).

Over the shipments picked up in a period, per carrier, service, warehouse or destination
region: how many, how many delivered, the on-time rate against the date promised to the
customer and against the carrier's estimate (delivered on or before that local day, among
the delivered ones with such a date), the average and 90th-percentile transit time
(pickup to delivery), the share of shipments with a delivery exception and with a failed
delivery attempt, and what carriers charged per billable kg.

The shipments' facts come in one statement (two with the groups' names) and are summed up
here: the on-time rule compares local days (CRM_BUSINESS_TIMEZONE), which SQLite cannot
compute, and the percentile needs each group's transit times anyway."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.persistence.pagination import Page, PageRequest
from app.shipping import periods
from app.shipping import repository as repo
from app.shipping.models import Shipment
from app.shipping.repository import PerformanceGroup

CENT = Decimal("0.01")
NONE = "(none)"  # the name of a group without a key (no region, no service)


@dataclass(frozen=True)
class GroupPerformance:
    group: PerformanceGroup
    key: Any  # carrier, service or warehouse id, or the region
    code: str
    name: str
    shipments: int
    delivered: int
    on_time_promised: float | None  # None: nothing delivered had a promised date
    on_time_estimate: float | None
    avg_transit_hours: float | None  # None: nothing delivered
    p90_transit_hours: float | None
    exception_rate: float
    failed_attempt_rate: float
    cost_per_kg: Decimal | None  # None: no billable weight, or currencies mixed
    currency: str | None


def p90(values: list[float]) -> float:
    """The nearest-rank 90th percentile: the smallest value at least 90% of the values do
    not exceed (an observed value, never an interpolation)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]


class _Group:
    """Running sums of one group (a class with slots: a year of shipments goes through)."""

    __slots__ = ("shipments", "delivered", "transit", "promised", "promised_kept",
                 "estimated", "estimate_kept", "exceptions", "failed", "cost", "kg",
                 "currencies")

    def __init__(self) -> None:
        self.shipments = self.delivered = self.promised = self.promised_kept = 0
        self.estimated = self.estimate_kept = self.exceptions = self.failed = 0
        self.transit: list[float] = []
        self.cost = self.kg = Decimal("0")
        self.currencies: set[str] = set()

    def add(self, row: Any, local_date: Callable[[datetime], date]) -> None:
        self.shipments += 1
        self.exceptions += bool(row.had_exception)
        self.failed += row.failed_attempts > 0
        if row.billable_weight_kg:
            self.cost += row.cost
            self.kg += row.billable_weight_kg
            self.currencies.add(row.currency or "")
        if row.delivered_at is None:
            return
        self.delivered += 1
        self.transit.append((row.delivered_at - row.shipped_at).total_seconds() / 3600)
        day = local_date(row.delivered_at)
        if row.promised_date is not None:
            self.promised += 1
            self.promised_kept += day <= row.promised_date
        if row.estimated_delivery is not None:
            self.estimated += 1
            self.estimate_kept += day <= row.estimated_delivery


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _summary(group: PerformanceGroup, key: Any, name: tuple[str, str], g: _Group
             ) -> GroupPerformance:
    one_currency = len(g.currencies) == 1 and "" not in g.currencies
    return GroupPerformance(
        group=group, key=key, code=name[0], name=name[1], shipments=g.shipments,
        delivered=g.delivered, on_time_promised=_rate(g.promised_kept, g.promised),
        on_time_estimate=_rate(g.estimate_kept, g.estimated),
        avg_transit_hours=round(sum(g.transit) / len(g.transit), 2) if g.transit else None,
        p90_transit_hours=round(p90(g.transit), 2) if g.transit else None,
        exception_rate=round(g.exceptions / g.shipments, 4),
        failed_attempt_rate=round(g.failed / g.shipments, 4),
        cost_per_kg=(g.cost / g.kg).quantize(CENT) if g.kg and one_currency else None,
        currency=next(iter(g.currencies)) if one_currency else None)


def summarize(group: PerformanceGroup, rows: Iterable[Any], span: periods.Period,
              names: dict[Any, tuple[str, str]]) -> list[GroupPerformance]:
    """Each group's figures from its shipments' facts (rows of
    `repository.shipped_facts`), by name."""
    groups: dict[Any, _Group] = {}
    for row in rows:
        g = groups.get(row.key)
        if g is None:
            g = groups[row.key] = _Group()
        g.add(row, span.local_date)
    out = [_summary(group, key, _name(group, key, names), g) for key, g in groups.items()]
    return sorted(out, key=lambda p: (p.name, p.code, str(p.key)))


def _name(group: PerformanceGroup, key: Any, names: dict[Any, tuple[str, str]]
          ) -> tuple[str, str]:
    if not key:
        return "", NONE
    if group is PerformanceGroup.REGION:
        return key, key
    return names.get(key, ("", f"#{key}"))


def delivery_performance(session: Session, principal: Principal, first_day: date,
                         last_day: date, group: PerformanceGroup, timezone: str
                         ) -> list[GroupPerformance]:
    """Per group, the shipments the principal may see that were picked up on the days
    `first_day` to `last_day` (business time zone). Two statements at most, whatever the
    number of shipments."""
    span = periods.period(first_day, last_day, timezone)
    rows = repo.shipped_facts(session, principal, group, span.start, span.end)
    names = repo.group_names(session, group, {r.key for r in rows})
    return summarize(group, rows, span, names)


def shipments_at_risk(session: Session, principal: Principal, page: PageRequest
                      ) -> Page[Shipment]:
    """Shipments not yet delivered (nor returned or cancelled) whose carrier estimate is
    later than the promised date, oldest promise first, in the principal's scope."""
    return repo.at_risk(session, principal, page)
