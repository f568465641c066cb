"""The ticket state machine and who may take each step (pure rules, no database;
docs/architecture.md#tickets-and-slas).

    NEW --assign / agent reply--> OPEN --agent reply--> PENDING_CUSTOMER
    PENDING_CUSTOMER --customer reply--> OPEN
    NEW / OPEN / PENDING_CUSTOMER --resolve--> RESOLVED --close--> CLOSED
    RESOLVED --reopen (within CRM_TICKET_REOPEN_DAYS of the resolution)--> OPEN
    NEW / OPEN / PENDING_CUSTOMER --merge into another--> CLOSED (MERGED, a pointer)

Staff need tickets:write; a CUSTOMER works its own tickets: it opens them, replies, asks
for a delivery change and reopens a resolved one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.errors import InvalidTransition
from app.tickets.models import TicketStatus

S = TicketStatus


class TicketAction(StrEnum):
    UPDATE = "UPDATE"
    ASSIGN = "ASSIGN"
    REPLY = "REPLY"
    NOTE = "NOTE"
    RESOLVE = "RESOLVE"
    CLOSE = "CLOSE"
    REOPEN = "REOPEN"
    MERGE = "MERGE"
    APPROVE_CHANGE = "APPROVE_CHANGE"


A = TicketAction
_WORKING = frozenset({S.NEW, S.OPEN, S.PENDING_CUSTOMER})
ALLOWED_FROM: dict[TicketAction, frozenset[TicketStatus]] = {
    A.UPDATE: _WORKING | {S.RESOLVED},
    A.ASSIGN: _WORKING,
    A.REPLY: _WORKING,
    A.NOTE: frozenset(S),  # an internal note may follow a ticket to the end
    A.RESOLVE: _WORKING,
    A.CLOSE: frozenset({S.RESOLVED}),
    A.REOPEN: frozenset({S.RESOLVED}),
    A.MERGE: _WORKING,
    A.APPROVE_CHANGE: _WORKING,
}
# what a CUSTOMER may do on its own tickets (replies are the customer's side of REPLY)
CUSTOMER_ACTIONS = frozenset({A.REPLY, A.REOPEN})


def may_read(principal: Principal) -> bool:
    return principal.can(Perm.TICKETS_READ) or principal.role is Role.CUSTOMER


def may_write(principal: Principal) -> bool:
    return principal.can(Perm.TICKETS_WRITE) or principal.role is Role.CUSTOMER


def may_attempt(principal: Principal, action: TicketAction) -> bool:
    if principal.can(Perm.TICKETS_WRITE):
        return True
    return principal.role is Role.CUSTOMER and action in CUSTOMER_ACTIONS


def check(status: str, action: TicketAction) -> None:
    """INVALID_TRANSITION naming the current state when `action` is not allowed from it."""
    if S(status) not in ALLOWED_FROM[action]:
        raise InvalidTransition("ticket", status, action.value.lower().replace("_", " "))


def after_agent_reply(status: str) -> str:
    return S.PENDING_CUSTOMER.value


def after_customer_reply(status: str) -> str:
    """The customer answered: back to the agent (a NEW ticket stays NEW until worked)."""
    return S.NEW.value if status == S.NEW.value else S.OPEN.value


def after_assign(status: str) -> str:
    return S.OPEN.value if status == S.NEW.value else status


def reopen_window_open(resolved_at: datetime | None, now: datetime, days: float) -> bool:
    return resolved_at is not None and now <= resolved_at + timedelta(days=days)
