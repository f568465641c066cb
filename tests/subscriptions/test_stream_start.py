"""A subscription's feed opens and starts before the resolver's checks: an event committed
while the resolver is still checking the target and the caller's rights is delivered, not
lost; where subscriptions start is read in the order they asked."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from app.auth.principal import SYSTEM
from app.events.bus import InProcessBus
from app.events.repository import outbox
from app.persistence.uow import Runner
from schema.subscriptions.start import Starts
from schema.subscriptions.streams import EventQuery, event_stream, open_feed

TOPIC = "test.stream_start"


def _emits(uow, marker: str) -> None:  # noqa: ANN001  module-level: the writer gets it pickled
    uow.emit(TOPIC, marker=marker)


async def _emit(runner: Runner, marker: str) -> None:
    await runner.write(_emits, marker, principal=SYSTEM)


async def test_event_committed_between_feed_open_and_stream_start_is_delivered(db):
    bus = InProcessBus()
    runner = Runner(db, publish=bus.publish)
    ctx = SimpleNamespace(event_feed=None, services=SimpleNamespace(bus=bus), runner=runner,
                          principal=SYSTEM, loaders=None)
    info = SimpleNamespace(context=ctx)
    query = EventQuery(frozenset({TOPIC}))

    async def allow(_event) -> bool:  # noqa: ANN001
        return True

    feed = await open_feed(info, query.topics)
    try:
        # the resolver would be awaiting its permission check here
        await _emit(runner, "during the check")
        stream = event_stream(info, query, since=None, authorize=allow, opened=feed)
        first = await asyncio.wait_for(stream.__anext__(), 5)
        assert first.payload["marker"] == "during the check"
        await _emit(runner, "live")
        second = await asyncio.wait_for(stream.__anext__(), 5)
        assert second.payload["marker"] == "live" and second.id > first.id
        await stream.aclose()
    finally:
        feed.close()


async def test_a_later_subscriber_never_starts_before_an_earlier_one(db):
    """Reads of where subscriptions start follow the order they were asked in, and each
    covers what was committed before it was asked (so a fan-out group, which starts at its
    first member's start, never starts after a later member's)."""
    runner = Runner(db)
    starts = Starts()
    asked: list[asyncio.Future[int]] = []
    for round_ in range(5):
        committed = await runner.read(outbox.max_id)
        first = asyncio.ensure_future(starts.read(runner))
        asked += [first, *(asyncio.ensure_future(starts.read(runner)) for _ in range(3))]
        await _emit(runner, f"round {round_}")
        assert await first >= committed
    got = await asyncio.gather(*asked)
    assert got == sorted(got)
    assert await starts.read(runner) == await runner.read(outbox.max_id)
