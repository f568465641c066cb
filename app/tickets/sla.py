"""SLA due times: minutes to the first response and to the resolution by priority and
customer tier (no database; docs/architecture.md#tickets-and-slas).

The policy lives in the `ticket_sla_policy` table (seeded by migration 0014 with DEFAULTS,
changed by `ticketSlaPolicySet`); a pair missing from it falls back to DEFAULTS. Times are
wall-clock minutes from the ticket's creation: no business hours or holidays (a limit,
documented there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PRIORITIES = ("URGENT", "HIGH", "NORMAL", "LOW")
TIERS = ("STANDARD", "SILVER", "GOLD", "PLATINUM")
# STANDARD customers: (first response, resolution) in minutes
_BASE = {"URGENT": (30, 240), "HIGH": (60, 480), "NORMAL": (240, 1440), "LOW": (480, 4320)}
# better tiers are answered sooner: a fraction of STANDARD's times
_TIER_FACTOR = {"STANDARD": 1.0, "SILVER": 0.75, "GOLD": 0.5, "PLATINUM": 0.5}


@dataclass(frozen=True)
class Targets:
    first_response_minutes: int
    resolution_minutes: int


def default_targets(priority: str, tier: str) -> Targets:
    first, resolution = _BASE.get(priority, _BASE["NORMAL"])
    factor = _TIER_FACTOR.get(tier, 1.0)
    return Targets(round(first * factor), round(resolution * factor))


DEFAULTS: dict[tuple[str, str], Targets] = {
    (p, t): default_targets(p, t) for p in PRIORITIES for t in TIERS}


@dataclass(frozen=True)
class DueTimes:
    first_response_due_at: datetime
    resolution_due_at: datetime


def due_times(created_at: datetime, targets: Targets) -> DueTimes:
    return DueTimes(created_at + timedelta(minutes=targets.first_response_minutes),
                    created_at + timedelta(minutes=targets.resolution_minutes))


def response_breached(first_response_due_at: datetime, first_responded_at: datetime | None,
                      now: datetime) -> bool:
    """No first response by its due time (answered late, or not yet and past due)."""
    return (first_responded_at or now) > first_response_due_at


def resolution_breached(resolution_due_at: datetime, resolved_at: datetime | None,
                        now: datetime) -> bool:
    return (resolved_at or now) > resolution_due_at
