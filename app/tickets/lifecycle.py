"""The end of a ticket: resolve, close, reopen within the window, merge a duplicate, and
approve a delivery change (which resolves it) (docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from datetime import datetime

from app.errors import DomainError, ErrorCode, InvalidTransition, NotFound
from app.events import topics
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.tickets import delivery
from app.tickets import repository as repo
from app.tickets import workflow as wf
from app.tickets.models import (
    AuthorKind,
    CloseReason,
    DeliveryChangeStatus,
    Ticket,
    TicketKind,
    TicketMessage,
    TicketStatus,
)
from app.tickets.service import authorize, emit, load, set_status, touch, validate_body

A = wf.TicketAction


def _resolve(uow: UnitOfWork, ticket: Ticket, note: str | None, now: datetime) -> None:
    ticket.resolved_at = now
    ticket.resolution_note = note
    if ticket.first_responded_at is None:  # resolving answers the customer
        ticket.first_responded_at = now
    set_status(uow, ticket, TicketStatus.RESOLVED.value, now)
    emit(uow, topics.TICKET_RESOLVED, ticket, now, kind=ticket.kind, order_id=ticket.order_id)


def resolve_ticket(uow: UnitOfWork, ticket_id: int, note: str | None = None,
                   now: datetime | None = None) -> Ticket:
    authorize(uow, A.RESOLVE)
    now = now or utcnow()
    if note is not None and len(note) > 2000:
        raise DomainError("note is at most 2000 characters", field=["note"])
    ticket = load(uow, ticket_id)
    wf.check(ticket.status, A.RESOLVE)
    before = snapshot(ticket)
    _resolve(uow, ticket, (note or "").strip() or None, now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.resolve", "Ticket", ticket.id, before=before, after=snapshot(ticket))
    return ticket


def close_ticket(uow: UnitOfWork, ticket_id: int, now: datetime | None = None) -> Ticket:
    authorize(uow, A.CLOSE)
    now = now or utcnow()
    ticket = load(uow, ticket_id)
    wf.check(ticket.status, A.CLOSE)
    before = snapshot(ticket)
    ticket.closed_at, ticket.close_reason = now, CloseReason.RESOLVED.value
    set_status(uow, ticket, TicketStatus.CLOSED.value, now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.close", "Ticket", ticket.id, before=before, after=snapshot(ticket))
    return ticket


def reopen_ticket(uow: UnitOfWork, ticket_id: int, reason: str | None = None,
                  now: datetime | None = None) -> Ticket:
    """A RESOLVED ticket back to OPEN within CRM_TICKET_REOPEN_DAYS of its resolution (the
    customer too, on its own); later, or once CLOSED, a new ticket is the way."""
    authorize(uow, A.REOPEN)
    now = now or utcnow()
    ticket = load(uow, ticket_id)
    wf.check(ticket.status, A.REOPEN)
    days = uow.settings.ticket_reopen_days
    if not wf.reopen_window_open(ticket.resolved_at, now, days):
        raise DomainError(f"the reopen window ({days:g} days after the resolution) has "
                          "passed: open a new ticket", code=ErrorCode.INVALID_TRANSITION)
    before = snapshot(ticket)
    if reason and reason.strip():
        kind = AuthorKind.CUSTOMER.value if uow.principal.customer_scope is not None \
            else AuthorKind.AGENT.value
        uow.session.add(TicketMessage(ticket_id=ticket.id, author_kind=kind,
                                      author_id=uow.principal.user_id or None,
                                      body=validate_body(reason), created_at=now))
    ticket.resolved_at, ticket.resolution_note = None, None
    ticket.reopen_count += 1
    set_status(uow, ticket, TicketStatus.OPEN.value, now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.reopen", "Ticket", ticket.id, before=before, after=snapshot(ticket))
    return ticket


def merge_tickets(uow: UnitOfWork, duplicate_id: int, into_id: int,
                  now: datetime | None = None) -> Ticket:
    """Merge a duplicate into another ticket of the same customer: its messages and notes
    move over (marked with where they came from), the duplicate is CLOSED with reason
    MERGED and a pointer to the survivor. Returns the survivor."""
    authorize(uow, A.MERGE)
    now = now or utcnow()
    if duplicate_id == into_id:
        raise DomainError("a ticket cannot be merged into itself", field=["intoId"])
    # in id order: two merges of the same pair lock them in the same order
    first, second = sorted((duplicate_id, into_id))
    tickets = {pk: repo.get_visible(uow.session, uow.principal, pk, for_update=True)
               for pk in (first, second)}
    duplicate, into = tickets[duplicate_id], tickets[into_id]
    if duplicate is None:
        raise NotFound("ticket not found", field=["id"])
    if into is None or into.customer_id != duplicate.customer_id:
        raise NotFound("ticket not found for this customer", field=["intoId"])
    wf.check(duplicate.status, A.MERGE)
    if into.status == TicketStatus.CLOSED.value:
        raise InvalidTransition("ticket", into.status, "merge into")
    before = snapshot(duplicate)
    moved = repo.move_messages(uow.session, duplicate.id, into.id)
    duplicate.merged_into_id = into.id
    duplicate.closed_at, duplicate.close_reason = now, CloseReason.MERGED.value
    set_status(uow, duplicate, TicketStatus.CLOSED.value, now)
    touch(duplicate, now)
    touch(into, now)
    uow.session.flush()
    uow.audit("ticket.merge", "Ticket", duplicate.id, before=before,
              after={**(snapshot(duplicate) or {}), "messages_moved": moved})
    emit(uow, topics.TICKET_MERGED, duplicate, now, into_ticket_id=into.id)
    return into


def approve_delivery_change(uow: UnitOfWork, ticket_id: int, note: str | None = None,
                            now: datetime | None = None) -> Ticket:
    """Apply a pending DELIVERY_CHANGE request to the order (and its shipments still in
    the warehouse) and resolve the ticket, in this one unit of work. After dispatch it is
    refused with the reason, and nothing changes."""
    authorize(uow, A.APPROVE_CHANGE)
    now = now or utcnow()
    ticket = load(uow, ticket_id)
    if ticket.kind != TicketKind.DELIVERY_CHANGE.value or \
            ticket.change_status != DeliveryChangeStatus.PENDING.value:
        raise DomainError("the ticket has no pending delivery change", field=["id"],
                          code=ErrorCode.INVALID_TRANSITION)
    wf.check(ticket.status, A.APPROVE_CHANGE)
    before = snapshot(ticket)
    delivery.apply_to_order(uow, ticket, now)
    ticket.change_status, ticket.change_decided_at = DeliveryChangeStatus.APPROVED.value, now
    message = "配送变更已批准 / Your delivery change was approved."
    uow.session.add(TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind.SYSTEM.value,
                                  body=message, created_at=now))
    _resolve(uow, ticket, (note or "").strip() or "delivery change approved", now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.approve_delivery_change", "Ticket", ticket.id, before=before,
              after=snapshot(ticket))
    return ticket
