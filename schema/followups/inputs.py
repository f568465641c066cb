"""The follow-up list's filter and sorts, and their translation into repository arguments
(global IDs decoded here)."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from app.errors import DomainError
from app.followups import repository as repo
from app.followups.models import FollowUpStatus
from app.ids import parse_id
from app.persistence.columns import utcnow
from schema.followups.types import FollowUpAction, FollowUpReason
from schema.followups.types import FollowUpStatus as FollowUpStatusEnum

DeliveryFollowUpSort = strawberry.enum(
    repo.FollowUpSort, name="DeliveryFollowUpSort",
    description="OPENED_AT_ASC: oldest first (the list's default).")


def _open() -> list[FollowUpStatus]:
    return [FollowUpStatus.OPEN]


@strawberry.input(description="All given conditions must hold.")
class DeliveryFollowUpFilter:
    status: list[FollowUpStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default_factory=_open, description="Any of these statuses; default OPEN (the "
        "follow-up list), null or [] for any.")
    consignor_id: strawberry.ID | None = None
    reason: list[FollowUpReason] | None = None  # type: ignore[valid-type]
    next_action: list[FollowUpAction] | None = None  # type: ignore[valid-type]
    shipment_id: strawberry.ID | None = None
    min_age_hours: int | None = strawberry.field(
        default=None, description="Only those recorded at least this many hours ago.")
    max_age_hours: int | None = strawberry.field(
        default=None, description="Only those recorded at most this many hours ago.")


def _values(items: list | None) -> tuple[str, ...] | None:
    return tuple(i.value for i in items) if items else None


def _hours_ago(hours: int | None):  # noqa: ANN202
    return None if hours is None else utcnow() - timedelta(hours=max(hours, 0))


def filter_from(flt: DeliveryFollowUpFilter | None) -> repo.FollowUpFilter | None:
    """The repository filter, or None when an ID names nothing (the list is then empty)."""
    if flt is None:
        return repo.FollowUpFilter(statuses=(FollowUpStatus.OPEN.value,))
    try:
        consignor = parse_id(flt.consignor_id, "Customer", "consignorId") \
            if flt.consignor_id else None
        shipment = parse_id(flt.shipment_id, "Shipment", "shipmentId") \
            if flt.shipment_id else None
    except DomainError:  # a malformed or foreign ID matches nothing
        return None
    return repo.FollowUpFilter(
        consignor_id=consignor, statuses=_values(flt.status), reasons=_values(flt.reason),
        next_actions=_values(flt.next_action), shipment_id=shipment,
        opened_before=_hours_ago(flt.min_age_hours),
        opened_after=_hours_ago(flt.max_age_hours))
