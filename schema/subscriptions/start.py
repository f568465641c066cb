"""Where new subscriptions start: the outbox's settled id, read after they registered.

No event at or below it can appear later (app/events/repository/outbox.py `settled_max`), so
a subscriber gets every event with a larger id (committed after the read, or in flight)
and none committed before it subscribed, however late the bus brings one. Reads run one
at a time and callers asking during a read share the next one: a caller never gets a
smaller start than one that asked before it (a fan-out group's execution starts at its
first member's start, which must not be after a later member's), and a burst of
subscribes costs a few reads, not one each.
"""

from __future__ import annotations

import asyncio

from app.events.repository import outbox
from app.persistence.uow import Runner


class Starts:
    def __init__(self) -> None:
        self._next: asyncio.Future[int] | None = None  # the read that begins after this one
        self._reader: asyncio.Task | None = None

    async def read(self, runner: Runner) -> int:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiting = self._next
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all(runner), name="subscription-starts")
        # shielded: a caller that goes away does not cancel the read others wait for
        return await asyncio.shield(waiting)

    async def _read_all(self, runner: Runner) -> None:
        while self._next is not None:
            future, self._next = self._next, None
            try:
                future.set_result(await runner.read(outbox.settled_max))
            except Exception as exc:
                future.set_exception(exc)
                future.exception()  # retrieved: every waiter may have gone
            finally:
                if not future.done():  # cancelled (shutdown): nobody waits forever
                    future.cancel()
