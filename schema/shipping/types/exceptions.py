"""GraphQL types of delivery exceptions, their notes, and the failed-delivery follow-up
list (docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.persistence.columns import utcnow
from app.shipping import models as m
from app.shipping import repository as repo
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.payments.types import Payment
    from schema.shipping.types import Shipment
    from schema.tickets.types import Ticket

register_loader("shipment_by_id", repo.shipments_by_ids)  # as schema/subscriptions registers it
register_loader("shipment_exception_by_id", repo.exceptions_by_ids)
register_loader("exceptions_by_shipment", repo.exceptions_by_shipment, default=[])
register_loader("open_exceptions_by_shipment", repo.open_exceptions_by_shipment, default=[])
register_loader("exception_notes_by_exception", repo.notes_by_exception, default=[])
register_loader("last_failed_attempt_by_shipment", repo.last_failed_attempts)
register_relation("ShipmentException", "shipment", "shipment_by_id", "shipment_id",
                  child="Shipment")
register_relation("ShipmentException", "reshipShipment", "shipment_by_id",
                  "reship_shipment_id", child="Shipment")
register_relation("ShipmentException", "assignee", "user_by_id", "assignee_id")
register_relation("ShipmentException", "resolvedBy", "user_by_id", "resolved_by_id")
register_relation("ShipmentException", "refundPayment", "payment_by_id", "refund_payment_id")
register_relation("ShipmentException", "notes", "exception_notes_by_exception", "id",
                  child="ShipmentExceptionNote", many=True)
register_relation("ShipmentExceptionNote", "author", "user_by_id", "author_id")
# a failed delivery's row is its shipment (the list primes "shipment_by_id" with it)
register_relation("FailedDelivery", "shipment", "shipment_by_id", "id", child="Shipment")
register_relation("FailedDelivery", "lastAttempt", "last_failed_attempt_by_shipment", "id")
register_relation("FailedDelivery", "openExceptions", "open_exceptions_by_shipment", "id",
                  child="ShipmentException", many=True)
# for `Shipment.exceptions` (schema/shipping/types.py)
register_relation("Shipment", "exceptions", "exceptions_by_shipment", "id",
                  child="ShipmentException", many=True, perm=Perm.EXCEPTIONS_READ)

ShipmentExceptionType = strawberry.enum(
    m.ExceptionType, name="ShipmentExceptionType",
    description="FAILED_ATTEMPT, DAMAGED, LOST, ADDRESS_PROBLEM, REFUSED: reported by the "
    "carrier (or staff); DELAYED: the estimated delivery passed (the delay check); "
    "COD_MISMATCH: cash collected differs from what was due; OTHER.")
ShipmentExceptionSeverity = strawberry.enum(
    m.ExceptionSeverity, name="ShipmentExceptionSeverity",
    description="Sets the SLA: CRITICAL 4 h, HIGH 8 h, MEDIUM 24 h, LOW 72 h from opening.")
ShipmentExceptionStatus = strawberry.enum(m.ExceptionStatus, name="ShipmentExceptionStatus")
ShipmentExceptionSource = strawberry.enum(
    m.ExceptionSource, name="ShipmentExceptionSource",
    description="EVENT: a carrier tracking event; CHECK: the delay check; STAFF; DELIVERY: "
    "recorded at delivery.")
ShipmentExceptionResolution = strawberry.enum(
    m.ExceptionResolution, name="ShipmentExceptionResolution",
    description="RESHIP: the same lines again on a new shipment (stock reserved again); "
    "REDELIVER: a new attempt on a date; RETURN_TO_SENDER: the parcel comes back and is "
    "restocked on arrival; REFUND: money back; CONTACT_CUSTOMER: settled with the customer.")


def _user(info: strawberry.Info, user_id: int | None) -> Any:
    return info.context.loaders.one("user_by_id", user_id, object_type("User"))


def _shipment(info: strawberry.Info, shipment_id: int | None) -> Any:
    return info.context.loaders.one("shipment_by_id", shipment_id, object_type("Shipment"))


@strawberry.type(description="A note on an exception: what was done, what the customer said.")
class ShipmentExceptionNote:
    body: str
    created_at: datetime
    _author_id: strawberry.Private[int | None]

    @strawberry.field(description="Who wrote it; null for the system.")
    def author(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _user(info, self._author_id)

    @classmethod
    def from_row(cls, row: m.ShipmentExceptionNote) -> ShipmentExceptionNote:
        return cls(body=row.body, created_at=row.created_at, _author_id=row.author_id)


@strawberry.type(description="A problem with a parcel that someone must act on: one open per "
                 "parcel and type, with its SLA, assignee, notes and resolution.")
class ShipmentException(Node):
    type: ShipmentExceptionType  # type: ignore[valid-type]
    severity: ShipmentExceptionSeverity  # type: ignore[valid-type]
    status: ShipmentExceptionStatus  # type: ignore[valid-type]
    source: ShipmentExceptionSource  # type: ignore[valid-type]
    description: str
    opened_at: datetime
    sla_due_at: datetime = strawberry.field(description="Opened at + the severity's SLA.")
    age_hours: float = strawberry.field(
        description="Hours from opening to now (to the resolution once resolved), one decimal.")
    sla_breached: bool = strawberry.field(
        description="Still open past slaDueAt, or resolved after it.")
    resolution: ShipmentExceptionResolution | None  # type: ignore[valid-type]
    resolution_note: str | None
    resolved_at: datetime | None
    redeliver_on: date | None = strawberry.field(description="REDELIVER: the new attempt.")
    updated_at: datetime
    version: int
    _row: strawberry.Private[m.ShipmentException]

    @strawberry.field(description="The parcel.")
    def shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        return _shipment(info, self._row.shipment_id)

    @strawberry.field(description="RESHIP: the shipment sent in its place.")
    def reship_shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        return _shipment(info, self._row.reship_shipment_id)

    @strawberry.field(description="Who works it (CUSTOMER_SERVICE or LOGISTICS).")
    def assignee(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _user(info, self._row.assignee_id)

    @strawberry.field
    def resolved_by(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return _user(info, self._row.resolved_by_id)

    @strawberry.field(description="REFUND: the refund payment.")
    def refund_payment(self, info: strawberry.Info) -> Annotated[
            Payment, strawberry.lazy("schema.payments.types")] | None:
        return info.context.loaders.one("payment_by_id", self._row.refund_payment_id,
                                        object_type("Payment"))

    @strawberry.field(extensions=requires(Perm.TICKETS_READ), description="Customer-service "
                      "tickets opened from or linked to it (docs/architecture.md"
                      "#tickets-and-slas).")
    async def tickets(self, info: strawberry.Info) -> list[Annotated[
            Ticket, strawberry.lazy("schema.tickets.types")]] | None:
        rows = await info.context.loaders.load("tickets_by_exception", self._row.id)
        return [object_type("Ticket").from_row(r) for r in rows]

    @strawberry.field(description="Oldest first; the staff's working notes (a CONSIGNOR "
                      "reads none).")
    def notes(self, info: strawberry.Info) -> list[ShipmentExceptionNote]:
        if not current_principal(info).is_staff:
            return []  # internal: the consignor reads the exception and its resolution
        return info.context.loaders.resolve(
            "exception_notes_by_exception", self._row.id,
            lambda rows: [ShipmentExceptionNote.from_row(r) for r in rows])

    @classmethod
    def from_row(cls, row: m.ShipmentException) -> ShipmentException:
        end = row.resolved_at or utcnow()
        return cls(
            id=gid("ShipmentException", row.id), type=row.type, severity=row.severity,
            status=row.status, source=row.source, description=row.description,
            opened_at=row.opened_at, sla_due_at=row.sla_due_at,
            age_hours=round((end - row.opened_at).total_seconds() / 3600, 1),
            sla_breached=end > row.sla_due_at, resolution=row.resolution,
            resolution_note=row.resolution_note, resolved_at=row.resolved_at,
            redeliver_on=row.redeliver_on, updated_at=row.updated_at, version=row.version,
            _row=row)


def exception_objects(info: strawberry.Info, rows: list[m.ShipmentException]
                      ) -> list[ShipmentException]:
    return [info.context.loaders.cached(ShipmentException, r) for r in rows]


@strawberry.type(description="The newest failed delivery attempt the carrier reported.")
class DeliveryAttempt:
    occurred_at: datetime
    location: str
    description: str

    @classmethod
    def from_row(cls, row: m.TrackingEvent) -> DeliveryAttempt:
        return cls(occurred_at=row.occurred_at, location=row.location,
                   description=row.description)


@strawberry.type(description="A parcel with failed delivery attempts, not yet delivered: "
                 "to follow up with the carrier or the customer.")
class FailedDelivery:
    failed_attempts: int
    _row: strawberry.Private[m.Shipment]

    @strawberry.field
    def shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        return _shipment(info, self._row.id)

    @strawberry.field
    def last_attempt(self, info: strawberry.Info) -> DeliveryAttempt | None:
        return info.context.loaders.resolve("last_failed_attempt_by_shipment", self._row.id,
                                            DeliveryAttempt.from_row)

    @strawberry.field(description="Its open exceptions, oldest first.")
    def open_exceptions(self, info: strawberry.Info) -> list[ShipmentException]:
        return info.context.loaders.resolve("open_exceptions_by_shipment", self._row.id,
                                            lambda rows: exception_objects(info, rows))

    @classmethod
    def from_row(cls, row: m.Shipment) -> FailedDelivery:
        return cls(failed_attempts=row.failed_attempts, _row=row)


async def fetch_exception(info: strawberry.Info, pk: int) -> ShipmentException | None:
    principal = current_principal(info)
    if not principal.can(Perm.EXCEPTIONS_READ):
        return None
    row = await run_read(info, repo.get_visible_exception, principal, pk)
    return ShipmentException.from_row(row) if row else None


register_node("ShipmentException", fetch_exception)
register_types(ShipmentException)
