"""The shipping domain's GraphQL types by concept: carriers (services, rate rules),
quotes, shipments (lines, parcels, tracking events), cash-on-delivery remittances,
reconciliation and delivery performance (cod_and_performance.py), and the carrier webhook
inbox (webhooks.py)."""

import schema.shipping.types.cod_and_performance  # noqa: F401  (registers its node types)
from schema.shipping.types.carriers import (
    Carrier,
    CarrierRateRule,
    CarrierService,
    CarrierServiceLevel,
    Dimensions,
    QuoteReasonCode,
)
from schema.shipping.types.quotes import QuoteItem, QuoteReason, ShippingQuote, ShippingQuotes
from schema.shipping.types.shipments import (
    CarrierChoice,
    CarrierChoiceOption,
    Shipment,
    ShipmentActionState,
    ShipmentLine,
    ShipmentParcel,
    ShipmentRecipient,
    ShipmentStatus,
    TrackingEvent,
)
from schema.shipping.types.webhooks import CarrierWebhookEvent, CarrierWebhookEventResult

__all__ = [
    "Carrier", "CarrierChoice", "CarrierChoiceOption", "CarrierRateRule", "CarrierService",
    "CarrierServiceLevel", "CarrierWebhookEvent", "CarrierWebhookEventResult", "Dimensions",
    "QuoteItem", "QuoteReason", "QuoteReasonCode",
    "Shipment", "ShipmentActionState", "ShipmentLine", "ShipmentParcel", "ShipmentRecipient",
    "ShipmentStatus", "ShippingQuote", "ShippingQuotes", "TrackingEvent",
]
