"""Time zones for analytics: the window's bounds and the local-time offsets SQL needs.

A window is two local dates, half-open (`from` inclusive, `to` exclusive), in an IANA zone;
its bounds are converted to UTC here with zoneinfo. PostgreSQL converts each row's time with
`AT TIME ZONE` itself; SQLite has no zone database, so the repository adds to each UTC time
the offset in force then, from the list of (until, offset) segments computed here for the
window (two per year in a zone with daylight saving time, one in Asia/Shanghai), which is
right across DST changes (docs/architecture.md#analytics).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.analytics.models import Window
from app.errors import DomainError

MAX_WINDOW_DAYS = 3 * 366 + 1
# segments reach past the window: a shipment picked up inside it may be delivered after it
_MARGIN = timedelta(days=120)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"unknown time zone {name!r}: give an IANA name such as "
                          "Asia/Shanghai or America/New_York", field=["timeZone"]) from None


def to_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant (naive, as stored) at which local `day` begins."""
    return datetime.combine(day, time(), tz).astimezone(UTC).replace(tzinfo=None)


def window(first: date, end: date, zone_name: str) -> Window:
    tz = zone(zone_name)
    if end <= first:
        raise DomainError("`to` must be after `from` (the window is [from, to))",
                          field=["to"])
    if (end - first).days > MAX_WINDOW_DAYS:
        raise DomainError(f"a window spans at most {MAX_WINDOW_DAYS} days", field=["to"])
    return Window(zone_name, to_utc(first, tz), to_utc(end, tz), first, end)


def _offset_at(tz: ZoneInfo, utc: datetime) -> int:
    return int(utc.replace(tzinfo=UTC).astimezone(tz).utcoffset().total_seconds())


def offset_segments(w: Window) -> list[tuple[datetime | None, int]]:
    """[(until UTC, offset seconds)]: the offset applies to times before `until`; the last
    segment's `until` is None (no end). Found by stepping a day at a time and bisecting a
    change to the second; remembered per zone and window (20 ms for three years, measured:
    twice per aggregate without it, S10)."""
    return list(_segments(w.zone, w.start, w.end))


@lru_cache(maxsize=256)
def _segments(zone_name: str, start: datetime, end: datetime
              ) -> tuple[tuple[datetime | None, int], ...]:
    tz = ZoneInfo(zone_name)
    at, stop = start - _MARGIN, end + _MARGIN
    current = _offset_at(tz, at)
    out: list[tuple[datetime | None, int]] = []
    while at < stop:
        nxt = at + timedelta(days=1)
        if _offset_at(tz, nxt) != current:
            low, high = at, nxt
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if _offset_at(tz, mid) == current:
                    low = mid
                else:
                    high = mid
            high = high.replace(microsecond=0)
            out.append((high, current))
            current = _offset_at(tz, high)
        at = nxt
    out.append((None, current))
    return tuple(out)
