"""Background work done in rounds, woken by the bus (the notification planner and
dispatcher): a round at once while work remains; otherwise when the bus announces an event
of its topics, at most every `gap` seconds (a burst of events is one round, not one
each: on SQLite every round is a write transaction that takes the one write lock), and
every `poll` seconds in case an announcement was lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from app.events.bus import EventBus, Listener
from app.persistence.background import spawn_background, stop_background

log = logging.getLogger("crm.events.rounds")


class WokenRounds(ABC):
    name = "background"  # for its tasks and its log

    def __init__(self, bus: EventBus, topics: set[str], *, gap: float, poll: float) -> None:
        self.bus = bus
        self.topics = topics
        self.gap = gap
        self.poll = poll
        self._wake = asyncio.Event()
        self._listener: Listener | None = None
        self._tasks: list[asyncio.Task] = []

    @abstractmethod
    async def round(self) -> bool:
        """One round of work; whether another should follow at once."""

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._listener = self.bus.open(self.topics)
        self._tasks = [spawn_background(self._loop(), self.name),
                       spawn_background(self._listen(), f"{self.name}-wake")]

    async def stop(self) -> None:
        await stop_background(self._tasks)
        self._tasks = []
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def _listen(self) -> None:
        assert self._listener is not None
        async for _event in self._listener:
            self._wake.set()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            started = loop.time()
            try:
                if await self.round():
                    continue
            except Exception as exc:  # database down: try again next round
                log.warning("%s round failed: %s", self.name, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            # what a burst adds meanwhile is done in the next round, not one round each
            await asyncio.sleep(self.gap - (loop.time() - started))
