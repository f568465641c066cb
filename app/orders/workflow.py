"""The order state machine: which action is allowed from which state, and for whom.

Pure rules (no database): services call `authorize` before acting, the API
shows `available_actions` so the UI can grey out a button and say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden
from app.orders.models import Order, OrderStatus

S = OrderStatus


class Action(StrEnum):
    SUBMIT = "SUBMIT"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    HOLD = "HOLD"
    RELEASE = "RELEASE"
    SCHEDULE = "SCHEDULE"
    START_FULFILLMENT = "START_FULFILLMENT"
    CONFIRM_DELIVERY = "CONFIRM_DELIVERY"
    COMPLETE = "COMPLETE"
    CANCEL = "CANCEL"
    UPDATE = "UPDATE"
    ADD_NOTE = "ADD_NOTE"


ALL_STATES = frozenset(S)
# Stock stays reserved for the order in these states (held orders keep theirs).
RESERVED_STATES = frozenset({S.CONFIRMED, S.SCHEDULED, S.IN_FULFILLMENT})
BEFORE_SHIPPING = frozenset({S.DRAFT, S.PENDING_REVIEW, *RESERVED_STATES})
# Orders that count against the customer's credit (approved, not closed).
OPEN_STATES = frozenset({*RESERVED_STATES, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED})

ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.SUBMIT: frozenset({S.DRAFT}),
    Action.APPROVE: frozenset({S.PENDING_REVIEW}),
    Action.REJECT: frozenset({S.PENDING_REVIEW}),
    Action.HOLD: frozenset({S.PENDING_REVIEW, *RESERVED_STATES}),
    Action.RELEASE: frozenset({S.ON_HOLD}),
    Action.SCHEDULE: frozenset({S.CONFIRMED, S.SCHEDULED}),  # SCHEDULED: reschedule
    Action.START_FULFILLMENT: frozenset({S.SCHEDULED}),
    Action.CONFIRM_DELIVERY: frozenset({S.SHIPPED, S.DELIVERED}),
    Action.COMPLETE: frozenset({S.DELIVERED}),
    Action.CANCEL: frozenset({*BEFORE_SHIPPING, S.ON_HOLD}),  # holds only happen pre-shipping
    Action.UPDATE: frozenset({S.DRAFT, S.PENDING_REVIEW}),
    Action.ADD_NOTE: ALL_STATES,
}

# Staff: any one of these permissions allows the action.
STAFF_PERMS: dict[Action, tuple[Perm, ...]] = {
    Action.SUBMIT: (Perm.ORDERS_CREATE,),
    Action.APPROVE: (Perm.ORDERS_REVIEW,),
    Action.REJECT: (Perm.ORDERS_REVIEW,),
    Action.HOLD: (Perm.ORDERS_MANAGE, Perm.ORDERS_REVIEW),  # finance holds for credit
    Action.RELEASE: (Perm.ORDERS_MANAGE, Perm.ORDERS_REVIEW),
    Action.SCHEDULE: (Perm.ORDERS_FULFILL,),
    Action.START_FULFILLMENT: (Perm.ORDERS_FULFILL,),
    Action.CONFIRM_DELIVERY: (Perm.ORDERS_MANAGE,),
    Action.COMPLETE: (Perm.ORDERS_MANAGE,),
    Action.CANCEL: (Perm.ORDERS_MANAGE,),
    Action.UPDATE: (Perm.ORDERS_MANAGE,),
    Action.ADD_NOTE: (Perm.ORDERS_CREATE, Perm.ORDERS_MANAGE, Perm.ORDERS_REVIEW,
                      Perm.ORDERS_FULFILL),
}

# A CUSTOMER acts on its own orders only (row scope), and in fewer states than staff.
CUSTOMER_STATES: dict[Action, frozenset[S]] = {
    Action.SUBMIT: frozenset({S.DRAFT}),
    Action.UPDATE: frozenset({S.DRAFT}),
    Action.CANCEL: frozenset({S.DRAFT, S.PENDING_REVIEW}),
    Action.CONFIRM_DELIVERY: frozenset({S.SHIPPED, S.DELIVERED}),
    Action.ADD_NOTE: ALL_STATES,
}

_VERBS = {a: a.value.lower().replace("_", " ") for a in Action}


@dataclass(frozen=True)
class ActionState:
    action: Action
    enabled: bool
    reason: str | None


def _states(states: frozenset[S]) -> str:
    return ", ".join(s.value for s in S if s in states)


def state_reason(action: Action, order: Order) -> str | None:
    """Why the order's state forbids the action (None when it is allowed)."""
    allowed = ALLOWED_FROM[action]
    if order.status in allowed:
        return None
    return (f"cannot {_VERBS[action]} an order in state {order.status} "
            f"(allowed from {_states(allowed)})")


def may_attempt(principal: Principal, action: Action) -> bool:
    """Operation level: could this caller perform the action on some order?"""
    if not principal.is_staff:  # CUSTOMER and CONSIGNOR: their own orders
        return action in CUSTOMER_STATES
    return any(principal.can(p) for p in STAFF_PERMS[action])


def permission_reason(action: Action, order: Order, principal: Principal) -> str | None:
    if not principal.is_staff:
        states = CUSTOMER_STATES.get(action)
        if states is None:
            return f"customers cannot {_VERBS[action]} orders"
        if order.status not in states:
            return (f"customers may {_VERBS[action]} an order only in state "
                    f"{_states(states)}; please contact us")
        return None
    perms = STAFF_PERMS[action]
    if any(principal.can(p) for p in perms):
        return None
    return "requires permission " + " or ".join(p.value for p in perms)


def invalid_transition(action: Action, order: Order) -> DomainError:
    return DomainError(state_reason(action, order) or f"cannot {_VERBS[action]}",
                       code=ErrorCode.INVALID_TRANSITION)


def authorize(action: Action, order: Order, principal: Principal) -> None:
    """State first (INVALID_TRANSITION names the current state), then permission."""
    if state_reason(action, order) is not None:
        raise invalid_transition(action, order)
    reason = permission_reason(action, order, principal)
    if reason is not None:
        raise Forbidden(reason)


def available_actions(order: Order, principal: Principal) -> list[ActionState]:
    out = []
    for action in Action:
        reason = state_reason(action, order) or permission_reason(action, order, principal)
        out.append(ActionState(action, reason is None, reason))
    return out
