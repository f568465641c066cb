"""Where the server's event loop stalls: a profiler for S7-style questions ("what holds
/healthz behind an abusive request?"), on with CRM_BENCH_STALLS=1.

A task on the loop notes the time every millisecond; a watchdog thread looks every 2 ms and,
when the loop has not noted it for `STALL_MS`, takes the loop thread's stack
(`sys._current_frames`). Each sample adds the stall's age to a tally per stack (the
innermost frames of this project, graphql-core and strawberry), so the tally reads as
"milliseconds the loop was held, by where". `GET /baseline/_stalls` answers the tally, most
held first, and empties it. Works under uvloop (nothing of asyncio's is patched).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import Counter

STALL_MS = 10.0
_OURS = ("/app/", "/schema/", "/graphql/", "/strawberry/", "/aiodataloader", "/sqlalchemy/")


class StallWatch:
    def __init__(self) -> None:
        self.beat = time.monotonic()
        self.held: Counter[str] = Counter()
        self.loop_thread: int | None = None
        self._last_sample = 0.0

    async def heartbeat(self) -> None:
        self.loop_thread = threading.get_ident()
        threading.Thread(target=self._watch, daemon=True, name="stall-watch").start()
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(0.001)

    def _watch(self) -> None:
        while True:
            time.sleep(0.002)
            now = time.monotonic()
            age = (now - self.beat) * 1000
            if age < STALL_MS or self.loop_thread is None:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            stack = []
            while frame is not None and len(stack) < 6:
                name = frame.f_code.co_filename
                if any(part in name for part in _OURS):
                    short = name.rsplit("/", 2)
                    stack.append(f"{'/'.join(short[-2:])}:{frame.f_code.co_name}")
                frame = frame.f_back
            # the time since the last sample of this stall, so a stall counts once in total
            since = min(age, (now - max(self._last_sample, self.beat)) * 1000)
            self._last_sample = now
            self.held[" < ".join(stack) or "(outside)"] += since

    def report(self) -> list[tuple[str, float]]:
        out = [(stack, round(ms, 1)) for stack, ms in self.held.most_common(25)]
        self.held.clear()
        return out
