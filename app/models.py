"""Every table, imported in one place for migrations and tests."""

from sqlmodel import SQLModel

from app.activities.models import Activity, ContactPlan, SalesTarget, VisitPlan
from app.audit.models import AuditRecord
from app.auth.models import RefreshToken, User, UserWarehouse
from app.campaigns.models import Campaign, CampaignRecipient
from app.catalog.models import Product
from app.customers.models import Address, Contact, Customer
from app.delivery.models import (
    ConsignorFreightAgreement,
    DeliveryOrder,
    DeliveryPlan,
    DeliveryPlanLine,
)
from app.devices.models import Device
from app.events.models import OutboxConsumer, OutboxEvent
from app.exports.models import ExportJob
from app.followups.models import DeliveryFollowUp
from app.integrations.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSecret,
    WebhookSubscription,
)
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.notifications.models import Notification, NotificationPreference
from app.offline.models import ClientReference
from app.orders.models import Order, OrderAllocation, OrderEvent, OrderLine
from app.payments.models import Payment
from app.persistence.models import IdempotencyRecord
from app.quotes.models import FreightAgreement, PriceAgreement, Quote, QuoteLine
from app.returns.models import ReturnLine, ReturnRequest
from app.sales.models import (
    Lead,
    Opportunity,
    OpportunityLine,
    OpportunityStageChange,
    PipelineStage,
)
from app.segments.models import CustomerSegment, SavedSegment
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
from app.surveys.models import OrderReminder, Survey
from app.sync.models import SyncChange
from app.tickets.models import Ticket, TicketMessage, TicketSlaPolicy

metadata = SQLModel.metadata

__all__ = [
    "Activity", "Address", "AuditRecord", "ContactPlan", "SalesTarget", "VisitPlan",
    "Carrier", "Contact", "Customer", "DeliveryFollowUp", "IdempotencyRecord",
    "Notification", "NotificationPreference", "Order", "OrderAllocation", "OrderEvent",
    "OrderLine", "OutboxConsumer", "OutboxEvent", "Payment", "Product", "RefreshToken",
    "ReturnLine", "ReturnRequest", "Shipment", "ShipmentLine", "StockLevel", "StockMovement",
    "TrackingEvent", "User", "UserWarehouse", "Warehouse", "metadata",
    "CarrierRateRule", "CarrierService", "CarrierWebhookEvent", "CarrierWebhookSecret",
    "CodRemittance", "FreightAgreement", "PriceAgreement", "Quote", "QuoteLine",
    "Ticket", "TicketMessage", "TicketSlaPolicy",
    "ShipmentException", "ShipmentExceptionNote", "ShipmentParcel",
    "WebhookAttempt", "WebhookDelivery", "WebhookSecret", "WebhookSubscription",
    "Lead", "Opportunity", "OpportunityLine", "OpportunityStageChange", "PipelineStage",
    "CustomerSegment", "SavedSegment", "OrderReminder", "Survey", "Campaign",
    "CampaignRecipient", "ExportJob", "Device", "ClientReference", "SyncChange",
    "ConsignorFreightAgreement", "DeliveryOrder", "DeliveryPlan", "DeliveryPlanLine",
]
