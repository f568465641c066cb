"""`carrierWebhookEvents`: what carriers' webhooks delivered, for review
(docs/architecture.md#carrier-webhooks). Thin: parse, call one service, map."""

from __future__ import annotations

import strawberry

from app.persistence.pagination import Page
from app.shipping import inbox
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.loading.prefetch import read_connection
from schema.shipping.inputs.shipments import CarrierWebhookEventFilter, webhook_filter_from
from schema.shipping.types.webhooks import CarrierWebhookEvent

_EMPTY: Page = Page(items=[], cursors=[], has_next=False, has_previous=False, total=0)


@strawberry.type
class CarrierWebhookQuery:
    @strawberry.field(
        description="Events carriers' webhooks delivered, newest first: filter by result "
        "UNKNOWN_TRACKING_NUMBER or INVALID and reviewed: false for the ones to review. "
        "Requires carriers:write (LOGISTICS, MANAGER, ADMIN).")
    async def carrier_webhook_events(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CarrierWebhookEventFilter | None = None,
    ) -> Connection[CarrierWebhookEvent]:
        principal = current_principal(info)
        request = page_request(info, first, after, last, before).validated()
        flt = webhook_filter_from(filter)
        if flt is None:
            return to_connection(_EMPTY, CarrierWebhookEvent.from_row)
        page = await read_connection(info, "CarrierWebhookEvent", inbox.list_events,
                                     principal, flt, request)
        return to_connection(page, CarrierWebhookEvent.from_row)
