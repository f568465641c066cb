"""Recording, planning and resolving failed-delivery follow-ups: parse the input, call one
service, map the result (docs/architecture.md#failed-delivery-follow-up)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import strawberry

from app.errors import DomainError
from app.followups import service
from app.ids import parse_id
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.followups.types import DeliveryFollowUp, FollowUpAction, FollowUpReason

_WRITE = "Requires followups:write (CUSTOMER_SERVICE, LOGISTICS, MANAGER, ADMIN)."
_VERSION = "Fail with CONFLICT if the follow-up changed."


@strawberry.type
class DeliveryFollowUpPayload:
    delivery_follow_up: DeliveryFollowUp | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]
               ) -> DeliveryFollowUpPayload:
    try:
        args = parse()
    except DomainError as exc:
        return DeliveryFollowUpPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *args)
    return DeliveryFollowUpPayload(
        delivery_follow_up=DeliveryFollowUp.from_row(row) if row else None, user_errors=errors)


def _pk(raw: str) -> int:
    return parse_id(raw, "DeliveryFollowUp")


@strawberry.type
class FollowUpMutation:
    @strawberry.mutation(description=(
        "Put a parcel that failed to deliver (failed attempts, an exception, or back at the "
        "sender; not delivered nor cancelled) on the follow-up list with its reason and, "
        "optionally, the next action. One open follow-up per parcel: a second is "
        "DUPLICATE. " + _WRITE))
    async def delivery_follow_up_record(
        self, info: strawberry.Info, shipment_id: strawberry.ID,
        reason: FollowUpReason,  # type: ignore[valid-type]
        next_action: FollowUpAction | None = None,  # type: ignore[valid-type]
        note: str | None = None,
    ) -> DeliveryFollowUpPayload:
        return await _run(info, service.record_follow_up, lambda: (
            parse_id(shipment_id, "Shipment", "shipmentId"), reason.value,
            next_action.value if next_action else None, note))

    @strawberry.mutation(description=(
        "Plan (or clear, with null) the next action of an open follow-up, with an optional "
        "note. " + _WRITE))
    async def delivery_follow_up_set_next_action(
        self, info: strawberry.Info, id: strawberry.ID,
        next_action: FollowUpAction | None = None,  # type: ignore[valid-type]
        note: str | None = None,
        expected_version: Annotated[int | None, strawberry.argument(description=_VERSION)
                                    ] = None,
    ) -> DeliveryFollowUpPayload:
        return await _run(info, service.set_next_action, lambda: (
            _pk(id), next_action.value if next_action else None, note, expected_version))

    @strawberry.mutation(description=(
        "Resolve an open follow-up with a note. REDELIVER: a parcel the carrier still has "
        "gets a new attempt on redeliverOn (today or later); goods back at the warehouse "
        "go again on a new shipment (reserved again; INSUFFICIENT_STOCK otherwise, and "
        "nothing changes). RETURN_TO_STOCK: the parcel is received back into its warehouse "
        "(once). RETURN_TO_CONSIGNOR (a consignor's goods only): received back, then handed "
        "to the consignor (stock movement CONSIGNOR_RETURN). A new shipment and the returns "
        "also need shipments:write. A follow-up resolves once: a second resolution is "
        "INVALID_TRANSITION. " + _WRITE))
    async def delivery_follow_up_resolve(
        self, info: strawberry.Info, id: strawberry.ID,
        resolution: FollowUpAction,  # type: ignore[valid-type]
        note: str, redeliver_on: date | None = None,
        expected_version: Annotated[int | None, strawberry.argument(description=_VERSION)
                                    ] = None,
    ) -> DeliveryFollowUpPayload:
        draft = service.ResolutionDraft(resolution.value, note, redeliver_on, expected_version)
        return await _run(info, service.resolve_follow_up, lambda: (
            _pk(id), draft, info.context.settings.business_timezone))
