"""Fulfillment planning steps: schedule (allocate + dates + priority) and start fulfillment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app.customers.models import TIER_RANK, Customer, CustomerTier
from app.errors import DomainError, ErrorCode, NotFound
from app.inventory import repository as inventory
from app.inventory.models import Warehouse
from app.orders import allocation, history
from app.orders import repository as repo
from app.orders.history import EventType
from app.orders.loading import load, stock_ref
from app.orders.models import Order, OrderStatus
from app.orders.workflow import Action
from app.persistence.uow import UnitOfWork, snapshot

HIGH_PRIORITY = 4  # GOLD returning customers and PLATINUM ship the same day by default
LEAD_DAYS_IN_REGION = 1
LEAD_DAYS_OTHER_REGION = 3


def priority_for(session: Session, customer: Customer, order: Order) -> int:
    """Higher tiers first; a returning customer (an earlier order delivered) one step more."""
    try:
        rank = TIER_RANK[CustomerTier(customer.tier)]
    except ValueError:
        rank = 0
    returning = repo.has_fulfilled_orders(session, customer.id, order.id)
    return rank * 2 + (1 if returning else 0)


def _dates(order: Order, scheduled: date | None, promised: date | None, today: date,
           lead_days: int) -> tuple[date, date]:
    if scheduled is None:
        scheduled = today if order.priority >= HIGH_PRIORITY else today + timedelta(days=1)
    if scheduled < today:
        raise DomainError("the scheduled date cannot be in the past", field=["scheduledDate"])
    if promised is None:
        requested = order.promised_date
        earliest = scheduled + timedelta(days=lead_days)
        promised = requested if requested is not None and requested >= scheduled else earliest
    if promised < scheduled:
        raise DomainError("the promised date cannot be before the scheduled date",
                          field=["promisedDate"])
    return scheduled, promised


def _warehouse(session: Session, warehouse_id: int | None) -> Warehouse | None:
    if warehouse_id is None:
        return None
    wh = session.get(Warehouse, warehouse_id)
    if wh is None or not wh.is_active:
        raise NotFound("warehouse not found", field=["warehouseId"])
    return wh


def schedule_order(uow: UnitOfWork, order_id: int, scheduled_date: date | None = None,
                   promised_date: date | None = None, warehouse_id: int | None = None,
                   today: date | None = None) -> Order:
    """CONFIRMED -> SCHEDULED (or reschedule): allocate, rebalance reservations, set dates.

    `warehouse_id` ships everything from one warehouse (INSUFFICIENT_STOCK if it
    cannot). Reservations made at approval move with the plan in this transaction.
    """
    s = uow.session
    order = load(uow, order_id, Action.SCHEDULE)
    scope = uow.principal.warehouse_scope
    if scope is not None and warehouse_id is not None and warehouse_id not in scope:
        raise NotFound("warehouse not found", field=["warehouseId"])  # like a missing one
    _warehouse(s, warehouse_id)
    _own_allocations(uow, order, every=True)
    customer = s.get(Customer, order.customer_id)
    before = snapshot(order)
    region = order.ship_region or customer.region
    lines = repo.lines_of(s, order.id)
    moved, slots = allocation.rebalance(
        s, order, lines, repo.allocations_of(s, order.id), region,
        stock_ref(uow, order, "order scheduled"), only_warehouse=warehouse_id)
    order.priority = priority_for(s, customer, order)
    per_warehouse = allocation.warehouses_of(slots)
    if scope is not None and not set(per_warehouse) <= scope:
        raise DomainError("the plan needs stock from warehouses that are not yours: name one "
                          "of yours (warehouseId) or ask logistics", field=["warehouseId"],
                          code=ErrorCode.FORBIDDEN)
    lead = (LEAD_DAYS_IN_REGION if inventory.regions_of(s, list(per_warehouse)) == {region}
            else LEAD_DAYS_OTHER_REGION)
    order.scheduled_date, order.promised_date = _dates(
        order, scheduled_date, promised_date, today or datetime.now(UTC).date(), lead)
    details = {"warehouses": {str(k): v for k, v in per_warehouse.items()},
               "reservationsMoved": moved, "scheduledDate": order.scheduled_date.isoformat(),
               "promisedDate": order.promised_date.isoformat(), "priority": order.priority}
    if order.status == OrderStatus.SCHEDULED:
        history.touch(order)
        s.add(order)
        history.record(uow, order, EventType.RESCHEDULED, details=details, before=before)
    else:
        history.transition(uow, order, OrderStatus.SCHEDULED, EventType.SCHEDULED,
                           details=details, before=before)
    return order


def _own_allocations(uow: UnitOfWork, order: Order, every: bool) -> None:
    """WAREHOUSE staff work on orders held in their own warehouses: every allocation of the
    order in them (`every`), or at least one. Otherwise the order answers like a missing
    one (docs/architecture.md#permissions)."""
    scope = uow.principal.warehouse_scope
    if scope is None:
        return
    held = {a.warehouse_id for a in repo.allocations_of(uow.session, order.id)}
    if held and not (held <= scope if every else held & scope):
        raise NotFound("order not found", field=["id"])


def start_fulfillment(uow: UnitOfWork, order_id: int) -> Order:
    order = load(uow, order_id, Action.START_FULFILLMENT)
    _own_allocations(uow, order, every=False)
    history.transition(uow, order, OrderStatus.IN_FULFILLMENT, EventType.FULFILLMENT_STARTED)
    return order
