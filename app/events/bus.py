"""The event bus subscriptions read from: in-process by default, Redis when configured.

A bus carries committed outbox events to the listeners of every process. It is
a wake-up channel, not the record: the outbox table is, and readers that need
exactness (resumable subscriptions) re-read it by cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("crm.events")
QUEUE_SIZE = 10_000
NUDGE = "bus.nudge"  # not an event: tells listeners to catch up from the outbox


@dataclass(frozen=True)
class DomainEvent:
    """A committed fact. `id` is the outbox id: the cursor clients resume from."""

    topic: str
    payload: dict[str, Any]
    id: int | None = None


class Listener:
    """One registration on the bus; registered the moment it is created, so a
    caller can read history after opening it and miss nothing in between. What it
    hears says nothing about when an event was committed: a publication can come
    long after its commit (relay recovery, Redis echo), so readers go by outbox id."""

    def __init__(self, bus: InProcessBus, topics: set[str]) -> None:
        self.topics = frozenset(topics)
        self.queue: asyncio.Queue[DomainEvent] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False
        self._bus = bus

    def wants(self, topic: str) -> bool:
        return topic in self.topics or "*" in self.topics

    def offer(self, event: DomainEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # a stalled reader loses live events; it resumes from its cursor
            self.overflowed = True

    async def get(self) -> DomainEvent:
        return await self.queue.get()

    def drain(self) -> list[DomainEvent]:
        out: list[DomainEvent] = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out

    def close(self) -> None:
        self._bus.detach(self)

    def __aiter__(self) -> AsyncIterator[DomainEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[DomainEvent]:
        while True:
            yield await self.queue.get()


class EventBus(Protocol):
    async def publish(self, events: list[DomainEvent]) -> None: ...

    def open(self, topics: set[str]) -> Listener: ...

    def subscribe(self, topics: set[str]) -> AsyncIterator[DomainEvent]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class ListeningBus(ABC):
    """What every bus does the same way: a subscription is a listener read until closed."""

    @abstractmethod
    def open(self, topics: set[str]) -> Listener: ...

    async def subscribe(self, topics: set[str]) -> AsyncIterator[DomainEvent]:
        listener = self.open(topics)
        try:
            async for event in listener:
                yield event
        finally:
            listener.close()


class InProcessBus(ListeningBus):
    """Fan-out to the listeners of this process only."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    async def publish(self, events: list[DomainEvent]) -> None:
        self.deliver(events)

    def deliver(self, events: list[DomainEvent]) -> None:
        for event in events:
            for listener in list(self._listeners):
                if listener.wants(event.topic):
                    listener.offer(event)

    def open(self, topics: set[str]) -> Listener:
        listener = Listener(self, set(topics))
        self._listeners.append(listener)
        return listener

    def nudge(self) -> None:
        """Events may have been lost (a reconnect): every listener re-reads the outbox."""
        for listener in list(self._listeners):
            listener.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                listener.queue.put_nowait(DomainEvent(topic=NUDGE, payload={}))

    def detach(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    @property
    def subscriber_count(self) -> int:
        return len(self._listeners)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.clear()
