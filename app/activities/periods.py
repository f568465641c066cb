"""Weeks, months and quarters in the business time zone, and the pace of a target: plain
functions, no SQL (docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.activities.models import TargetPeriod


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def is_period_start(period: str, day: date) -> bool:
    if period == TargetPeriod.MONTH.value:
        return day.day == 1
    return day.day == 1 and day.month in (1, 4, 7, 10)


def period_end(period: str, start: date) -> date:
    """The first day after the period that begins on `start`."""
    months = 1 if period == TargetPeriod.MONTH.value else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def utc_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) as business days, in UTC instants."""
    zone = ZoneInfo(timezone)
    return tuple(datetime.combine(d, time(0), zone).astimezone(UTC)  # type: ignore[return-value]
                 for d in (start, end))


def elapsed_fraction(now: datetime, start: datetime, end: datetime) -> float:
    total = (end - start).total_seconds()
    return min(1.0, max(0.0, (now - start).total_seconds() / total)) if total > 0 else 1.0


def pace(achieved: Decimal, target: Decimal, elapsed: float) -> float | None:
    """Progress / elapsed fraction of the period: 1.0 is on pace; None before any of the
    period has passed or without a target."""
    if target <= 0 or elapsed <= 0:
        return None
    return float(achieved / target) / elapsed


def behind(achieved: Decimal, target: Decimal, elapsed: float, threshold: float,
           min_elapsed: float = 0.1) -> bool:
    """Behind pace: past the first tenth of the period (a day or two in says nothing),
    not yet at the target, and pace below `threshold`."""
    value = pace(achieved, target, elapsed)
    return (value is not None and elapsed >= min_elapsed and achieved < target
            and value < threshold)
