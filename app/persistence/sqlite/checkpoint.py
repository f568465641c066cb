"""WAL checkpoints for SQLite, off the writer's path.

SQLite copies the write-ahead log back into the database file (a checkpoint, with an
fsync) inside whichever commit takes the log past 1,000 pages. On the order workflow that
was one group commit in eight, taking 7-8 ms instead of 0.4 (measured): the one writer
thread stood still meanwhile, and the commits' mean cost tripled. A checkpointer thread
runs a PASSIVE checkpoint a few times a second instead. That mode never blocks the writer
or readers, and SQLite's C code runs it without the GIL, so the copy and the fsync use the
machine's other core. The writer's connection keeps SQLite's own automatic checkpoint as
a backstop, at a size only a stopped checkpointer lets the log reach.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.1
BACKSTOP_PAGES = 20_000  # ~80 MB of log: the writer connection's own wal_autocheckpoint


class Checkpointer:
    """A daemon thread checkpointing the SQLite database at `url` every `interval` seconds,
    on a connection of its own (never waiting for a pool the app's readers may hold)."""

    def __init__(self, url: str, interval: float = INTERVAL_SECONDS) -> None:
        self.engine = create_engine(url, poolclass=NullPool,
                                    connect_args={"check_same_thread": False, "timeout": 30})
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"checkpoints": 0, "pages": 0, "failures": 0}

    def start(self) -> None:
        if self._thread is None:
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._loop, name="crm-checkpoint",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the thread (a checkpoint under way finishes first) and close its engine."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()
        self.engine.dispose()

    def checkpoint(self) -> int:
        """One PASSIVE checkpoint; how many log pages it copied into the database."""
        raw = self.engine.raw_connection()  # no BEGIN: a checkpoint cannot run in one
        try:
            cursor = raw.cursor()
            _busy, _log_pages, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)"
                                                       ).fetchone()
            cursor.close()
        finally:
            raw.close()
        self.stats["checkpoints"] += 1
        self.stats["pages"] += max(copied, 0)
        return copied

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except Exception:  # noqa: BLE001  the writer's backstop checkpoint remains
                self.stats["failures"] += 1
                log.exception("WAL checkpoint failed")
