"""Resumable event streams for subscription resolvers.

The outbox is the record and the bus only says "something happened": a stream
keeps a cursor (the last outbox id it passed) and, whenever the bus announces a
relevant event, reads the outbox after that cursor. So events arrive in order,
a replay (`since`) hands over to live delivery with no gap and no duplicate,
and an event published twice (relay recovery, several processes) is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from graphql import GraphQLError

from app.errors import DomainError
from app.events import outbox
from app.events.bus import DomainEvent, Listener
from schema.core.permissions import forbidden
from schema.loading.loaders import Loaders

PAGE = 500
SAFETY_POLL_SECONDS = 30.0  # re-read the outbox now and then, in case a wake-up was lost
Authorize = Callable[[DomainEvent], Awaitable[bool]]


@dataclass(frozen=True)
class EventQuery:
    """Which stored events a subscription wants: topics plus payload equalities."""

    topics: frozenset[str]
    filters: Mapping[str, int | str | None] = field(default_factory=dict)
    extra: Callable[[DomainEvent], bool] | None = None  # checks SQL cannot express

    def matches(self, event: DomainEvent) -> bool:
        if event.topic not in self.topics:
            return False
        for key, value in self.filters.items():
            if event.payload.get(key) != value:
                return False
        return self.extra is None or self.extra(event)


def parse_cursor(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or len(text) > 18:
        raise DomainError("invalid cursor in since", field=["since"])
    return int(text)


@dataclass
class OpenFeed:
    """A bus listener opened by a resolver before its first await, so events committed
    while it checks the target and the caller's rights are not missed."""

    listener: Listener
    owned: bool

    def close(self) -> None:
        if self.owned:
            self.listener.close()


def open_feed(info: object, topics: frozenset[str]) -> OpenFeed:
    return OpenFeed(*_feed(info.context, topics))  # type: ignore[attr-defined]


def _feed(ctx: object, topics: frozenset[str]) -> tuple[Listener, bool]:
    """The listener the fan-out opened for this subscription, or a new one."""
    feed = getattr(ctx, "event_feed", None)
    if feed is not None and topics <= feed.topics:
        return feed, False
    bus = getattr(getattr(ctx, "services", None), "bus", None)
    if bus is None:
        raise forbidden("live events are not available on this transport")
    return bus.open(set(topics)), True


async def _wait_relevant(feed: Listener, query: EventQuery, cursor: int,
                         started: bool) -> int:
    """Until the bus announces a new event this query wants (or the safety poll); the
    cursor to read after. Before the stream has delivered anything (`started` False), an
    event heard now at or below the cursor was committed after the feed opened but before
    the starting cursor was read, and was published only after that read: it is delivered
    too (the cursor goes back to just before it), never skipped."""
    while True:
        try:
            event = await asyncio.wait_for(feed.get(), SAFETY_POLL_SECONDS)
        except TimeoutError:
            return cursor
        if feed.overflowed:
            feed.overflowed = False
            return cursor
        if not query.matches(event) or not event.id:
            continue
        if event.id > cursor:
            feed.drain()  # the outbox read below covers whatever else is queued
            return cursor
        if not started:
            return min(cursor, event.id - 1)


HISTORY_GONE = ("the event history after this cursor is no longer kept; reload the data and "
                "subscribe again without `since`")


async def event_stream(info: object, query: EventQuery, *, since: str | None,
                       authorize: Authorize, opened: OpenFeed | None = None,
                       ) -> AsyncIterator[DomainEvent]:
    """Events for `query` after `since` (or from when `opened` was opened, else from
    now), each passing `authorize`. An `opened` feed stays the caller's to close."""
    ctx = info.context  # type: ignore[attr-defined]
    if opened is not None:
        feed, owned = opened.listener, False
    else:
        feed, owned = _feed(ctx, query.topics)
    runner = ctx.runner
    try:
        cursor = parse_cursor(since)
        started = since is not None  # a replay's cursor is the client's own: never lowered
        if cursor is None:
            cursor = await runner.read(outbox.max_id)
            if feed.first_id is not None:
                # heard on the bus after registering, committed before the read above
                cursor = min(cursor, feed.first_id - 1)
        replaying = started  # a resume: until caught up, check retention kept its history
        while True:
            if replaying:
                batch = await runner.read(outbox.history_after, cursor, query.topics,
                                          query.filters, limit=PAGE)
                if batch is None:
                    raise GraphQLError(HISTORY_GONE, extensions={"code": "CURSOR_EXPIRED"})
                replaying = len(batch) == PAGE
            else:
                batch = await runner.read(outbox.events_after, cursor, query.topics,
                                          query.filters, limit=PAGE)
            for event in batch:
                cursor = event.id or cursor
                started = True
                if query.extra is not None and not query.extra(event):
                    continue
                if await authorize(event):
                    # fresh loaders per event: nothing cached from the previous one
                    ctx.loaders = Loaders(runner, ctx.principal)
                    yield event
            if len(batch) < PAGE:
                cursor = await _wait_relevant(feed, query, cursor, started)
    finally:
        if owned:
            feed.close()


Checks = Callable[[], Awaitable[tuple[Mapping[str, int | str | None], Authorize]]]


async def live_events(info: object, topics: frozenset[str], *, since: str | None,
                      checks: Checks) -> AsyncIterator[DomainEvent]:
    """The stream of a subscription resolver: the feed opens first, then `checks` (the
    target and permission lookups, which await the database) return the payload filters
    and the per-event authorizer, so nothing committed during the checks is missed."""
    feed = open_feed(info, topics)
    try:
        filters, authorize = await checks()
        async for event in event_stream(info, EventQuery(topics, filters), since=since,
                                        authorize=authorize, opened=feed):
            yield event
    finally:
        feed.close()
