"""The lead and opportunity state machines (pure rules, no database).

    Lead:  NEW -> CONTACTED -> QUALIFIED -> CONVERTED
           NEW | CONTACTED | QUALIFIED -> DISQUALIFIED (with a reason)
    Opportunity: moves between open stages; into a WON or LOST stage closes it (LOST needs
           a reason); a WON opportunity with a customer and lines becomes one draft order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden
from app.sales.models import LeadStatus

LS = LeadStatus


class LeadAction(StrEnum):
    UPDATE = "UPDATE"
    CONTACT = "CONTACT"
    QUALIFY = "QUALIFY"
    DISQUALIFY = "DISQUALIFY"
    CONVERT = "CONVERT"


class OpportunityAction(StrEnum):
    UPDATE = "UPDATE"
    MOVE = "MOVE"
    CREATE_ORDER = "CREATE_ORDER"


_WORKING = frozenset({LS.NEW, LS.CONTACTED, LS.QUALIFIED})
LEAD_ALLOWED_FROM: dict[LeadAction, frozenset[LeadStatus]] = {
    LeadAction.UPDATE: _WORKING,
    LeadAction.CONTACT: frozenset({LS.NEW}),
    LeadAction.QUALIFY: frozenset({LS.NEW, LS.CONTACTED}),
    LeadAction.DISQUALIFY: _WORKING,
    LeadAction.CONVERT: frozenset({LS.QUALIFIED}),
}
LEAD_RESULT = {LeadAction.CONTACT: LS.CONTACTED, LeadAction.QUALIFY: LS.QUALIFIED,
               LeadAction.DISQUALIFY: LS.DISQUALIFIED, LeadAction.CONVERT: LS.CONVERTED}
# every one of these permissions is needed (converting creates a customer)
LEAD_PERMS: dict[LeadAction, tuple[Perm, ...]] = {
    **{a: (Perm.LEADS_WRITE,) for a in LeadAction},
    LeadAction.CONVERT: (Perm.LEADS_WRITE, Perm.CUSTOMERS_WRITE),
}
OPPORTUNITY_PERMS: dict[OpportunityAction, tuple[Perm, ...]] = {
    OpportunityAction.UPDATE: (Perm.OPPORTUNITIES_WRITE,),
    OpportunityAction.MOVE: (Perm.OPPORTUNITIES_WRITE,),
    OpportunityAction.CREATE_ORDER: (Perm.OPPORTUNITIES_WRITE, Perm.ORDERS_CREATE),
}


@dataclass(frozen=True)
class ActionState:
    action: StrEnum
    enabled: bool
    reason: str | None


def _verb(action: StrEnum) -> str:
    return action.value.lower().replace("_", " ")


def _permission_reason(perms: tuple[Perm, ...], principal: Principal) -> str | None:
    missing = [p.value for p in perms if not principal.can(p)]
    return "requires permission " + " and ".join(missing) if missing else None


# Leads ----------------------------------------------------------------------------------

def lead_state_reason(action: LeadAction, status: str) -> str | None:
    allowed = LEAD_ALLOWED_FROM[action]
    if status in allowed:
        return None
    names = ", ".join(s.value for s in LS if s in allowed)
    return f"cannot {_verb(action)} a lead in state {status} (allowed from {names})"


def authorize_lead(action: LeadAction, status: str, principal: Principal) -> None:
    """State first (INVALID_TRANSITION names the current state), then permission."""
    reason = lead_state_reason(action, status)
    if reason is not None:
        raise DomainError(reason, code=ErrorCode.INVALID_TRANSITION)
    reason = _permission_reason(LEAD_PERMS[action], principal)
    if reason is not None:
        raise Forbidden(reason)


def lead_actions(status: str, principal: Principal) -> list[ActionState]:
    out = []
    for action in LeadAction:
        reason = lead_state_reason(action, status) or _permission_reason(
            LEAD_PERMS[action], principal)
        out.append(ActionState(action, reason is None, reason))
    return out


# Opportunities ----------------------------------------------------------------------------

def opportunity_state_reason(action: OpportunityAction, opportunity: Any, stage: Any,
                             has_lines: bool) -> str | None:
    closed = stage.is_won or stage.is_lost
    if action is not OpportunityAction.CREATE_ORDER:
        return f"the opportunity is closed ({stage.code})" if closed else None
    if not stage.is_won:
        return f"only a won opportunity becomes an order (it is in {stage.code})"
    if opportunity.order_id is not None:
        return "the opportunity already has its order"
    if opportunity.customer_id is None:
        return "the opportunity has no customer yet (convert its lead first)"
    if not has_lines:
        return "the opportunity has no products to order"
    return None


def authorize_opportunity(action: OpportunityAction, opportunity: Any, stage: Any,
                          principal: Principal, has_lines: bool = True) -> None:
    reason = opportunity_state_reason(action, opportunity, stage, has_lines)
    if reason is not None:
        raise DomainError(reason, code=ErrorCode.INVALID_TRANSITION)
    reason = _permission_reason(OPPORTUNITY_PERMS[action], principal)
    if reason is not None:
        raise Forbidden(reason)


def opportunity_actions(opportunity: Any, stage: Any, principal: Principal,
                        has_lines: bool) -> list[ActionState]:
    out = []
    for action in OpportunityAction:
        reason = opportunity_state_reason(action, opportunity, stage, has_lines) \
            or _permission_reason(OPPORTUNITY_PERMS[action], principal)
        out.append(ActionState(action, reason is None, reason))
    return out
