"""The delta sync's types: `SyncEntity`, `SyncChangesPage`
(docs/architecture.md#delta-sync)."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.sync.entities import ENTITIES
from schema.core.node import Node
from schema.core.pagination import PageInfo


@strawberry.enum(description="An object type `syncChanges` covers.")
class SyncEntity(Enum):
    CUSTOMER = "Customer"
    ORDER = "Order"
    SHIPMENT = "Shipment"
    QUOTE = "Quote"
    TICKET = "Ticket"
    ACTIVITY = "Activity"
    OPPORTUNITY = "Opportunity"
    LEAD = "Lead"
    PRODUCT = "Product"
    RETURN_REQUEST = "ReturnRequest"
    USER = "User"
    WAREHOUSE = "Warehouse"
    CARRIER = "Carrier"
    STOCK_LEVEL = "StockLevel"
    LOW_STOCK_LEVEL = strawberry.enum_value("LowStockLevel", description=(
        "lowStockLevels: StockLevel nodes; one no longer below its safety stock is removed."))
    STOCK_MOVEMENT = "StockMovement"
    ORDER_AT_RISK = strawberry.enum_value("OrderAtRisk", description=(
        "ordersAtRisk: Order nodes awaiting fulfilment with a promised date; one shipped, "
        "cancelled or without a date is removed. The horizon (withinDays) depends on "
        "today, not on a change: compare promisedDate on the device."))
    SHIPMENT_EXCEPTION = "ShipmentException"
    FAILED_DELIVERY = strawberry.enum_value("FailedDelivery", description=(
        "failedDeliveries: Shipment nodes with failed attempts; one delivered, returned "
        "or cancelled is removed."))
    NOTIFICATION = "Notification"
    AUDIT_RECORD = "AuditRecord"
    CARRIER_WEBHOOK_EVENT = "CarrierWebhookEvent"
    WEBHOOK_SUBSCRIPTION = "WebhookSubscription"
    WEBHOOK_DELIVERY = "WebhookDelivery"
    VISIT_PLAN = "VisitPlan"
    SALES_TARGET = "SalesTarget"
    PRICE_AGREEMENT = "PriceAgreement"
    SURVEY = "Survey"
    CAMPAIGN = "Campaign"
    EXPORT_JOB = "ExportJob"
    DELIVERY_ORDER = "DeliveryOrder"
    DELIVERY_PLAN = "DeliveryPlan"
    DELIVERY_FOLLOW_UP = "DeliveryFollowUp"


assert {e.value for e in SyncEntity} == set(ENTITIES)  # one list: app/sync/entities.py


@strawberry.type(description="An object changed since the sync token: `node` its state now, "
                 "as `node(id:)` answers it; or `removed`, with `node` null, when it was "
                 "deleted or has left your scope (drop it from the device).")
class SyncChange:
    cursor: str
    id: strawberry.ID = strawberry.field(description="The object's global ID.")
    entity: SyncEntity
    removed: bool
    node: Node | None


# Not a Relay connection (no `...Connection` name, no `last`/`before`): a sync is a feed
# read forward to its end and applied to the device's store, not a list a screen pages
# both ways (frontend-contract/README.md, Delta sync).
@strawberry.type(description="One page of a sync. Page with `after: pageInfo.endCursor` "
                 "while `hasNextPage`; the last page carries `syncToken`, the `since` of "
                 "the next sync. Forward only.")
class SyncChangesPage:
    edges: list[SyncChange]
    page_info: PageInfo
    sync_token: str | None = strawberry.field(description="On the last page: pass it as "
                                              "`since` next time. Null while pages remain.")
    full: bool = strawberry.field(description="True for a full sync (no `since`): every "
                                  "object you may see; replace the device's copy with it.")
