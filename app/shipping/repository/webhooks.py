"""SQL for carrier webhooks (docs/architecture.md#carrier-webhooks): the carrier and its
signing secret by code, the batch's shipments locked by tracking number, and the inbox
(`carrier_webhook_event`): claiming event ids, settling their results, the review list."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app.inventory.models import StockLevel, Warehouse
from app.orders.models import Order, OrderLine
from app.persistence.repository import Page, PageRequest, equal, paginate, sort_table, where
from app.shipping.models import (
    Carrier,
    CarrierWebhookEvent,
    CarrierWebhookSecret,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)

E = CarrierWebhookEvent
_INBOX = CarrierWebhookEvent.__table__


def webhook_signing_key(session: Session, carrier_code: str) -> tuple[int, str] | None:
    """(carrier id, webhook secret) of an active carrier with a secret; None for a code that
    is unknown, inactive or without a secret alike (the webhook answers all three the same)."""
    stmt = (select(Carrier.id, CarrierWebhookSecret.secret)
            .join(CarrierWebhookSecret, CarrierWebhookSecret.carrier_id == Carrier.id)
            .where(Carrier.code == carrier_code, Carrier.is_active.is_(True)))
    found = session.exec(stmt).first()
    return None if found is None else (found[0], found[1])


def lock_shipments_by_tracking(session: Session, carrier_id: int, numbers: Collection[str]
                               ) -> dict[str, Shipment]:
    """{tracking number: shipment} of the carrier's shipments with these numbers, locked
    for the rest of the unit of work in id order (PostgreSQL), so that two batches naming
    the same parcels wait for each other instead of deadlocking. A number on several
    shipments (a cancelled one and its replacement) names the newest one not cancelled."""
    if not numbers:
        return {}
    stmt = (select(Shipment).where(Shipment.carrier_id == carrier_id,
                                   Shipment.tracking_number.in_(sorted(numbers)))
            .order_by(Shipment.id).with_for_update())
    found: dict[str, Shipment] = {}
    for shipment in session.exec(stmt):
        current = found.get(shipment.tracking_number)
        if current is None or shipment.status != ShipmentStatus.CANCELLED.value \
                or current.status == ShipmentStatus.CANCELLED.value:
            found[shipment.tracking_number] = shipment
    return found


def lock_orders_and_stock(session: Session, order_ids: Collection[int],
                          handing_over: Collection[int]) -> None:
    """Before a batch applies its events, on PostgreSQL: the orders it will move, in id
    order, then the stock rows the hand-over of the shipments `handing_over` takes units
    from, in (product, warehouse) order, the order the ledger takes them in
    (docs/architecture.md#stock). Taken one event at a time instead, two batches handing
    over parcels of the same products in opposite orders deadlocked on every run of
    tests/shipping/test_webhooks.py's crossing test (a 1 s wait, then a retry). SQLite's
    single writer needs none of it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if order_ids:
        session.execute(select(Order.id).where(Order.id.in_(sorted(order_ids)))
                        .order_by(Order.id).with_for_update())
    if handing_over:
        session.execute(
            select(StockLevel.id)
            .join(OrderLine, OrderLine.product_id == StockLevel.product_id)
            .join(ShipmentLine, ShipmentLine.order_line_id == OrderLine.id)
            .join(Shipment, (Shipment.id == ShipmentLine.shipment_id)
                  & (Shipment.warehouse_id == StockLevel.warehouse_id))
            .where(Shipment.id.in_(sorted(handing_over)))
            .order_by(StockLevel.product_id, StockLevel.warehouse_id)
            .with_for_update(of=StockLevel))


def claim_webhook_events(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert the inbox rows whose (carrier, event id) is new; {event id: inbox id} of those
    inserted. A key already there, committed or being inserted by a concurrent unit
    (PostgreSQL waits for that one to end), is skipped rather than raised: ON CONFLICT DO
    NOTHING, so a replay is a result, never a 500. Callers pass rows sorted by event id
    (concurrent batches claim in the same order). One statement built once per dialect and
    run as an executemany (SQLAlchemy batches it into multi-row VALUES): the same insert
    built with `.values(rows)` was compiled anew for every batch, 50 ms of a 100-event
    batch's 550 (profiled in-process on the S6 dataset)."""
    if not rows:
        return {}
    found = session.execute(_claim(session.get_bind().dialect.name), list(rows))
    return {event_id: row_id for row_id, event_id in found}


_CLAIMS: dict[str, Any] = {}


def _claim(dialect: str) -> Any:
    stmt = _CLAIMS.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = _CLAIMS[dialect] = (
            insert(_INBOX).on_conflict_do_nothing(index_elements=["carrier_id", "event_id"])
            .returning(_INBOX.c.id, _INBOX.c.event_id))
    return stmt


def prefetch_orders(session: Session, order_ids: Collection[int]) -> list[Order]:
    """The orders of a batch's shipments in one statement, into the unit of work's session,
    whose later look-ups of them (a status change names its order) are then no statement.
    After the locks: an order loaded now is read under them."""
    if not order_ids:
        return []
    return list(session.exec(select(Order).where(Order.id.in_(sorted(order_ids)))))


_SETTLE = (update(_INBOX).where(_INBOX.c.id == bindparam("row_id"))
           .values(result=bindparam("new_result"), message=bindparam("new_message"),
                   tracking_event_id=bindparam("new_tracking_event_id")))
Outcome = tuple[int, str, str | None, int | None]


def settle_webhook_events(session: Session, outcomes: Sequence[Outcome]) -> None:
    """Each claimed row's outcome once its event was applied: (inbox id, result, message,
    tracking event id), one executemany."""
    if outcomes:
        session.execute(_SETTLE, [
            {"row_id": row_id, "new_result": result, "new_message": message,
             "new_tracking_event_id": event_id}
            for row_id, result, message, event_id in outcomes])


# What carriers would report next (the simulator, `crm simulate-carriers`) ------------

@dataclass(frozen=True)
class InFlight:
    shipment_id: int
    carrier_id: int
    carrier_code: str
    tracking_number: str
    status: str
    cod_amount: Any
    origin: str  # the warehouse's region
    destination: str
    last_event_at: datetime | None


def shipments_in_flight(session: Session, statuses: Collection[str],
                        carrier_codes: Collection[str] | None = None) -> list[InFlight]:
    """Shipments in `statuses` with an active carrier and a tracking number, by id, with
    their newest tracking event's time."""
    latest = (select(func.max(TrackingEvent.occurred_at))
              .where(TrackingEvent.shipment_id == Shipment.id).scalar_subquery())
    stmt = (select(Shipment.id, Shipment.carrier_id, Carrier.code, Shipment.tracking_number,
                   Shipment.status, Shipment.cod_amount, Warehouse.region,
                   Shipment.recipient_region, latest)
            .join(Carrier, Carrier.id == Shipment.carrier_id)
            .join(Warehouse, Warehouse.id == Shipment.warehouse_id)
            .where(Shipment.status.in_(sorted(statuses)), Carrier.is_active.is_(True),
                   Shipment.tracking_number.is_not(None))
            .order_by(Shipment.id))
    if carrier_codes is not None:
        stmt = stmt.where(Carrier.code.in_(sorted(carrier_codes)))
    return [InFlight(*row) for row in session.exec(stmt)]


# The review list -------------------------------------------------------------------

class WebhookEventSort(StrEnum):
    RECEIVED_AT_DESC = "RECEIVED_AT_DESC"


_SORTS = sort_table(WebhookEventSort, {"RECEIVED_AT": E.received_at})


@dataclass(frozen=True)
class WebhookEventFilter:
    carrier_id: int | None = None
    result: str | None = None
    tracking_number: str | None = None
    reviewed: bool | None = None


def list_webhook_events(session: Session, flt: WebhookEventFilter, page: PageRequest
                ) -> Page[CarrierWebhookEvent]:
    """Newest first."""
    tracking = flt.tracking_number.strip() if flt.tracking_number else None
    reviewed = None if flt.reviewed is None else (
        E.reviewed_at.is_not(None) if flt.reviewed else E.reviewed_at.is_(None))
    stmt = where(select(E), equal(E.carrier_id, flt.carrier_id), equal(E.result, flt.result),
                 equal(E.tracking_number, tracking), reviewed)
    return paginate(session, stmt, _SORTS[WebhookEventSort.RECEIVED_AT_DESC], page, E.id)


def get_webhook_event(session: Session, event_id: int) -> CarrierWebhookEvent | None:
    return session.get(CarrierWebhookEvent, event_id)


def webhook_events_by_ids(session: Session, ids: Sequence[int]) -> dict[int, CarrierWebhookEvent]:
    return {e.id: e for e in session.exec(select(E).where(E.id.in_(list(ids))))}


def mark_webhook_event_reviewed(session: Session, event: CarrierWebhookEvent, at: datetime) -> None:
    event.reviewed_at = at
    session.add(event)
    session.flush()
