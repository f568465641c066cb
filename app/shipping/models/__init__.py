"""The shipping domain's tables, by concept: carriers (services, rate cards, webhook
secrets), shipments (lines, parcels, tracking events), delivery exceptions, cash-on-delivery
remittances and the carrier webhook inbox."""

from app.shipping.models.carriers import (
    ANY_REGION,
    Carrier,
    CarrierRateRule,
    CarrierService,
    CarrierWebhookSecret,
    ServiceLevel,
)
from app.shipping.models.cod import CodRemittance
from app.shipping.models.exceptions import (
    ExceptionResolution,
    ExceptionSeverity,
    ExceptionSource,
    ExceptionStatus,
    ExceptionType,
    ShipmentException,
    ShipmentExceptionNote,
)
from app.shipping.models.shipments import (
    Shipment,
    ShipmentLine,
    ShipmentParcel,
    ShipmentStatus,
    TrackingEvent,
)
from app.shipping.models.webhooks import CarrierWebhookEvent, WebhookEventResult

__all__ = [
    "ANY_REGION", "Carrier", "CarrierRateRule", "CarrierService", "CarrierWebhookEvent",
    "CarrierWebhookSecret", "CodRemittance", "ExceptionResolution", "ExceptionSeverity",
    "ExceptionSource", "ExceptionStatus", "ExceptionType", "ServiceLevel", "Shipment",
    "ShipmentException", "ShipmentExceptionNote", "ShipmentLine", "ShipmentParcel",
    "ShipmentStatus", "TrackingEvent", "WebhookEventResult",
]
