"""Root subscription fields. Each checks read access to its target when it
starts and again for every event; a resumed subscription (`since`) replays
the stored events after that cursor, then continues live."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

import strawberry
from graphql import GraphQLError

from app.auth.principal import Principal
from app.errors import DomainError
from app.events import topics
from app.events.bus import DomainEvent
from app.ids import parse_id
from app.shipping import repository as shipping_repo
from schema.core.permissions import current_principal
from schema.loading.loaders import register_loader
from schema.notifications.types import Notification
from schema.policy.apply import caller
from schema.subscriptions import access
from schema.subscriptions.registry import register_subscription
from schema.subscriptions.streams import (
    Authorize,
    EventQuery,
    event_stream,
    live_events,
    parse_cursor,
)
from schema.subscriptions.types import (
    OrderActivity,
    OrderStatusChange,
    ShipmentTrackingUpdate,
    StockAlert,
)

register_loader("shipment_by_id", shipping_repo.shipments_by_ids)
register_subscription("orderStatusChanged", {topics.ORDER_STATUS_CHANGED})
register_subscription("orderEvents", {topics.ORDER_STATUS_CHANGED, topics.ORDER_EVENT})
register_subscription("shipmentTracking", {topics.SHIPMENT_STATUS_CHANGED})
register_subscription("stockAlerts", {topics.STOCK_ALERT})
register_subscription("myNotifications", {topics.NOTIFICATION_CREATED}, personal=True)

SINCE = "Resume after this cursor: missed events are replayed first, then live ones follow."
Check = Callable[[Any, Principal, Mapping[str, Any]], bool]


def not_found(what: str) -> GraphQLError:
    return GraphQLError(f"{what} not found", extensions={"code": "NOT_FOUND"})


def _since(since: str | None) -> str | None:
    try:
        parse_cursor(since)
    except DomainError as exc:
        raise GraphQLError(exc.message, extensions={"code": "BAD_USER_INPUT"}) from None
    return since


async def _target(info: strawberry.Info, value: strawberry.ID | None, kind: str,
                  visible: Callable[..., bool]) -> int | None:
    """The primary key of a target the caller may read, or NOT_FOUND (as if missing)."""
    if value is None:
        return None
    try:
        pk = parse_id(value, kind)
    except DomainError:
        raise not_found(kind.lower()) from None
    if not await info.context.runner.read(visible, current_principal(info), pk):
        raise not_found(kind.lower())
    return pk


def _authorizer(info: strawberry.Info, check: Check, *, targeted: str | None) -> Authorize:
    """The per-event check; a targeted subscription whose target became invisible ends."""
    principal = current_principal(info)
    runner = info.context.runner

    async def authorize(event: DomainEvent) -> bool:
        if access.needs_database(principal):
            allowed = await runner.read(check, principal, event.payload)
        else:
            allowed = check(None, principal, event.payload)
        if not allowed and targeted:
            raise not_found(targeted)
        return allowed

    return authorize


def _order_filters(principal: Principal, order_id: int | None, customer_id: int | None
                   ) -> dict[str, int]:
    filters: dict[str, int] = {}
    if order_id is not None:
        filters["order_id"] = order_id
    if customer_id is not None:
        filters["customer_id"] = customer_id
    elif principal.customer_scope is not None:
        filters["customer_id"] = principal.customer_scope
    return filters


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description=(
        "Order status changes: one order (orderId), one customer's orders (customerId), or "
        "every order you may read. Requires orders:read. " + SINCE))
    async def order_status_changed(
        self, info: strawberry.Info, order_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None, since: str | None = None,
    ) -> AsyncGenerator[OrderStatusChange, None]:
        principal = caller(info)
        since = _since(since)

        async def checks():  # noqa: ANN202
            oid = await _target(info, order_id, "Order", access.order_visible)
            cid = await _target(info, customer_id, "Customer", access.customer_visible)
            return _order_filters(principal, oid, cid), _authorizer(
                info, access.order_event_allowed, targeted="order" if oid else None)

        async for event in live_events(info, frozenset({topics.ORDER_STATUS_CHANGED}),
                                       since=since, checks=checks):
            yield OrderStatusChange.from_event(event)

    @strawberry.subscription(description=(
        "Everything that happens to one order: transitions, notes, payments, edits. "
        "Requires orders:read. " + SINCE))
    async def order_events(
        self, info: strawberry.Info, order_id: strawberry.ID, since: str | None = None,
    ) -> AsyncGenerator[OrderActivity, None]:
        principal = caller(info)
        since = _since(since)

        async def checks():  # noqa: ANN202
            oid = await _target(info, order_id, "Order", access.order_visible)
            return _order_filters(principal, oid, None), _authorizer(
                info, access.order_event_allowed, targeted="order")

        async for event in live_events(
                info, frozenset({topics.ORDER_STATUS_CHANGED, topics.ORDER_EVENT}),
                since=since, checks=checks):
            yield OrderActivity.from_event(event)

    @strawberry.subscription(description=(
        "Tracking updates of one shipment, of one order's shipments, or of every shipment "
        "you may read (WAREHOUSE: leaving your warehouses). Requires shipments:read. "
        + SINCE))
    async def shipment_tracking(
        self, info: strawberry.Info, shipment_id: strawberry.ID | None = None,
        order_id: strawberry.ID | None = None, since: str | None = None,
    ) -> AsyncGenerator[ShipmentTrackingUpdate, None]:
        principal = caller(info)
        since = _since(since)

        async def checks():  # noqa: ANN202
            sid = await _target(info, shipment_id, "Shipment", access.shipment_visible)
            oid = await _target(info, order_id, "Order", access.order_visible)
            filters = _order_filters(principal, oid, None)
            if sid is not None:
                filters["shipment_id"] = sid
            return filters, _authorizer(info, access.shipment_event_allowed,
                                        targeted="shipment" if sid else None)

        async for event in live_events(info, frozenset({topics.SHIPMENT_STATUS_CHANGED}),
                                       since=since, checks=checks):
            yield ShipmentTrackingUpdate.from_event(event)

    @strawberry.subscription(description=(
        "Low stock, out of stock and back in stock, for one warehouse or every warehouse "
        "you may read (WAREHOUSE: your own). Requires stock:read. " + SINCE))
    async def stock_alerts(
        self, info: strawberry.Info, warehouse_id: strawberry.ID | None = None,
        since: str | None = None,
    ) -> AsyncGenerator[StockAlert, None]:
        principal = caller(info)
        since = _since(since)

        async def checks():  # noqa: ANN202
            wid = await _target(info, warehouse_id, "Warehouse", access.warehouse_visible)
            filters: dict[str, Any] = {} if wid is None else {"warehouse_id": wid}
            if principal.consignor_scope is not None:
                filters["consignor_id"] = principal.consignor_scope
            return filters, _authorizer(
                info, lambda _s, p, payload: access.stock_event_allowed(p, payload),
                targeted=None)

        async for event in live_events(info, frozenset({topics.STOCK_ALERT}), since=since,
                                       checks=checks):
            yield StockAlert.from_event(event)

    @strawberry.subscription(description=(
        "New in-app notifications addressed to you (CUSTOMER: to your company). "
        "Requires notifications:read. " + SINCE))
    async def my_notifications(
        self, info: strawberry.Info, since: str | None = None,
    ) -> AsyncGenerator[Notification, None]:
        principal = caller(info)
        since = _since(since)
        if principal.customer_scope is not None:
            filters: dict[str, Any] = {"customer_id": principal.customer_scope, "user_id": None}
        else:
            filters = {"user_id": principal.user_id}
        query = EventQuery(frozenset({topics.NOTIFICATION_CREATED}),
                           {**filters, "channel": "IN_APP"})

        async def always(_event: DomainEvent) -> bool:
            return True  # the filters are the caller's own inbox

        async for event in event_stream(info, query, since=since, authorize=always):
            row = await info.context.loaders.load("notification_by_id",
                                                  event.payload["notification_id"])
            if row is not None:
                yield Notification.from_row(row, cursor=event.id)

