"""A real webhook receiver for the tests: an HTTP server on a free loopback port, in a
thread, that keeps every request and answers each path with planned status codes (200
once the plan is used up). `signature_ok` is the receiver's check, written here from the
documented scheme (docs/architecture.md#outgoing-webhooks), not with the app's code."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.subscriptions.harness import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


def signature_ok(secret: str, headers: dict[str, str], body: bytes, *,
                 now: float | None = None, window: float = 300) -> bool:
    """Whether `X-Signature` is `sha256=` HMAC-SHA256(secret, X-Timestamp + "." + body)
    and X-Timestamp is within `window` seconds of now."""
    timestamp, signed = headers.get("x-timestamp", ""), headers.get("x-signature", "")
    if not timestamp.isdigit() or abs(int(timestamp) - (now or time.time())) > window:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signed)


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.plan: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def got(self, path: str) -> list[Received]:
        with self.lock:
            return list(self.received[path])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    planned = receiver.plan.get(self.path)
                    status = planned.pop(0) if planned else 200
                    receiver.received[self.path].append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                        status))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", receiver.url("/redirected"))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        return Handler
