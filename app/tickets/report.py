"""The SLA report: tickets opened in a window, how many breached, the breach rate and the
median first-response and resolution times, overall, by priority and by agent
(docs/architecture.md#tickets-and-slas). Medians are taken in Python over the window's
rows (one statement): SQLite has no percentile function."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.tickets import repository as repo
from app.tickets import sla


@dataclass(frozen=True)
class SlaFigures:
    key: str | None  # the priority, the agent's id, or None for the total
    total: int
    resolved: int
    response_breached: int
    resolution_breached: int
    breached: int
    breach_rate: float | None
    median_first_response_minutes: float | None
    median_resolution_minutes: float | None


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 60, 1)


def _figures(key: str | None, rows: list[Any], now: datetime) -> SlaFigures:
    resp = [r for r in rows if r.response_breached_at is not None
            or sla.response_breached(r.first_response_due_at, r.first_responded_at, now)]
    res = [r for r in rows if r.resolution_breached_at is not None
           or sla.resolution_breached(r.resolution_due_at, r.resolved_at, now)]
    breached = len({r.id for r in resp} | {r.id for r in res})
    first = [m for r in rows if (m := _minutes(r.created_at, r.first_responded_at))
             is not None]
    done = [m for r in rows if (m := _minutes(r.created_at, r.resolved_at)) is not None]
    return SlaFigures(
        key=key, total=len(rows), resolved=sum(1 for r in rows if r.resolved_at),
        response_breached=len(resp), resolution_breached=len(res), breached=breached,
        breach_rate=round(breached / len(rows), 4) if rows else None,
        median_first_response_minutes=median(first) if first else None,
        median_resolution_minutes=median(done) if done else None)


@dataclass(frozen=True)
class SlaReport:
    overall: SlaFigures
    by_priority: list[SlaFigures]
    by_agent: list[SlaFigures]


def sla_report(session: Session, principal: Principal, start: datetime, end: datetime,
               now: datetime) -> SlaReport:
    rows = repo.report_rows(session, start, end)
    priorities: dict[str, list[Any]] = defaultdict(list)
    agents: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        priorities[row.priority].append(row)
        if row.assignee_id is not None:
            agents[str(row.assignee_id)].append(row)
    return SlaReport(
        overall=_figures(None, rows, now),
        by_priority=[_figures(p, priorities[p], now) for p in sla.PRIORITIES
                     if p in priorities],
        by_agent=[_figures(a, agents[a], now) for a in sorted(agents, key=int)])
