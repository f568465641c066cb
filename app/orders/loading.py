"""Loading an order for a workflow step: scoped, locked, state and permission checked."""

from __future__ import annotations

from app.errors import DomainError, NotFound
from app.inventory.ledger import Reference
from app.orders import repository as repo
from app.orders import workflow
from app.orders.models import Order
from app.orders.workflow import Action
from app.persistence.uow import UnitOfWork


def load(uow: UnitOfWork, order_id: int, action: Action) -> Order:
    """The order, locked for this transaction, if the caller may `action` it now.

    Out of scope answers exactly like missing (NOT_FOUND); a wrong state is
    INVALID_TRANSITION naming the current state; a missing right is FORBIDDEN.
    """
    order = repo.lock_visible(uow.session, uow.principal, order_id)
    if order is None:
        raise NotFound("order not found", field=["id"])
    workflow.authorize(action, order, uow.principal)
    return order


def stock_ref(uow: UnitOfWork, order: Order, reason: str) -> Reference:
    """The movement-ledger reference for stock changes made on behalf of an order."""
    return Reference(type="Order", id=order.id, actor_id=uow.actor_id, reason=reason)


def reason_text(reason: str | None, field: str = "reason", limit: int = 400) -> str:
    text = (reason or "").strip()
    if not 1 <= len(text) <= limit:
        raise DomainError(f"a reason is required (at most {limit} characters)", field=[field])
    return text
