"""Worlds for the logistics back-office tests (cash on delivery, delivery performance):
a lane of their own (a warehouse in a region of its own, a carrier whose one service leaves
from it), orders with the payment method, destination and promised date a test needs, and
shipments made, scanned and delivered through the real shipping services (as SYSTEM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.catalog.models import Product
from app.inventory import ledger
from app.inventory.stock_service import receive_stock
from app.orders.models import Order, OrderAllocation, OrderLine
from app.persistence.uow import UnitOfWork
from app.shipping import carriers, creation, tracking
from app.shipping.models import Carrier, CarrierService
from tests.shipping.support import warehouse
from tests.support import Factory, unique

# 10:00 in Shanghai: the local day is the UTC day
DAY0 = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)


def at(day: int, hours: float = 0) -> datetime:
    """`day` days and `hours` hours after DAY0."""
    return DAY0 + timedelta(days=day, hours=hours)


def local_day(day: int) -> date:
    return (DAY0 + timedelta(days=day)).date()


@dataclass
class Lane:
    warehouse: object
    carrier: Carrier
    service: CarrierService


def lane(factory: Factory, transit_days: int = 2, *, base: str = "10", per_kg: str = "2",
         warehouse_row: object | None = None, carrier_row: Carrier | None = None) -> Lane:
    """A COD-capable service from a warehouse's region to anywhere (a new warehouse and
    carrier unless given)."""
    wh = warehouse_row or warehouse(factory)
    carrier_row = carrier_row or factory.write(carriers.create_carrier, {
        "code": unique("LC"), "name": unique("中通快递 "), "regions": ["East"]})
    service = factory.write(carriers.create_service, carrier_row.id, {
        "code": unique("SVC"), "name": unique("标准 "), "level": "STANDARD",
        "cod_supported": True})
    factory.write(carriers.set_rate_rule, service.id, {
        "origin_region": wh.region, "destination_region": "*", "base_fee": Decimal(base),
        "per_kg_fee": Decimal(per_kg), "transit_days": transit_days})
    return Lane(wh, carrier_row, service)


def _add(uow: UnitOfWork, row):  # noqa: ANN001, ANN202
    uow.session.add(row)
    uow.session.flush()
    return row


def product(factory: Factory, kg: str = "1.00", price: str = "50.00") -> Product:
    sku = unique("SKU-LOG-")
    return factory.write(_add, Product(sku=sku, name=f"茶具 {sku}", price=Decimal(price),
                                       cost=Decimal("20.00"), weight_kg=Decimal(kg)))


def _order(uow: UnitOfWork, customer_id: int, item: Product, quantity: int, wh_id: int,
           method: str, region: str, promised: date | None) -> tuple[Order, OrderLine]:
    total = item.price * quantity
    order = _add(uow, Order(number=unique("SO-LOG-"), customer_id=customer_id,
                            status="IN_FULFILLMENT", payment_method=method, ship_region=region,
                            ship_address="杭州市西湖区文三路90号", ship_recipient="王五",
                            promised_date=promised, subtotal=total, total=total))
    line = _add(uow, OrderLine(order_id=order.id, product_id=item.id, sku=item.sku,
                               name=item.name, quantity=quantity, unit_price=item.price,
                               line_total=total))
    _add(uow, OrderAllocation(order_id=order.id, order_line_id=line.id, product_id=item.id,
                              warehouse_id=wh_id, quantity=quantity))
    ledger.reserve(uow.session, [ledger.StockLine(item.id, wh_id, quantity)],
                   ledger.Reference("Order", order.id, reason="test setup"))
    return order, line


def order(factory: Factory, customer_id: int, item: Product, quantity: int, wh: object, *,
          cod: bool = False, region: str = "East", promised: date | None = None
          ) -> tuple[Order, OrderLine]:
    """An IN_FULFILLMENT order of one line, reserved in `wh` (stock received first)."""
    factory.write(receive_stock, item.id, wh.id, quantity, "test setup")
    method = "CASH_ON_DELIVERY" if cod else "PREPAID"
    return factory.write(_order, customer_id, item, quantity, wh.id, method, region, promised)


def ship(factory: Factory, order_row: Order, line: OrderLine, quantity: int, route: Lane,
         ready_at: datetime = DAY0):  # noqa: ANN201
    """A CREATED shipment of `quantity` units with the lane's service, ready at `ready_at`
    (its estimate: that local day + the lane's transit days)."""
    return factory.write(creation.create_shipment, creation.ShipmentDraft(
        order_row.id, route.warehouse.id, [(line.id, quantity)], service_id=route.service.id,
        ready_at=ready_at), "Asia/Shanghai")


def scan(factory: Factory, shipment_id: int, status: str, when: datetime, *,
         cod_collected: Decimal | None = None, problem: str | None = None):  # noqa: ANN201
    """A carrier event (PICKED_UP dispatches, DELIVERED delivers and collects the cash)."""
    return factory.write(tracking.record_event, shipment_id, tracking.EventDraft(
        status, when, "杭州转运中心", f"{status} 扫描", external_id=unique("EV"),
        problem=problem, cod_collected=cod_collected))
