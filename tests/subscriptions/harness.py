"""A real server on a loopback port and a real graphql-transport-ws client.

`LiveServer` runs uvicorn (with the app's lifespan: outbox relay, dispatcher)
in a thread of the test process, so tests can also look at its state;
`ServerProcess` runs `crm serve`-like uvicorn in a child process. Every wait is
bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import replace
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.config import PROJECT_ROOT, Settings
from app.persistence.db import Database
from tests.support import Api, Factory

PROTOCOL = "graphql-transport-ws"
TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_settings(settings: Settings, **overrides: Any) -> Settings:
    """Fast background loops, and the process-wide local SMTP / SMS endpoints. No delay
    check: run at start-up it would open DELAYED exceptions (and plan notices) for every
    test's parcels past their estimate; tests run it with the day they choose. No activity
    check either, for the same reason (overdue alerts, contact-plan tasks)."""
    from tests.notifications.sinks import sink_settings

    base = {"outbox_relay_seconds": 0.2, "outbox_grace_seconds": 0.5,
            "notify_poll_seconds": 0.2, "notify_retry_seconds": 0.1,
            "delay_check_seconds": 0, "segment_recompute_seconds": 0,
            "activity_check_seconds": 0, "quote_expiry_seconds": 0,
            "ticket_breach_check_seconds": 0,
            # nor surveys after every test's deliveries, nor due-date reminders: the
            # survey tests make theirs (tests/surveys/)
            "survey_after_delivery": False, "reminder_check_seconds": 0,
            "delivery_plan_seconds": 0,
            "campaign_send_seconds": 0, "exports": False, **sink_settings()}
    return replace(settings, **{**base, **overrides})


class LiveServer:
    def __init__(self, settings: Settings, db: Database) -> None:
        from schema.asgi import create_app

        self.port = free_port()
        self.app = create_app(settings=settings, db=db)
        self.state = self.app.state.crm
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                ws="websockets-sansio", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

        async def remember_loop(_state: Any) -> None:
            self.loop = asyncio.get_running_loop()

        self.state.extras.setdefault("on_startup", []).append(remember_loop)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + TIMEOUT
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(TIMEOUT)

    async def write(self, fn: Any, *args: Any, principal: Any = None, **kwargs: Any) -> Any:
        """Run a service as a unit of work of this server (its commit publishes here),
        the way an internal integration (e.g. a carrier webhook) would."""
        from app.auth.principal import SYSTEM

        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(
            self.state.runner.write(fn, *args, principal=principal or SYSTEM, **kwargs),
            self.loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


    async def publish(self, events: list[Any]) -> None:
        """Publish on this server's bus what was committed earlier, the way a publisher
        that runs late does (the relay's recovery, another process's echo through Redis)."""
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(self.state.bus.publish(events), self.loop)
        await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


class ServerProcess:
    """The app in its own process (uvicorn factory), for multi-process tests."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT)}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "schema.asgi:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--ws", "websockets-sansio",
             "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # a liveness bound only: a server process started in 22 s at load average 16-18
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server process did not become ready")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(TIMEOUT)


def http_api(url: str, factory: Factory) -> tuple[httpx.AsyncClient, Api]:
    client = httpx.AsyncClient(base_url=url, timeout=TIMEOUT)
    return client, Api(client, factory)


class WsClient:
    """A graphql-transport-ws client; messages are sorted per operation id."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.by_id: dict[str, list[dict]] = defaultdict(list)
        self.other: list[dict] = []

    @classmethod
    async def connect(cls, url: str, token: str | None = None, *, init: bool = True,
                      payload: Any = None, origin: str | None = None) -> WsClient:
        headers = {"Origin": origin} if origin else None
        conn = await asyncio.wait_for(connect(url, subprotocols=[PROTOCOL],
                                              additional_headers=headers,
                                              open_timeout=TIMEOUT), TIMEOUT)
        client = cls(conn)
        if init:
            body = payload if payload is not None else (
                {"authorization": f"Bearer {token}"} if token else {})
            await client.send({"type": "connection_init", "payload": body})
            ack = await client.recv()
            assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: dict) -> None:
        await self.conn.send(json.dumps(message))

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        assert isinstance(raw, str), "graphql-transport-ws frames must be text"
        return json.loads(raw)

    async def subscribe(self, op_id: str, query: str, variables: dict | None = None) -> None:
        await self.send({"id": op_id, "type": "subscribe",
                         "payload": {"query": query, "variables": variables or {}}})
        await self.sync()

    async def sync(self) -> None:
        """ping -> pong: every earlier message has been handled by the server."""
        await self.send({"type": "ping"})
        while True:
            message = await self.recv()
            if message["type"] == "pong":
                return
            self._file(message)

    def _file(self, message: dict) -> None:
        if "id" in message:
            self.by_id[message["id"]].append(message)
        else:
            self.other.append(message)

    async def message(self, op_id: str, timeout: float = TIMEOUT) -> dict:
        """The next message (next / error / complete) for one operation."""
        deadline = time.monotonic() + timeout
        while not self.by_id[op_id]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message for {op_id} within {timeout}s")
            self._file(await self.recv(left))
        return self.by_id[op_id].pop(0)

    async def next(self, op_id: str, timeout: float = TIMEOUT) -> dict:
        message = await self.message(op_id, timeout)
        assert message["type"] == "next", message
        return message["payload"]

    async def quiet(self, op_id: str, seconds: float = 0.5) -> list[dict]:
        """Whatever arrives for `op_id` within `seconds` (expected: nothing)."""
        try:
            return [await self.message(op_id, seconds)]
        except TimeoutError:
            return []

    async def closed(self, timeout: float = TIMEOUT) -> tuple[int | None, str]:
        """Wait for the server to close the connection; (code, reason)."""
        try:
            while True:
                await self.recv(timeout)
        except ConnectionClosed as exc:
            frame = exc.rcvd
            return (frame.code, frame.reason) if frame else (None, "")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.conn.close(), TIMEOUT)
