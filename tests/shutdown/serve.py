"""`crm serve` in a child process, as an orchestrator runs it: its own command (not uvicorn's),
stopped with SIGTERM, its exit status and its SQLite writer process observable."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.config import PROJECT_ROOT
from tests.subscriptions.harness import TIMEOUT, free_port

START = "import sys; from app.cli import main; sys.exit(main({args!r}))"


class CrmServe:
    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ()) -> None:
        self.args = ["serve", *args]
        self.port = free_port()
        self.env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT),
                    "CRM_HOST": "127.0.0.1", "CRM_PORT": str(self.port),
                    "CRM_LOG_FORMAT": "text", "CRM_LOG_LEVEL": "INFO"}
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> CrmServe:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-c", START.format(args=self.args)],
                                         cwd=PROJECT_ROOT,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90  # a liveness bound (start-up took 22 s under load)
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"crm serve exited: {self.output()}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"crm serve did not become ready: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 90) -> int:
        """Its exit status, within a liveness bound."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"crm serve did not exit: {self.output()}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(TIMEOUT)

    def children(self) -> list[int]:
        """Its child processes (on SQLite by default: the writer process)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                        found.append(int(entry.name))
        return found

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=TIMEOUT).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"no {name} in /metrics")


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
