"""`shipmentExceptionOpened`: staff see new delivery exceptions live, from the
`shipment.exception_opened` topic, scoped like the queue (WAREHOUSE: its warehouses;
SALES: its customers' parcels). The target is checked when the subscription starts and
every event again (schema/subscriptions/, docs/architecture.md#subscriptions)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from app.errors import DomainError
from app.events import topics
from app.events.bus import DomainEvent
from app.ids import parse_id
from schema.core.node import gid
from schema.core.permissions import current_principal
from schema.policy.apply import caller
from schema.shipping.types import Shipment
from schema.shipping.types.exceptions import (
    ShipmentException,
    ShipmentExceptionSeverity,
    ShipmentExceptionSource,
    ShipmentExceptionType,
)
from schema.subscriptions import access
from schema.subscriptions.registry import register_subscription
from schema.subscriptions.streams import Authorize, live_events, parse_cursor
from schema.subscriptions.types import CURSOR

TOPICS = frozenset({topics.SHIPMENT_EXCEPTION_OPENED})
register_subscription("shipmentExceptionOpened", set(TOPICS))


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@strawberry.type(description="A delivery exception was opened.")
class ShipmentExceptionOpened:
    cursor: str = strawberry.field(description=CURSOR)
    exception_id: strawberry.ID
    shipment_id: strawberry.ID
    order_id: strawberry.ID
    type: ShipmentExceptionType  # type: ignore[valid-type]
    severity: ShipmentExceptionSeverity  # type: ignore[valid-type]
    source: ShipmentExceptionSource  # type: ignore[valid-type]
    at: datetime | None
    _exception_id: strawberry.Private[int]
    _shipment_id: strawberry.Private[int]

    @strawberry.field(description="The exception as it is now.")
    async def shipment_exception(self, info: strawberry.Info) -> ShipmentException | None:
        row = await info.context.loaders.load("shipment_exception_by_id", self._exception_id)
        return ShipmentException.from_row(row) if row else None

    @strawberry.field(description="The parcel as it is now.")
    async def shipment(self, info: strawberry.Info) -> Shipment | None:
        row = await info.context.loaders.load("shipment_by_id", self._shipment_id)
        return Shipment.from_row(row) if row else None

    @classmethod
    def from_event(cls, event: DomainEvent) -> ShipmentExceptionOpened:
        p = event.payload
        return cls(cursor=str(event.id), exception_id=gid("ShipmentException", p["exception_id"]),
                   shipment_id=gid("Shipment", p["shipment_id"]),
                   order_id=gid("Order", p["order_id"]), type=p["type"],
                   severity=p["severity"], source=p["source"], at=_at(p.get("at")),
                   _exception_id=p["exception_id"], _shipment_id=p["shipment_id"])


def _not_found() -> GraphQLError:
    return GraphQLError("shipment not found", extensions={"code": "NOT_FOUND"})


async def _shipment_target(info: strawberry.Info, value: strawberry.ID | None) -> int | None:
    """A shipment the caller may read, or NOT_FOUND exactly as for a missing one."""
    if value is None:
        return None
    try:
        pk = parse_id(value, "Shipment")
    except DomainError:
        raise _not_found() from None
    if not await info.context.runner.read(access.shipment_visible, current_principal(info),
                                          pk):
        raise _not_found()
    return pk


def _authorizer(info: strawberry.Info, targeted: bool) -> Authorize:
    """Every event again: its parcel must be in the caller's scope (ownership of SALES
    lives in the database); a targeted subscription whose parcel left the scope ends."""
    principal = current_principal(info)
    runner = info.context.runner

    async def authorize(event: DomainEvent) -> bool:
        if access.needs_database(principal):
            allowed = await runner.read(access.shipment_event_allowed, principal,
                                        event.payload)
        else:
            allowed = access.shipment_event_allowed(None, principal, event.payload)
        if not allowed and targeted:
            raise _not_found()
        return allowed

    return authorize


@strawberry.type
class ShipmentExceptionSubscription:
    @strawberry.subscription(description=(
        "New delivery exceptions: of one shipment, or of every parcel you may see "
        "(WAREHOUSE: leaving your warehouses). Requires exceptions:read. Resume after "
        "`since` (a cursor): missed events are replayed first, then live ones follow."))
    async def shipment_exception_opened(
        self, info: strawberry.Info, shipment_id: strawberry.ID | None = None,
        since: str | None = None,
    ) -> AsyncGenerator[ShipmentExceptionOpened, None]:
        caller(info)
        try:
            parse_cursor(since)
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": "BAD_USER_INPUT"}) from None

        async def checks():  # noqa: ANN202
            sid = await _shipment_target(info, shipment_id)
            filters = {"shipment_id": sid} if sid is not None else {}
            return filters, _authorizer(info, targeted=sid is not None)

        async for event in live_events(info, TOPICS, since=since, checks=checks):
            yield ShipmentExceptionOpened.from_event(event)
