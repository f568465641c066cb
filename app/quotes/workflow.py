"""The quote state machine and who approves what (pure rules, no database).

    DRAFT -> PENDING_APPROVAL -> APPROVED -> SENT -> ACCEPTED | REJECTED
    DRAFT -> APPROVED                  (submit, every discount within the rep's limit)
    PENDING_APPROVAL -> DRAFT          (the approver rejects it, with a note)
    DRAFT .. SENT -> EXPIRED           (the expiry pass, past valid_until)
    ACCEPTED -> an order               (convert, once)

The discount decides the approver (docs/architecture.md#quotes-and-price-agreements): up
to CRM_QUOTE_DISCOUNT_MANAGER none, up to CRM_QUOTE_DISCOUNT_FINANCE a MANAGER (or
FINANCE), above it FINANCE. ADMIN may do anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.errors import DomainError, ErrorCode, Forbidden
from app.quotes.models import ApprovalLevel, Quote, QuoteStatus

S, L = QuoteStatus, ApprovalLevel


class QuoteAction(StrEnum):
    UPDATE = "UPDATE"
    SUBMIT = "SUBMIT"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    SEND = "SEND"
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    CONVERT = "CONVERT"


A = QuoteAction
ALLOWED_FROM: dict[QuoteAction, frozenset[QuoteStatus]] = {
    A.UPDATE: frozenset({S.DRAFT}),
    A.SUBMIT: frozenset({S.DRAFT}),
    A.APPROVE: frozenset({S.PENDING_APPROVAL}),
    A.REJECT: frozenset({S.PENDING_APPROVAL}),
    A.SEND: frozenset({S.APPROVED}),
    A.ACCEPT: frozenset({S.SENT}),
    A.DECLINE: frozenset({S.SENT}),
    A.CONVERT: frozenset({S.ACCEPTED}),
}
OPEN_STATES = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.APPROVED, S.SENT})
STAFF_PERMS: dict[QuoteAction, Perm] = {
    A.UPDATE: Perm.QUOTES_WRITE, A.SUBMIT: Perm.QUOTES_WRITE, A.SEND: Perm.QUOTES_WRITE,
    A.APPROVE: Perm.QUOTES_APPROVE, A.REJECT: Perm.QUOTES_APPROVE,
    # staff record an answer the customer gave them (phone, e-mail)
    A.ACCEPT: Perm.QUOTES_WRITE, A.DECLINE: Perm.QUOTES_WRITE, A.CONVERT: Perm.QUOTES_WRITE,
}
CUSTOMER_ACTIONS = frozenset({A.ACCEPT, A.DECLINE})
FINANCE_APPROVERS = frozenset({Role.FINANCE, Role.ADMIN})
_VERBS = {a: a.value.lower() for a in QuoteAction}


@dataclass(frozen=True)
class Thresholds:
    manager: Decimal  # the rep's limit: above it a MANAGER approves
    finance: Decimal  # above it FINANCE approves

    def level_for(self, discount: Decimal) -> ApprovalLevel:
        if discount > self.finance:
            return L.FINANCE
        if discount > self.manager:
            return L.MANAGER
        return L.NONE


@dataclass(frozen=True)
class QuoteActionState:
    action: QuoteAction
    enabled: bool
    reason: str | None


def may_attempt(principal: Principal, action: QuoteAction) -> bool:
    """Operation level: could this caller take the action on some quote?"""
    if principal.role is Role.CUSTOMER:
        return action in CUSTOMER_ACTIONS
    return principal.can(STAFF_PERMS[action])


def may_read(principal: Principal) -> bool:
    """quotes:read, or a CUSTOMER (its own sent quotes: the repository's scope)."""
    return principal.can(Perm.QUOTES_READ) or principal.role is Role.CUSTOMER


def state_reason(action: QuoteAction, quote: Quote, today: date) -> str | None:
    allowed = ALLOWED_FROM[action]
    if quote.status not in allowed:
        names = ", ".join(s.value for s in QuoteStatus if s in allowed)
        return (f"cannot {_VERBS[action]} a quote in state {quote.status} "
                f"(allowed from {names})")
    if action in (A.SEND, A.ACCEPT) and quote.valid_until < today:
        return f"the quote expired on {quote.valid_until.isoformat()}"
    if action is A.CONVERT and quote.order_id is not None:
        return "the quote is already converted to an order"
    return None


def permission_reason(action: QuoteAction, quote: Quote, principal: Principal) -> str | None:
    if principal.role is Role.CUSTOMER:
        return None if action in CUSTOMER_ACTIONS else \
            f"customers cannot {_VERBS[action]} quotes"
    perm = STAFF_PERMS[action]
    if not principal.can(perm):
        return f"requires permission {perm.value}"
    if action in (A.APPROVE, A.REJECT) and quote.approval_level == L.FINANCE \
            and principal.role not in FINANCE_APPROVERS:
        return (f"a discount of {quote.max_discount:.4f} is above the finance threshold: "
                "FINANCE must approve this quote")
    if action is A.CONVERT and not principal.can(Perm.ORDERS_CREATE):
        return "requires permission orders:create"
    return None


def authorize(action: QuoteAction, quote: Quote, principal: Principal, today: date) -> None:
    """State first (INVALID_TRANSITION names the current state), then permission."""
    reason = state_reason(action, quote, today)
    if reason is not None:
        raise DomainError(reason, code=ErrorCode.INVALID_TRANSITION)
    reason = permission_reason(action, quote, principal)
    if reason is not None:
        raise Forbidden(reason)


def available_actions(quote: Quote, principal: Principal, today: date
                      ) -> list[QuoteActionState]:
    out = []
    for action in QuoteAction:
        if principal.role is Role.CUSTOMER and action not in CUSTOMER_ACTIONS:
            continue  # a customer's screen shows its own two buttons only
        reason = state_reason(action, quote, today) or permission_reason(action, quote,
                                                                         principal)
        out.append(QuoteActionState(action, reason is None, reason))
    return out


def business_today(timezone: str, now: datetime | None = None) -> date:
    """The business day (CRM_BUSINESS_TIMEZONE): validity dates are days there."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
