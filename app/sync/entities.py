"""What the delta sync covers: each synced object type, its permission, its row scope and
the keys that say whose scope a change of it may touch (docs/architecture.md#delta-sync).

An object is synced when its changes are audited (`uow.audit(...)`): the audit hook is the
capture point (app/sync/capture.py), so a workflow step that audits its object is synced
with no code of its own. A child audited on its own (a customer's contact) counts as a
change of its parent. A change no audit names is `touch`ed where it is written (the stock
ledger's levels, the notification planner and dispatcher, webhook deliveries); an
append-only ledger (stock movements, audit records) is captured as its rows are inserted;
a derived list (lowStockLevels, ordersAtRisk, failedDeliveries) reads its source's
changes and re-reads them under its membership rule, so an object leaving it is removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.activities.models import Activity, SalesTarget, VisitPlan
from app.activities.repository import activities, targets
from app.activities.repository.plans import scope_visit_plans
from app.audit.models import AuditRecord
from app.auth.models import User
from app.auth.roles import Perm
from app.campaigns.models import Campaign
from app.catalog import repository as catalog
from app.catalog.models import Product
from app.customers import repository as customers
from app.customers.models import Customer
from app.delivery import repository as delivery
from app.delivery.models import DeliveryOrder, DeliveryPlan
from app.exports.models import ExportJob
from app.exports.repository import jobs as exports
from app.followups import repository as followups
from app.followups.models import DeliveryFollowUp
from app.integrations.models import WebhookDelivery, WebhookSubscription
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.inventory.repository import levels, movements
from app.inventory.repository.levels import scope_low
from app.inventory.repository.warehouses import in_scope
from app.notifications import repository as notifications
from app.notifications.models import Notification
from app.orders.models import Order
from app.orders.repository import orders
from app.quotes import repository as quotes
from app.quotes.models import PriceAgreement, Quote
from app.returns import repository as returns
from app.returns.models import ReturnRequest
from app.sales.models import Lead, Opportunity
from app.sales.repository.leads import scope_leads
from app.sales.repository.opportunities import scope_opportunities
from app.shipping.models import Shipment
from app.shipping.models.carriers import Carrier
from app.shipping.models.exceptions import ShipmentException
from app.shipping.models.webhooks import CarrierWebhookEvent
from app.shipping.repository import exceptions, shipments
from app.surveys import repository as surveys
from app.surveys.models import Survey
from app.tickets import repository as tickets
from app.tickets import workflow as ticket_workflow
from app.tickets.models import Ticket

CUSTOMER_KEYED = "customer"  # SALES through the customers they own, CUSTOMER its own
USER_KEYED = "user"  # SALES their own (owner or assignee); CUSTOMER none
SHARED = "shared"  # everyone who may read the entity (the catalog); a product's changes are
# keyed by its consignor, so a consignor's goods reach its own CONSIGNOR and CUSTOMER only


def _everything(stmt: Any, _principal: Any) -> Any:
    """The list has no row scope: its permission is the whole rule (users, carriers)."""
    return stmt


def _in_warehouses(column: Any) -> Callable[[Any, Any], Any]:
    return lambda stmt, principal: in_scope(stmt, principal, column)


@dataclass(frozen=True)
class Entity:
    name: str  # the `SyncEntity` value; the audit's entity_type unless `source` says
    model: type
    perm: Perm | Callable[[Any], bool]  # a read permission, or who may read (tickets)
    scope: Callable[[Any, Any], Any]  # the repository's scope(stmt, principal)
    keyed_by: str
    customer_field: str | None  # the row's customer id
    user_field: str | None  # the row's owner or assignee
    via_order: bool = False  # the customer id is its order's (a shipment)
    # a derived list (lowStockLevels): reads the change rows of `source` and re-reads them
    # under a scope that adds the list's membership, so an object leaving it is removed
    source: str | None = None
    node_type: str | None = None  # the GraphQL type of its node, when not `name`
    # append-only (a ledger): captured as its deferred rows are inserted, not audited
    ledger: bool = False
    # keys that live on another table: a select of (id, customer_id, user_id) to filter by id
    keys_query: Callable[[], Any] | None = None

    @property
    def log(self) -> str:
        """The change-log entity whose rows say this entity's objects changed."""
        return self.source or self.name

    @property
    def type_name(self) -> str:
        return self.node_type or self.source or self.name


ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("Customer", Customer, Perm.CUSTOMERS_READ, customers.scope, CUSTOMER_KEYED,
           "id", "owner_id"),
    Entity("Order", Order, Perm.ORDERS_READ, orders.scope, CUSTOMER_KEYED, "customer_id", None),
    Entity("Shipment", Shipment, Perm.SHIPMENTS_READ, shipments.scope, CUSTOMER_KEYED,
           None, None, via_order=True),
    Entity("ReturnRequest", ReturnRequest, Perm.ORDERS_READ, returns.scope, CUSTOMER_KEYED,
           "customer_id", None),
    Entity("Product", Product, Perm.PRODUCTS_READ, catalog.scope, SHARED, "consignor_id",
           None),
    Entity("Quote", Quote, Perm.QUOTES_READ, quotes.scope, CUSTOMER_KEYED, "customer_id", None),
    Entity("Ticket", Ticket, ticket_workflow.may_read, tickets.scope, CUSTOMER_KEYED,
           "customer_id", None),
    Entity("Activity", Activity, Perm.ACTIVITIES_READ, activities.scope, USER_KEYED,
           "customer_id", "assignee_id"),
    Entity("Opportunity", Opportunity, Perm.OPPORTUNITIES_READ, scope_opportunities,
           USER_KEYED, "customer_id", "owner_id"),
    Entity("Lead", Lead, Perm.LEADS_READ, scope_leads, USER_KEYED, "customer_id", "owner_id"),
    # the other top-level connections (issue 28): back office and stock
    Entity("User", User, Perm.USERS_MANAGE, _everything, SHARED, None, None),
    Entity("Warehouse", Warehouse, Perm.STOCK_READ, _in_warehouses(Warehouse.id), SHARED,
           None, None),
    Entity("Carrier", Carrier, Perm.SHIPMENTS_READ, _everything, SHARED, None, None),
    # keyed, like a product, by the goods' consignor (a CONSIGNOR's feed: its own)
    Entity("StockLevel", StockLevel, Perm.STOCK_READ, levels.scope, SHARED, "consignor_id",
           None),
    Entity("LowStockLevel", StockLevel, Perm.STOCK_READ, scope_low, SHARED, "consignor_id",
           None,
           source="StockLevel"),
    Entity("StockMovement", StockMovement, Perm.STOCK_READ, movements.scope, SHARED, None,
           None, ledger=True),
    Entity("OrderAtRisk", Order, Perm.ORDERS_READ, orders.scope_awaiting, CUSTOMER_KEYED,
           "customer_id", None, source="Order"),
    Entity("ShipmentException", ShipmentException, Perm.EXCEPTIONS_READ, exceptions.scope,
           CUSTOMER_KEYED, "customer_id", None, keys_query=exceptions.customer_keys),
    Entity("FailedDelivery", Shipment, Perm.EXCEPTIONS_READ, exceptions.scope_failed,
           CUSTOMER_KEYED, None, None, via_order=True, source="Shipment"),
    Entity("Notification", Notification, Perm.NOTIFICATIONS_READ, notifications.scope,
           CUSTOMER_KEYED, "customer_id", "user_id"),
    Entity("AuditRecord", AuditRecord, Perm.AUDIT_READ, _everything, SHARED, None, None,
           ledger=True),
    Entity("CarrierWebhookEvent", CarrierWebhookEvent, Perm.CARRIERS_WRITE, _everything,
           SHARED, None, None),
    Entity("WebhookSubscription", WebhookSubscription, Perm.INTEGRATIONS_MANAGE, _everything,
           SHARED, None, None),
    Entity("WebhookDelivery", WebhookDelivery, Perm.INTEGRATIONS_MANAGE, _everything, SHARED,
           None, None),
    Entity("VisitPlan", VisitPlan, Perm.ACTIVITIES_READ, scope_visit_plans, USER_KEYED, None,
           "user_id"),
    Entity("SalesTarget", SalesTarget, Perm.TARGETS_READ, targets.scope, USER_KEYED, None,
           "user_id"),
    Entity("PriceAgreement", PriceAgreement, Perm.QUOTES_READ, quotes.agreement_scope,
           CUSTOMER_KEYED, "customer_id", None),
    Entity("Survey", Survey, Perm.SURVEYS_READ, surveys.scope, SHARED, None, None),
    Entity("Campaign", Campaign, Perm.CAMPAIGNS_READ, _everything, SHARED, None, None),
    Entity("ExportJob", ExportJob, Perm.EXPORTS_CREATE, exports.scope, USER_KEYED, None,
           "user_id"),
    # consignors' delivery orders, plans and failed-delivery follow-ups (issue 26): keyed by
    # the consignor, whose own sign-in (CONSIGNOR) and owning rep see them
    Entity("DeliveryOrder", DeliveryOrder, Perm.DELIVERY_READ, delivery.scope_orders,
           CUSTOMER_KEYED, "consignor_id", None),
    Entity("DeliveryPlan", DeliveryPlan, Perm.DELIVERY_READ, delivery.scope_plans,
           CUSTOMER_KEYED, "consignor_id", None),
    Entity("DeliveryFollowUp", DeliveryFollowUp, Perm.FOLLOWUPS_READ, followups.scope,
           CUSTOMER_KEYED, None, None, keys_query=followups.customer_keys),
)}

# audited children: entity_type -> (parent entity, the snapshot's field naming the parent)
PARENTS: dict[str, tuple[str, str]] = {
    "Contact": ("Customer", "customer_id"),
    "Address": ("Customer", "customer_id"),
    "CarrierService": ("Carrier", "carrier_id"),
}

# what a customer's reassignment moves with it into another rep's scope (or out of one)
def may_read(entity: Entity, principal: Any) -> bool:
    perm = entity.perm
    return principal.can(perm) if isinstance(perm, Perm) else perm(principal)


CUSTOMER_DEPENDENTS = ("Order", "Shipment", "Quote", "Ticket", "ReturnRequest", "PriceAgreement",
                       "Notification", "ShipmentException", "DeliveryOrder", "DeliveryPlan",
                       "DeliveryFollowUp")
