"""Delivery channels: EMAIL over SMTP, SMS and PUSH through HTTP providers.

Senders are synchronous (they run in a worker thread) and raise DeliveryError;
`permanent` failures are not retried (a refused address, a 4xx from the provider).
"""

from __future__ import annotations

import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

import orjson

from app.notifications.models import Notification


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False,
                 unconfigured: bool = False) -> None:
        super().__init__(message)
        self.message = message[:1000]
        self.permanent = permanent or unconfigured
        self.unconfigured = unconfigured


class Channel(Protocol):
    def send(self, notification: Notification) -> None: ...


class Unconfigured:
    blocking = False  # fails at once: the dispatcher calls it without a worker thread

    def __init__(self, what: str) -> None:
        self.what = what

    def send(self, notification: Notification) -> None:
        raise DeliveryError(f"{self.what} is not configured", unconfigured=True)


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int = 25
    sender: str = "noreply@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    # adds what a kind of message carries beyond its text (headers, an HTML part): the
    # campaigns' List-Unsubscribe and open pixel (app/campaigns/mail.py)
    decorate: Callable[[Notification, EmailMessage], None] | None = None

    def message(self, n: Notification) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = n.subject
        msg["From"] = self.sender
        msg["To"] = n.recipient
        msg["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2]
        msg["Message-ID"] = make_msgid(domain=domain or None)
        msg["X-CRM-Notification"] = str(n.id)
        msg.set_content(n.body, charset="utf-8")
        if self.decorate is not None:
            self.decorate(n, msg)
        return msg

    def send(self, notification: Notification) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.message(notification))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"recipient refused: {exc.recipients}",
                                permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {exc}") from None


@dataclass(frozen=True)
class SmsChannel:
    """POSTs {"to", "message", "reference"} as JSON; any 2xx means accepted."""

    url: str
    token: str | None = None
    timeout: float = 10.0

    def send(self, notification: Notification) -> None:
        post_json(self.url, self.token, self.timeout, "SMS provider", {
            "to": notification.recipient, "message": notification.body,
            "reference": str(notification.id)})


@dataclass(frozen=True)
class PushChannel:
    """POSTs {"to", "platform", "title", "body", "reference"} as JSON to a push gateway
    (one in front of APNs and FCM); any 2xx means accepted. The recipient is stored as
    "<platform>:<device token>" (app/notifications/pushes.py)."""

    url: str
    token: str | None = None
    timeout: float = 10.0

    def send(self, notification: Notification) -> None:
        platform, _, device = notification.recipient.partition(":")
        post_json(self.url, self.token, self.timeout, "push gateway", {
            "to": device, "platform": platform, "title": notification.subject,
            "body": notification.body, "reference": str(notification.id)})


def post_json(url: str, token: str | None, timeout: float, what: str, payload: dict) -> None:
    """POST `payload`; a 408, 429 or 5xx answer and an unreachable host are retried, any
    other error status is permanent."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=orjson.dumps(payload), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(4096)
    except urllib.error.HTTPError as exc:
        retryable = exc.code in (408, 429) or exc.code >= 500
        raise DeliveryError(f"{what} answered HTTP {exc.code}",
                            permanent=not retryable) from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{what} unreachable: {exc}") from None
