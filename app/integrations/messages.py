"""What an outgoing webhook carries (docs/architecture.md#outgoing-webhooks): which outbox
topics a subscription may choose, the body made from an event, the signed headers, and the
retry schedule. No database here.

Signed as carriers sign theirs (app/shipping/webhooks.py): `X-Timestamp` (Unix seconds) and
`X-Signature: sha256=<hex of HMAC-SHA256(secret, X-Timestamp + "." + body)>`, a fresh
timestamp for every attempt, so a receiver refuses a captured request sent again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from app.events import topics
from app.events.bus import DomainEvent
from app.shipping.webhooks import signed_headers

# The outbox topics a subscription may receive: every domain event, not the notification
# planner's own bookkeeping (notification.created, notifications.due).
EVENT_TYPES: tuple[str, ...] = (
    topics.CUSTOMER_CREATED, topics.ORDER_STATUS_CHANGED, topics.ORDER_EVENT,
    topics.SHIPMENT_STATUS_CHANGED, topics.SHIPMENT_EXCEPTION_OPENED, topics.STOCK_ALERT,
    topics.RETURN_STATUS_CHANGED)
USER_AGENT = "crm-graph-webhooks/1"


def body(event: DomainEvent) -> str:
    """`{"eventId", "type", "data"}`: the outbox id (receivers de-duplicate and order by
    it), the topic and the event's payload as stored."""
    return orjson.dumps({"eventId": event.id, "type": event.topic,
                         "data": event.payload}).decode()


def headers(secret: str, payload: bytes, now: datetime, *, event_type: str, event_id: int,
            delivery_id: str) -> dict[str, str]:
    return {**signed_headers(secret, payload, now), "user-agent": USER_AGENT,
            "x-webhook-event": event_type, "x-webhook-event-id": str(event_id),
            "x-webhook-delivery": delivery_id}


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n failed: the next one `base * 2**(n-1)` seconds later (at most `cap`), until
    `max_attempts` have failed; `disable_after` failed attempts in a row, of any of its
    deliveries, disable the subscription."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    disable_after: int = 20
    lease_seconds: float = 120.0
    timeout_seconds: float = 10.0

    def delay(self, attempts: int) -> float:
        return min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))

    @classmethod
    def from_settings(cls, settings: Any) -> RetryPolicy:
        return cls(max_attempts=settings.webhook_max_attempts,
                   base_seconds=settings.webhook_retry_seconds,
                   disable_after=settings.webhook_disable_after,
                   timeout_seconds=settings.webhook_timeout_seconds,
                   lease_seconds=max(120.0, settings.webhook_timeout_seconds * 4))
