"""`webhookSubscriptions`, `webhookDeliveries`, `webhookEventTypes` (integrations:manage,
ADMIN): parse, call one service, map."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.integrations import service
from app.integrations.messages import EVENT_TYPES
from app.persistence.pagination import Page
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.integrations.inputs import (
    WebhookDeliveryFilter,
    WebhookDeliverySort,
    WebhookSubscriptionFilter,
    WebhookSubscriptionSort,
    delivery_filter_from,
    subscription_filter_from,
)
from schema.integrations.types import WebhookDelivery, WebhookSubscription
from schema.loading.prefetch import read_connection

_EMPTY: Page = Page(items=[], cursors=[], has_next=False, has_previous=False, total=0)


@strawberry.type
class IntegrationQuery:
    @strawberry.field(description="Outgoing webhook subscriptions, newest first.")
    async def webhook_subscriptions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: WebhookSubscriptionFilter | None = None,
        sort: WebhookSubscriptionSort | None = None,  # type: ignore[valid-type]
    ) -> Connection[WebhookSubscription]:
        sort = sort or WebhookSubscriptionSort.CREATED_AT_DESC  # null: the list's default
        page = await read_connection(
            info, "WebhookSubscription", service.list_subscriptions, current_principal(info),
            subscription_filter_from(filter), sort,
            page_request(info, first, after, last, before))
        return to_connection(page, WebhookSubscription.from_row)

    @strawberry.field(description="The delivery log, newest first: filter by subscription, "
                      "status (FAILED and GAVE_UP for the ones to look at), event type.")
    async def webhook_deliveries(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: WebhookDeliveryFilter | None = None,
        sort: WebhookDeliverySort | None = None,  # type: ignore[valid-type]
    ) -> Connection[WebhookDelivery]:
        sort = sort or WebhookDeliverySort.CREATED_AT_DESC  # null: the list's default
        try:
            flt = delivery_filter_from(filter)
        except DomainError:  # a subscription id that names none: nothing to list
            return to_connection(_EMPTY, WebhookDelivery.from_row)
        page = await read_connection(
            info, "WebhookDelivery", service.list_deliveries, current_principal(info), flt,
            sort, page_request(info, first, after, last, before))
        return to_connection(page, WebhookDelivery.from_row)

    @strawberry.field(description="The event types a subscription may receive (outbox "
                      "topics).")
    def webhook_event_types(self) -> list[str]:
        return list(EVENT_TYPES)
