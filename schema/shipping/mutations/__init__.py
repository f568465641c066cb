"""The shipping domain's mutations by workflow: carrier administration (carriers.py) and
the shipment workflow (shipments.py) and
cash-on-delivery remittances (cod.py)."""

from schema.shipping.mutations.carriers import ShippingMutation
from schema.shipping.mutations.cod import LogisticsMutation
from schema.shipping.mutations.shipments import ShipmentMutation

__all__ = ["LogisticsMutation", "ShipmentMutation", "ShippingMutation"]
