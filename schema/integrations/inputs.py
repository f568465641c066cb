"""Inputs of outgoing webhooks, and their translation into service arguments (global IDs
decoded here)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.ids import parse_id
from app.integrations import repository as repo
from schema.core.writes import provided
from schema.integrations.types import WebhookDeliveryStatus

WebhookSubscriptionSort = strawberry.enum(repo.SubscriptionSort, name="WebhookSubscriptionSort")
WebhookDeliverySort = strawberry.enum(repo.DeliverySort, name="WebhookDeliverySort")


@strawberry.input
class WebhookSubscriptionCreateInput:
    url: str = strawberry.field(description="http(s); its host must resolve to public "
                                "addresses (or to CRM_WEBHOOK_ALLOWED_NETWORKS).")
    event_types: list[str] = strawberry.field(description="Outbox topics (webhookEventTypes).")
    secret: str | None = strawberry.field(
        default=None, description="16 to 200 characters to sign deliveries with; omitted: "
        "one is drawn and shown once in the payload.")
    description: str | None = None


@strawberry.input
class WebhookSubscriptionUpdateInput:
    id: strawberry.ID
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    secret: str | None = strawberry.field(default=strawberry.UNSET,
                                          description="A new secret, at once.")
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true enables it again and forgets its "
        "failures; false disables it (its deliveries wait).")


@strawberry.input
class WebhookSubscriptionFilter:
    enabled: bool | None = None


@strawberry.input
class WebhookDeliveryFilter:
    subscription_id: strawberry.ID | None = None
    status: list[WebhookDeliveryStatus] | None = None  # type: ignore[valid-type]
    event_type: str | None = None
    event_id: int | None = None


def update_data(inp: WebhookSubscriptionUpdateInput) -> tuple[int, dict[str, Any]]:
    data = provided(inp)
    return parse_id(data.pop("id"), "WebhookSubscription"), data


def subscription_filter_from(flt: WebhookSubscriptionFilter | None) -> repo.SubscriptionFilter:
    return repo.SubscriptionFilter(enabled=flt.enabled if flt else None)


def delivery_filter_from(flt: WebhookDeliveryFilter | None) -> repo.DeliveryFilter:
    if flt is None:
        return repo.DeliveryFilter()
    sub = parse_id(flt.subscription_id, "WebhookSubscription", "subscriptionId") \
        if flt.subscription_id else None
    return repo.DeliveryFilter(
        subscription_id=sub, statuses=tuple(s.value for s in flt.status) if flt.status
        else None, event_type=flt.event_type, event_id=flt.event_id)
