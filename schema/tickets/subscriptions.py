"""`ticketEvents`: tickets created, assigned, replied to, changing status, merged, breaching
their SLA and escalated, live, for agents and supervisors (tickets:read: every ticket) and
for a CUSTOMER on its own tickets (never the breaches and escalations, which are internal).
Checked when it starts (`caller`) and for every event again
(docs/architecture.md#tickets-and-slas, #subscriptions)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry
from graphql import GraphQLError

from app.auth.roles import Role
from app.errors import DomainError
from app.events import topics
from app.events.bus import DomainEvent
from app.tickets import workflow as wf
from schema.core.node import gid
from schema.core.permissions import current_principal
from schema.policy.apply import caller
from schema.subscriptions.registry import register_subscription
from schema.subscriptions.streams import Authorize, live_events, parse_cursor
from schema.subscriptions.types import CURSOR
from schema.tickets.types import Ticket, TicketPriority, TicketStatus


class TicketEventKind(StrEnum):
    CREATED = "CREATED"
    ASSIGNED = "ASSIGNED"
    REPLIED = "REPLIED"
    STATUS_CHANGED = "STATUS_CHANGED"
    MERGED = "MERGED"
    BREACHED = "BREACHED"
    ESCALATED = "ESCALATED"


TicketEventType = strawberry.enum(TicketEventKind, name="TicketEventType")
_KINDS = {topics.TICKET_CREATED: "CREATED", topics.TICKET_ASSIGNED: "ASSIGNED",
          topics.TICKET_REPLIED: "REPLIED", topics.TICKET_STATUS_CHANGED: "STATUS_CHANGED",
          topics.TICKET_MERGED: "MERGED", topics.TICKET_BREACHED: "BREACHED",
          topics.TICKET_ESCALATED: "ESCALATED"}
TOPICS = frozenset(_KINDS)
INTERNAL_TOPICS = frozenset({topics.TICKET_BREACHED, topics.TICKET_ESCALATED})
# personal: a customer's stream depends on who it is, not only on the role
register_subscription("ticketEvents", set(TOPICS), personal=True)


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@strawberry.type(description="Something happened to a ticket.")
class TicketEvent:
    cursor: str = strawberry.field(description=CURSOR)
    type: TicketEventType  # type: ignore[valid-type]
    ticket_id: strawberry.ID
    at: datetime | None
    status: TicketStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="STATUS_CHANGED: the new status.")
    from_status: TicketStatus | None  # type: ignore[valid-type]
    breach: str | None = strawberry.field(description="BREACHED: FIRST_RESPONSE or "
                                          "RESOLUTION.")
    priority: TicketPriority | None = strawberry.field(  # type: ignore[valid-type]
        description="BREACHED and ESCALATED: the (new) priority.")
    _ticket_id: strawberry.Private[int]

    @strawberry.field(description="The ticket as it is now.")
    async def ticket(self, info: strawberry.Info) -> Ticket | None:
        row = await info.context.loaders.load("ticket_by_id", self._ticket_id)
        own = current_principal(info).customer_scope
        if row is None or (own is not None and row.customer_id != own):
            return None
        return Ticket.from_row(row)

    @classmethod
    def from_event(cls, event: DomainEvent) -> TicketEvent:
        p = event.payload
        return cls(cursor=str(event.id), type=_KINDS[event.topic],
                   ticket_id=gid("Ticket", p["ticket_id"]), at=_at(p.get("at")),
                   status=p.get("status") if event.topic == topics.TICKET_STATUS_CHANGED
                   else None, from_status=p.get("from_status"), breach=p.get("breach"),
                   priority=p.get("priority") if event.topic in INTERNAL_TOPICS else None,
                   _ticket_id=p["ticket_id"])


def _authorizer(info: strawberry.Info) -> Authorize:
    """Every event again: staff who read tickets see all; a customer its own tickets'
    events, without the internal ones."""
    principal = current_principal(info)

    async def authorize(event: DomainEvent) -> bool:
        if not wf.may_read(principal):
            return False
        if principal.role is not Role.CUSTOMER:
            return True
        return event.topic not in INTERNAL_TOPICS and \
            event.payload.get("customer_id") == principal.customer_scope

    return authorize


@strawberry.type
class TicketSubscription:
    @strawberry.subscription(description=(
        "Ticket events: every ticket for agents and supervisors (tickets:read); a CUSTOMER "
        "its own tickets (no breaches or escalations). Resume after `since` (a cursor): "
        "missed events are replayed first, then live ones follow."))
    async def ticket_events(self, info: strawberry.Info, since: str | None = None
                            ) -> AsyncGenerator[TicketEvent, None]:
        caller(info)
        try:
            parse_cursor(since)
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": "BAD_USER_INPUT"}) from None
        own = current_principal(info).customer_scope

        async def checks():  # noqa: ANN202
            return ({} if own is None else {"customer_id": own}), _authorizer(info)

        async for event in live_events(info, TOPICS, since=since, checks=checks):
            yield TicketEvent.from_event(event)
