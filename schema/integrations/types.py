"""Outgoing webhooks' types (docs/architecture.md#outgoing-webhooks): subscriptions (never
their secret: a hint of its last characters), deliveries and their attempt log. Visible to
integrations:manage (ADMIN) only, through their queries and `node`."""

from __future__ import annotations

from datetime import datetime

import orjson
import strawberry
from strawberry.scalars import JSON

from app.integrations import models as m
from app.integrations import repository as repo
from app.integrations import service
from schema.core.node import Node, gid, register_node
from schema.core.objects import register_types
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

register_loader("webhook_subscription_by_id", repo.subscriptions_by_ids)
register_loader("webhook_attempts_by_delivery", repo.attempts_by_delivery, default=[])

WebhookDeliveryStatus = strawberry.enum(
    m.DeliveryStatus, name="WebhookDeliveryStatus",
    description="PENDING (not tried yet, or queued again by hand), DELIVERED (a 2xx "
    "answer), FAILED (the last attempt failed: tried again at nextAttemptAt), GAVE_UP "
    "(every automatic attempt failed: only webhookDeliveryRetry sends it again).")


@strawberry.type(description="Where events of chosen types are posted, signed with its "
                 "secret.")
class WebhookSubscription(Node):
    url: str
    event_types: list[str] = strawberry.field(description="Outbox topics it receives "
                                              "(webhookEventTypes).")
    description: str
    enabled: bool = strawberry.field(description="False: disabled by hand or after too many "
                                     "failed attempts in a row (see disabledReason).")
    secret_hint: str = strawberry.field(description="The secret's last 4 characters; the "
                                        "secret itself is never shown again.")
    consecutive_failures: int = strawberry.field(description="Failed attempts in a row.")
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: m.WebhookSubscription) -> WebhookSubscription:
        return cls(id=gid("WebhookSubscription", row.id), url=row.url,
                   event_types=list(row.event_types or []), description=row.description,
                   enabled=row.enabled, secret_hint=row.secret_hint,
                   consecutive_failures=row.consecutive_failures,
                   disabled_reason=row.disabled_reason, disabled_at=row.disabled_at,
                   created_at=row.created_at, updated_at=row.updated_at)


@strawberry.type(description="One POST of a delivery: the answer's status code, or why "
                 "there was none.")
class WebhookAttempt:
    attempted_at: datetime
    response_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def from_row(cls, row: m.WebhookAttempt) -> WebhookAttempt:
        return cls(attempted_at=row.attempted_at, response_code=row.response_code,
                   error=row.error, duration_ms=row.duration_ms)


@strawberry.type(description="One outbox event for one subscription, and what became of "
                 "it.")
class WebhookDelivery(Node):
    event_id: int = strawberry.field(description="The outbox id (the body's eventId).")
    event_type: str
    status: WebhookDeliveryStatus  # type: ignore[valid-type]
    attempts: int = strawberry.field(description="Attempts since it was last queued.")
    next_attempt_at: datetime | None
    last_response_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: JSON = strawberry.field(description="The body posted, as JSON.")
    _pk: strawberry.Private[int]
    _subscription_id: strawberry.Private[int]

    @strawberry.field(description="The subscription it is for.")
    def subscription(self, info: strawberry.Info) -> WebhookSubscription | None:
        return info.context.loaders.one("webhook_subscription_by_id", self._subscription_id,
                                        WebhookSubscription)

    @strawberry.field(description="Every attempt, oldest first, with its status code.")
    def attempt_log(self, info: strawberry.Info) -> list[WebhookAttempt]:
        return info.context.loaders.resolve(
            "webhook_attempts_by_delivery", self._pk,
            lambda rows: [WebhookAttempt.from_row(r) for r in rows])

    @classmethod
    def from_row(cls, row: m.WebhookDelivery) -> WebhookDelivery:
        return cls(id=gid("WebhookDelivery", row.id), event_id=row.event_id,
                   event_type=row.event_type, status=m.DeliveryStatus(row.status),
                   attempts=row.attempts, next_attempt_at=row.next_attempt_at,
                   last_response_code=row.last_response_code, last_error=row.last_error,
                   delivered_at=row.delivered_at, created_at=row.created_at,
                   payload=orjson.loads(row.body), _pk=row.id,
                   _subscription_id=row.subscription_id)


async def fetch_subscription(info: strawberry.Info, pk: int) -> WebhookSubscription | None:
    row = await run_read(info, service.get_subscription, current_principal(info), pk)
    return WebhookSubscription.from_row(row) if row else None


async def fetch_delivery(info: strawberry.Info, pk: int) -> WebhookDelivery | None:
    row = await run_read(info, service.get_delivery, current_principal(info), pk)
    return WebhookDelivery.from_row(row) if row else None


register_node("WebhookSubscription", fetch_subscription)
register_node("WebhookDelivery", fetch_delivery)
register_types(WebhookSubscription, WebhookDelivery)
