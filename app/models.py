"""Every table, imported in one place for migrations and tests."""

from sqlmodel import SQLModel

from app.audit.models import AuditRecord
from app.auth.models import RefreshToken, User, UserWarehouse
from app.catalog.models import Product
from app.customers.models import Address, Contact, Customer
from app.events.models import OutboxConsumer, OutboxEvent
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.notifications.models import Notification, NotificationPreference
from app.orders.models import Order, OrderAllocation, OrderEvent, OrderLine
from app.payments.models import Payment
from app.persistence.models import IdempotencyRecord
from app.quotes.models import FreightAgreement, PriceAgreement, Quote, QuoteLine
from app.returns.models import ReturnLine, ReturnRequest
from app.shipping.models import (
    Carrier,
    CarrierRateRule,
    CarrierService,
    CarrierWebhookEvent,
    CarrierWebhookSecret,
    CodRemittance,
    Shipment,
    ShipmentException,
    ShipmentExceptionNote,
    ShipmentLine,
    ShipmentParcel,
    TrackingEvent,
)

metadata = SQLModel.metadata

__all__ = [
    "Address", "AuditRecord", "Carrier", "Contact", "Customer", "IdempotencyRecord",
    "Notification", "NotificationPreference", "Order", "OrderAllocation", "OrderEvent",
    "OrderLine", "OutboxConsumer", "OutboxEvent", "Payment", "Product", "RefreshToken",
    "ReturnLine", "ReturnRequest", "Shipment", "ShipmentLine", "StockLevel", "StockMovement",
    "TrackingEvent", "User", "UserWarehouse", "Warehouse", "metadata",
    "CarrierRateRule", "CarrierService", "CarrierWebhookEvent", "CarrierWebhookSecret",
    "CodRemittance", "FreightAgreement", "PriceAgreement", "Quote", "QuoteLine",
    "ShipmentException", "ShipmentExceptionNote", "ShipmentParcel",
]
