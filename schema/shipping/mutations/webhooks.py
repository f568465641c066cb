"""`carrierWebhookEventReview`: a kept webhook event marked reviewed
(docs/architecture.md#carrier-webhooks). Thin: parse, call one service, map."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping import inbox
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.shipping.types.webhooks import CarrierWebhookEvent


@strawberry.type
class CarrierWebhookEventPayload:
    carrier_webhook_event: CarrierWebhookEvent | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CarrierWebhookMutation:
    @strawberry.mutation(description="Mark a kept webhook event reviewed (a second time keeps "
                         "the first time). Requires carriers:write (LOGISTICS, MANAGER, "
                         "ADMIN).")
    async def carrier_webhook_event_review(self, info: strawberry.Info, id: strawberry.ID
                                           ) -> CarrierWebhookEventPayload:
        try:
            pk = parse_id(id, "CarrierWebhookEvent")
        except DomainError as exc:
            return CarrierWebhookEventPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, inbox.review_event, pk)
        return CarrierWebhookEventPayload(
            carrier_webhook_event=CarrierWebhookEvent.from_row(row) if row else None,
            user_errors=errors)
