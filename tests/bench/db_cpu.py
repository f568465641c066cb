"""PostgreSQL's side of a request's cost: the CPU time of the server processes (backends)
connected to the benchmark's database, read from /proc, so S1 and S3 can print total CPU per
request (the app server's plus PostgreSQL's) beside a reference's (docs/architecture.md#measuring).
Backends of other databases (tests running beside the benchmark) are not counted."""

from __future__ import annotations

import os

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:  # the backend has gone since it was listed
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


class DatabaseCpu:
    """`seconds()`: CPU seconds used so far by the backends now connected to the database
    (this meter's own connection left out). The pool's connections live across a block, so
    a difference of two readings is the block's database CPU."""

    def __init__(self, database_url: str) -> None:
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        self.conn = psycopg.connect(url, autocommit=True)

    def seconds(self) -> float:
        pids = [r[0] for r in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")]
        return sum(_process_cpu(pid) for pid in pids)

    def close(self) -> None:
        self.conn.close()

    def waiting_on_locks(self) -> int:
        """Backends of the database waiting on a heavyweight lock (row, advisory, ...) now."""
        return self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'").fetchone()[0]


class LockWaits:
    """Backend-seconds spent waiting on locks during a block, sampled every `interval` on
    the meter's connection (its CPU left out of the database's) from a thread: a sample
    seeing n waiters counts n × the time since the previous sample. Cheap and coarse: a
    wait shorter than the interval is seen in proportion to its length, on average."""

    def __init__(self, meter: DatabaseCpu, interval: float = 0.01) -> None:
        import threading

        self.meter, self.interval, self.seconds = meter, interval, 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import time

        last = time.perf_counter()
        while not self.stop.wait(self.interval):
            waiting = self.meter.waiting_on_locks()
            now = time.perf_counter()
            self.seconds += waiting * (now - last)
            last = now

    def __enter__(self) -> LockWaits:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()
