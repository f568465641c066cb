"""A hand-computed analytics fixture: orders, lines, returns credited, shipments, order
history and stock movements written as rows with the times the expected figures were worked
out from (tests/analytics/test_analytics.py states each figure's arithmetic).

Sales live in their own regions (REGION, NY_REGION: unique per run) so the figures hold
whatever else the suite's database holds; flow and stock live in 2019, before anything
else the suite writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from app.catalog.models import Product
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.orders.models import Order, OrderAllocation, OrderEvent, OrderLine
from app.shipping.models import Carrier, Shipment, ShipmentException
from tests.support import unique

NOW = datetime(2019, 3, 1, tzinfo=UTC)  # "now" of the stock figures


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _id(uow: Any, table: Any, **values: Any) -> int:
    return uow.session.execute(insert(table.__table__).values(**values)
                               .returning(table.__table__.c.id)).scalar_one()


def product(uow: Any, category: str) -> int:
    return _id(uow, Product, sku=unique("ANA-"), name=unique("Analytics product "),
               category=category)


def order(uow: Any, customer_id: int, when: str, status: str, total: str, *,
          channel: str = "WEB", credited: str = "0", close_reason: str | None = None,
          lines: list[tuple[int, int, str, int]] = (), **extra: Any) -> int:
    """`lines`: (product id, quantity, line total, quantity returned)."""
    created = at(when)
    order_id = _id(uow, Order, number=unique("AN-"), customer_id=customer_id, status=status,
                   channel=channel, total=Decimal(total), subtotal=Decimal(total),
                   credited_total=Decimal(credited), created_at=created, updated_at=created,
                   close_reason=close_reason, **extra)
    for product_id, quantity, line_total, returned in lines:
        _id(uow, OrderLine, order_id=order_id, product_id=product_id, sku="X", name="X",
            quantity=quantity, unit_price=Decimal(line_total) / quantity,
            line_total=Decimal(line_total), quantity_shipped=quantity,
            quantity_delivered=quantity, quantity_returned=returned)
    return order_id


def events(uow: Any, order_id: int, steps: list[tuple[str, str]]) -> None:
    for status, when in steps:
        _id(uow, OrderEvent, order_id=order_id, type="status_changed", to_status=status,
            created_at=at(when))


@dataclass
class Fixture:
    region: str
    ny_region: str
    customers: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    carriers: dict[str, int] = field(default_factory=dict)
    warehouse: int = 0
    stock_products: dict[str, int] = field(default_factory=dict)
    reps: tuple[Any, ...] = ()


def write(uow: Any, fx: Fixture) -> Fixture:
    c, p = fx.customers, fx.products
    p["P1"], p["P2"] = product(uow, unique("CatA")), product(uow, unique("CatB"))
    # January (Shanghai): 100, 2 units
    o1 = order(uow, c["A"], "2025-01-15T02:00:00", "COMPLETED", "100",
               lines=[(p["P1"], 2, "100", 0)])
    # 17:00Z on 31 January is 01:00 on 1 February in Shanghai: February; 200 less 50
    # credited for the 1 of 4 units returned
    order(uow, c["A"], "2025-01-31T17:00:00", "COMPLETED", "200", credited="50",
          lines=[(p["P1"], 4, "200", 1)])
    o3 = order(uow, c["B"], "2025-02-10T00:00:00", "DELIVERED", "300", channel="MOBILE",
               lines=[(p["P2"], 3, "300", 0)])
    order(uow, c["B"], "2025-02-11T00:00:00", "CANCELLED", "999", channel="MOBILE",
          lines=[(p["P2"], 1, "999", 0)])
    order(uow, c["C"], "2025-03-05T00:00:00", "CONFIRMED", "400",
               lines=[(p["P1"], 4, "400", 0)])
    order(uow, c["D"], "2025-01-20T00:00:00", "DRAFT", "500", lines=[(p["P2"], 5, "500", 0)])
    # 20:00Z on 31 March is 1 April in Shanghai: outside [January, April)
    order(uow, c["E"], "2025-03-31T20:00:00", "COMPLETED", "50", channel="PHONE",
          lines=[(p["P2"], 1, "50", 0)])
    # New York, DST from 9 March (UTC-5, then UTC-4)
    for when, total in (("2025-03-01T04:30:00", "10"), ("2025-03-01T05:30:00", "20"),
                        ("2025-04-01T03:30:00", "40"), ("2025-04-01T04:30:00", "80")):
        order(uow, c["F"], when, "COMPLETED", total)
    _shipments(uow, fx, o1, o3)
    _flow(uow, fx)
    _stock(uow, fx)
    return fx


def _shipments(uow: Any, fx: Fixture, o1: int, o3: int) -> None:
    fx.warehouse = _id(uow, Warehouse, code=unique("AW"), name=unique("Analytics WH "))
    for name in ("K1", "K2"):
        fx.carriers[name] = _id(uow, Carrier, code=unique("AK"), name=unique(f"Carrier {name} "))
    k1, k2, wh = fx.carriers["K1"], fx.carriers["K2"], fx.warehouse

    def ship(order_id: int, carrier: int, shipped: str, delivered: str | None,
             promised: str | None, failed: int = 0) -> int:
        return _id(uow, Shipment, number=unique("ASH-"), order_id=order_id, warehouse_id=wh,
                   carrier_id=carrier, status="DELIVERED" if delivered else "IN_TRANSIT",
                   shipped_at=at(shipped), delivered_at=at(delivered) if delivered else None,
                   promised_date=datetime.fromisoformat(promised).date() if promised else None,
                   failed_attempts=failed, recipient_region=fx.region)
    # 48 h, delivered on the 12th local (08:00), promised the 12th: on time
    ship(o1, k1, "2025-01-10T00:00:00", "2025-01-12T00:00:00", "2025-01-12")
    # 88.5 h, delivered 16:30Z on the 13th = 00:30 on the 14th in Shanghai: late
    ship(o1, k1, "2025-01-10T00:00:00", "2025-01-13T16:30:00", "2025-01-13")
    ship(o3, k1, "2025-02-01T00:00:00", None, None, failed=1)
    s4 = ship(o3, k2, "2025-03-01T00:00:00", "2025-03-02T00:00:00", None)
    _id(uow, ShipmentException, shipment_id=s4, order_id=o3, type="DELAYED",
        opened_at=at("2025-03-01T12:00:00"), sla_due_at=at("2025-03-02T12:00:00"))


def _flow(uow: Any, fx: Fixture) -> None:
    c = fx.customers
    o1 = order(uow, c["G"], "2019-06-01T00:00:00", "SHIPPED", "1")
    o2 = order(uow, c["G"], "2019-06-02T00:00:00", "SHIPPED", "1")
    o3 = order(uow, c["G"], "2019-06-03T00:00:00", "CONFIRMED", "1")
    # PENDING_REVIEW 1 h, CONFIRMED 2 h, SCHEDULED 10 h
    events(uow, o1, [("PENDING_REVIEW", "2019-06-01T02:00:00"),
                     ("CONFIRMED", "2019-06-01T03:00:00"), ("SCHEDULED", "2019-06-01T05:00:00"),
                     ("SHIPPED", "2019-06-01T15:00:00")])
    # PENDING_REVIEW 4 h, CONFIRMED 4 h, SCHEDULED 24 h
    events(uow, o2, [("PENDING_REVIEW", "2019-06-02T00:00:00"),
                     ("CONFIRMED", "2019-06-02T04:00:00"), ("SCHEDULED", "2019-06-02T08:00:00"),
                     ("SHIPPED", "2019-06-03T08:00:00")])
    # PENDING_REVIEW 3 h, then CONFIRMED still
    events(uow, o3, [("PENDING_REVIEW", "2019-06-03T00:00:00"),
                     ("CONFIRMED", "2019-06-03T03:00:00")])
    order(uow, c["G"], "2019-06-05T00:00:00", "CANCELLED", "1", close_reason="Too expensive")
    order(uow, c["G"], "2019-06-06T00:00:00", "CANCELLED", "1", close_reason="Too expensive")
    order(uow, c["G"], "2019-06-07T00:00:00", "REJECTED", "1", close_reason="Credit check")


def _stock(uow: Any, fx: Fixture) -> None:
    wh = fx.warehouse
    fx.stock_products["P3"] = p3 = product(uow, unique("CatS"))
    fx.stock_products["P4"] = p4 = product(uow, unique("CatS"))

    def move(product_id: int, kind: str, delta: int, when: str) -> None:
        _id(uow, StockMovement, product_id=product_id, warehouse_id=wh, kind=kind,
            on_hand_delta=delta, created_at=at(when))
    move(p3, "RECEIPT", 10, "2019-01-01T00:00:00")
    move(p3, "SHIPMENT", -4, "2019-02-01T00:00:00")
    move(p3, "SHIPMENT", -6, "2019-02-10T00:00:00")  # out of stock ...
    move(p3, "RECEIPT", 5, "2019-02-12T00:00:00")  # ... 48 h
    move(p3, "SHIPMENT", -5, "2019-02-20T00:00:00")  # out again: 216 h to 1 March
    move(p4, "RECEIPT", 7, "2019-01-01T00:00:00")  # never shipped: dead stock
    _id(uow, StockLevel, product_id=p3, warehouse_id=wh, on_hand=0)
    _id(uow, StockLevel, product_id=p4, warehouse_id=wh, on_hand=7)
    # reservations: 3 units held 2 days, 2 units held 10 days (ages from confirmation)
    c = fx.customers["G"]
    for days, units in ((2, 3), (10, 2)):
        o = order(uow, c, "2019-01-01T00:00:00", "CONFIRMED", "1",
                  confirmed_at=NOW - timedelta(days=days))
        line = _id(uow, OrderLine, order_id=o, product_id=p3, sku="X", name="X",
                   quantity=units, unit_price=Decimal("1"), line_total=Decimal(units))
        _id(uow, OrderAllocation, order_id=o, order_line_id=line, product_id=p3,
            warehouse_id=wh, quantity=units)
