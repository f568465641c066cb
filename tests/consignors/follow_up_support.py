"""Failed-delivery follow-up worlds: a consignor's parcel of its own goods on its way from a
warehouse of its own (through the real receipt, ledger, shipping and tracking services, as
SYSTEM), the GraphQL documents, and database reads for the assertions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from app.catalog.models import Product
from app.followups.models import DeliveryFollowUp
from app.inventory.models import StockLevel, StockMovement
from app.inventory.stock_service import receive_stock
from app.orders.models import Order, OrderLine
from app.shipping.models import Shipment
from tests.shipping import support as s
from tests.support import Factory, unique

ERRORS = "userErrors { field message code }"
FOLLOW_UP = """id reason nextAction note status openedAt ageHours resolution resolutionNote
  resolvedAt redeliverOn version consignor { id } order { id }
  shipment { id status estimatedDelivery } redeliveryShipment { id status }
  openedBy { id } resolvedBy { id }"""
RECORD = """mutation($shipmentId: ID!, $reason: DeliveryFollowUpReason!,
  $nextAction: DeliveryFollowUpAction, $note: String) {
  deliveryFollowUpRecord(shipmentId: $shipmentId, reason: $reason, nextAction: $nextAction,
    note: $note) { deliveryFollowUp { @F } @E } }""".replace("@F", FOLLOW_UP).replace("@E", ERRORS)
NEXT = """mutation($id: ID!, $nextAction: DeliveryFollowUpAction, $note: String,
  $expectedVersion: Int) {
  deliveryFollowUpSetNextAction(id: $id, nextAction: $nextAction, note: $note,
    expectedVersion: $expectedVersion) { deliveryFollowUp { @F } @E } }""".replace(
    "@F", FOLLOW_UP).replace("@E", ERRORS)
RESOLVE = """mutation($id: ID!, $resolution: DeliveryFollowUpAction!, $note: String!,
  $redeliverOn: Date) {
  deliveryFollowUpResolve(id: $id, resolution: $resolution, note: $note,
    redeliverOn: $redeliverOn) { deliveryFollowUp { @F } @E } }""".replace(
    "@F", FOLLOW_UP).replace("@E", ERRORS)
LIST = """query($filter: DeliveryFollowUpFilter, $sort: DeliveryFollowUpSort, $first: Int) {
  deliveryFollowUps(filter: $filter, sort: $sort, first: $first) { totalCount
    nodes { id reason status nextAction consignor { id } shipment { id } } } }"""


@dataclass
class Parcel:
    warehouse: Any
    product: Any
    owner: Any  # the consignor, or None for the company's goods
    order: Order
    line: OrderLine
    shipment: Shipment
    quantity: int

    @property
    def gid(self) -> str:
        return s.gid("Shipment", self.shipment.id)


def _add(uow, row):  # noqa: ANN001, ANN202
    uow.session.add(row)
    uow.session.flush()
    return row


def consignor(factory: Factory, **data: Any) -> Any:
    return factory.customer(is_consignor=True, name=unique("货主 "), **data)


def parcel(factory: Factory, owner: Any, *, quantity: int = 3, stock: int = 10,
           events: tuple[tuple[str, int], ...] = (("PICKED_UP", 1), ("FAILED_ATTEMPT", 5)),
           warehouse: Any = None, product: Any = None) -> Parcel:
    """`owner`'s order of `quantity` units of its own goods (`stock` received against an
    ASN), shipped from a warehouse of its own with the tracking `events`."""
    wh = warehouse or s.warehouse(factory)
    if warehouse is None:
        s.carrier(factory, lanes=(wh.region,))
    if product is None:
        sku = unique("SKU-CSG-")
        product = factory.write(_add, Product(
            sku=sku, name=f"货主商品 {sku}", price=Decimal("50.00"), cost=Decimal("20.00"),
            consignor_id=owner.id if owner else None))
        factory.write(receive_stock, product.id, wh.id, stock, "test setup",
                      consignor_id=owner.id if owner else None,
                      asn=unique("ASN-") if owner else None)
    customer_id = owner.id if owner else factory.customer().id
    order, lines = factory.write(s._order, customer_id, [(product, quantity)],
                                 "IN_FULFILLMENT", [wh])
    shipment = s.ship(factory, order, wh, [(lines[0].id, quantity)], unique("SF"),
                      list(events))
    return Parcel(wh, product, owner, order, lines[0], shipment, quantity)


def read(factory: Factory, fn: Any) -> Any:
    return factory.runner.read_sync(fn, (), {})


def row(factory: Factory, model: Any, pk: int) -> Any:
    return read(factory, lambda ses: ses.get(model, pk))


def level(factory: Factory, p: Parcel) -> StockLevel:
    return read(factory, lambda ses: ses.exec(select(StockLevel).where(
        StockLevel.product_id == p.product.id,
        StockLevel.warehouse_id == p.warehouse.id)).one())


def movements(factory: Factory, p: Parcel) -> list[StockMovement]:
    def fetch(ses: Session) -> list[StockMovement]:
        return list(ses.exec(select(StockMovement).where(
            StockMovement.product_id == p.product.id).order_by(StockMovement.id)))
    return read(factory, fetch)


def follow_ups(factory: Factory, shipment_id: int) -> list[DeliveryFollowUp]:
    return read(factory, lambda ses: list(ses.exec(select(DeliveryFollowUp).where(
        DeliveryFollowUp.shipment_id == shipment_id).order_by(DeliveryFollowUp.id))))


def assert_ledger_balances(factory: Factory, p: Parcel) -> None:
    """The level equals the sum of its movements, and every movement has its owner."""
    lv = level(factory, p)
    moves = [m for m in movements(factory, p) if m.warehouse_id == p.warehouse.id]
    assert lv.on_hand == sum(m.on_hand_delta for m in moves)
    assert lv.reserved == sum(m.reserved_delta for m in moves)
    owner = p.owner.id if p.owner else None
    assert {m.consignor_id for m in moves} == {owner} and lv.consignor_id == owner
