"""Run as a child process: put an order on hold, then die between commit and publish.

`python -m tests.events.crash_writer <database_url> <order_id> <reason>`: the unit
of work commits (the change and its outbox events), then the process kills itself
with SIGKILL at the moment it would hand the events to the bus.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from app import composition
from app.auth.principal import SYSTEM
from app.events.bus import DomainEvent
from app.orders import transitions
from app.persistence.db import Database
from app.persistence.uow import Runner


async def _die(events: list[DomainEvent]) -> None:
    sys.stdout.write(",".join(str(e.id) for e in events) + "\n")
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


async def main(url: str, order_id: int, reason: str) -> None:
    composition.install()  # a process of its own: plugged in as the app's are
    runner = Runner(Database(url), publish=_die)
    await runner.write(transitions.hold_order, order_id, reason, principal=SYSTEM)
    sys.stdout.write("published?!\n")  # never reached


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
