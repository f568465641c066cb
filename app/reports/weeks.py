"""ISO weeks: parsing `YYYY-Www` and the last complete week in a time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from app.analytics.timezones import zone as zone_of
from app.errors import DomainError
from app.reports.models import IsoWeek

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse(text: str) -> IsoWeek:
    m = _WEEK.match(text.strip())
    if m:
        year, week = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, week, 1)
            return IsoWeek(year, week)
        except ValueError:
            pass
    raise DomainError(f"week {text!r} is not an ISO week: give YYYY-Www, e.g. 2026-W49 "
                      "(weeks 01 to 52 or 53, starting on Monday)", field=["week"])


def last_complete(now: datetime, zone: str) -> IsoWeek:
    """The week before the one `now` (aware, or naive UTC) falls in, in `zone`."""
    tz = zone_of(zone)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    today = now.astimezone(tz).date()
    year, week, _ = (today - timedelta(days=7)).isocalendar()
    return IsoWeek(year, week)
