"""The per-principal request budget: a leaky bucket per signed-in account (per client
address when anonymous) that drains at `rate` requests a second and holds `burst`; a
request that would overflow it is refused with THROTTLED and when to retry
(docs/architecture.md#request-policy). State of the server process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 100_000


@dataclass
class RequestBudget:
    rate: float  # requests per second that drain; 0: no budget
    burst: int
    clock: Callable[[], float] = time.monotonic
    _levels: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> float:
        """0 if the request may run (and counts), else seconds until it could."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        level, last = self._levels.get(key, (0.0, now))
        level = max(0.0, level - (now - last) * self.rate)
        if level + 1 > self.burst:
            self._levels[key] = (level, now)
            return (level + 1 - self.burst) / self.rate
        if len(self._levels) >= MAX_KEYS:
            self._levels.clear()  # a bound: forgetting lets some requests through, once
        self._levels[key] = (level + 1, now)
        return 0.0
