"""Working delivery exceptions (open, assign, note, resolve) and receiving a parcel back at
the sender: parse the input, call one service, map the result
(docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping.exceptions import resolution as resolving
from app.shipping.exceptions import returning, working
from schema.core.errors import UserError, user_errors
from schema.core.node import parse_ids
from schema.core.writes import run_write
from schema.shipping.types import Shipment
from schema.shipping.types.exceptions import (
    ShipmentException,
    ShipmentExceptionResolution,
    ShipmentExceptionSeverity,
    ShipmentExceptionType,
)

_WRITE = "Requires exceptions:write (CUSTOMER_SERVICE, LOGISTICS, MANAGER, ADMIN)."
_VERSION = "Fail with CONFLICT if the exception changed."


@strawberry.type
class ShipmentExceptionPayload:
    shipment_exception: ShipmentException | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ShipmentReturnReceivePayload:
    shipment: Shipment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]
               ) -> ShipmentExceptionPayload:
    try:
        args = parse()
    except DomainError as exc:
        return ShipmentExceptionPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *args)
    return ShipmentExceptionPayload(
        shipment_exception=ShipmentException.from_row(row) if row else None, user_errors=errors)


def _pk(raw: str) -> int:
    return parse_id(raw, "ShipmentException")


@strawberry.type
class ShipmentExceptionMutation:
    @strawberry.mutation(description=(
        "Open an exception staff learned of; severity defaults by type. One open exception "
        "per parcel and type: a second is DUPLICATE. " + _WRITE))
    async def shipment_exception_open(
        self, info: strawberry.Info, shipment_id: strawberry.ID,
        type: ShipmentExceptionType,  # type: ignore[valid-type]
        description: str,
        severity: ShipmentExceptionSeverity | None = None,  # type: ignore[valid-type]
    ) -> ShipmentExceptionPayload:
        return await _run(info, working.open_by_staff, lambda: (
            parse_id(shipment_id, "Shipment", "shipmentId"), type.value, description,
            severity.value if severity else None))

    @strawberry.mutation(description=(
        "Give an open exception to an active CUSTOMER_SERVICE or LOGISTICS user; null "
        "assigneeId: nobody. " + _WRITE))
    async def shipment_exception_assign(
        self, info: strawberry.Info, id: strawberry.ID, assignee_id: strawberry.ID | None,
        expected_version: Annotated[int | None, strawberry.argument(description=_VERSION)
                                    ] = None,
    ) -> ShipmentExceptionPayload:
        def parse() -> tuple:
            pk, user = parse_ids((id, "ShipmentException", "id"),
                                 (assignee_id, "User", "assigneeId"))
            return pk, user, expected_version
        return await _run(info, working.assign, parse)

    @strawberry.mutation(description="Add a note (1 to 2000 characters). " + _WRITE)
    async def shipment_exception_note_add(self, info: strawberry.Info, id: strawberry.ID,
                                          body: str) -> ShipmentExceptionPayload:
        return await _run(info, working.add_note, lambda: (_pk(id), body))

    @strawberry.mutation(description=(
        "Resolve an open exception with a note. RESHIP (also needs shipments:write): the "
        "same lines again from the same warehouse on a new shipment, stock reserved again "
        "(INSUFFICIENT_STOCK otherwise, and nothing changes); REDELIVER: redeliverOn, today "
        "or later, becomes the estimated delivery; RETURN_TO_SENDER: restocked when it "
        "arrives (shipmentReturnReceive or the carrier's RETURNED_TO_SENDER); REFUND (also "
        "needs payments:refund): refundAmount back, at most what was paid, credited to the "
        "order; CONTACT_CUSTOMER. " + _WRITE))
    async def shipment_exception_resolve(
        self, info: strawberry.Info, id: strawberry.ID,
        resolution: ShipmentExceptionResolution,  # type: ignore[valid-type]
        note: str, redeliver_on: date | None = None, refund_amount: Decimal | None = None,
        expected_version: Annotated[int | None, strawberry.argument(description=_VERSION)
                                    ] = None,
    ) -> ShipmentExceptionPayload:
        draft = resolving.ResolutionDraft(resolution.value, note, redeliver_on, refund_amount,
                                          expected_version)
        return await _run(info, resolving.resolve_exception, lambda: (
            _pk(id), draft, info.context.settings.business_timezone))

    @strawberry.mutation(description=(
        "A parcel the carrier brought back arrived at its warehouse: RETURNED_TO_SENDER, "
        "and its units back in stock (once). Requires shipments:write (WAREHOUSE: its own "
        "warehouses)."))
    async def shipment_return_receive(self, info: strawberry.Info, id: strawberry.ID
                                      ) -> ShipmentReturnReceivePayload:
        try:
            pk = parse_id(id, "Shipment")
        except DomainError as exc:
            return ShipmentReturnReceivePayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, returning.receive_return, pk)
        return ShipmentReturnReceivePayload(
            shipment=Shipment.from_row(row) if row else None,
            user_errors=errors)

