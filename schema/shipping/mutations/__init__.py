"""The shipping domain's mutations by workflow: carrier administration (carriers.py) and
the shipment workflow (shipments.py)."""

from schema.shipping.mutations.carriers import ShippingMutation
from schema.shipping.mutations.shipments import ShipmentMutation

__all__ = ["ShipmentMutation", "ShippingMutation"]
