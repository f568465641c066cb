"""What the delta sync covers: each synced object type, its permission, its row scope and
the keys that say whose scope a change of it may touch (docs/architecture.md#delta-sync).

An object is synced when its changes are audited (`uow.audit(...)`): the audit hook is the
capture point (app/sync/capture.py), so a workflow step that audits its object is synced
with no code of its own. A child audited on its own (a customer's contact) counts as a
change of its parent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.activities.models import Activity
from app.activities.repository import activities
from app.auth.roles import Perm
from app.catalog import repository as catalog
from app.catalog.models import Product
from app.customers import repository as customers
from app.customers.models import Customer
from app.orders.models import Order
from app.orders.repository import orders
from app.quotes import repository as quotes
from app.quotes.models import Quote
from app.returns import repository as returns
from app.returns.models import ReturnRequest
from app.sales.models import Lead, Opportunity
from app.sales.repository.leads import scope_leads
from app.sales.repository.opportunities import scope_opportunities
from app.shipping.models import Shipment
from app.shipping.repository import shipments
from app.tickets import repository as tickets
from app.tickets import workflow as ticket_workflow
from app.tickets.models import Ticket

CUSTOMER_KEYED = "customer"  # SALES through the customers they own, CUSTOMER its own
USER_KEYED = "user"  # SALES their own (owner or assignee); CUSTOMER none
SHARED = "shared"  # everyone who may read the entity (the catalog); a product's changes are
# keyed by its consignor, so a consignor's goods reach its own CONSIGNOR and CUSTOMER only


@dataclass(frozen=True)
class Entity:
    name: str  # the GraphQL type, the audit's entity_type and the `SyncEntity` value
    model: type
    perm: Perm | Callable[[Any], bool]  # a read permission, or who may read (tickets)
    scope: Callable[[Any, Any], Any]  # the repository's scope(stmt, principal)
    keyed_by: str
    customer_field: str | None  # the row's customer id
    user_field: str | None  # the row's owner or assignee
    via_order: bool = False  # the customer id is its order's (a shipment)


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
)}

# audited children: entity_type -> (parent entity, the snapshot's field naming the parent)
PARENTS: dict[str, tuple[str, str]] = {
    "Contact": ("Customer", "customer_id"),
    "Address": ("Customer", "customer_id"),
}

# what a customer's reassignment moves with it into another rep's scope (or out of one)
def may_read(entity: Entity, principal: Any) -> bool:
    perm = entity.perm
    return principal.can(perm) if isinstance(perm, Perm) else perm(principal)


CUSTOMER_DEPENDENTS = ("Order", "Shipment", "Quote", "Ticket", "ReturnRequest")
