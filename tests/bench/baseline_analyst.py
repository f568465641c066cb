"""The baseline for S2's deep analyst query: the same repository functions the graph's
resolvers and loaders call (so literally the same SQL), dicts and orjson instead of GraphQL."""

from __future__ import annotations

from typing import Any

from app.auth.principal import Principal, mask
from app.customers import repository as customers
from app.customers.repository import CustomerSort
from app.ids import to_global_id as gid
from app.orders import repository as orders
from app.orders.repository import OrderSort, customer_views
from app.persistence.pagination import PageRequest
from tests.bench.baseline import iso, money


def _shipping(session: Any, order_ids: list[int]) -> tuple[dict, dict, dict]:
    from app.shipping import repository as shipping

    shipments = shipping.shipment_rows_by_order(session, order_ids)
    all_shipments = [s for group in shipments.values() for s in group]
    carriers = shipping.carriers_by_ids(
        session, sorted({s.carrier_id for s in all_shipments if s.carrier_id}))
    events = shipping.tracking_events_by_shipment(session, [s.id for s in all_shipments])
    return shipments, carriers, events


def analyst_deep(session: Any, principal: Principal, n_customers: int, n_orders: int) -> dict:
    from app.catalog import repository as catalog

    page = customers.list_customers(session, principal, customers.CustomerFilter(),
                                    CustomerSort.NAME_ASC, PageRequest(first=n_customers))
    ids = [c.id for c in page.items]
    summaries = customer_views.purchase_summaries(session, ids)
    args = customer_views.CustomerOrdersArgs(first=n_orders, sort=OrderSort.CREATED_AT_DESC)
    pages = customer_views.orders_for_customers(session, [(cid, args) for cid in ids])
    order_ids = [o.id for p in pages.values() for o in p.items]
    lines = orders.line_rows_by_order(session, order_ids)
    products = catalog.product_rows_by_ids(
        session, sorted({ln.product_id for group in lines.values() for ln in group}))
    shipments, carriers, events = _shipping(session, order_ids)

    def order(o: Any) -> dict:
        return {"id": gid("Order", o.id), "number": o.number, "status": o.status,
                "total": money(o.total, o.currency),
                "lines": [{"sku": ln.sku, "quantity": ln.quantity,
                           "lineTotal": money(ln.line_total, o.currency),
                           "product": {"id": gid("Product", ln.product_id),
                                       "name": products[ln.product_id].name,
                                       "category": products[ln.product_id].category}}
                          for ln in lines.get(o.id, [])],
                "shipments": [{"number": s.number, "status": s.status,
                               "carrier": {"name": carriers[s.carrier_id].name}
                               if s.carrier_id else None,
                               "trackingEvents": [{"status": e.status, "location": e.location,
                                                   "occurredAt": iso(e.occurred_at)}
                                                  for e in events.get(s.id, [])]}
                              for s in shipments.get(o.id, [])]}

    def customer(c: Any) -> dict:
        s = summaries[c.id]
        return {"id": gid("Customer", c.id), "name": c.name, "tier": c.tier,
                "region": c.region, "email": mask(c.email), "phone": mask(c.phone),
                "purchaseSummary": {
                    "orderCount": s.order_count, "lastOrderAt": iso(s.last_order_at),
                    "totalSpent": money(s.total_spent, s.currency),
                    "topProducts": [{"sku": t.sku, "name": t.name, "quantity": t.quantity}
                                    for t in s.top_products]},
                "orders": {"edges": [{"node": order(o)}
                                     for o in pages[(c.id, args)].items]}}

    return {"data": {"customers": {"edges": [{"node": customer(c)} for c in page.items]}}}
