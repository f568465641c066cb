"""GraphQL types of tickets, their messages and internal notes, delivery changes, the SLA
policy and the SLA report (docs/architecture.md#tickets-and-slas).

A CUSTOMER reads its own tickets through every entry point (node, `ticket`, `tickets`,
`ticketEvents`); what is internal (notes, the assignee, breach marks, escalations) is
behind tickets:read and `null` with FORBIDDEN to it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.persistence.columns import utcnow
from app.tickets import models as m
from app.tickets import repository as repo
from app.tickets import service, sla
from app.tickets import workflow as wf
from schema.core.guards import CONTACT_RULE, contact_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.customers.types import Customer
    from schema.orders.types import Order
    from schema.shipping.types import Shipment
    from schema.shipping.types.exceptions import ShipmentException

TicketKind = strawberry.enum(m.TicketKind, name="TicketKind")
TicketStatus = strawberry.enum(m.TicketStatus, name="TicketStatus", description=(
    "NEW -> OPEN (assigned or first agent reply) -> PENDING_CUSTOMER (an agent replied) -> "
    "OPEN (the customer replied) ... -> RESOLVED -> CLOSED; RESOLVED -> OPEN (reopened "
    "within the window); a merged duplicate is CLOSED with closeReason MERGED."))
TicketChannel = strawberry.enum(m.TicketChannel, name="TicketChannel")
TicketPriority = strawberry.enum(m.TicketPriority, name="TicketPriority")
AfterSalesType = strawberry.enum(m.AfterSalesType, name="AfterSalesType")
TicketCloseReason = strawberry.enum(m.CloseReason, name="TicketCloseReason")
DeliveryChangeStatus = strawberry.enum(m.DeliveryChangeStatus, name="DeliveryChangeStatus")
TicketAuthorKind = strawberry.enum(m.AuthorKind, name="TicketAuthorKind")
TicketAction = strawberry.enum(wf.TicketAction, name="TicketAction")
INTERNAL = "Internal: staff with tickets:read; null with FORBIDDEN for customers."

register_loader("ticket_by_id", service.tickets_by_ids)
register_loader("ticket_messages_by_ticket", repo.public_messages, default=[])
register_loader("ticket_notes_by_ticket", repo.internal_notes, default=[])
register_loader("tickets_by_exception", repo.tickets_by_exception, default=[])
register_relation("Ticket", "assignee", "user_by_id", "assignee_id")
register_relation("Ticket", "customer", "customer_by_id", "customer_id")


@strawberry.type(description="A new quantity of a product on the order.")
class TicketDeliveryChangeQuantity:
    quantity: int
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)


@strawberry.type(description="A message on a ticket: one the customer sees, or an "
                 "internal note.")
class TicketMessage:
    id: strawberry.ID
    author_kind: TicketAuthorKind  # type: ignore[valid-type]
    body: str
    created_at: datetime
    _author_id: strawberry.Private[int | None]
    _merged_from_id: strawberry.Private[int | None]

    @strawberry.field(description="The author's name (an agent's full name; null for the "
                      "system).")
    async def author_name(self, info: strawberry.Info) -> str | None:
        if self._author_id is None:
            return None
        row = await info.context.loaders.load("user_by_id", self._author_id)
        return row.full_name if row else None

    @strawberry.field(description="Moved here from this ticket by a merge.")
    def merged_from_id(self) -> strawberry.ID | None:
        return gid("Ticket", self._merged_from_id) if self._merged_from_id else None

    @classmethod
    def from_row(cls, row: Any) -> TicketMessage:
        return cls(id=gid("TicketMessage", row.id), author_kind=row.author_kind,
                   body=row.body, created_at=row.created_at, _author_id=row.author_id,
                   _merged_from_id=row.merged_from_id)


@strawberry.type(description="What a DELIVERY_CHANGE ticket asks for, and what became of it.")
class TicketDeliveryChange:
    recipient: str | None
    region: str | None
    date: date | None
    quantities: list[TicketDeliveryChangeQuantity]
    status: DeliveryChangeStatus | None  # type: ignore[valid-type]
    decided_at: datetime | None
    _phone: strawberry.Private[str | None]
    _address: strawberry.Private[str | None]

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def phone(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._phone)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def address(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._address)


@strawberry.type(description="A customer-service case: an inquiry, complaint, delivery "
                 "change, after-sales request or billing question, with its SLA.")
class Ticket(Node):
    number: str
    kind: TicketKind  # type: ignore[valid-type]
    after_sales_type: AfterSalesType | None  # type: ignore[valid-type]
    status: TicketStatus  # type: ignore[valid-type]
    channel: TicketChannel  # type: ignore[valid-type]
    priority: TicketPriority  # type: ignore[valid-type]
    subject: str
    description: str
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    close_reason: TicketCloseReason | None  # type: ignore[valid-type]
    resolution_note: str | None
    reopen_count: int
    created_at: datetime
    updated_at: datetime
    version: int
    _row: strawberry.Private[Any]

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return gid("Customer", self._row.customer_id)

    @strawberry.field(description="The first response is late (answered late, or not yet "
                      "and past due).")
    def first_response_breached(self) -> bool:
        r = self._row
        return r.response_breached_at is not None or (r.merged_into_id is None and (
            r.status in m.OPEN_STATUSES or r.first_responded_at is not None)
            and sla.response_breached(r.first_response_due_at, r.first_responded_at, utcnow()))

    @strawberry.field(description="The resolution is late (resolved late, or open past "
                      "due).")
    def resolution_breached(self) -> bool:
        r = self._row
        return r.resolution_breached_at is not None or (r.merged_into_id is None and (
            r.status in m.OPEN_STATUSES or r.resolved_at is not None)
            and sla.resolution_breached(r.resolution_due_at, r.resolved_at, utcnow()))

    @strawberry.field(description="A RESOLVED ticket may be reopened until then "
                      "(CRM_TICKET_REOPEN_DAYS after its resolution).")
    def reopenable_until(self, info: strawberry.Info) -> datetime | None:
        if self._row.status != m.TicketStatus.RESOLVED.value or not self._row.resolved_at:
            return None
        return self._row.resolved_at + timedelta(days=info.context.settings.ticket_reopen_days)

    @strawberry.field(description="Messages the customer sees, oldest first (internal "
                      "notes are `internalNotes`).")
    async def messages(self, info: strawberry.Info) -> list[TicketMessage]:
        rows = await info.context.loaders.load("ticket_messages_by_ticket", self._row.id)
        return [TicketMessage.from_row(r) for r in rows]

    @strawberry.field(extensions=requires(Perm.TICKETS_READ), description=INTERNAL)
    async def internal_notes(self, info: strawberry.Info) -> list[TicketMessage] | None:
        rows = await info.context.loaders.load("ticket_notes_by_ticket", self._row.id)
        return [TicketMessage.from_row(r) for r in rows]

    @strawberry.field(extensions=requires(Perm.TICKETS_READ), description="The agent "
                      "working it. " + INTERNAL)
    def assignee(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._row.assignee_id,
                                        object_type("User"))

    @strawberry.field(extensions=requires(Perm.TICKETS_READ), description="When the "
                      "breach check marked the late first response. " + INTERNAL)
    def response_breached_at(self) -> datetime | None:
        return self._row.response_breached_at

    @strawberry.field(extensions=requires(Perm.TICKETS_READ), description="When the "
                      "breach check marked the late resolution (and escalated). " + INTERNAL)
    def resolution_breached_at(self) -> datetime | None:
        return self._row.resolution_breached_at

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        row = await info.context.loaders.load("customer_by_id", self._row.customer_id)
        return info.context.loaders.cached(object_type("Customer"), row) if row else None

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="The order it concerns (the customer's own).")
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        if self._row.order_id is None:
            return None
        row = await info.context.loaders.load("order_by_id", self._row.order_id)
        return object_type("Order").from_row(row) if row else None

    @strawberry.field(extensions=requires(Perm.SHIPMENTS_READ))
    async def shipment(self, info: strawberry.Info) -> Annotated[
            Shipment, strawberry.lazy("schema.shipping.types")] | None:
        if self._row.shipment_id is None:
            return None
        row = await info.context.loaders.load("shipment_by_id", self._row.shipment_id)
        return object_type("Shipment").from_row(row) if row else None

    @strawberry.field(description="The return request it concerns.")
    def return_request_id(self) -> strawberry.ID | None:
        return gid("ReturnRequest", self._row.return_id) if self._row.return_id else None

    @strawberry.field(extensions=requires(Perm.EXCEPTIONS_READ),
                      description="The delivery exception it was opened from or linked to.")
    async def shipment_exception(self, info: strawberry.Info) -> Annotated[
            ShipmentException, strawberry.lazy("schema.shipping.types.exceptions")] | None:
        if self._row.exception_id is None:
            return None
        row = await info.context.loaders.load("shipment_exception_by_id",
                                              self._row.exception_id)
        return object_type("ShipmentException").from_row(row) if row else None

    @strawberry.field(description="The ticket this duplicate was merged into.")
    async def merged_into(self, info: strawberry.Info) -> Ticket | None:
        if self._row.merged_into_id is None:
            return None
        row = await info.context.loaders.load("ticket_by_id", self._row.merged_into_id)
        return Ticket.from_row(row) if row else None

    @strawberry.field(description="A DELIVERY_CHANGE ticket's request; null otherwise.")
    def delivery_change(self) -> TicketDeliveryChange | None:
        r = self._row
        if r.change_status is None:
            return None
        return TicketDeliveryChange(recipient=r.change_recipient, region=r.change_region,
                                    date=r.change_date, status=r.change_status,
                                    quantities=[TicketDeliveryChangeQuantity(
                                        quantity=q["quantity"], _product_id=q["product_id"])
                                        for q in r.change_quantities or ()],
                                    decided_at=r.change_decided_at, _phone=r.change_phone,
                                    _address=r.change_address)

    @strawberry.field(description="The steps the caller may take now (a customer: reply "
                      "and reopen).")
    def available_actions(self, info: strawberry.Info) -> list[TicketAction]:  # type: ignore[valid-type]
        principal = current_principal(info)
        return [a for a in wf.TicketAction
                if wf.may_attempt(principal, a)
                and m.TicketStatus(self._row.status) in wf.ALLOWED_FROM[a]
                and (a is not wf.TicketAction.APPROVE_CHANGE
                     or self._row.change_status == m.DeliveryChangeStatus.PENDING.value)]

    @classmethod
    def from_row(cls, row: Any) -> Ticket:
        return cls(id=gid("Ticket", row.id), number=row.number, kind=row.kind,
                   after_sales_type=row.after_sales_type, status=row.status,
                   channel=row.channel, priority=row.priority, subject=row.subject,
                   description=row.description,
                   first_response_due_at=row.first_response_due_at,
                   resolution_due_at=row.resolution_due_at,
                   first_responded_at=row.first_responded_at, resolved_at=row.resolved_at,
                   closed_at=row.closed_at, close_reason=row.close_reason,
                   resolution_note=row.resolution_note, reopen_count=row.reopen_count,
                   created_at=row.created_at, updated_at=row.updated_at,
                   version=row.version, _row=row)


@strawberry.type(description="Minutes to the first response and to the resolution for a "
                 "priority and customer tier.")
class TicketSlaPolicy:
    priority: TicketPriority  # type: ignore[valid-type]
    tier: str
    first_response_minutes: int
    resolution_minutes: int
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> TicketSlaPolicy:
        return cls(priority=row.priority, tier=row.tier,
                   first_response_minutes=row.first_response_minutes,
                   resolution_minutes=row.resolution_minutes, updated_at=row.updated_at)


@strawberry.type(description="SLA figures of a group of tickets opened in the window.")
class TicketSlaFigures:
    total: int
    resolved: int
    response_breached: int
    resolution_breached: int
    breached: int
    breach_rate: float | None = strawberry.field(description="breached / total.")
    median_first_response_minutes: float | None
    median_resolution_minutes: float | None
    priority: TicketPriority | None  # type: ignore[valid-type]
    _agent_id: strawberry.Private[int | None]

    @strawberry.field(description="The agent (byAgent rows): a name for MANAGER and ADMIN, "
                      "masked (***) for ANALYST.")
    async def agent_name(self, info: strawberry.Info) -> str | None:
        if self._agent_id is None:
            return None
        if current_principal(info).contact_access() != "full":
            return "***"
        row = await info.context.loaders.load("user_by_id", self._agent_id)
        return row.full_name if row else None

    @classmethod
    def of(cls, figures: Any, *, by_priority: bool = False,
           by_agent: bool = False) -> TicketSlaFigures:
        return cls(total=figures.total, resolved=figures.resolved,
                   response_breached=figures.response_breached,
                   resolution_breached=figures.resolution_breached,
                   breached=figures.breached, breach_rate=figures.breach_rate,
                   median_first_response_minutes=figures.median_first_response_minutes,
                   median_resolution_minutes=figures.median_resolution_minutes,
                   priority=figures.key if by_priority else None,
                   _agent_id=int(figures.key) if by_agent else None)


@strawberry.type(description="The SLA report of tickets opened in [from, to).")
class TicketSlaReport:
    overall: TicketSlaFigures
    by_priority: list[TicketSlaFigures]
    by_agent: list[TicketSlaFigures]


async def fetch_ticket(info: strawberry.Info, pk: int) -> Ticket | None:
    principal = current_principal(info)
    if not wf.may_read(principal):
        return None
    row = await run_read(info, service.get_ticket, principal, pk)
    return Ticket.from_row(row) if row else None


register_node("Ticket", fetch_ticket)
register_types(Ticket)
