"""The shipping domain's queries by concept: shipments, carriers and quotes
(shipments.py); delivery exceptions and failed deliveries (exceptions.py); cash-on-delivery
reconciliation and network performance (network.py); the carrier webhook inbox
(webhooks.py)."""

from schema.shipping.queries.exceptions import ShipmentExceptionQuery
from schema.shipping.queries.network import LogisticsQuery
from schema.shipping.queries.shipments import ShippingQuery
from schema.shipping.queries.webhooks import CarrierWebhookQuery

__all__ = ["CarrierWebhookQuery", "LogisticsQuery", "ShipmentExceptionQuery", "ShippingQuery"]
