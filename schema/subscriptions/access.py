"""Read-access checks for live events: may this principal see this event's target?

Subscriptions check the target when they start and every event again (scopes
are in the token, ownership is in the database and can change). Each check
answers from the payload when the principal's scope allows it and asks the
owning domain's repository otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.customers import repository as customers
from app.inventory.models import Warehouse
from app.orders import repository as orders
from app.shipping import repository as shipping


def customer_visible(session: Session, principal: Principal, customer_id: int) -> bool:
    return customers.get_visible(session, principal, customer_id) is not None


def order_visible(session: Session, principal: Principal, order_id: int) -> bool:
    return orders.get_visible(session, principal, order_id) is not None


def shipment_visible(session: Session, principal: Principal, shipment_id: int) -> bool:
    return shipping.get_visible(session, principal, shipment_id) is not None


def warehouse_visible(session: Session, principal: Principal, warehouse_id: int) -> bool:
    scope = principal.warehouse_scope
    if scope is not None and warehouse_id not in scope:
        return False
    return session.get(Warehouse, warehouse_id) is not None


def needs_database(principal: Principal) -> bool:
    """Ownership (SALES) lives in the database; other scopes are in the token."""
    return principal.owner_scope is not None


def order_event_allowed(session: Session | None, principal: Principal,
                        payload: Mapping[str, Any]) -> bool:
    """An order or shipment event: is its order visible to the principal?"""
    if principal.customer_scope is not None:
        return payload.get("customer_id") == principal.customer_scope
    if needs_database(principal):
        order_id = payload.get("order_id")
        return session is not None and order_id is not None and order_visible(
            session, principal, order_id)
    return True


def shipment_event_allowed(session: Session | None, principal: Principal,
                           payload: Mapping[str, Any]) -> bool:
    scope = principal.warehouse_scope
    if scope is not None and payload.get("warehouse_id") not in scope:
        return False
    return order_event_allowed(session, principal, payload)


def stock_event_allowed(principal: Principal, payload: Mapping[str, Any]) -> bool:
    """A stock alert: in the principal's warehouses (WAREHOUSE), of its own goods
    (CONSIGNOR; docs/architecture.md#consignors)."""
    owner = principal.consignor_scope
    if owner is not None and payload.get("consignor_id") != owner:
        return False
    scope = principal.warehouse_scope
    return scope is None or payload.get("warehouse_id") in scope
