"""Demo failed deliveries of the demo consignors (docs/architecture.md#failed-delivery-
follow-up): a delivery order of each consignor's goods to one of its consignees, shipped
and picked up through the real shipping services, a failed attempt reported by the carrier,
and its follow-up recorded, planned or resolved through the follow-up service, so the
follow-up list, the ledger (with the owner) and the consignors' reports have something to
show. On top of app/demo/consignors.py, in the seed's one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.principal import SYSTEM
from app.demo.repository import Ids, date_follow_up_rows
from app.followups import service as follow_ups
from app.inventory import ledger
from app.orders import repository as orders
from app.orders.models import Order, OrderAllocation, OrderLine
from app.persistence.uow import UnitOfWork
from app.shipping import creation, tracking

# (consignor, sku, warehouse index, units, consignee, region, address, reason, next action,
#  resolution)
FAILURES = (
    ("CSG-001", "YZ-TEE-M", 0, 2, "王芳", "East", "上海市徐汇区漕溪北路 88 号",
     "FAILED_ATTEMPT", "REDELIVER", None),
    ("CSG-001", "YZ-HOOD-M", 0, 1, "李强", "East", "杭州市西湖区文三路 199 号", "REFUSED",
     "RETURN_TO_CONSIGNOR", None),
    ("CSG-002", "BW-CBL-C", 2, 5, "Chen Wei", "South", "深圳市南山区科技园 12 栋",
     "ADDRESS_PROBLEM", None, None),
    ("CSG-002", "BW-PB-10K", 2, 2, "Liu Yang", "South", "广州市天河区体育西路 3 号",
     "REFUSED", "RETURN_TO_STOCK", "RETURN_TO_STOCK"),
)
TIMEZONE = "Asia/Shanghai"


def _order(uow: UnitOfWork, n: int, consignor_id: int, product, warehouse_id: int,  # noqa: ANN001
           units: int, consignee: tuple[str, str, str], at: datetime) -> tuple[Order, OrderLine]:
    """The consignor's delivery order to its consignee, its goods reserved."""
    name, region, address = consignee
    total = product.price * units
    order = Order(number=f"SO-CSG-{n:04d}", customer_id=consignor_id, status="IN_FULFILLMENT",
                  ship_recipient=name, ship_region=region, ship_address=address,
                  ship_phone="13900000000", subtotal=total, total=total, created_at=at,
                  updated_at=at, promised_date=(at + timedelta(days=3)).date())
    uow.session.add(order)
    uow.session.flush()
    line = OrderLine(order_id=order.id, product_id=product.id, sku=product.sku,
                     name=product.name, quantity=units, unit_price=product.price,
                     line_total=total)
    uow.session.add(line)
    uow.session.flush()
    uow.session.add(OrderAllocation(order_id=order.id, order_line_id=line.id,
                                    product_id=product.id, warehouse_id=warehouse_id,
                                    quantity=units))
    ledger.reserve(uow.session, [ledger.StockLine(product.id, warehouse_id, units)],
                   ledger.Reference("Order", order.id, reason="demo delivery order"))
    return order, line


def write_follow_ups(uow: UnitOfWork, ids: Ids, now: datetime) -> dict[str, int]:
    skus = orders.products_by_skus(uow.session, [f[1] for f in FAILURES])
    recorded = resolved = 0
    order_ids: list[int] = []
    for n, (code, sku, wh, units, name, region, address, reason, action, resolution) in \
            enumerate(FAILURES, start=1):
        consignor = orders.customer_by_code(uow.session, SYSTEM, code)
        at = now - timedelta(days=3, hours=n)
        order, line = _order(uow, n, consignor.id, skus[sku], ids.warehouses[wh], units,
                             (name, region, address), at)
        order_ids.append(order.id)
        shipment = creation.create_shipment(uow, creation.ShipmentDraft(
            order.id, ids.warehouses[wh], [(line.id, units)], ready_at=at + timedelta(hours=2),
            tracking_number=f"DEMO-CSG-{n:04d}"), TIMEZONE)
        shipment.number = f"SHCSG{n:04d}"  # the demo is the same on every seed
        for status, hours, text in (("PICKED_UP", 4, "快件已揽收"),
                                    ("FAILED_ATTEMPT", 30, "派送不成功：收件人不在")):
            tracking.record_event(uow, shipment.id, tracking.EventDraft(
                status, at + timedelta(hours=hours), "转运中心", text))
        row = follow_ups.record_follow_up(uow, shipment.id, reason, action,
                                          f"演示：{name} 未能签收")
        recorded += 1
        if resolution:
            follow_ups.resolve_follow_up(uow, row.id, follow_ups.ResolutionDraft(
                resolution, "演示：货物已退回仓库"), TIMEZONE)
            resolved += 1
    date_follow_up_rows(uow.session, order_ids, now - timedelta(days=1))
    return {"delivery_follow_ups": recorded, "delivery_follow_ups_resolved": resolved}
