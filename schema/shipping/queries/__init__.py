"""The shipping domain's queries by concept: shipments, carriers and quotes
(shipments.py); cash-on-delivery reconciliation and network performance (network.py)."""

from schema.shipping.queries.network import LogisticsQuery
from schema.shipping.queries.shipments import ShippingQuery

__all__ = ["LogisticsQuery", "ShippingQuery"]
