"""`salesFunnel`: the opportunities created in a period, grouped by stage, owner or source
(docs/architecture.md#leads-and-the-sales-funnel). The database computes every figure
(app/sales/repository/funnel.py); here they are only put in order and divided.

Per group: count, amount, weighted amount (amount x probability), won, lost and the win
rate won / (won + lost). By STAGE, also: how many reached the stage, the share of those
that went on to a further stage other than a lost one (the stage-to-stage conversion) and
the average days of the stays in it that ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.errors import Validator
from app.sales import repository as repo
from app.sales.repository import FunnelGroup, FunnelRow

CENT = Decimal("0.01")
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class FunnelFigures:
    key: Any  # stage id, owner id or source; None for the totals (or an unowned group)
    count: int
    amount: Decimal
    weighted_amount: Decimal
    won: int
    lost: int
    win_rate: float | None
    reached: int | None = None
    conversion_rate: float | None = None
    average_days_in_stage: float | None = None
    stage: Any | None = None


@dataclass(frozen=True)
class Funnel:
    group: FunnelGroup
    currency: str
    rows: list[FunnelFigures]
    total: FunnelFigures


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(key: Any, rows: list[FunnelRow], **extra: Any) -> FunnelFigures:
    won, lost = sum(r.won for r in rows), sum(r.lost for r in rows)
    weighted = sum((r.probability_amount for r in rows), Decimal(0)) / 100
    return FunnelFigures(
        key=key, count=sum(r.count for r in rows),
        amount=sum((r.amount for r in rows), Decimal(0)).quantize(CENT),
        weighted_amount=weighted.quantize(CENT, rounding=ROUND_HALF_UP), won=won, lost=lost,
        win_rate=_ratio(won, won + lost), **extra)


def _by_stage(session: Session, principal: Principal, rows: list[FunnelRow],
              args: tuple) -> list[FunnelFigures]:
    flows = {f.stage_id: f for f in repo.stage_flow(session, principal, *args)}
    current = {r.key: r for r in rows}
    out = []
    for stage in repo.stages(session):
        flow, row = flows.get(stage.id), current.get(stage.id)
        if not stage.is_active and flow is None and row is None:
            continue
        days = None if flow is None or flow.avg_seconds is None else round(
            flow.avg_seconds / 86400, 2)
        out.append(_figures(stage.id, [row] if row else [], stage=stage,
                            reached=flow.reached if flow else 0,
                            conversion_rate=None if stage.is_won or stage.is_lost or not flow
                            else _ratio(flow.advanced, flow.reached),
                            average_days_in_stage=days))
    return out


def sales_funnel(session: Session, principal: Principal, start: date, end: date,
                 owner_id: int | None, group: FunnelGroup, currency: str = "CNY") -> Funnel:
    """Opportunities created from `start` to `end` (both days included, UTC)."""
    v = Validator()
    v.check(start <= end, "to", "the period ends on or after its start")
    v.check((end - start).days <= MAX_DAYS, "to", "a funnel covers at most three years")
    v.check(len(currency) == 3 and currency.isalpha() and currency.isupper(), "currency",
            "currency is a three-letter ISO code")
    v.raise_if_any()
    args = (datetime.combine(start, time(), UTC),
            datetime.combine(end + timedelta(days=1), time(), UTC), owner_id, currency)
    rows = repo.funnel_rows(session, principal, group, *args)
    if group is FunnelGroup.STAGE:
        figures = _by_stage(session, principal, rows, args)
    else:
        figures = [_figures(r.key, [r]) for r in sorted(
            rows, key=lambda r: (-r.amount, str(r.key)))]
    return Funnel(group, currency, figures, _figures(None, rows))
