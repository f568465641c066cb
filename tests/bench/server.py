"""The server under test: the real app in a uvicorn subprocess, one worker, on 127.0.0.1.

It serves `tests.bench.app:create_bench_app`, which is `schema.asgi:create_app` plus the
hand-written baseline endpoints mounted beside /graphql (same process, same engines), so the
GraphQL and baseline figures come from the same server, measured alternately.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from app.config import PROJECT_ROOT

BENCH_SECRET = "crm-bench-secret-" + "s" * 40
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    def __init__(self, database_url: str, *, env: dict[str, str] | None = None,
                 log_path: Path | None = None, workers: int = 1, plain: bool = False) -> None:
        """`workers`: uvicorn's worker processes (S3's --workers comparison); `plain`: the
        app as `crm serve` runs it, with its logging and none of the benchmark's endpoints
        or counters (S1's figure for the server a user starts)."""
        self.database_url = database_url
        self.workers, self.plain = workers, plain
        self.extra_env = env or {}
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = log_path or PROJECT_ROOT / "var" / "bench" / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Server:
        self.port = free_port()
        env = {**os.environ, "CRM_DATABASE_URL": self.database_url,
               "CRM_JWT_SECRET": BENCH_SECRET, "CRM_ENV": "development",
               "CRM_VAR_DIR": str(PROJECT_ROOT / "var" / "bench" / "var"),
               "CRM_BENCH_SQL_COUNT": "1",
               # the datasets' parcels are dated in the past: the delay check would open
               # thousands of DELAYED exceptions (and plan their notices) at start-up,
               # a burst no scenario measures
               "CRM_DELAY_CHECK_SECONDS": "0", "CRM_ACTIVITY_CHECK_SECONDS": "0",
               "CRM_TICKET_BREACH_CHECK_SECONDS": "0",
               "CRM_QUOTE_EXPIRY_SECONDS": "0", "CRM_SURVEY_AFTER_DELIVERY": "0",
               "CRM_REMINDER_CHECK_SECONDS": "0", "CRM_CAMPAIGN_SEND_SECONDS": "0",
               "CRM_DELIVERY_PLAN_SECONDS": "0",
               # the full segment recompute is S8's to measure, not a start-up burst
               "CRM_SEGMENT_RECOMPUTE_SECONDS": "0",
               # the export worker: S11 switches it on (extra_env)
               "CRM_EXPORTS": "0",
               # the scenarios' clients share a few accounts and one address on purpose:
               # throughput, not the abuse limit, is measured
               "CRM_REQUEST_RATE": "0", **self.extra_env}
        if "CRM_REDIS_URL" not in self.extra_env:  # the in-process bus unless asked
            env.pop("CRM_REDIS_URL", None)
        if self.plain:
            env.pop("CRM_BENCH_SQL_COUNT")
            cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(self.workers)]
        else:
            cmd = self._uvicorn()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log,
                                     preexec_fn=_raise_fd_limit)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s; see {self.log_path}")

    def _uvicorn(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "--factory", "tests.bench.app:create_bench_app",
               "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
               "--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio",
               "--log-level", "warning", "--no-access-log", "--backlog", "4096"]

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- measurements of the server: its process and those it started -----------------
    # (on SQLite the writer process: app/persistence/sqlite/process.py)
    def pids(self) -> list[int]:
        """The server's process, then its descendants."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(entry.name))
        found = [self.proc.pid]
        for pid in found:  # grows while it is walked: breadth first
            found.extend(children.get(pid, ()))
        return found

    def _status(self, key: str) -> int:
        """`key` (kB) of /proc/PID/status, summed over the server's processes."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        return total

    def peak_rss_mb(self) -> float:
        """Peak resident memory since start or the last reset_peak (VmHWM), summed over
        the server's processes: an upper bound (each one's peak, shared pages counted in
        each)."""
        return self._status("VmHWM") / 1024

    def rss_mb(self) -> float:
        return self._status("VmRSS") / 1024

    def reset_peak(self) -> None:
        """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
        for pid in self.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    async def settle(self, limit: float = 20.0) -> None:
        """Wait until the server is idle (under 10% of a core for 0.3 s): a measurement must
        not pay for the previous one's teardown (e.g. 10,000 WebSockets closing)."""
        import asyncio

        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            await asyncio.sleep(0.3)
            if self.cpu_seconds() - before < 0.03:
                return

    def cpu_seconds(self) -> float:
        """CPU seconds so far of the server's processes (those that have ended excepted)."""
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                total += _cpu(Path(f"/proc/{pid}/stat"))
        return total

    def thread_cpu_seconds(self) -> tuple[float, float]:
        """(the main thread, which runs the event loop; everything else: on SQLite mostly
        the writer, a process of its own) CPU seconds so far. A process's figure keeps what
        its threads that have ended used, so "other" is the total minus the main thread's."""
        main = _cpu(Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/stat"))
        return main, self.cpu_seconds() - main


def _cpu(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime
