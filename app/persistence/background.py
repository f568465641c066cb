"""Long-running background tasks (outbox relay, notification planning and dispatch,
housekeeping): started marked as background work, and stopped together.

Not in db.py, which holds the engines only (docs/architecture.md#layers): the mark
is what the statement counter (app/persistence/counting.py) reads to leave background
statements out of a request's count.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import Any

# Set in the context of background workers (outbox relay, notification dispatch) so
# that statement counts measure requests only; worker threads inherit the context.
BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("crm_background",
                                                                  default=False)


def spawn_background(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
    """Start a long-running worker task marked as background work."""
    ctx = contextvars.copy_context()
    ctx.run(BACKGROUND.set, True)
    return asyncio.create_task(coro, name=name, context=ctx)


async def stop_background(tasks: list[asyncio.Task]) -> None:
    """Cancel long-running worker tasks and wait until they have ended; what they raise on
    the way out is theirs (each worker logs its own failures)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class Periodic(ABC):
    """A background worker that runs `run_once()` at start, then every `interval()` seconds
    (0 or less: it never starts). Subclasses (dataclasses: housekeeping, the delay check)
    define both; `run_once` logs its own failures, so the loop never ends on one."""

    name = "periodic"
    _task: asyncio.Task | None = None

    @abstractmethod
    def interval(self) -> float:
        """Seconds between two runs, read at every round (settings may say 0: never)."""

    @abstractmethod
    async def run_once(self) -> Any:
        """One round; it logs and swallows its own failures."""

    async def start(self) -> None:
        if self.interval() > 0:
            self._task = spawn_background(self._loop(), self.name)

    async def stop(self) -> None:
        if self._task is not None:
            await stop_background([self._task])
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval())
