"""Demo consignees, freight agreements, delivery plans and delivery-order history of the
two demo consignors (docs/architecture.md#delivery-orders-and-plans), written through the
real services and dated to the demo's days like every other demo row. The plans' own
orders are the scheduler's to make once a server runs (from the real today on)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from app.customers import service as customers
from app.delivery import plans, service
from app.demo.repository import date_delivery_rows
from app.ids import to_global_id
from app.persistence.uow import UnitOfWork

# per consignor code: its freight terms (basis, rate, minimum) and its consignees: (code
# suffix, name, region, recipient, phone, city, district, line1, route days, standing
# quantities [(sku, quantity)])
DELIVERIES = {
    "CSG-001": (("PER_UNIT", "1.20", "8.00"), (
        ("S01", "云织 杭州湖滨旗舰店", "East", "陈店长", "13905710001", "杭州", "上城区",
         "湖滨路 23 号", (1, 4), (("YZ-TEE-M", 24), ("YZ-HOOD-M", 6))),
        ("S02", "云织 上海南京路店", "East", "刘店长", "13901210002", "上海", "黄浦区",
         "南京东路 300 号", (2, 5), (("YZ-TEE-L", 18),)),
    )),
    "CSG-002": (("PER_KG", "6.50", "12.00"), (
        ("S01", "Brightway Shenzhen Outlet", "South", "Zhou Min", "13802550003", "深圳",
         "福田区", "华强北路 1002 号", (3,), (("BW-PB-10K", 40), ("BW-CBL-C", 80))),
        ("S02", "Brightway Guangzhou Mall", "South", "Huang Jie", "13802000004", "广州",
         "天河区", "天河路 208 号", (1, 3, 5), (("BW-CBL-C", 60),)),
    )),
}
# delivery orders each consignor sent through its integration: (consignee index,
# reference, [(sku, quantity)], days before the demo's now)
HISTORY = {
    "CSG-001": ((0, "YZ-DO-24001", (("YZ-TEE-M", 12),), 6),
                (1, "YZ-DO-24002", (("YZ-TEE-L", 10), ("YZ-HOOD-M", 2)), 3),
                (0, "YZ-DO-24003", (("YZ-HOOD-M", 4),), 1)),
    "CSG-002": ((0, "BW-DO-7101", (("BW-PB-10K", 20),), 5),
                (1, "BW-DO-7102", (("BW-CBL-C", 50),), 2),
                (1, "BW-DO-7103", (("BW-PB-10K", 10), ("BW-CBL-C", 30)), 1)),
}


def _lines(items: tuple) -> tuple[service.DeliveryLine, ...]:
    return tuple(service.DeliveryLine(quantity=q, sku=sku) for sku, q in items)


def _consignees(uow: UnitOfWork, code: str, specs: tuple) -> list[int]:
    ids = []
    for suffix, name, region, recipient, phone, city, district, line1, *_ in specs:
        row = customers.create_customer(uow, {
            "code": f"{code}-{suffix}", "name": name, "region": region,
            "language": "en" if name.isascii() else "zh"})
        customers.add_address(uow, row.id, {
            "recipient": recipient, "phone": phone, "city": city, "district": district,
            "line1": line1, "region": region})
        ids.append(row.id)
    return ids


def write_deliveries(uow: UnitOfWork, consignors: dict[str, int], now: datetime
                     ) -> dict[str, int]:
    """Per consignor: consignees, its freight agreement, a plan per consignee and its
    delivery orders of the last days; the counts written."""
    consignee_ids, plan_ids, dated = [], [], []
    today = now.date()
    for code, ((basis, rate, minimum), specs) in DELIVERIES.items():
        consignor = consignors[code]
        mine = _consignees(uow, code, specs)
        consignee_ids += mine
        service.set_freight_agreement(uow, service.FreightTerms(
            consignor_id=consignor, basis=basis, rate=Decimal(rate),
            minimum_charge=Decimal(minimum), valid_from=today - timedelta(days=30)))
        for consignee, spec in zip(mine, specs, strict=True):
            plan = plans.create_plan(uow, consignor, plans.PlanDraft(
                route_days=spec[8], lines=_lines(spec[9]), valid_from=today,
                consignee_id=to_global_id("Customer", consignee), name=f"{spec[1]} 补货"))
            plan_ids.append(plan.id)
        for index, reference, items, days_ago in HISTORY[code]:
            result = service.create_delivery_order(uow, consignor, service.DeliveryRequest(
                reference=reference, lines=_lines(items),
                consignee_id=to_global_id("Customer", mine[index])))
            dated.append((result.delivery_order.id, result.order.id, now - timedelta(
                days=days_ago), today + timedelta(days=2 - days_ago % 3)))
    date_delivery_rows(uow.session, consignee_ids, plan_ids, dated, now - timedelta(days=7))
    return {"consignees": len(consignee_ids), "delivery_plans": len(plan_ids),
            "delivery_orders": len(dated)}
