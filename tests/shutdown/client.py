"""The reference client for a server's restart: a graphql-transport-ws subscriber that, when
the server closes the socket with 1012 (service restart, what `crm serve` sends on SIGTERM),
connects to the next server it knows and resubscribes with `since` = the last cursor it
received, so that it misses nothing and receives nothing twice
(docs/architecture.md#shutdown). What an app's client library should do."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.subscriptions.harness import WsClient

SERVICE_RESTART = 1012


class ResumingSubscriber:
    def __init__(self, urls: list[str], token: str, query: str, field: str) -> None:
        self.urls = urls  # tried in turn: the next one after each 1012
        self.token = token
        self.query = query  # takes $since: String
        self.field = field  # the subscription's root field
        self.cursors: list[str] = []  # every event received, in order
        self.closes: list[int | None] = []  # close codes heard
        self.subscribed = asyncio.Event()  # set each time a subscription is live
        self.server = 0  # index into urls
        self._task: asyncio.Task | None = None
        self._ws: WsClient | None = None

    def start(self) -> ResumingSubscriber:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            ws = self._ws = await self._connect(self.urls[self.server])
            since = self.cursors[-1] if self.cursors else None
            await ws.subscribe("s", self.query, {"since": since})
            self.subscribed.set()
            try:
                while True:
                    message = await ws.message("s", timeout=3600)
                    assert message["type"] == "next", message
                    self.cursors.append(message["payload"]["data"][self.field]["cursor"])
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                self.closes.append(code)
                if code != SERVICE_RESTART:
                    raise
                self.subscribed.clear()
                self.server = min(self.server + 1, len(self.urls) - 1)

    async def _connect(self, url: str) -> WsClient:
        """The next server may still be starting: tried again until a liveness bound."""
        deadline = time.monotonic() + 90
        while True:
            try:
                return await WsClient.connect(url, self.token)
            except (OSError, TimeoutError, InvalidHandshake):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def wait_until(self, done: Callable[[ResumingSubscriber], bool],
                         timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not done(self):
            if self._task is not None and self._task.done():
                self._task.result()  # its failure, raised here
                raise AssertionError("the subscriber stopped")
            assert time.monotonic() < deadline, (
                f"subscriber: condition not met in {timeout} s (cursors {self.cursors[-5:]}, "
                f"closes {self.closes}, server {self.server})")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self._ws is not None:
            await self._ws.close()

