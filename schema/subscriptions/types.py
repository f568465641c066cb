"""Payload types of live events. Every event carries `cursor`: pass the last one
received as `since` to resume without gaps or duplicates."""

from __future__ import annotations

import inspect
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.events.bus import DomainEvent
from schema.catalog.types import Product
from schema.core.node import gid
from schema.inventory.types import Warehouse
from schema.orders.types import Order, OrderEvent, visible_actor
from schema.shipping.types import Shipment

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.orders.types import OrderStatus
    from schema.shipping.types import ShipmentStatus

CURSOR = "Resume point: pass it as `since` to continue after this event."


def _time(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


async def _order(info: strawberry.Info, order_id: int | None) -> Any:
    row = await info.context.loaders.load("order_by_id", order_id) if order_id else None
    return Order.from_row(row) if row else None


@strawberry.type(description="One status transition of an order.")
class OrderTransition:
    from_status: Annotated[OrderStatus, strawberry.lazy("schema.orders.types")] | None
    to_status: Annotated[OrderStatus, strawberry.lazy("schema.orders.types")]
    at: datetime | None
    message: str
    _actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Who made the change; null for the system, and for "
                      "customers when staff made it.")
    async def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        actor = visible_actor(info, self._actor_id)
        return await actor if inspect.isawaitable(actor) else actor

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> OrderTransition:
        return cls(from_status=p.get("from_status"), to_status=p.get("to_status"),
                   at=_time(p.get("at")), message=p.get("message") or "",
                   _actor_id=p.get("actor_id"))


@strawberry.type(description="An order changed status.")
class OrderStatusChange:
    cursor: str = strawberry.field(description=CURSOR)
    order_id: strawberry.ID
    transition: OrderTransition
    _order_id: strawberry.Private[int]

    @strawberry.field(description="The order as it is now.")
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        return await _order(info, self._order_id)

    @classmethod
    def from_event(cls, event: DomainEvent) -> OrderStatusChange:
        p = event.payload
        return cls(cursor=str(event.id), order_id=gid("Order", p["order_id"]),
                   transition=OrderTransition.from_payload(p), _order_id=p["order_id"])


@strawberry.type(description="Something happened to an order: a transition, a note, a payment.")
class OrderActivity:
    cursor: str = strawberry.field(description=CURSOR)
    order_id: strawberry.ID
    type: str = strawberry.field(description="STATUS_CHANGED, or the OrderEvent type.")
    at: datetime | None
    transition: OrderTransition | None = strawberry.field(
        description="Set when the status changed.")
    _order_id: strawberry.Private[int]
    _event_id: strawberry.Private[int | None]

    @strawberry.field(description="The order as it is now.")
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        return await _order(info, self._order_id)

    @strawberry.field(description="The history entry written for it.")
    async def event(self, info: strawberry.Info) -> Annotated[
            OrderEvent, strawberry.lazy("schema.orders.types")] | None:
        if self._event_id is None:
            return None
        row = await info.context.loaders.load("order_event_by_id", self._event_id)
        return OrderEvent.from_row(row) if row else None

    @classmethod
    def from_event(cls, event: DomainEvent) -> OrderActivity:
        p = event.payload
        changed = "to_status" in p
        return cls(cursor=str(event.id), order_id=gid("Order", p["order_id"]),
                   type="STATUS_CHANGED" if changed else str(p.get("type") or "UPDATED"),
                   at=_time(p.get("at")),
                   transition=OrderTransition.from_payload(p) if changed else None,
                   _order_id=p["order_id"], _event_id=p.get("order_event_id"))


@strawberry.type(description="A shipment changed status (a carrier scan, an exception, ...).")
class ShipmentTrackingUpdate:
    cursor: str = strawberry.field(description=CURSOR)
    shipment_id: strawberry.ID
    order_id: strawberry.ID
    status: Annotated[ShipmentStatus, strawberry.lazy("schema.shipping.types")]
    tracking_number: str | None
    carrier_code: str | None
    reason: str | None = strawberry.field(description="Why, for exceptions and failed attempts.")
    at: datetime | None
    _shipment_id: strawberry.Private[int]

    @strawberry.field(description="The shipment as it is now.")
    async def shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        row = await info.context.loaders.load("shipment_by_id", self._shipment_id)
        return Shipment.from_row(row) if row else None

    @classmethod
    def from_event(cls, event: DomainEvent) -> ShipmentTrackingUpdate:
        p = event.payload
        return cls(cursor=str(event.id), shipment_id=gid("Shipment", p["shipment_id"]),
                   order_id=gid("Order", p["order_id"]), status=p.get("status"),
                   tracking_number=p.get("tracking_number"), carrier_code=p.get("carrier"),
                   reason=p.get("reason"), at=_time(p.get("at")),
                   _shipment_id=p["shipment_id"])


@strawberry.enum(description="LOW_STOCK: below safety stock; OUT_OF_STOCK: nothing available; "
                 "BACK_IN_STOCK: available again.")
class StockAlertKind(Enum):
    LOW_STOCK = "LOW_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    BACK_IN_STOCK = "BACK_IN_STOCK"


@strawberry.type(description="A stock level crossed a threshold.")
class StockAlert:
    cursor: str = strawberry.field(description=CURSOR)
    kind: StockAlertKind
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    available: int | None
    safety_stock: int | None
    at: datetime | None
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        row = await info.context.loaders.load("product_by_id", self._product_id)
        return Product.from_row(row) if row else None

    @strawberry.field
    async def warehouse(self, info: strawberry.Info) -> Annotated[
            Warehouse, strawberry.lazy("schema.inventory.types")] | None:
        row = await info.context.loaders.load("warehouse_by_id", self._warehouse_id)
        return Warehouse.from_row(row) if row else None

    @classmethod
    def from_event(cls, event: DomainEvent) -> StockAlert:
        p = event.payload
        return cls(cursor=str(event.id), kind=StockAlertKind(p["kind"]),
                   product_id=gid("Product", p["product_id"]),
                   warehouse_id=gid("Warehouse", p["warehouse_id"]),
                   available=p.get("available"), safety_stock=p.get("safety_stock"),
                   at=_time(p.get("at")), _product_id=p["product_id"],
                   _warehouse_id=p["warehouse_id"])
