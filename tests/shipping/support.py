"""Shipping test worlds: warehouses, a carrier, orders of known customers, and shipments
created through the real shipping service (as SYSTEM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.catalog.models import Product
from app.ids import to_global_id
from app.inventory.models import Warehouse
from app.orders.models import Order, OrderLine
from app.persistence.uow import UnitOfWork
from app.shipping import service
from app.shipping.models import Carrier
from tests.support import Factory, unique

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _add(uow: UnitOfWork, row):  # noqa: ANN001, ANN202
    uow.session.add(row)
    uow.session.flush()
    return row


def warehouse(factory: Factory, region: str = "East") -> Warehouse:
    code = unique("WS-")
    return factory.write(_add, Warehouse(code=code, name=f"仓库 {code}", region=region))


def carrier(factory: Factory, active: bool = True, name: str | None = None) -> Carrier:
    code = unique("CR")
    return factory.write(_add, Carrier(code=code, name=name or f"顺丰速运 {code}",
                                       regions="East,South", is_active=active))


def product(factory: Factory) -> Product:
    sku = unique("SKU-SHIP-")
    return factory.write(_add, Product(sku=sku, name=f"罗技 鼠标 {sku}", price=Decimal("99.00"),
                                       cost=Decimal("60.00")))


def _order(uow: UnitOfWork, customer_id: int, items: list[tuple[Product, int]],
           status: str) -> tuple[Order, list[OrderLine]]:
    order = _add(uow, Order(number=unique("SO-SHIP-"), customer_id=customer_id, status=status,
                            ship_region="East", ship_address="上海市浦东新区世纪大道100号"))
    lines = [_add(uow, OrderLine(order_id=order.id, product_id=p.id, sku=p.sku, name=p.name,
                                 quantity=q, unit_price=p.price, line_total=p.price * q))
             for p, q in items]
    return order, lines


def order(factory: Factory, customer_id: int, items: list[tuple[Product, int]],
          status: str = "IN_FULFILLMENT") -> tuple[Order, list[OrderLine]]:
    return factory.write(_order, customer_id, items, status)


def ship(factory: Factory, order_row: Order, wh: Warehouse, lines: list[tuple[int, int]],
         carrier_row: Carrier | None = None, tracking: str | None = None,
         events: list[tuple[str, int]] = ()):  # noqa: ANN201
    """A shipment plus tracking events given as (status, hours after T0)."""
    shipment = factory.write(service.create_shipment, order_row.id, wh.id, lines,
                             carrier_row.id if carrier_row else None, tracking)
    for status, hours in events:
        factory.write(service.add_tracking_event, shipment.id, status, "上海转运中心",
                      f"{status} 扫描", T0 + timedelta(hours=hours))
    return shipment


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


@dataclass
class World:
    """Two warehouses, two sales reps with a customer each, and a shipment per customer
    from each warehouse."""

    wh_a: Warehouse
    wh_b: Warehouse
    carrier: Carrier
    rep_a: object
    rep_b: object
    customer_a: object
    customer_b: object
    shipments: dict[str, object] = field(default_factory=dict)  # "a@A", "b@B", ...
    orders: dict[str, Order] = field(default_factory=dict)


def world(factory: Factory) -> World:
    wh_a, wh_b = warehouse(factory), warehouse(factory, "South")
    carrier_row = carrier(factory)
    rep_a, rep_b = factory.user("SALES"), factory.user("SALES")
    cust_a = factory.customer(owner_id=rep_a.id, name=unique("华东客户 "))
    cust_b = factory.customer(owner_id=rep_b.id, name=unique("华南客户 "))
    w = World(wh_a, wh_b, carrier_row, rep_a, rep_b, cust_a, cust_b)
    item = product(factory)
    for who, cust in (("a", cust_a), ("b", cust_b)):
        order_row, lines = order(factory, cust.id, [(item, 4)])
        w.orders[who] = order_row
        for key, wh in (("A", wh_a), ("B", wh_b)):
            w.shipments[f"{who}@{key}"] = ship(
                factory, order_row, wh, [(lines[0].id, 2)], carrier_row,
                unique("SF"), [("PICKED_UP", 1)])
    return w
