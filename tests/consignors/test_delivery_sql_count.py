"""The delivery-order and plan lists with their orders, consignees and plans issue the same
number of SQL statements for 5 and 20 rows (the loaders batch every relation)."""

from __future__ import annotations

from datetime import date

from app.auth.principal import SYSTEM
from app.delivery import plans, scheduler
from app.ids import to_global_id
from tests.consignors.delivery_support import Consignor
from tests.orders.support import query_statements

ORDERS = """query($c: ID!, $n: Int) { deliveryOrders(filter: {consignorId: $c}, first: $n) {
  edges { node { reference freightCharge { amount } consignee { name }
    plan { name lines { quantity product { sku } } }
    order { number status lines { quantity } } } } } }"""
PLANS = """query($c: ID!, $n: Int) { deliveryPlans(filter: {consignorId: $c}, first: $n) {
  edges { node { name routeDays consignee { name } lines { quantity product { sku } } } } } }"""


async def test_delivery_lists_statement_count_does_not_grow(kit, factory, db, runner):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    today = date.today()
    for n in range(20):
        plan = kit.factory.write(plans.create_plan, c.row.id, plans.PlanDraft(
            route_days=(today.isoweekday(),), valid_from=today, name=f"plan {n}",
            consignee_id=to_global_id("Customer", c.consignee.id),
            lines=(plans.service.DeliveryLine(quantity=1 + n, sku=c.tee.sku),)))
        await runner.write(scheduler.schedule_plan, plan.id, today, today, principal=SYSTEM)
    for query, field in ((ORDERS, "deliveryOrders"), (PLANS, "deliveryPlans")):
        counts = {}
        for n in (5, 20):
            db.counter.reset()
            data = await kit.api.ok(query, {"c": c.gid, "n": n}, manager.token)
            counts[n] = len(query_statements(db))
            assert len(data[field]["edges"]) == n
        assert counts[5] == counts[20], query_statements(db)
