"""The shipping domain's mutations by workflow: carrier administration (carriers.py), the
shipment workflow (shipments.py), delivery exceptions (exceptions.py), cash-on-delivery
remittances (cod.py) and the carrier webhook inbox's review (webhooks.py)."""

from schema.shipping.mutations.carriers import ShippingMutation
from schema.shipping.mutations.cod import LogisticsMutation
from schema.shipping.mutations.exceptions import ShipmentExceptionMutation
from schema.shipping.mutations.shipments import ShipmentMutation
from schema.shipping.mutations.webhooks import CarrierWebhookMutation

__all__ = ["CarrierWebhookMutation", "LogisticsMutation", "ShipmentExceptionMutation",
           "ShipmentMutation", "ShippingMutation"]
