"""PostgreSQL and Redis of the fault tests' own, started and stopped by the tests
(docs/architecture.md#faults): a cluster made with initdb in a temporary directory, on a
free port, run as the `postgres` OS user (initdb refuses root), and a redis-server on a
free port. Never the shared cluster on 5432 nor the shared Redis on 6379."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from app.config import PROJECT_ROOT
from tests.subscriptions.harness import free_port

START_SECONDS = 90.0  # a liveness bound only: a loaded 2-core machine starts them slowly


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program (initdb, pg_ctl), of the newest version installed."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return found[0] if found else shutil.which(name)


def missing_programs() -> str | None:
    """Why the fault tests cannot run here, or None."""
    for name in ("initdb", "pg_ctl"):
        if postgres_bin(name) is None:
            return f"no {name}"
    if shutil.which("redis-server") is None:
        return "no redis-server"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (initdb refuses root)"
    return None


def _why_skipped() -> str | None:
    if not os.environ.get("CRM_TEST_DATABASE_URL", "").startswith("postgresql"):
        return "the fault tests run in the PostgreSQL pass (make test-pg, make test-faults)"
    return missing_programs()


# Every fault test module's `pytestmark`: they run once, in the PostgreSQL pass.
faults_only = pytest.mark.skipif(_why_skipped() is not None,
                                 reason=_why_skipped() or "")


class PgCluster:
    """A PostgreSQL cluster of the tests' own: `start`, `stop` (fast: sessions are ended,
    as in a restart), `url`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="crm-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str | None) -> None:
        args = [str(c) for c in cmd]
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=START_SECONDS)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=60 -c shared_buffers=16MB")
        self._run(postgres_bin("pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", str(int(START_SECONDS)), "-o", options)

    def stop(self) -> None:
        self._run(postgres_bin("pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w",
                  "-t", str(int(START_SECONDS)))

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres "
                               "dbname=postgres", autocommit=True)

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(postgres_bin("pg_ctl"), "stop", "-D", str(self.data), "-m",
                          "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A redis-server of the tests' own on a free port: `start`, `kill` (SIGKILL: gone
    without a goodbye, as in a crash), `url`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(START_SECONDS)
        self.proc = None


class AppServer:
    """The app in a process of its own (uvicorn, as tests/subscriptions/harness.py's
    ServerProcess), its log in a file: a server that logs every failed round of the relay
    while a dependency is down must not block on a full pipe."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT)}
        self.log = Path(tempfile.mkstemp(prefix="crm-faults-server-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> AppServer:
        return self.launch().wait_ready()

    def launch(self) -> AppServer:
        """Start the process (`wait_ready` waits for it: start several, then wait)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "schema.asgi:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--ws", "websockets-sansio",
                 "--log-level", "warning"],
                cwd=PROJECT_ROOT, env=self.env, stdout=out, stderr=out)
        return self

    def wait_ready(self) -> AppServer:
        assert self.proc is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become ready: {self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.unlink(missing_ok=True)
