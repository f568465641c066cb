"""The in-process bus: listeners are registered the moment they are opened, see
only their topics, remember the first event heard, and can be nudged to catch up."""

from __future__ import annotations

from app.events.bus import NUDGE, DomainEvent, InProcessBus


async def test_listeners_hear_their_topics_from_the_moment_they_open():
    bus = InProcessBus()
    await bus.publish([DomainEvent("a", {}, id=1)])  # before anyone listens: gone
    a, every = bus.open({"a"}), bus.open({"*"})
    await bus.publish([DomainEvent("b", {}, id=2), DomainEvent("a", {"x": "甲"}, id=3)])
    assert a.drain() == [DomainEvent("a", {"x": "甲"}, id=3)]
    assert [e.id for e in every.drain()] == [2, 3]
    assert (a.first_id, every.first_id) == (3, 2)
    a.close()
    assert bus.subscriber_count == 1


async def test_late_events_do_not_move_the_starting_point_and_nudges_wake_everyone():
    bus = InProcessBus()
    listener = bus.open({"a"})
    await bus.publish([DomainEvent("a", {}, id=5, late=True)])
    assert listener.first_id is None  # recovered by the relay: history, not news
    bus.nudge()
    heard = listener.drain()
    assert heard[-1].topic == NUDGE and listener.overflowed
