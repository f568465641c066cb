"""Delivery-exception test worlds: a parcel of a known customer on its way from a warehouse
of its own (made through the real order, shipping and tracking services, as SYSTEM), the
GraphQL documents of the exception queue, and database reads for the assertions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from app.inventory.models import StockLevel, StockMovement
from app.inventory.stock_service import receive_stock
from app.orders.models import Order, OrderAllocation, OrderLine
from app.shipping import tracking
from app.shipping.exceptions import resolution
from app.shipping.models import Shipment, ShipmentException, ShipmentExceptionNote
from tests.shipping import support as s
from tests.support import Factory, unique

ERRORS = "userErrors { field message code }"
EXCEPTION = """id type severity status source description openedAt slaDueAt ageHours
  slaBreached resolution resolutionNote resolvedAt redeliverOn version
  assignee { id } resolvedBy { id } notes { body author { id } }
  shipment { id number status estimatedDelivery }
  reshipShipment { id number status }
  refundPayment { kind amount { amount } }"""
QUEUE = """query($filter: ShipmentExceptionFilter, $sort: ShipmentExceptionSort, $first: Int,
  $after: String) {
  shipmentExceptions(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { EXCEPTION } } }""".replace(
    "EXCEPTION", EXCEPTION)
OPEN = """mutation($shipmentId: ID!, $type: ShipmentExceptionType!,
  $severity: ShipmentExceptionSeverity, $description: String!) {
  shipmentExceptionOpen(shipmentId: $shipmentId, type: $type, severity: $severity,
    description: $description) { shipmentException { EXCEPTION } ERRORS } }""".replace(
    "EXCEPTION", EXCEPTION).replace("ERRORS", ERRORS)
ASSIGN = """mutation($id: ID!, $assigneeId: ID, $expectedVersion: Int) {
  shipmentExceptionAssign(id: $id, assigneeId: $assigneeId, expectedVersion: $expectedVersion)
  { shipmentException { EXCEPTION } ERRORS } }""".replace(
    "EXCEPTION", EXCEPTION).replace("ERRORS", ERRORS)
NOTE = """mutation($id: ID!, $body: String!) { shipmentExceptionNoteAdd(id: $id, body: $body) {
  shipmentException { EXCEPTION } ERRORS } }""".replace(
    "EXCEPTION", EXCEPTION).replace("ERRORS", ERRORS)
RESOLVE = """mutation($id: ID!, $resolution: ShipmentExceptionResolution!, $note: String!,
  $redeliverOn: Date, $refundAmount: Decimal, $expectedVersion: Int) {
  shipmentExceptionResolve(id: $id, resolution: $resolution, note: $note,
    redeliverOn: $redeliverOn, refundAmount: $refundAmount,
    expectedVersion: $expectedVersion) { shipmentException { EXCEPTION } ERRORS } }""".replace(
    "EXCEPTION", EXCEPTION).replace("ERRORS", ERRORS)
RECEIVE = """mutation($id: ID!) { shipmentReturnReceive(id: $id) {
  shipment { id status } ERRORS } }""".replace("ERRORS", ERRORS)
FAILED = """query($first: Int, $sort: FailedDeliverySort) {
  failedDeliveries(first: $first, sort: $sort) { nodes {
  failedAttempts shipment { id number status }
  lastAttempt { occurredAt location description }
  openExceptions { id type } } } }"""


@dataclass
class Parcel:
    """A customer's order of `quantity` units, reserved in `warehouse` and on `shipment`."""

    warehouse: Any
    product: Any
    customer: Any
    order: Order
    line: OrderLine
    shipment: Shipment

    @property
    def gid(self) -> str:
        return s.gid("Shipment", self.shipment.id)


def parcel(factory: Factory, *, customer: Any = None, quantity: int = 2,
           events: tuple[tuple[str, int], ...] = (("PICKED_UP", 1),), warehouse: Any = None,
           spare: int = 0) -> Parcel:
    """A parcel with its tracking `events` (status, hours after support.T0), from a
    warehouse of its own (or `warehouse`) holding `spare` more units than the order needs."""
    wh = warehouse or s.warehouse(factory)
    s.carrier(factory, lanes=(wh.region,))
    item = s.product(factory)
    customer = customer or factory.customer(name=unique("收货客户 "))
    order, lines = s.order(factory, customer.id, [(item, quantity)], reserve=[wh])
    if spare:
        factory.write(receive_stock, item.id, wh.id, spare, "spare stock")
    shipment = s.ship(factory, order, wh, [(lines[0].id, quantity)], unique("SF"), list(events))
    return Parcel(wh, item, customer, order, lines[0], shipment)


def event(factory: Factory, shipment: Any, status: str, hours: int, *,
          problem: str | None = None, description: str = "", external_id: str | None = None
          ) -> Any:
    return factory.write(tracking.record_event, shipment.id, tracking.EventDraft(
        status, s.T0 + timedelta(hours=hours), "上海转运中心", description,
        external_id=external_id, problem=problem)).event


def resolve(factory: Factory, exception_id: int, kind: str, note: str = "已处理",
            **extra: Any) -> ShipmentException:
    """A resolution as SYSTEM, in the business time zone of the tests' worlds."""
    return factory.write(resolution.resolve_exception, exception_id,
                         resolution.ResolutionDraft(kind, note, **extra), "Asia/Shanghai")


def read(factory: Factory, fn: Any) -> Any:
    return factory.runner.read_sync(fn, (), {})


def exceptions_of(factory: Factory, shipment_id: int) -> list[ShipmentException]:
    return read(factory, lambda ses: list(ses.exec(select(ShipmentException).where(
        ShipmentException.shipment_id == shipment_id).order_by(ShipmentException.id))))


def notes_of(factory: Factory, exception_id: int) -> list[ShipmentExceptionNote]:
    return read(factory, lambda ses: list(ses.exec(select(ShipmentExceptionNote).where(
        ShipmentExceptionNote.exception_id == exception_id))))


def row(factory: Factory, model: Any, pk: int) -> Any:
    return read(factory, lambda ses: ses.get(model, pk))


def level(factory: Factory, p: Parcel) -> StockLevel:
    return read(factory, lambda ses: ses.exec(select(StockLevel).where(
        StockLevel.product_id == p.product.id,
        StockLevel.warehouse_id == p.warehouse.id)).one())


def movements(factory: Factory, reference_type: str, reference_id: int) -> list[StockMovement]:
    def fetch(ses: Session) -> list[StockMovement]:
        return list(ses.exec(select(StockMovement).where(
            StockMovement.reference_type == reference_type,
            StockMovement.reference_id == reference_id).order_by(StockMovement.id)))
    return read(factory, fetch)


def allocation(factory: Factory, p: Parcel) -> OrderAllocation:
    return read(factory, lambda ses: ses.exec(select(OrderAllocation).where(
        OrderAllocation.order_line_id == p.line.id,
        OrderAllocation.warehouse_id == p.warehouse.id)).one())


def shipments_of(factory: Factory, order_id: int) -> list[Shipment]:
    return read(factory, lambda ses: list(ses.exec(select(Shipment).where(
        Shipment.order_id == order_id).order_by(Shipment.id))))
