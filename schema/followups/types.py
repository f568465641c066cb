"""GraphQL types of the failed-delivery follow-up list
(docs/architecture.md#failed-delivery-follow-up)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.followups import models as m
from app.followups import repository as repo
from app.persistence.columns import utcnow
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.customers.types import Customer
    from schema.orders.types import Order
    from schema.shipping.types import Shipment

register_loader("delivery_follow_up_by_id", repo.follow_ups_by_ids)
register_relation("DeliveryFollowUp", "shipment", "shipment_by_id", "shipment_id",
                  child="Shipment")
register_relation("DeliveryFollowUp", "redeliveryShipment", "shipment_by_id",
                  "redelivery_shipment_id", child="Shipment")
register_relation("DeliveryFollowUp", "order", "order_by_id", "order_id", child="Order")
register_relation("DeliveryFollowUp", "consignor", "customer_by_id", "consignor_id",
                  child="Customer")
register_relation("DeliveryFollowUp", "openedBy", "user_by_id", "opened_by_id")
register_relation("DeliveryFollowUp", "resolvedBy", "user_by_id", "resolved_by_id")

FollowUpReason = strawberry.enum(
    m.FollowUpReason, name="DeliveryFollowUpReason",
    description="Why the goods did not reach the consignee: FAILED_ATTEMPT (nobody there), "
    "REFUSED, ADDRESS_PROBLEM, DAMAGED, LOST, RETURNED (the carrier brought them back), "
    "OTHER.")
FollowUpAction = strawberry.enum(
    m.FollowUpAction, name="DeliveryFollowUpAction",
    description="REDELIVER: a new attempt (the carrier still has the parcel) or a new "
    "shipment (the goods are back); RETURN_TO_STOCK: received back into the warehouse "
    "through the ledger; RETURN_TO_CONSIGNOR: received back, then handed to the consignor "
    "(stock movement CONSIGNOR_RETURN).")
FollowUpStatus = strawberry.enum(m.FollowUpStatus, name="DeliveryFollowUpStatus")


def _one(info: strawberry.Info, loader: str, key: int | None, type_name: str) -> Any:
    return info.context.loaders.one(loader, key, object_type(type_name))


@strawberry.type(description="Goods that failed to deliver, on the follow-up list until "
                 "resolved (redelivered, returned to stock or to the consignor).")
class DeliveryFollowUp(Node):
    reason: FollowUpReason  # type: ignore[valid-type]
    next_action: FollowUpAction | None  # type: ignore[valid-type]
    note: str
    status: FollowUpStatus  # type: ignore[valid-type]
    opened_at: datetime
    age_hours: float = strawberry.field(
        description="Hours from recording to now (to the resolution once resolved), one "
        "decimal.")
    resolution: FollowUpAction | None  # type: ignore[valid-type]
    resolution_note: str | None
    resolved_at: datetime | None
    redeliver_on: date | None = strawberry.field(
        description="REDELIVER: the new attempt's date.")
    updated_at: datetime
    version: int
    _row: strawberry.Private[m.DeliveryFollowUp]

    @strawberry.field(description="The parcel that failed to deliver.")
    def shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        return _one(info, "shipment_by_id", self._row.shipment_id, "Shipment")

    @strawberry.field(description="REDELIVER of goods that were back: the new shipment.")
    def redelivery_shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        return _one(info, "shipment_by_id", self._row.redelivery_shipment_id, "Shipment")

    @strawberry.field(description="The delivery order.")
    def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        return _one(info, "order_by_id", self._row.order_id, "Order")

    @strawberry.field(description="The goods' owner; null for the company's own goods.")
    def consignor(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return _one(info, "customer_by_id", self._row.consignor_id, "Customer")

    @strawberry.field
    def opened_by(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _one(info, "user_by_id", self._row.opened_by_id, "User")

    @strawberry.field
    def resolved_by(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _one(info, "user_by_id", self._row.resolved_by_id, "User")

    @classmethod
    def from_row(cls, row: m.DeliveryFollowUp) -> DeliveryFollowUp:
        end = row.resolved_at or utcnow()
        return cls(
            id=gid("DeliveryFollowUp", row.id), reason=row.reason, next_action=row.next_action,
            note=row.note, status=row.status, opened_at=row.opened_at,
            age_hours=round((end - row.opened_at).total_seconds() / 3600, 1),
            resolution=row.resolution, resolution_note=row.resolution_note,
            resolved_at=row.resolved_at, redeliver_on=row.redeliver_on,
            updated_at=row.updated_at, version=row.version, _row=row)


async def fetch_follow_up(info: strawberry.Info, pk: int) -> DeliveryFollowUp | None:
    principal = current_principal(info)
    if not principal.can(Perm.FOLLOWUPS_READ):
        return None
    row = await run_read(info, repo.get_visible, principal, pk)
    return DeliveryFollowUp.from_row(row) if row else None


register_node("DeliveryFollowUp", fetch_follow_up)
register_types(DeliveryFollowUp)
