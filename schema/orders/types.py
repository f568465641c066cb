"""GraphQL types of orders, their lines, allocations, history and available actions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.auth.roles import Perm
from app.orders import models as m
from app.orders import repository as repo
from app.orders import service, workflow
from app.orders.history import EventType as _EventType
from app.orders.repository import customer_views
from app.orders.risk import RiskReason as _RiskReason
from app.shipping.service import visible_of_order
from schema.core.guards import SHIP_TO_RULE, ship_to_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.catalog.types import Product
    from schema.customers.types import Contact, Customer
    from schema.inventory.types import Warehouse
    from schema.payments.types import Payment
    from schema.returns.types import ReturnRequest
    from schema.shipping.types import Shipment

register_loader("order_by_id", repo.orders_by_ids)
register_loader("order_line_by_id", repo.lines_by_ids)
register_loader("order_lines_by_order", repo.line_rows_by_order, default=[])
register_loader("order_events_by_order", repo.events_by_order, default=[])
register_loader("order_event_by_id", repo.events_by_ids)
register_loader("order_allocations_by_order", repo.allocations_by_order, default=[])
register_loader("orders_by_customer_page", customer_views.orders_for_customers)
register_loader("purchase_summary_by_customer", customer_views.purchase_summaries)

# What list resolvers load ahead for the nested fields selected (schema/loading/prefetch.py).
register_relation("Order", "customer", "customer_by_id", "customer_id",
                  child="Customer", perm=Perm.CUSTOMERS_READ)
register_relation("Order", "contact", "contact_by_id", "contact_id",
                  perm=Perm.CUSTOMERS_READ)
register_relation("Order", "lines", "order_lines_by_order", "id",
                  child="OrderLine", many=True)
register_relation("Order", "allocations", "order_allocations_by_order", "id",
                  child="OrderAllocation", many=True)
register_relation("Order", "shipments", "shipments_by_order", "id",
                  child="Shipment", many=True)
register_relation("Order", "events", "order_events_by_order", "id",
                  child="OrderEvent", many=True)
register_relation("OrderLine", "product", "product_by_id", "product_id",
                  child="Product")
register_relation("OrderAllocation", "warehouse", "warehouse_by_id",
                  "warehouse_id", child="Warehouse")
register_relation("OrderEvent", "actor", "user_by_id", "actor_id")

OrderStatus = strawberry.enum(m.OrderStatus, name="OrderStatus")
OrderChannel = strawberry.enum(m.OrderChannel, name="OrderChannel")
PaymentStatus = strawberry.enum(m.PaymentStatus, name="PaymentStatus")
PaymentMethod = strawberry.enum(m.PaymentMethod, name="PaymentMethod")
OrderAction = strawberry.enum(workflow.Action, name="OrderAction",
                              description="A workflow step; see Order.availableActions.")
OrderRiskReason = strawberry.enum(_RiskReason, name="OrderRiskReason")
OrderEventType = strawberry.enum(_EventType, name="OrderEventType",
                                 description="Kinds of order history entries written so far; "
                                 "OrderEvent.type is a String so new kinds never break clients.")


def visible_actor(info: strawberry.Info, actor_id: int | None) -> Any:
    """Who did something to an order, as the caller may see it (a User, or its loader's
    awaitable): customers see their own actions but not the staff member behind a change;
    the system (no actor) is null."""
    principal = current_principal(info)
    if actor_id is None or (not principal.is_staff and actor_id != principal.user_id):
        return None
    return info.context.loaders.one("user_by_id", actor_id, object_type("User"))


@strawberry.type(description="Whether the caller may perform an action now, and why not.")
class OrderActionState:
    action: OrderAction  # type: ignore[valid-type]
    enabled: bool
    reason: str | None


@strawberry.type(description="A product line of an order, priced when ordered.")
class OrderLine(Node):
    sku: str
    name: str
    quantity: int
    unit_price: Money
    discount_rate: Decimal = strawberry.field(description="A fraction 0..1.")
    line_total: Money
    quantity_shipped: int
    quantity_delivered: int
    quantity_returned: int
    _pk: strawberry.Private[int]
    _order_id: strawberry.Private[int]
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        return info.context.loaders.one("product_by_id", self._product_id,
                                        object_type("Product"))

    @classmethod
    def from_row(cls, row: m.OrderLine, currency: str = "CNY") -> OrderLine:
        return cls(id=gid("OrderLine", row.id), sku=row.sku, name=row.name,
                   quantity=row.quantity, unit_price=money(row.unit_price, currency),
                   discount_rate=row.discount_rate, line_total=money(row.line_total, currency),
                   quantity_shipped=row.quantity_shipped,
                   quantity_delivered=row.quantity_delivered,
                   quantity_returned=row.quantity_returned, _pk=row.id, _order_id=row.order_id,
                   _product_id=row.product_id)


@strawberry.type(description="Stock of one line reserved in one warehouse.")
class OrderAllocation:
    quantity: int
    quantity_shipped: int
    _line_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]

    @strawberry.field(description="The order line this allocation serves.")
    def order_line_id(self) -> strawberry.ID:
        return gid("OrderLine", self._line_id)

    @strawberry.field
    def warehouse(self, info: strawberry.Info) -> Annotated[
            Warehouse, strawberry.lazy("schema.inventory.types")] | None:
        return info.context.loaders.one("warehouse_by_id", self._warehouse_id,
                                        object_type("Warehouse"))

    @classmethod
    def from_row(cls, row: m.OrderAllocation) -> OrderAllocation:
        return cls(quantity=row.quantity, quantity_shipped=row.quantity_shipped,
                   _line_id=row.order_line_id, _warehouse_id=row.warehouse_id)


@strawberry.type(description="One entry of an order's history: a transition, an edit, a note.")
class OrderEvent(Node):
    type: str = strawberry.field(description="An OrderEventType value (or a newer kind).")
    from_status: OrderStatus | None  # type: ignore[valid-type]
    to_status: OrderStatus | None  # type: ignore[valid-type]
    message: str
    details: JSON | None
    created_at: datetime
    _actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Who did it; null for the system, and for customers "
                      "viewing staff actions.")
    def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return visible_actor(info, self._actor_id)

    @classmethod
    def from_row(cls, row: m.OrderEvent) -> OrderEvent:
        return cls(id=gid("OrderEvent", row.id), type=row.type, from_status=row.from_status,
                   to_status=row.to_status, message=row.message, details=row.details,
                   created_at=row.created_at, _actor_id=row.actor_id)


@strawberry.type(description="A sales order and its workflow state.")
class Order(Node):
    number: str
    status: OrderStatus  # type: ignore[valid-type]
    channel: OrderChannel  # type: ignore[valid-type]
    external_id: str | None
    payment_status: PaymentStatus  # type: ignore[valid-type]
    payment_method: PaymentMethod  # type: ignore[valid-type]
    currency: str
    subtotal: Money
    discount_total: Money
    shipping_total: Money
    total: Money
    paid_total: Money
    ship_region: str
    notes: str
    hold_reason: str | None
    close_reason: str | None
    priority: int
    promised_date: date | None
    scheduled_date: date | None
    rating: int | None
    feedback: str | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    version: int
    _row: strawberry.Private[m.Order]

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def ship_recipient(self, info: strawberry.Info) -> str | None:
        return ship_to_value(info, self._row.ship_recipient)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def ship_phone(self, info: strawberry.Info) -> str | None:
        return ship_to_value(info, self._row.ship_phone)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def ship_address(self, info: strawberry.Info) -> str | None:
        return ship_to_value(info, self._row.ship_address)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return info.context.loaders.one("customer_by_id", self._row.customer_id,
                                        object_type("Customer"))

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="The customer's contact person for this order.")
    def contact(self, info: strawberry.Info) -> Annotated[
            Contact, strawberry.lazy("schema.customers.types")] | None:
        return info.context.loaders.one("contact_by_id", self._row.contact_id,
                                        object_type("Contact"))

    @strawberry.field
    def lines(self, info: strawberry.Info) -> list[OrderLine]:
        currency = self.currency
        return info.context.loaders.resolve(
            "order_lines_by_order", self._row.id,
            lambda rows: [OrderLine.from_row(r, currency) for r in rows])

    @strawberry.field(description="Where each line's stock is reserved.")
    def allocations(self, info: strawberry.Info) -> list[OrderAllocation]:
        return info.context.loaders.resolve(
            "order_allocations_by_order", self._row.id,
            lambda rows: [OrderAllocation.from_row(r) for r in rows])

    @strawberry.field(description="Shipments of this order, oldest first.")
    def shipments(self, info: strawberry.Info) -> list[Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")]]:
        principal = current_principal(info)
        shipment = object_type("Shipment")
        return info.context.loaders.resolve(
            "shipments_by_order", self._row.id,
            lambda rows: [shipment.from_row(r) for r in visible_of_order(principal, rows)])

    @strawberry.field(description="History, oldest first. Customers see transitions and "
                      "their own notes.")
    def events(self, info: strawberry.Info) -> list[OrderEvent]:
        principal = current_principal(info)

        def visible(rows: list[m.OrderEvent]) -> list[OrderEvent]:
            if not principal.is_staff:
                rows = [r for r in rows if r.type != _EventType.NOTE_ADDED
                        or r.actor_id == principal.user_id]
            return [OrderEvent.from_row(r) for r in rows]

        return info.context.loaders.resolve("order_events_by_order", self._row.id, visible)

    @strawberry.field(description="Refunded so far (see payments).")
    def refunded_total(self) -> Money:
        return money(self._row.refunded_total, self.currency)

    @strawberry.field(description="Still due: total, less returned goods credited, less net "
                      "paid (never negative).")
    async def balance_due(self, info: strawberry.Info) -> Money:
        amount = await info.context.loaders.load("balance_due_by_order", self._row.id)
        return money(amount or Decimal("0"), self.currency)

    @strawberry.field(description="Payments and refunds, oldest first.")
    async def payments(self, info: strawberry.Info) -> list[Annotated[
            Payment, strawberry.lazy("schema.payments.types")]]:
        rows = await info.context.loaders.load("payments_by_order", self._row.id)
        payment = object_type("Payment")
        return [payment.from_row(r) for r in rows]

    @strawberry.field(description="Return requests of this order, oldest first.")
    async def return_requests(self, info: strawberry.Info) -> list[Annotated[
            ReturnRequest, strawberry.lazy("schema.returns.types")]]:
        # the order is visible, so are its returns
        rows = await info.context.loaders.load("return_requests_by_order", self._row.id)
        return_request = object_type("ReturnRequest")
        return [return_request.from_row(r) for r in rows]

    @strawberry.field(description="Every workflow action, whether the caller may do it now "
                      "and, if not, why (state or permission).")
    def available_actions(self, info: strawberry.Info) -> list[OrderActionState]:
        states = workflow.available_actions(self._row, current_principal(info))
        return [OrderActionState(action=s.action, enabled=s.enabled, reason=s.reason)
                for s in states]

    @classmethod
    def from_row(cls, row: m.Order) -> Order:
        cur = row.currency
        return cls(
            id=gid("Order", row.id), number=row.number, status=row.status, channel=row.channel,
            external_id=row.external_id, payment_status=row.payment_status,
            payment_method=row.payment_method, currency=cur, subtotal=money(row.subtotal, cur),
            discount_total=money(row.discount_total, cur),
            shipping_total=money(row.shipping_total, cur), total=money(row.total, cur),
            paid_total=money(row.paid_total, cur), ship_region=row.ship_region,
            notes=row.notes, hold_reason=row.hold_reason, close_reason=row.close_reason,
            priority=row.priority, promised_date=row.promised_date,
            scheduled_date=row.scheduled_date, rating=row.rating, feedback=row.feedback,
            created_at=row.created_at, updated_at=row.updated_at,
            confirmed_at=row.confirmed_at, shipped_at=row.shipped_at,
            delivered_at=row.delivered_at, completed_at=row.completed_at, version=row.version,
            _row=row,
        )


@strawberry.type(description="An order that may miss its promised date, and why.")
class OrderAtRisk:
    order: Order
    reason: OrderRiskReason  # type: ignore[valid-type]
    days_left: int = strawberry.field(description="Days until the promised date; negative "
                                      "when overdue.")
    message: str


async def fetch_order(info: strawberry.Info, pk: int) -> Order | None:
    principal = current_principal(info)
    if not principal.can(Perm.ORDERS_READ):
        return None
    row = await run_read(info, service.get_order, principal, pk)
    return Order.from_row(row) if row else None


async def fetch_order_line(info: strawberry.Info, pk: int) -> OrderLine | None:
    """A line is visible exactly when its order is."""
    row = await info.context.loaders.load("order_line_by_id", pk)
    order = await fetch_order(info, row.order_id) if row else None
    return OrderLine.from_row(row, order.currency) if order else None


async def fetch_order_event(info: strawberry.Info, pk: int) -> OrderEvent | None:
    row = await info.context.loaders.load("order_event_by_id", pk)
    order = await fetch_order(info, row.order_id) if row else None
    return OrderEvent.from_row(row) if order else None


register_node("Order", fetch_order)
register_node("OrderLine", fetch_order_line)
register_node("OrderEvent", fetch_order_event)
register_types(Order, OrderLine, OrderEvent)
