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
