"""The carrier webhook inbox's type (docs/architecture.md#carrier-webhooks): one event a
carrier's webhook delivered, as sent, and what became of it. Visible to carriers:write
(LOGISTICS, MANAGER, ADMIN) only, through `carrierWebhookEvents` and `node`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from app.auth.roles import Perm
from app.shipping import inbox
from app.shipping import models as m
from schema.core.node import Node, gid, register_node
from schema.core.objects import register_types
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_read
from schema.loading.prefetch import register_relation
from schema.shipping.types.carriers import Carrier
from schema.shipping.types.shipments import Shipment

# "carrier_by_id" is types/carriers.py's loader, "shipment_by_id"
# schema/subscriptions/resolvers.py's
register_relation("CarrierWebhookEvent", "carrier", "carrier_by_id", "carrier_id")
register_relation("CarrierWebhookEvent", "shipment", "shipment_by_id", "shipment_id",
                  child="Shipment", perm=Perm.SHIPMENTS_READ)

CarrierWebhookEventResult = strawberry.enum(
    m.WebhookEventResult, name="CarrierWebhookEventResult",
    description="What became of a webhook event: ACCEPTED (recorded on its shipment), "
    "DUPLICATE (its event id was received before), UNKNOWN_TRACKING_NUMBER (no shipment of "
    "the carrier has it: kept for review), INVALID (see message: kept for review).")


@strawberry.type(description="One event a carrier's webhook delivered, as it was sent, and "
                 "what became of it.")
class CarrierWebhookEvent(Node):
    event_id: str = strawberry.field(description="The carrier's own id of the event.")
    tracking_number: str
    status: str = strawberry.field(description="As the carrier sent it.")
    result: CarrierWebhookEventResult  # type: ignore[valid-type]
    message: str | None = strawberry.field(description="Why it is INVALID.")
    payload: JSON | None = strawberry.field(description="The event as the carrier sent it.")
    occurred_at: datetime | None
    received_at: datetime
    reviewed_at: datetime | None = strawberry.field(
        description="When staff marked it reviewed (carrierWebhookEventReview).")
    _carrier_id: strawberry.Private[int]
    _shipment_id: strawberry.Private[int | None]

    @strawberry.field(description="The carrier that sent it.")
    def carrier(self, info: strawberry.Info) -> Carrier | None:
        return info.context.loaders.one("carrier_by_id", self._carrier_id, Carrier)

    @strawberry.field(extensions=requires(Perm.SHIPMENTS_READ),
                      description="The shipment its tracking number named, if any.")
    def shipment(self, info: strawberry.Info) -> Shipment | None:
        return info.context.loaders.one("shipment_by_id", self._shipment_id, Shipment)

    @classmethod
    def from_row(cls, row: m.CarrierWebhookEvent) -> CarrierWebhookEvent:
        return cls(id=gid("CarrierWebhookEvent", row.id), event_id=row.event_id,
                   tracking_number=row.tracking_number, status=row.status, result=row.result,
                   message=row.message, payload=row.payload, occurred_at=row.occurred_at,
                   received_at=row.received_at, reviewed_at=row.reviewed_at,
                   _carrier_id=row.carrier_id, _shipment_id=row.shipment_id)


async def fetch_webhook_event(info: strawberry.Info, pk: int) -> CarrierWebhookEvent | None:
    row = await run_read(info, inbox.get_event, current_principal(info), pk)
    return CarrierWebhookEvent.from_row(row) if row else None


register_node("CarrierWebhookEvent", fetch_webhook_event)
register_types(CarrierWebhookEvent)
