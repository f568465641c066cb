"""The in-process bus: listeners are registered the moment they are opened, see
only their topics, and can be nudged to catch up."""

from __future__ import annotations

import asyncio

from app.events.bus import NUDGE, DomainEvent, InProcessBus


async def test_listeners_hear_their_topics_from_the_moment_they_open():
    bus = InProcessBus()
    await bus.publish([DomainEvent("a", {}, id=1)])  # before anyone listens: gone
    a, every = bus.open({"a"}), bus.open({"*"})
    await bus.publish([DomainEvent("b", {}, id=2), DomainEvent("a", {"x": "甲"}, id=3)])
    assert a.drain() == [DomainEvent("a", {"x": "甲"}, id=3)]
    assert [e.id for e in every.drain()] == [2, 3]
    a.close()
    assert bus.subscriber_count == 1


async def test_nudges_wake_everyone():
    bus = InProcessBus()
    listener = bus.open({"a"})
    bus.nudge()
    heard = listener.drain()
    assert heard[-1].topic == NUDGE and listener.overflowed


async def test_a_subscription_is_a_listener_until_it_is_closed():
    bus = InProcessBus()
    events = bus.subscribe({"a"})
    first = asyncio.ensure_future(events.__anext__())
    await asyncio.sleep(0)  # the generator runs up to its first wait: registered
    assert bus.subscriber_count == 1
    await bus.publish([DomainEvent("b", {}, id=1), DomainEvent("a", {}, id=2)])
    assert await asyncio.wait_for(first, 1) == DomainEvent("a", {}, id=2)
    await events.aclose()
    assert bus.subscriber_count == 0
