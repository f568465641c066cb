"""Local time in SQL, the same answer on PostgreSQL and SQLite (docs/architecture.md#analytics).

Timestamps are stored as naive UTC. PostgreSQL: `timezone(zone, timezone('UTC', t))`, then
`date_trunc`. SQLite has no zone database: `datetime(t, <offset>)` with the offset in force
at `t`, a CASE over the window's offset segments (app/analytics/timezones.py), then its date
functions. Percentiles are nearest-rank on both (ROW_NUMBER over COUNT), so both backends
give the same observed value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, case, cast, func

from app.analytics.models import Grain, Window
from app.analytics.timezones import offset_segments


class Dialect:
    """SQL expressions of local time for one backend and one window."""

    def __init__(self, name: str, window: Window) -> None:
        self.pg = name == "postgresql"
        self.window = window
        self._segments = None if self.pg else offset_segments(window)

    def local(self, column: Any) -> Any:
        """The column's time as local wall-clock time."""
        if self.pg:
            return func.timezone(self.window.zone, func.timezone("UTC", column))
        segments = self._segments
        if len(segments) == 1:
            return func.datetime(column, _modifier(segments[0][1]))
        whens = [(column < until, _modifier(offset)) for until, offset in segments[:-1]]
        return func.datetime(column, case(*whens, else_=_modifier(segments[-1][1])))

    def local_date(self, column: Any) -> Any:
        if self.pg:
            return cast(self.local(column), Date)
        return func.date(self.local(column))

    def bucket(self, column: Any, grain: Grain) -> Any:
        """The local date the column's period starts on (weeks start on Monday)."""
        local = self.local(column)
        if self.pg:
            return cast(func.date_trunc(grain.value.lower(), local), Date)
        if grain is Grain.DAY:
            return func.date(local)
        if grain is Grain.WEEK:
            return func.date(local, "-6 days", "weekday 1")
        if grain is Grain.MONTH:
            return func.date(local, "start of month")
        months_in = (cast(func.strftime("%m", local), Integer) - 1) % 3
        return func.date(local, "start of month", func.printf("-%d months", months_in))

    def hours(self, start: Any, end: Any) -> Any:
        """Hours from `start` to `end` (a float)."""
        if self.pg:
            return func.extract("epoch", end - start) / 3600.0
        return (func.julianday(end) - func.julianday(start)) * 24.0


def _modifier(seconds: int) -> str:
    return f"{seconds:+d} seconds"


def as_date(value: Any) -> date | None:
    """A bucket as the backend returns it (a date on PostgreSQL, text on SQLite)."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def nearest_rank(fraction_num: int, fraction_den: int, rank: Any, count: Any) -> Any:
    """The row number holding the nearest-rank percentile num/den of `count` rows:
    ceil(count * num / den), in integer arithmetic (the same on both backends)."""
    return rank == (count * fraction_num + fraction_den - 1) // fraction_den
