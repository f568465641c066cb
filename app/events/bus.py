"""The event bus subscriptions read from: in-process by default, Redis when configured."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class DomainEvent:
    """A committed fact. `id` is the outbox id: the cursor clients resume from."""

    topic: str
    payload: dict[str, Any]
    id: int | None = None


class EventBus(Protocol):
    async def publish(self, events: list[DomainEvent]) -> None: ...

    def subscribe(self, topics: set[str]) -> AsyncIterator[DomainEvent]: ...

    async def close(self) -> None: ...


@dataclass
class _Subscriber:
    topics: set[str]
    queue: asyncio.Queue[DomainEvent] = field(default_factory=lambda: asyncio.Queue(10_000))


class InProcessBus:
    """Fan-out to the subscribers of this process only."""

    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []

    async def publish(self, events: list[DomainEvent]) -> None:
        for event in events:
            for sub in self._subscribers:
                if event.topic in sub.topics or "*" in sub.topics:
                    # a stalled subscriber drops events and resumes from its cursor
                    with contextlib.suppress(asyncio.QueueFull):
                        sub.queue.put_nowait(event)

    async def subscribe(self, topics: set[str]) -> AsyncIterator[DomainEvent]:
        sub = _Subscriber(set(topics))
        self._subscribers.append(sub)
        try:
            while True:
                yield await sub.queue.get()
        finally:
            self._subscribers.remove(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def close(self) -> None:
        self._subscribers.clear()
