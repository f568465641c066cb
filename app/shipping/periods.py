"""Report periods of the logistics screens (COD reconciliation, delivery performance):
whole days in the business time zone (`CRM_BUSINESS_TIMEZONE`), as a half-open range of
UTC timestamps for the queries, and the local date of a timestamp for comparisons with
dates the business set in local days (promised dates, carrier estimates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.errors import Validator

MAX_DAYS = 366  # a leap year, both ends included
# far from date.min / date.max, so that a day's bounds in any time zone stay representable
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    zone: ZoneInfo
    start: datetime  # UTC, the first day's local midnight
    end: datetime  # UTC, the local midnight after the last day (excluded)

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def period(first_day: date, last_day: date, timezone: str) -> Period:
    """The days `first_day` to `last_day`, both included; a ValidationFailed on `from` /
    `to` when they are out of order, too far apart or out of range."""
    v = Validator()
    v.check(EARLIEST <= first_day <= LATEST, "from", "from must be a date between "
            f"{EARLIEST} and {LATEST}")
    v.check(EARLIEST <= last_day <= LATEST, "to", f"to must be a date between {EARLIEST} "
            f"and {LATEST}")
    v.raise_if_any()
    v.check(first_day <= last_day, "to", "to must not be before from")
    v.check((last_day - first_day).days < MAX_DAYS, "to",
            f"a period is at most {MAX_DAYS} days (from and to included)")
    v.raise_if_any()
    zone = ZoneInfo(timezone)
    return Period(first_day, last_day, zone, _midnight(first_day, zone),
                  _midnight(last_day + timedelta(days=1), zone))
