"""The return-request state machine (pure rules, no database).

    REQUESTED -> APPROVED | REJECTED
    APPROVED  -> RECEIVED                       (goods back: restocked or scrapped)
    RECEIVED  -> REFUNDED   (type RETURN)       returnRequestRefund, FINANCE only
    RECEIVED  -> REPLACED   (type EXCHANGE)     returnRequestResolve: a replacement order
    RECEIVED  -> REPAIRED   (type REPAIR)       returnRequestResolve: repaired and sent back
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden
from app.orders.models import OrderStatus
from app.payments.service import may_refund
from app.returns.models import ReturnRequest


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RECEIVED = "RECEIVED"
    REFUNDED = "REFUNDED"
    REPLACED = "REPLACED"
    REPAIRED = "REPAIRED"


class ReturnType(StrEnum):
    RETURN = "RETURN"
    EXCHANGE = "EXCHANGE"
    REPAIR = "REPAIR"


class ReturnAction(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    RECEIVE = "RECEIVE"
    REFUND = "REFUND"
    RESOLVE = "RESOLVE"


RS, RT, RA = ReturnStatus, ReturnType, ReturnAction
# Goods can come back once some were delivered.
RETURNABLE_ORDER_STATES = frozenset({OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
                                     OrderStatus.DELIVERED, OrderStatus.COMPLETED})
ALLOWED_FROM: dict[ReturnAction, frozenset[ReturnStatus]] = {
    RA.APPROVE: frozenset({RS.REQUESTED}),
    RA.REJECT: frozenset({RS.REQUESTED}),
    RA.RECEIVE: frozenset({RS.APPROVED}),
    RA.REFUND: frozenset({RS.RECEIVED}),
    RA.RESOLVE: frozenset({RS.RECEIVED}),
}
FOR_TYPES: dict[ReturnAction, frozenset[ReturnType]] = {
    RA.REFUND: frozenset({RT.RETURN}),
    RA.RESOLVE: frozenset({RT.EXCHANGE, RT.REPAIR}),
}
RESOLVED_TO = {RT.RETURN: RS.REFUNDED, RT.EXCHANGE: RS.REPLACED, RT.REPAIR: RS.REPAIRED}
_VERBS = {a: a.value.lower() for a in ReturnAction}


@dataclass(frozen=True)
class ReturnActionState:
    action: ReturnAction
    enabled: bool
    reason: str | None


def may_attempt(principal: Principal, action: ReturnAction) -> bool:
    if action is RA.REFUND:
        return may_refund(principal)
    return principal.can(Perm.RETURNS_MANAGE)


def state_reason(action: ReturnAction, request: ReturnRequest) -> str | None:
    types = FOR_TYPES.get(action)
    if types is not None and request.type not in types:
        hint = "use refund" if request.type == RT.RETURN else "use resolve"
        return f"cannot {_VERBS[action]} a return request of type {request.type} ({hint})"
    allowed = ALLOWED_FROM[action]
    if request.status in allowed:
        return None
    names = ", ".join(s.value for s in ReturnStatus if s in allowed)
    return (f"cannot {_VERBS[action]} a return request in state {request.status} "
            f"(allowed from {names})")


def permission_reason(action: ReturnAction, principal: Principal) -> str | None:
    if may_attempt(principal, action):
        return None
    if action is RA.REFUND:
        return "refunds are made by FINANCE only"
    return f"requires permission {Perm.RETURNS_MANAGE.value}"


def authorize(action: ReturnAction, request: ReturnRequest, principal: Principal) -> None:
    """State first (INVALID_TRANSITION names the current state), then permission."""
    reason = state_reason(action, request)
    if reason is not None:
        raise DomainError(reason, code=ErrorCode.INVALID_TRANSITION)
    reason = permission_reason(action, principal)
    if reason is not None:
        raise Forbidden(reason)


def available_actions(request: ReturnRequest, principal: Principal) -> list[ReturnActionState]:
    out = []
    for action in ReturnAction:
        reason = state_reason(action, request) or permission_reason(action, principal)
        out.append(ReturnActionState(action, reason is None, reason))
    return out
