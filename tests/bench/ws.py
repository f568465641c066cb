"""A minimal graphql-transport-ws client for many subscribers (thousands in one process).

Each subscriber is a bare asyncio Protocol: it does the WebSocket handshake, sends
connection_init with the token, subscribes, and timestamps every `next` frame. No task
per connection and no JSON work beyond the frame header, so 10,000 subscribers cost the
driver little CPU and the measured delivery time is the server's.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable

import orjson

HOST = "127.0.0.1"


def _frame(payload: dict, opcode: int = 0x1) -> bytes:
    """A client frame: FIN, masked with a zero key (valid framing; XOR is a no-op)."""
    data = orjson.dumps(payload)
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + b"\x00\x00\x00\x00" + data


class Subscriber(asyncio.Protocol):
    def __init__(self, port: int, token: str, query: str, variables: dict | None,
                 on_next: Callable[[Subscriber, float, bytes], None],
                 path: str = "/graphql") -> None:
        self.port = port
        self.path = path
        self.token = token
        self.query = query
        self.variables = variables or {}
        self.on_next = on_next
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.acked = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.errors: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write((
            f"GET {self.path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self._fail(head[:200])
                return
            self.upgraded = True
            self.buffer = rest
            self.transport.write(_frame({"type": "connection_init",
                                         "payload": {"Authorization": f"Bearer {self.token}"}}))
        self._frames(now)

    def _frames(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            opcode, n, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, start = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, start = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < start + n:
                break
            self._message(opcode, buf[start:start + n], now)
            buf = buf[start + n:]
        self.buffer = buf

    def _message(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 0x9:  # ping -> pong
            self.transport.write(struct.pack("!BB", 0x8A, 0x80 | len(payload))
                                 + b"\x00\x00\x00\x00" + payload)
        elif opcode == 0x8:
            self._fail(b"closed by server: " + payload[:200])
        elif payload.startswith(b'{"type":"next"') or b'"next"' in payload[:40]:
            self.on_next(self, now, payload)
        elif b'"connection_ack"' in payload:
            self.transport.write(_frame({"id": "1", "type": "subscribe", "payload": {
                "query": self.query, "variables": self.variables}}))
            if not self.acked.done():
                self.acked.set_result(True)
        elif b'"ping"' in payload:
            self.transport.write(_frame({"type": "pong"}))
        elif b'"error"' in payload or b'"complete"' in payload:
            self.errors.append(payload[:300])

    def _fail(self, reason: bytes) -> None:
        self.errors.append(reason)
        if not self.acked.done():
            self.acked.set_exception(ConnectionError(reason.decode(errors="replace")))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.acked.done():
            self.acked.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(True)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(struct.pack("!BB", 0x88, 0x82) + b"\x00\x00\x00\x00"
                                 + struct.pack("!H", 1000))
            self.transport.close()


async def connect_many(port: int, count: int, token_for: Callable[[int], str], query: str,
                       on_next: Callable[[Subscriber, float, bytes], None], *,
                       variables: dict | None = None, parallel: int = 64,
                       timeout: float = 120.0, path: str = "/graphql") -> list[Subscriber]:
    """Open `count` subscribers, `parallel` handshakes at a time; raise if any fails."""
    loop = asyncio.get_running_loop()
    subscribers: list[Subscriber] = []
    gate = asyncio.Semaphore(parallel)

    async def one(i: int) -> None:
        async with gate:
            _, sub = await loop.create_connection(
                lambda: Subscriber(port, token_for(i), query, variables, on_next, path),
                HOST, port)
            subscribers.append(sub)
            await sub.acked

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(count))), timeout)
    return subscribers
