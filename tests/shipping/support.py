"""Shipping test worlds: warehouses, a carrier with a service serving their regions,
orders of known customers with stock reserved in the warehouses, and shipments created
through the real shipping services (as SYSTEM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.catalog.models import Product
from app.ids import to_global_id
from app.inventory import ledger
from app.inventory.models import Warehouse
from app.inventory.stock_service import receive_stock
from app.orders.models import Order, OrderAllocation, OrderLine
from app.persistence.uow import UnitOfWork
from app.shipping import carriers, creation, tracking
from app.shipping import repository as repo
from app.shipping.models import Carrier
from tests.support import Factory, unique

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _add(uow: UnitOfWork, row):  # noqa: ANN001, ANN202
    uow.session.add(row)
    uow.session.flush()
    return row


def warehouse(factory: Factory, region: str | None = None) -> Warehouse:
    """A warehouse in a region of its own (other tests' rate rules never serve it)."""
    code = unique("WS-")
    return factory.write(_add, Warehouse(code=code, name=f"仓库 {code}",
                                         region=region or unique("East-")))


def carrier(factory: Factory, active: bool = True, name: str | None = None,
            lanes: tuple[str, ...] = ()) -> Carrier:
    """A carrier; with `lanes` (origin regions), a standard service from each of them to
    anywhere at 10 + 2/kg in 2 days."""
    row = factory.write(carriers.create_carrier, {
        "code": unique("CR"), "name": name or unique("顺丰速运 "), "regions": ["East", "South"],
        "is_active": active})
    if lanes:
        service = factory.write(carriers.create_service, row.id, {
            "code": unique("STD"), "name": "标准快递", "level": "STANDARD",
            "cod_supported": True})
        for origin in lanes:
            factory.write(carriers.set_rate_rule, service.id, {
                "origin_region": origin, "destination_region": "*", "base_fee": Decimal("10"),
                "per_kg_fee": Decimal("2"), "transit_days": 2})
    return row


def product(factory: Factory) -> Product:
    sku = unique("SKU-SHIP-")
    return factory.write(_add, Product(sku=sku, name=f"罗技 鼠标 {sku}", price=Decimal("99.00"),
                                       cost=Decimal("60.00")))


def _order(uow: UnitOfWork, customer_id: int, items: list[tuple[Product, int]],
           status: str, reserve: list[Warehouse]) -> tuple[Order, list[OrderLine]]:
    total = sum((p.price * q for p, q in items), Decimal("0"))
    order = _add(uow, Order(number=unique("SO-SHIP-"), customer_id=customer_id, status=status,
                            ship_region="East", ship_address="上海市浦东新区世纪大道100号",
                            ship_recipient="张三", subtotal=total, total=total))
    lines = [_add(uow, OrderLine(order_id=order.id, product_id=p.id, sku=p.sku, name=p.name,
                                 quantity=q, unit_price=p.price, line_total=p.price * q))
             for p, q in items]
    for line in lines:  # split evenly over the warehouses, the rest in the first
        share, rest = divmod(line.quantity, len(reserve) or 1)
        for i, wh in enumerate(reserve):
            quantity = share + (rest if i == 0 else 0)
            if quantity:
                _add(uow, OrderAllocation(order_id=order.id, order_line_id=line.id,
                                          product_id=line.product_id, warehouse_id=wh.id,
                                          quantity=quantity))
                ledger.reserve(uow.session, [ledger.StockLine(line.product_id, wh.id, quantity)],
                               ledger.Reference("Order", order.id, reason="test setup"))
    return order, lines


def order(factory: Factory, customer_id: int, items: list[tuple[Product, int]],
          status: str = "IN_FULFILLMENT", reserve: list[Warehouse] = ()
          ) -> tuple[Order, list[OrderLine]]:
    """An order with its lines reserved evenly in `reserve` (stock received first)."""
    for p, q in items:
        for wh in reserve:
            factory.write(receive_stock, p.id, wh.id, q, "test setup")
    return factory.write(_order, customer_id, items, status, list(reserve))


def _service_of(uow: UnitOfWork, carrier_id: int) -> int:
    return repo.services_by_carrier(uow.session, [carrier_id])[carrier_id][0].id


def ship(factory: Factory, order_row: Order, wh: Warehouse, lines: list[tuple[int, int]] | None,
         tracking_number: str | None = None, events: list[tuple[str, int]] = (),
         service_id: int | None = None, carrier: Carrier | None = None):  # noqa: ANN201
    """A shipment through the real service (with `carrier`'s first service, if given),
    plus tracking events given as (status, hours after T0)."""
    if carrier is not None:
        service_id = factory.write(_service_of, carrier.id)
    shipment = factory.write(creation.create_shipment, creation.ShipmentDraft(
        order_row.id, wh.id, lines, service_id=service_id, tracking_number=tracking_number,
        ready_at=T0), "Asia/Shanghai")
    for status, hours in events:
        factory.write(tracking.record_event, shipment.id, tracking.EventDraft(
            status, T0 + timedelta(hours=hours), "上海转运中心", f"{status} 扫描"))
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
    wh_a, wh_b = warehouse(factory), warehouse(factory, unique("South-"))
    carrier_row = carrier(factory, lanes=(wh_a.region, wh_b.region))
    rep_a, rep_b = factory.user("SALES"), factory.user("SALES")
    cust_a = factory.customer(owner_id=rep_a.id, name=unique("华东客户 "))
    cust_b = factory.customer(owner_id=rep_b.id, name=unique("华南客户 "))
    w = World(wh_a, wh_b, carrier_row, rep_a, rep_b, cust_a, cust_b)
    item = product(factory)
    for who, cust in (("a", cust_a), ("b", cust_b)):
        order_row, lines = order(factory, cust.id, [(item, 4)], reserve=[wh_a, wh_b])
        w.orders[who] = order_row
        for key, wh in (("A", wh_a), ("B", wh_b)):
            w.shipments[f"{who}@{key}"] = ship(
                factory, order_row, wh, [(lines[0].id, 2)], unique("SF"), [("PICKED_UP", 1)])
    return w


def service_id(factory: Factory, carrier_row: Carrier) -> int:
    """The id of the first service of a carrier made with `lanes`."""
    return factory.write(_service_of, carrier_row.id)


def draft(order_id: int, warehouse_id: int, lines: list[tuple[int, int]] | None,
          tracking_number: str | None = None, service: int | None = None
          ) -> tuple[creation.ShipmentDraft, str]:
    """The arguments of creation.create_shipment after the unit of work."""
    return (creation.ShipmentDraft(order_id, warehouse_id, lines, service_id=service,
                                   tracking_number=tracking_number), "Asia/Shanghai")


def event(status: str, at: datetime, location: str = "", description: str = "",
          **kw: object) -> tracking.EventDraft:
    return tracking.EventDraft(status, at, location, description, **kw)


def _region(uow: UnitOfWork, warehouse_id: int) -> str:
    return uow.session.get(Warehouse, warehouse_id).region


def lane_carrier(factory: Factory, warehouse_id: int, name: str | None = None
                 ) -> tuple[Carrier, int]:
    """A carrier with a service from the warehouse's region to anywhere, and that
    service's id (pass it: other tests' services may serve the region too)."""
    row = carrier(factory, name=name, lanes=(factory.write(_region, warehouse_id),))
    return row, service_id(factory, row)
