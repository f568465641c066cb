"""The rules of a carrier's webhook request (docs/architecture.md#carrier-webhooks): how it
is signed and checked, and what its body must look like. No database here; the inbox
(app/shipping/inbox.py) records what the events become.

* Signature: `X-Signature: sha256=<hex>`, HMAC-SHA256 with the carrier's webhook secret over
  `<X-Timestamp> + "." + <raw body>`, compared in constant time. The timestamp is inside
  what is signed, so a captured request cannot be replayed later with a fresh timestamp.
* `X-Timestamp`: Unix seconds; more than 5 minutes from the server's clock, either way, is
  refused (a replay, or a clock to fix).
* Body: at most 256 KiB, `{"events": [...]}` with 1 to 100 events, each an object with an
  `eventId` of 1 to 100 characters (the idempotency key: without it an event cannot be
  recorded once). Anything else wrong with an event makes that event INVALID, not the batch.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from app.errors import ValidationFailed
from app.shipping import tracking
from app.shipping.tracking import EventDraft

MAX_BODY_BYTES = 256 * 1024
MAX_EVENTS = 100
MAX_EVENT_ID = tracking.MAX_EXTERNAL_ID  # the tracking event's external id is the event id
MAX_TRACKING_NUMBER = 64
MAX_MESSAGE = 400
WINDOW = timedelta(minutes=5)
PROBLEMS = ("DAMAGED", "LOST", "ADDRESS_PROBLEM", "REFUSED")  # of EXCEPTION events
_SCHEME = "sha256="


class WebhookRejected(Exception):
    """The whole request is refused and nothing is written: HTTP `status`, a `code` and a
    message for the carrier's developers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found() -> WebhookRejected:
    """An unknown code, an inactive carrier and one without a secret answer alike: the
    endpoint tells nobody which carriers exist."""
    return WebhookRejected(404, "NOT_FOUND", "no webhook here")


# Signing ---------------------------------------------------------------------------

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Signature` value of `body` sent with `X-Timestamp: timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    """What a carrier sends with `body` at `now` (the simulator, tests and benchmarks)."""
    timestamp = str(int(now.timestamp()))
    return {"content-type": "application/json", "x-timestamp": timestamp,
            "x-signature": signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str | None, signed: str | None, body: bytes,
           now: datetime) -> None:
    """Raise WebhookRejected(401) unless `signed` is the signature of `body` at `timestamp`
    and the timestamp is within WINDOW of `now`."""
    if not timestamp or not signed:
        raise WebhookRejected(401, "UNAUTHENTICATED",
                              "X-Timestamp and X-Signature headers are required")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise WebhookRejected(401, "UNAUTHENTICATED", "X-Timestamp must be Unix seconds")
    expected = signature(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, signed.strip().lower().encode("utf-8", "replace")):
        raise WebhookRejected(401, "UNAUTHENTICATED", "X-Signature does not match: expected "
                              "sha256=HMAC-SHA256(secret, X-Timestamp + '.' + body) in hex")
    skew = int(timestamp) - int(now.timestamp())
    if abs(skew) > WINDOW.total_seconds():
        raise WebhookRejected(401, "STALE_TIMESTAMP", f"X-Timestamp is {abs(skew)} s "
                              f"{'behind' if skew < 0 else 'ahead of'} the server's clock, "
                              "outside the 5-minute window: a replayed request, or a clock "
                              "to set right")


# The body --------------------------------------------------------------------------

@dataclass(frozen=True)
class Incoming:
    """One event of a batch as received: `draft` is the validated tracking event, or None
    with the reason in `message` (the event is then INVALID, and kept for review)."""

    event_id: str
    tracking_number: str
    status: str
    payload: dict[str, Any]
    occurred_at: datetime | None
    draft: EventDraft | None
    message: str | None = None


def parse_batch(body: bytes) -> list[Incoming]:
    """The events of a request body, or WebhookRejected(400) when the batch itself is
    malformed."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookRejected(400, "BAD_REQUEST", "the body is not JSON") from None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise WebhookRejected(400, "BAD_REQUEST", 'the body is {"events": [...]} with 1 to '
                              f"{MAX_EVENTS} events")
    for i, raw in enumerate(events):
        event_id = raw.get("eventId") if isinstance(raw, dict) else None
        if not isinstance(event_id, str) or not event_id.strip() \
                or len(event_id) > MAX_EVENT_ID:
            raise WebhookRejected(400, "BAD_REQUEST", f"events[{i}] needs an eventId of 1 to "
                                  f"{MAX_EVENT_ID} characters")
    return [parse_event(raw) for raw in events]


def parse_event(raw: dict[str, Any]) -> Incoming:
    errors: list[str] = []
    number = _text(raw, "trackingNumber", errors)
    status = _text(raw, "status", errors)
    if not number:
        errors.append("trackingNumber is required")
    elif len(number) > MAX_TRACKING_NUMBER:
        errors.append(f"trackingNumber is at most {MAX_TRACKING_NUMBER} characters")
    if not status:
        errors.append("status is required")
    occurred_at = _timestamp(raw.get("occurredAt"), errors)
    location, description = _text(raw, "location", errors), _text(raw, "description", errors)
    signer, problem = _text(raw, "signer", errors), _text(raw, "problem", errors)
    if problem is not None and (problem not in PROBLEMS or status != "EXCEPTION"):
        errors.append("problem is one of " + ", ".join(PROBLEMS) + ", on EXCEPTION events")
    cod = _decimal(raw.get("codCollected"), errors)
    incoming = Incoming(raw["eventId"], (number or "")[:MAX_TRACKING_NUMBER],
                        (status or "")[:24], raw, occurred_at, None)
    if not errors:
        try:
            return replace(incoming, draft=tracking.validate(EventDraft(
                status, occurred_at, location or "", description or "", raw["eventId"],
                problem, cod, signer)))
        except ValidationFailed as exc:
            errors += [e.message for e in exc.errors]
    return replace(incoming, message="; ".join(errors)[:MAX_MESSAGE])


def _text(raw: dict[str, Any], key: str, errors: list[str]) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value.strip() if isinstance(value, str) else None
    errors.append(f"{key} must be a string")
    return None


def _timestamp(value: Any, errors: list[str]) -> datetime | None:
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        errors.append("occurredAt must be an ISO 8601 timestamp with an offset")
        return None
    return at


def _decimal(value: Any, errors: list[str]) -> Decimal | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return Decimal(value.strip())
    except InvalidOperation:
        pass
    errors.append("codCollected must be a decimal string, e.g. \"128.50\"")
    return None
