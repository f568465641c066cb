"""Sign-in throttling: failed passwords slow down further attempts, per account and per
client address, with a delay that doubles with every failure past a free allowance
(docs/architecture.md#tokens). Plain state in the server process (the unit of work that
checks the password may run in the SQLite writer process); a success clears the account.

    free failures    5 per account, 20 per client address, within 15 minutes
    then             a wait of 1, 2, 4, ... seconds after the last failure, at most 15 min
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW = 15 * 60.0
MAX_DELAY = 15 * 60.0
FREE = {"account": 5, "client": 20}
MAX_KEYS = 100_000  # a bound, not an LRU: past it the oldest half is forgotten


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    clock: Callable[[], float] = time.monotonic
    _seen: dict[tuple[str, str], _Failures] = field(default_factory=dict)

    def wait(self, email: str, client: str | None) -> int:
        """Seconds before another attempt may be made (0: now)."""
        now = self.clock()
        waits = [self._wait(kind, key, now) for kind, key in self._keys(email, client)]
        return max(waits, default=0)

    def failed(self, email: str, client: str | None) -> None:
        now = self.clock()
        if len(self._seen) >= MAX_KEYS:
            oldest = sorted(self._seen.items(), key=lambda kv: kv[1].last)
            for key, _ in oldest[: MAX_KEYS // 2]:
                del self._seen[key]
        for key in self._keys(email, client):
            entry = self._seen.get(key)
            if entry is None or now - entry.last > WINDOW:
                entry = self._seen[key] = _Failures()
            entry.count += 1
            entry.last = now

    def succeeded(self, email: str) -> None:
        self._seen.pop(("account", _norm(email)), None)

    def _wait(self, kind: str, key: str, now: float) -> int:
        entry = self._seen.get((kind, key))
        if entry is None or now - entry.last > WINDOW or entry.count < FREE[kind]:
            return 0
        delay = min(2.0 ** (entry.count - FREE[kind]), MAX_DELAY)
        return max(0, int(entry.last + delay - now + 0.999))

    @staticmethod
    def _keys(email: str, client: str | None) -> list[tuple[str, str]]:
        keys = [("account", _norm(email))]
        if client:
            keys.append(("client", client))
        return keys


def _norm(email: str) -> str:
    return (email or "").strip().lower()
