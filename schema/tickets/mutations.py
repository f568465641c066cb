"""Ticket mutations and their payloads `{ ticket, userErrors }`: parse the input, call one
service, map the result."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.tickets import lifecycle, service
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.tickets.inputs import (
    TicketCreateInput,
    TicketDeliveryChangeRequestInput,
    TicketSlaPolicyInput,
    TicketUpdateInput,
    change_request_from,
    ticket_data_from,
)
from schema.tickets.types import (
    Ticket,
    TicketKind,
    TicketMessage,
    TicketPriority,
    TicketSlaPolicy,
)


@strawberry.type
class TicketPayload:
    ticket: Ticket | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TicketMessagePayload:
    ticket: Ticket | None = None
    message: TicketMessage | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TicketSlaPolicyPayload:
    policy: TicketSlaPolicy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _ticket(row: object | None, errors: list[UserError]) -> TicketPayload:
    return TicketPayload(ticket=Ticket.from_row(row) if row else None, user_errors=errors)


async def _step(info: strawberry.Info, fn: object, id: strawberry.ID, *args: object
                ) -> TicketPayload:
    try:
        pk = parse_id(id, "Ticket")
    except DomainError as exc:
        return TicketPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, pk, *args)
    return _ticket(row, errors)


async def _message(info: strawberry.Info, fn: object, id: strawberry.ID, body: str
                   ) -> TicketMessagePayload:
    try:
        pk = parse_id(id, "Ticket")
    except DomainError as exc:
        return TicketMessagePayload(user_errors=user_errors(exc))
    result, errors = await run_write(info, fn, pk, body)
    if result is None:
        return TicketMessagePayload(user_errors=errors)
    ticket, message = result
    return TicketMessagePayload(ticket=Ticket.from_row(ticket),
                                message=TicketMessage.from_row(message))


@strawberry.type
class TicketMutation:
    @strawberry.mutation(description="Open a ticket: staff for a customer, a CUSTOMER for "
                         "itself. SLA due times by priority and tier; without an assignee, "
                         "the least loaded CUSTOMER_SERVICE agent.")
    async def ticket_create(self, info: strawberry.Info,
                            input: TicketCreateInput) -> TicketPayload:
        try:
            data = ticket_data_from(input)
        except DomainError as exc:
            return TicketPayload(user_errors=user_errors(exc))
        return _ticket(*(await run_write(info, service.create_ticket, data)))

    @strawberry.mutation(description="Open a ticket from a delivery exception, linked to it, "
                         "its parcel and order, for the order's customer.")
    async def ticket_create_from_exception(
        self, info: strawberry.Info, exception_id: strawberry.ID,
        subject: str | None = None, description: str | None = None,
        kind: TicketKind | None = None,  # type: ignore[valid-type]
        priority: TicketPriority | None = None,  # type: ignore[valid-type]
    ) -> TicketPayload:
        try:
            pk = parse_id(exception_id, "ShipmentException", "exceptionId")
        except DomainError as exc:
            return TicketPayload(user_errors=user_errors(exc))
        data = {"subject": subject, "description": description,
                "kind": kind.value if kind else None,
                "priority": priority.value if priority else None}
        return _ticket(*(await run_write(info, service.create_from_exception, pk, data)))

    @strawberry.mutation(description="A customer asks to change the delivery address and/or "
                         "date of its order not yet dispatched: a DELIVERY_CHANGE ticket "
                         "(refused with the reason after dispatch).")
    async def ticket_request_delivery_change(
            self, info: strawberry.Info,
            input: TicketDeliveryChangeRequestInput) -> TicketPayload:
        try:
            data = change_request_from(input)
        except DomainError as exc:
            return TicketPayload(user_errors=user_errors(exc))
        return _ticket(*(await run_write(info, service.create_ticket, data)))

    @strawberry.mutation(description="Edit a ticket: subject, kind, channel, priority (which "
                         "re-times its SLA), links.")
    async def ticket_update(self, info: strawberry.Info, id: strawberry.ID,
                            input: TicketUpdateInput) -> TicketPayload:
        try:
            pk = parse_id(id, "Ticket")
            data = ticket_data_from(input)
        except DomainError as exc:
            return TicketPayload(user_errors=user_errors(exc))
        version = input.expected_version or None
        return _ticket(*(await run_write(info, service.update_ticket, pk, data, version)))

    @strawberry.mutation(description="Assign to an agent; null: to the least loaded "
                         "CUSTOMER_SERVICE agent. NEW becomes OPEN.")
    async def ticket_assign(self, info: strawberry.Info, id: strawberry.ID,
                            assignee_id: strawberry.ID | None = None) -> TicketPayload:
        try:
            agent = parse_id(assignee_id, "User", "assigneeId") if assignee_id else None
        except DomainError as exc:
            return TicketPayload(user_errors=user_errors(exc))
        return await _step(info, service.assign_ticket, id, agent)

    @strawberry.mutation(description="A message the customer sees. An agent's reply waits "
                         "for the customer (PENDING_CUSTOMER); the customer's goes back to "
                         "the agent (OPEN).")
    async def ticket_reply(self, info: strawberry.Info, id: strawberry.ID,
                           body: str) -> TicketMessagePayload:
        return await _message(info, service.reply, id, body)

    @strawberry.mutation(description="An internal note (staff): never shown to the customer.")
    async def ticket_note_add(self, info: strawberry.Info, id: strawberry.ID,
                              body: str) -> TicketMessagePayload:
        return await _message(info, service.add_note, id, body)

    @strawberry.mutation(description="NEW, OPEN or PENDING_CUSTOMER -> RESOLVED.")
    async def ticket_resolve(self, info: strawberry.Info, id: strawberry.ID,
                             note: str | None = None) -> TicketPayload:
        return await _step(info, lifecycle.resolve_ticket, id, note)

    @strawberry.mutation(description="RESOLVED -> CLOSED.")
    async def ticket_close(self, info: strawberry.Info, id: strawberry.ID) -> TicketPayload:
        return await _step(info, lifecycle.close_ticket, id)

    @strawberry.mutation(description="RESOLVED -> OPEN within CRM_TICKET_REOPEN_DAYS of the "
                         "resolution (the customer too, on its own tickets).")
    async def ticket_reopen(self, info: strawberry.Info, id: strawberry.ID,
                            reason: str | None = None) -> TicketPayload:
        return await _step(info, lifecycle.reopen_ticket, id, reason)

    @strawberry.mutation(description="Merge a duplicate (`id`) into another ticket of the "
                         "same customer: its messages and notes move over and it is CLOSED "
                         "(MERGED) pointing at the survivor, which is returned.")
    async def ticket_merge(self, info: strawberry.Info, id: strawberry.ID,
                           into_id: strawberry.ID) -> TicketPayload:
        try:
            into = parse_id(into_id, "Ticket", "intoId")
        except DomainError as exc:
            return TicketPayload(user_errors=user_errors(exc))
        return await _step(info, lifecycle.merge_tickets, id, into)

    @strawberry.mutation(description="Apply a pending delivery change to the order (and its "
                         "shipments still in the warehouse) and resolve the ticket, at once; "
                         "refused with the reason once anything was dispatched.")
    async def ticket_approve_delivery_change(self, info: strawberry.Info, id: strawberry.ID,
                                             note: str | None = None) -> TicketPayload:
        return await _step(info, lifecycle.approve_delivery_change, id, note)

    @strawberry.mutation(description="Set the SLA minutes of a priority and customer tier "
                         "(tickets opened from now on).")
    async def ticket_sla_policy_set(self, info: strawberry.Info,
                                    input: TicketSlaPolicyInput) -> TicketSlaPolicyPayload:
        row, errors = await run_write(info, service.set_sla_policy, input.priority.value,
                                      input.tier, input.first_response_minutes,
                                      input.resolution_minutes)
        return TicketSlaPolicyPayload(policy=TicketSlaPolicy.from_row(row) if row else None,
                                      user_errors=errors)
