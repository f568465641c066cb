"""Outgoing webhook mutations (integrations:manage, ADMIN): parse, vet the destination
where there is one (DNS, outside the unit of work), call one service, map
(docs/architecture.md#outgoing-webhooks)."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.integrations import service
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.integrations.inputs import (
    WebhookSubscriptionCreateInput,
    WebhookSubscriptionUpdateInput,
    update_data,
)
from schema.integrations.types import WebhookDelivery, WebhookSubscription

_ADMIN = "Requires integrations:manage (ADMIN)."


@strawberry.type
class WebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription | None = None
    secret: str | None = strawberry.field(
        default=None, description="The secret drawn for a subscription created without one, "
        "shown this once: the receiver checks signatures with it.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookSubscriptionDeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    webhook_delivery: WebhookDelivery | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _subscription(row: object | None, errors: list[UserError]) -> WebhookSubscriptionPayload:
    return WebhookSubscriptionPayload(
        webhook_subscription=WebhookSubscription.from_row(row) if row else None,
        user_errors=errors)


@strawberry.type
class IntegrationMutation:
    @strawberry.mutation(description="Post every event of these types, committed from now "
                         "on, to `url`, signed (X-Timestamp, X-Signature: sha256=HMAC of "
                         "timestamp.body). " + _ADMIN)
    async def webhook_subscription_create(
        self, info: strawberry.Info, input: WebhookSubscriptionCreateInput
    ) -> WebhookSubscriptionPayload:
        try:
            await service.vet_url(input.url, info.context.settings)
        except DomainError as exc:
            return WebhookSubscriptionPayload(user_errors=user_errors(exc))
        created, errors = await run_write(info, service.create_subscription, {
            "url": input.url, "event_types": input.event_types, "secret": input.secret,
            "description": input.description})
        if created is None:
            return WebhookSubscriptionPayload(user_errors=errors)
        return WebhookSubscriptionPayload(
            webhook_subscription=WebhookSubscription.from_row(created.subscription),
            secret=created.secret)

    @strawberry.mutation(description="Change a subscription: URL, event types, secret, "
                         "description, enabled. " + _ADMIN)
    async def webhook_subscription_update(
        self, info: strawberry.Info, input: WebhookSubscriptionUpdateInput
    ) -> WebhookSubscriptionPayload:
        try:
            pk, data = update_data(input)
            if data.get("url") is not None:
                await service.vet_url(data["url"], info.context.settings)
        except DomainError as exc:
            return WebhookSubscriptionPayload(user_errors=user_errors(exc))
        return _subscription(*await run_write(info, service.update_subscription, pk, data))

    @strawberry.mutation(description="Delete a subscription with its delivery log. " + _ADMIN)
    async def webhook_subscription_delete(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> WebhookSubscriptionDeletePayload:
        try:
            pk = parse_id(id, "WebhookSubscription")
        except DomainError as exc:
            return WebhookSubscriptionDeletePayload(user_errors=user_errors(exc))
        deleted, errors = await run_write(info, service.delete_subscription, pk)
        return WebhookSubscriptionDeletePayload(deleted_id=id if deleted else None,
                                                user_errors=errors)

    @strawberry.mutation(description="Send a delivery again at the dispatcher's next round, "
                         "whatever became of it before. " + _ADMIN)
    async def webhook_delivery_retry(self, info: strawberry.Info, id: strawberry.ID
                                     ) -> WebhookDeliveryPayload:
        try:
            pk = parse_id(id, "WebhookDelivery")
        except DomainError as exc:
            return WebhookDeliveryPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.retry_delivery, pk)
        return WebhookDeliveryPayload(
            webhook_delivery=WebhookDelivery.from_row(row) if row else None,
            user_errors=errors)
