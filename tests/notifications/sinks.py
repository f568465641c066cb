"""Real local endpoints the notification channels deliver to: an SMTP server
(aiosmtpd) and an HTTP SMS provider. One of each per test process, on loopback,
shared by every live server so whichever dispatcher sends, the mail lands here.
Recipients are unique per test; messages are looked up by recipient."""

from __future__ import annotations

import atexit
import json
import threading
import time
from collections import defaultdict
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.subscriptions.harness import free_port


class MailSink:
    """Accepts mail; `fail[address] = ["451 ...", ...]` answers the next DATA commands."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: dict[str, list[EmailMessage]] = defaultdict(list)
        self.fail: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                planned = self.fail.get(rcpt)
                if planned:
                    return planned.pop(0)
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            for rcpt in envelope.rcpt_tos:
                self.messages[rcpt].append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def wait(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages[address]) >= count:
                    return list(self.messages[address])
            time.sleep(0.05)
        raise TimeoutError(f"{count} mail(s) to {address} not delivered within {timeout}s")


class SmsSink:
    """An HTTP SMS provider: POST JSON {to, message, reference}; `plan[to]` lists the
    status codes of the next answers (default 200)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: dict[str, list[dict]] = defaultdict(list)
        self.attempts: dict[str, int] = defaultdict(int)
        self.plan: dict[str, list[int]] = {}
        self.tokens: list[str | None] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with sink.lock:
                    to = body.get("to", "")
                    sink.attempts[to] += 1
                    sink.tokens.append(self.headers.get("authorization"))
                    planned = sink.plan.get(to)
                    code = planned.pop(0) if planned else 200
                    if code == 200:
                        sink.received[to].append(body)
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if code == 200 else b'{"error": "nope"}')

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def wait(self, to: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received[to]) >= count:
                    return list(self.received[to])
            time.sleep(0.05)
        raise TimeoutError(f"{count} SMS to {to} not received within {timeout}s")


_SINKS: tuple[MailSink, SmsSink] | None = None


def sinks() -> tuple[MailSink, SmsSink]:
    global _SINKS
    if _SINKS is None:
        mail, sms = MailSink(), SmsSink()
        mail.controller.start()
        sms.thread.start()
        atexit.register(mail.controller.stop)
        atexit.register(sms.server.shutdown)
        _SINKS = (mail, sms)
    return _SINKS


def sink_settings() -> dict[str, Any]:
    mail, sms = sinks()
    return {"smtp_host": "127.0.0.1", "smtp_port": mail.port,
            "smtp_from": "订单中心 <crm@example.com>", "sms_url": sms.url,
            "sms_token": "sms-test-token",
            # the push gateway: the same HTTP sink, keyed by device token ("to")
            "push_url": f"http://127.0.0.1:{sms.port}/push", "push_token": "push-test-token"}
