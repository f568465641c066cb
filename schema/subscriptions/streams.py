"""Resumable event streams for subscription resolvers.

The outbox is the record and the bus only says "something happened": a stream
keeps a cursor (the last outbox id it passed) and, whenever the bus announces a
relevant event, reads the outbox after that cursor. So events arrive in order,
a replay (`since`) hands over to live delivery with no gap and no duplicate,
and an event published twice (relay recovery, several processes) is dropped.
A read that finds the database out of reach is tried again with the same cursor, so a
running subscription outlives a PostgreSQL restart (docs/architecture.md#faults).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from app.errors import DomainError, ServiceUnavailable
from app.events.bus import DomainEvent, Listener
from app.events.repository import outbox
from schema.core.permissions import forbidden
from schema.loading.loaders import Loaders

PAGE = 500
SAFETY_POLL_SECONDS = 30.0  # re-read the outbox now and then, in case a wake-up was lost
# announced events not settled yet: read again after this, doubling up to the cap
SETTLE_POLL_SECONDS, SETTLE_POLL_CAP_SECONDS = 0.005, 0.5
Authorize = Callable[[DomainEvent], Awaitable[bool]]
# an outbox read during a database outage: tried again after this, doubling up to the cap
RETRY_SECONDS, RETRY_CAP_SECONDS = 0.2, 2.0
log = logging.getLogger("crm.subscriptions")


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
    """A subscription's bus listener and where it starts: the newest outbox id committed
    when it started, read after the listener was registered. The subscription gets the
    events after `start` and no other: one the bus brings later with an id at or below it
    was committed before (a publication can come well after its commit: the relay's
    recovery, another process's echo through Redis, a publisher still on its way), and
    every event after it is announced to the listener."""

    listener: Listener
    owned: bool
    start: int | None = None  # None: not read yet (a fan-out group sets it before it runs)
    delivered: int | None = None  # the outbox id of the event the stream yielded last

    def close(self) -> None:
        if self.owned:
            self.listener.close()


async def open_feed(info: object, topics: frozenset[str]) -> OpenFeed:
    """The feed the fan-out opened for this subscription, or a new one: registered at once,
    started by the read that follows (the first await of a resolver, before its checks)."""
    ctx = info.context  # type: ignore[attr-defined]
    shared = getattr(ctx, "event_feed", None)
    if shared is not None and topics <= shared.listener.topics:
        return shared
    bus = getattr(getattr(ctx, "services", None), "bus", None)
    if bus is None:
        raise forbidden("live events are not available on this transport")
    feed = OpenFeed(bus.open(set(topics)), owned=True)
    try:
        feed.start = await ctx.runner.read(outbox.settled_max)
    except BaseException:
        feed.close()
        raise
    return feed


async def _wait_relevant(feed: Listener, query: EventQuery, cursor: int) -> int:
    """Until the bus announces an event this query wants after the cursor (or asks every
    listener to catch up, or the safety poll is due); the id announced (0: none). Events at
    or below the cursor were read already or committed before the stream started: a
    repeated publication is no news."""
    while True:
        try:
            event = await asyncio.wait_for(feed.get(), SAFETY_POLL_SECONDS)
        except TimeoutError:
            return 0
        if feed.overflowed:
            feed.overflowed = False
            return 0
        if query.matches(event) and event.id and event.id > cursor:
            # the outbox read that follows covers whatever else is queued
            return max([event.id, *(e.id or 0 for e in feed.drain())])


def _live_after(session: Any, after_id: int, topics: Any, filters: Any, *, limit: int
                ) -> tuple[list[DomainEvent], int]:
    """The events after the cursor up to the outbox's settled id, and that id (SQLite:
    every committed one, no bound)."""
    upto = outbox.cursor_bound(session)
    return outbox.events_after(session, after_id, topics, filters, upto=upto,
                               limit=limit), sys.maxsize if upto is None else upto


HISTORY_GONE = ("the event history after this cursor is no longer kept; reload the data and "
                "subscribe again without `since`")


async def event_stream(info: object, query: EventQuery, *, since: str | None,
                       authorize: Authorize, opened: OpenFeed | None = None,
                       ) -> AsyncIterator[DomainEvent]:
    """Events for `query` after `since`, else after the start of `opened` (or of a feed
    opened now), each passing `authorize`. An `opened` feed stays the caller's to close."""
    ctx = info.context  # type: ignore[attr-defined]
    feed = opened if opened is not None else await open_feed(info, query.topics)
    runner = ctx.runner
    try:
        cursor = parse_cursor(since)
        replaying = cursor is not None  # a resume: until caught up, check retention kept it
        if cursor is None:
            assert feed.start is not None, "a feed is started before its stream runs"
            cursor = feed.start
        announced, settled, backoff = 0, 0, SETTLE_POLL_SECONDS
        while True:
            if replaying:
                batch = await _read_outbox(runner, outbox.history_after, cursor, query)
                if batch is None:
                    raise GraphQLError(HISTORY_GONE, extensions={"code": "CURSOR_EXPIRED"})
                replaying = len(batch) == PAGE
            else:
                batch, settled = await _read_outbox(runner, _live_after, cursor, query)
            for event in batch:
                cursor = event.id or cursor
                if query.extra is not None and not query.extra(event):
                    continue
                if await authorize(event):
                    # fresh loaders per event: nothing cached from the previous one
                    ctx.loaders = Loaders(runner, ctx.principal)
                    feed.delivered = event.id
                    yield event
            if len(batch) < PAGE and not replaying:
                if settled < announced:
                    # an appender with a smaller id has not committed yet (PostgreSQL):
                    # read again shortly (docs/architecture.md#the-outbox)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, SETTLE_POLL_CAP_SECONDS)
                    continue
                backoff = SETTLE_POLL_SECONDS
                announced = await _wait_relevant(feed.listener, query, cursor)
    finally:
        if opened is None:
            feed.close()


async def _read_outbox(runner: Any, read: Callable[..., Any], cursor: int,
                       query: EventQuery) -> Any:
    """`read` of the events after `cursor`, waiting out a database outage: the stream keeps
    its cursor, so nothing is lost or repeated when the database is back."""
    delay = RETRY_SECONDS
    while True:
        try:
            return await runner.read(read, cursor, query.topics, query.filters, limit=PAGE)
        except ServiceUnavailable:
            log.warning("a subscription's outbox read failed: the database is unavailable; "
                        "retrying in %.1f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CAP_SECONDS)


Checks = Callable[[], Awaitable[tuple[Mapping[str, int | str | None], Authorize]]]


async def live_events(info: object, topics: frozenset[str], *, since: str | None,
                      checks: Checks) -> AsyncIterator[DomainEvent]:
    """The stream of a subscription resolver: the feed opens (and starts) first, then
    `checks` (the target and permission lookups, which await the database) return the
    payload filters and the per-event authorizer, so nothing committed during the checks
    is missed."""
    feed = await open_feed(info, topics)
    try:
        filters, authorize = await checks()
        async for event in event_stream(info, EventQuery(topics, filters), since=since,
                                        authorize=authorize, opened=feed):
            yield event
    finally:
        feed.close()
