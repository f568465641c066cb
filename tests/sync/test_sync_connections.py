"""Delta sync of the other top-level connections (issue 28: every one), over HTTP: each new
entity's changes arrive, what is deleted, leaves the caller's scope or leaves a derived
list (lowStockLevels, ordersAtRisk, failedDeliveries) arrives as removed, each is refused
to a role without the list's permission, and paged syncs interleaved with writes over a
mix of them miss nothing and repeat nothing (docs/architecture.md#delta-sync)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import select

from app.activities import planning
from app.auth import admin as user_admin
from app.auth.principal import Principal
from app.auth.roles import ROLE_PERMISSIONS, Perm, Role
from app.campaigns import service as campaign_service
from app.customers import service as customer_service
from app.events.repository import outbox
from app.exports import service as export_service
from app.exports.models import ExportFormat, ExportSource
from app.exports.repository.sources import SourceFilter
from app.integrations import service as integration_service
from app.integrations.fanout import fan_out_pending
from app.integrations.models import WebhookDelivery
from app.inventory import stock_service
from app.inventory.models import StockLevel, StockMovement
from app.quotes import agreements
from app.shipping import carriers, inbox
from app.shipping.exceptions import working
from app.sync.tokens import encode_token
from schema.sync.types import SyncEntity
from tests.campaigns.support import MARKETER, audience, campaign
from tests.orders.support import Kit, gid
from tests.shipping import exception_support as x
from tests.shipping import webhook_support as hooks
from tests.support import ADMIN, HOLD_SECONDS, unique, writer_held
from tests.surveys.support import delivered_order, delivery_survey
from tests.sync.test_delta_sync import sync

SYNC = """query($entities: [SyncEntity!], $since: String, $first: Int, $after: String) {
  syncChanges(entities: $entities, since: $since, first: $first, after: $after) {
    edges { cursor id entity removed node { id } }
    pageInfo { hasNextPage endCursor } syncToken full } }"""

# each new entity and the permission of the list it mirrors (the schema's @requires)
PERMISSIONS = {
    "USER": Perm.USERS_MANAGE, "WAREHOUSE": Perm.STOCK_READ, "CARRIER": Perm.SHIPMENTS_READ,
    "STOCK_LEVEL": Perm.STOCK_READ, "LOW_STOCK_LEVEL": Perm.STOCK_READ,
    "STOCK_MOVEMENT": Perm.STOCK_READ, "ORDER_AT_RISK": Perm.ORDERS_READ,
    "SHIPMENT_EXCEPTION": Perm.EXCEPTIONS_READ, "FAILED_DELIVERY": Perm.EXCEPTIONS_READ,
    "NOTIFICATION": Perm.NOTIFICATIONS_READ, "AUDIT_RECORD": Perm.AUDIT_READ,
    "CARRIER_WEBHOOK_EVENT": Perm.CARRIERS_WRITE,
    "WEBHOOK_SUBSCRIPTION": Perm.INTEGRATIONS_MANAGE,
    "WEBHOOK_DELIVERY": Perm.INTEGRATIONS_MANAGE, "VISIT_PLAN": Perm.ACTIVITIES_READ,
    "SALES_TARGET": Perm.TARGETS_READ, "PRICE_AGREEMENT": Perm.QUOTES_READ,
    "SURVEY": Perm.SURVEYS_READ, "CAMPAIGN": Perm.CAMPAIGNS_READ,
    "EXPORT_JOB": Perm.EXPORTS_CREATE,
    "DELIVERY_ORDER": Perm.DELIVERY_READ, "DELIVERY_PLAN": Perm.DELIVERY_READ,
    "DELIVERY_FOLLOW_UP": Perm.FOLLOWUPS_READ,
}

PLAIN = {"body_zh": "您好 {{name}}，新品上市", "body_en": "Hello {{name}}, new arrivals"}


def now_token(factory, entities: list[str]) -> str:  # noqa: ANN001
    """The token of a sync that ended now: a delta from here without a full sync first
    (the shared test database holds every earlier test's rows)."""
    upto = factory.runner.read_sync(outbox.max_id, (), {})
    return encode_token(upto, tuple(sorted(SyncEntity[e].value for e in entities)))


def by_key(edges: list[dict]) -> dict[tuple[str, str], dict]:
    keys = [(e["entity"], e["id"]) for e in edges]
    assert len(keys) == len(set(keys)), "an object repeated within one sync"
    return dict(zip(keys, edges, strict=True))


def live(edges: list[dict], entity: str) -> set[str]:
    return {e["id"] for e in edges if e["entity"] == entity and not e["removed"]}


def gone(edges: list[dict], entity: str) -> set[str]:
    return {e["id"] for e in edges if e["entity"] == entity and e["removed"]}


async def test_each_new_entity_is_refused_without_its_lists_permission(api, factory):
    for role in Role:
        customer = (factory.customer(is_consignor=role is Role.CONSIGNOR)
                    if role in (Role.CUSTOMER, Role.CONSIGNOR) else None)
        user = factory.user(role.value, customer_id=customer.id if customer else None)
        for entity, perm in PERMISSIONS.items():
            body = await api.gql(SYNC, {"entities": [entity], "first": 1}, user.token)
            if perm in ROLE_PERMISSIONS[role]:
                assert "errors" not in body, (role, entity, body)
            else:
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, entity)


async def test_stock_levels_low_stock_and_movements(api, factory):
    kit = Kit(api, factory)
    mine, other, product = kit.warehouse(), kit.warehouse(), kit.product()
    keeper = factory.user("WAREHOUSE", warehouses=[mine.code])
    entities = ["STOCK_LEVEL", "LOW_STOCK_LEVEL", "STOCK_MOVEMENT", "WAREHOUSE"]
    edges, token = await sync(api, keeper.token, entities, first=100)
    assert gid("Warehouse", mine.id) in live(edges, "WAREHOUSE")
    assert gid("Warehouse", other.id) not in live(edges, "WAREHOUSE")

    level = factory.write(stock_service.receive_stock, product.id, mine.id, 10, "入库")
    factory.write(stock_service.receive_stock, product.id, other.id, 10, "入库")
    factory.write(stock_service.adjust_stock, product.id, mine.id, -2, "盘亏")
    edges, token = await sync(api, keeper.token, entities, since=token)
    by_key(edges)
    assert live(edges, "STOCK_LEVEL") == {gid("StockLevel", level.id)}  # its warehouse's
    assert len(live(edges, "STOCK_MOVEMENT")) == 2  # the receipt and the adjustment
    assert live(edges, "LOW_STOCK_LEVEL") == set()  # 8 available, no safety stock

    factory.write(stock_service.update_level_settings, level.id, {"safety_stock": 20})
    edges, token = await sync(api, keeper.token, entities, since=token)
    assert live(edges, "LOW_STOCK_LEVEL") == {gid("StockLevel", level.id)}  # entered
    assert live(edges, "STOCK_LEVEL") == {gid("StockLevel", level.id)}

    factory.write(stock_service.receive_stock, product.id, mine.id, 30, "补货")
    edges, token = await sync(api, keeper.token, entities, since=token)
    assert gone(edges, "LOW_STOCK_LEVEL") == {gid("StockLevel", level.id)}  # left the list
    assert live(edges, "STOCK_LEVEL") == {gid("StockLevel", level.id)}  # still a level
    assert len(live(edges, "STOCK_MOVEMENT")) == 1
    edges, _ = await sync(api, keeper.token, entities, since=token)
    assert edges == []


async def test_orders_at_risk_leave_the_list_when_no_longer_awaiting(api, factory):
    kit = Kit(api, factory)
    rep, admin = factory.user("SALES"), factory.user("ADMIN")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    kit.stock(product, kit.warehouse(), 10)
    _, token = await sync(api, rep.token, ["ORDER_AT_RISK"])
    soon = (date.today() + timedelta(days=2)).isoformat()
    order = await kit.order(admin.token, customer, [(product, 1)], submit=True,
                            promisedDate=soon)
    edges, token = await sync(api, rep.token, ["ORDER_AT_RISK"], since=token)
    assert live(edges, "ORDER_AT_RISK") == set()  # not approved yet: not awaiting
    await kit.ok_step("orderApprove", order["id"], admin.token)
    edges, token = await sync(api, rep.token, ["ORDER_AT_RISK"], since=token)
    assert [(e["id"], e["removed"], e["node"]["id"]) for e in edges] == [
        (order["id"], False, order["id"])]  # the node is the Order
    await kit.ok_step("orderCancel", order["id"], admin.token, reason="客户取消")
    edges, _ = await sync(api, rep.token, ["ORDER_AT_RISK"], since=token)
    assert [(e["id"], e["removed"]) for e in edges] == [(order["id"], True)]


async def test_exceptions_and_failed_deliveries_follow_scope_and_delivery(api, factory):
    rep, heir = factory.user("SALES"), factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    entities = ["SHIPMENT_EXCEPTION", "FAILED_DELIVERY"]
    _, token = await sync(api, rep.token, entities)
    _, heir_token = await sync(api, heir.token, entities)
    p = x.parcel(factory, customer=customer,
                 events=(("PICKED_UP", 1), ("FAILED_ATTEMPT", 30)))
    [opened] = x.exceptions_of(factory, p.shipment.id)
    staff = factory.write(working.open_by_staff, p.shipment.id, "DAMAGED", "外箱破损")
    edges, token = await sync(api, rep.token, entities, since=token)
    assert live(edges, "SHIPMENT_EXCEPTION") == {
        gid("ShipmentException", opened.id), gid("ShipmentException", staff.id)}
    assert live(edges, "FAILED_DELIVERY") == {p.gid}
    edges, heir_token = await sync(api, heir.token, entities, since=heir_token)
    assert edges == []  # another rep's customer: not even as removed

    x.event(factory, p.shipment, "DELIVERED", 40)
    edges, token = await sync(api, rep.token, entities, since=token)
    assert gone(edges, "FAILED_DELIVERY") == {p.gid}  # delivered: off the list

    factory.write(customer_service.update_customer, customer.id, {"owner_id": heir.id})
    edges, _ = await sync(api, rep.token, entities, since=token)
    assert gone(edges, "SHIPMENT_EXCEPTION") == {
        gid("ShipmentException", opened.id), gid("ShipmentException", staff.id)}
    edges, _ = await sync(api, heir.token, entities, since=heir_token)
    assert live(edges, "SHIPMENT_EXCEPTION") == {
        gid("ShipmentException", opened.id), gid("ShipmentException", staff.id)}


async def test_plans_targets_agreements_and_notifications_of_a_rep(api, factory, db):
    rep, heir = factory.user("SALES"), factory.user("SALES")
    region, ids = audience(factory, 2, owner_id=rep.id)
    entities = ["VISIT_PLAN", "SALES_TARGET", "PRICE_AGREEMENT", "NOTIFICATION"]
    _, token = await sync(api, rep.token, entities)
    _, heir_token = await sync(api, heir.token, entities)
    monday = date.today() - timedelta(days=date.today().weekday())
    plan = factory.write(planning.set_visit_plan, rep.id, monday, 12, "拜访")
    target = factory.write(planning.set_sales_target, rep.id, "MONTH", monday.replace(day=1),
                           "REVENUE", Decimal("50000"))
    product = Kit(api, factory).product()
    deal = factory.write(agreements.set_price_agreement, agreements.PriceTerms(
        ids[0], product.id, Decimal("88.00"), date.today()))
    sent = campaign(factory.runner, region, channel="EMAIL", **PLAIN)
    factory.write(campaign_service.send_step, sent.id, principal=MARKETER)
    edges, token = await sync(api, rep.token, entities, since=token)
    by_key(edges)
    assert live(edges, "VISIT_PLAN") == {gid("VisitPlan", plan.id)}
    assert live(edges, "SALES_TARGET") == {gid("SalesTarget", target.id)}
    assert live(edges, "PRICE_AGREEMENT") == {gid("PriceAgreement", deal.id)}
    messages = live(edges, "NOTIFICATION")
    assert len(messages) == 2  # one per customer of the campaign's region, both the rep's
    edges, heir_token = await sync(api, heir.token, entities, since=heir_token)
    assert edges == []

    factory.write(customer_service.update_customer, ids[0], {"owner_id": heir.id})
    edges, token = await sync(api, rep.token, entities, since=token)
    moved = gone(edges, "NOTIFICATION")
    assert len(moved) == 1 and moved < messages
    assert gone(edges, "PRICE_AGREEMENT") == {gid("PriceAgreement", deal.id)}
    edges, _ = await sync(api, heir.token, entities, since=heir_token)
    assert live(edges, "NOTIFICATION") == moved
    assert live(edges, "PRICE_AGREEMENT") == {gid("PriceAgreement", deal.id)}


async def test_cancelled_campaign_messages_are_removed(api, factory):
    marketer = factory.user("MARKETING")
    region, _ids = audience(factory, 3)
    token = now_token(factory, ["CAMPAIGN"])
    admin = factory.user("ADMIN")
    admin_token = now_token(factory, ["NOTIFICATION"])
    row = campaign(factory.runner, region, channel="EMAIL", **PLAIN)
    factory.write(campaign_service.send_step, row.id, None, 2, principal=MARKETER)  # 2 of 3
    edges, token = await sync(api, marketer.token, ["CAMPAIGN"], since=token)
    assert live(edges, "CAMPAIGN") == {gid("Campaign", row.id)}
    edges, admin_token = await sync(api, admin.token, ["NOTIFICATION"], since=admin_token)
    queued = live(edges, "NOTIFICATION")
    assert len(queued) == 2
    factory.write(campaign_service.cancel_campaign, row.id, principal=MARKETER)
    edges, _ = await sync(api, admin.token, ["NOTIFICATION"], since=admin_token)
    assert gone(edges, "NOTIFICATION") == queued  # PENDING ones are deleted
    edges, _ = await sync(api, marketer.token, ["CAMPAIGN"], since=token)
    assert live(edges, "CAMPAIGN") == {gid("Campaign", row.id)}  # now CANCELLED


def _deliveries_of(session, subscription_id: int) -> list[int]:  # noqa: ANN001
    return list(session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.subscription_id == subscription_id)).all())


async def test_carrier_webhook_events_kept_and_reviewed(api, factory):
    hooked = hooks.hooked_carrier(factory)
    logistics = factory.user("LOGISTICS")
    token = now_token(factory, ["CARRIER_WEBHOOK_EVENT", "CARRIER"])
    answer = await hooks.post(api, hooked, [hooks.event(unique("NOPE"), "PICKED_UP", 1)])
    assert [r for _, r in hooks.results(answer)] == ["UNKNOWN_TRACKING_NUMBER"]
    [kept] = hooks.inbox_rows(factory.runner, hooked.carrier.id)
    edges, token = await sync(api, logistics.token, ["CARRIER_WEBHOOK_EVENT", "CARRIER"],
                              since=token)
    assert live(edges, "CARRIER_WEBHOOK_EVENT") == {gid("CarrierWebhookEvent", kept.id)}
    factory.write(inbox.review_event, kept.id)
    edges, _ = await sync(api, logistics.token, ["CARRIER_WEBHOOK_EVENT", "CARRIER"],
                          since=token)
    assert live(edges, "CARRIER_WEBHOOK_EVENT") == {gid("CarrierWebhookEvent", kept.id)}


async def test_back_office_entities(api, factory, db, kit):
    admin = factory.user("ADMIN")
    entities = ["USER", "CARRIER", "WEBHOOK_SUBSCRIPTION", "WEBHOOK_DELIVERY", "AUDIT_RECORD",
                "EXPORT_JOB", "SURVEY"]
    token = now_token(factory, entities)
    made = factory.write(user_admin.create_user, email=f"{unique('u')}@example.com",
                         password="password123", role="ANALYST")
    carrier = factory.write(carriers.create_carrier, {"code": unique("C"), "name": "顺丰"})
    created = factory.write(integration_service.create_subscription, {
        "url": "https://93.184.215.14/hook", "event_types": ["order.status_changed"],
        "secret": "s" * 32})
    order, _customer = await delivered_order(kit)  # order.status_changed events
    survey = delivery_survey(factory, order)
    assert fan_out_pending(db) >= 1
    me = Principal(user_id=admin.id, role=Role.ADMIN)
    job = factory.write(export_service.create_export, ExportSource.ORDERS, ["ID", "NUMBER"],
                        ExportFormat.CSV, SourceFilter(), principal=me)
    edges, token = await sync(api, admin.token, entities, since=token, first=7)
    by_key(edges)
    assert gid("User", made.id) in live(edges, "USER")
    assert live(edges, "CARRIER") == {gid("Carrier", carrier.id)}
    subscription = gid("WebhookSubscription", created.subscription.id)
    assert live(edges, "WEBHOOK_SUBSCRIPTION") == {subscription}
    deliveries = {gid("WebhookDelivery", i) for i in factory.runner.read_sync(
        _deliveries_of, (created.subscription.id,), {})}
    assert deliveries and deliveries <= live(edges, "WEBHOOK_DELIVERY")
    assert live(edges, "EXPORT_JOB") == {gid("ExportJob", job.id)}
    assert live(edges, "SURVEY") == {gid("Survey", survey.id)}
    assert len(live(edges, "AUDIT_RECORD")) >= 4  # the user, carrier, subscription, job...

    factory.write(integration_service.delete_subscription, created.subscription.id)
    edges, _ = await sync(api, admin.token, entities, since=token)
    assert gone(edges, "WEBHOOK_SUBSCRIPTION") == {subscription}
    assert gone(edges, "WEBHOOK_DELIVERY") >= deliveries  # deleted with it
    assert len(live(edges, "AUDIT_RECORD")) == 1  # the deletion's record
    # another user's export: out of an ANALYST's scope, never delivered as a node
    analyst = factory.user("ANALYST")
    analyst_token = now_token(factory, ["EXPORT_JOB"])
    factory.write(export_service.cancel_export, job.id, principal=me)
    edges, _ = await sync(api, analyst.token, ["EXPORT_JOB"], since=analyst_token)
    assert live(edges, "EXPORT_JOB") == set()


def _stock_of(session, product_id: int) -> tuple[list[int], list[int], list[int]]:  # noqa: ANN001, E501
    """(level ids, of them the low ones; movement ids) of a product."""
    levels = session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).all()
    moves = session.exec(select(StockMovement.id).where(
        StockMovement.product_id == product_id)).all()
    low = [lv.id for lv in levels if lv.safety_stock > lv.on_hand - lv.reserved]
    return [lv.id for lv in levels], low, list(moves)


async def test_interleaved_writes_over_new_entities_miss_nothing_repeat_nothing(api, factory):
    kit = Kit(api, factory)
    rep = factory.user("SALES")
    warehouse, product = kit.warehouse(), kit.product()
    customer = kit.customer(owner_id=rep.id)
    entities = ["STOCK_LEVEL", "LOW_STOCK_LEVEL", "STOCK_MOVEMENT", "VISIT_PLAN",
                "PRICE_AGREEMENT"]
    token = now_token(factory, entities)
    level = factory.write(stock_service.receive_stock, product.id, warehouse.id, 100, "入库")
    monday = date.today() - timedelta(days=date.today().weekday())
    replica: set[tuple[str, str]] = set()
    seen: list[tuple[str, str]] = []

    def apply(edges: list[dict]) -> None:
        for key, e in by_key(edges).items():
            seen.append(key)
            if e["removed"]:
                replica.discard(key)
            else:
                replica.add(key)

    written = 0
    plans, deals = set(), set()

    def write() -> None:  # one change of another entity between two pages
        nonlocal written
        written += 1
        step = written % 4
        if step == 0:
            factory.write(stock_service.adjust_stock, product.id, warehouse.id, -1, "出库")
        elif step == 1:
            plans.add(factory.write(planning.set_visit_plan, rep.id, monday, written,
                                    "计划").id)
        elif step == 2:
            deals.add(factory.write(agreements.set_price_agreement, agreements.PriceTerms(
                customer.id, product.id, Decimal(100 + written), date.today())).id)
        else:  # in and out of the low-stock list
            factory.write(stock_service.update_level_settings, level.id,
                          {"safety_stock": 1000 if written % 8 == 3 else 0})

    for _ in range(5):
        write()  # committed before this sync starts
        edges, token = await sync(api, rep.token, entities, since=token, first=2,
                                  between=write)
        apply(edges)
    edges, token = await sync(api, rep.token, entities, since=token)
    apply(edges)
    levels, low, moves = factory.runner.read_sync(_stock_of, (product.id,), {})
    assert replica == {
        *(("STOCK_LEVEL", gid("StockLevel", i)) for i in levels),
        *(("LOW_STOCK_LEVEL", gid("StockLevel", i)) for i in low),
        *(("STOCK_MOVEMENT", gid("StockMovement", i)) for i in moves),
        *(("VISIT_PLAN", gid("VisitPlan", i)) for i in plans),
        *(("PRICE_AGREEMENT", gid("PriceAgreement", i)) for i in deals)}  # nothing missed
    assert len(moves) == 1 + written // 4 and written >= 10  # writes did interleave
    edges, _ = await sync(api, rep.token, entities, since=token)
    assert edges == []  # nothing left over: each change was delivered once


def receive_held(uow, product_id: int, warehouse_id: int, gate: str):  # noqa: ANN001, ANN201
    """A stock receipt (a level change, a movement, an audit record) whose transaction is
    still open while a sync reads (module-level: the SQLite writer process runs it)."""
    stock_service.receive_stock(uow, product_id, warehouse_id, 5, "晚提交的入库")
    with open(gate + ".started", "w"):
        pass
    deadline = time.monotonic() + HOLD_SECONDS
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.005)


async def test_a_ledger_change_committed_after_a_sync_began_is_in_the_next(api, factory,
                                                                           tmp_path):
    kit = Kit(api, factory)
    warehouse, product = kit.warehouse(), kit.product()
    entities = ["STOCK_LEVEL", "STOCK_MOVEMENT", "AUDIT_RECORD"]
    admin = factory.user("ADMIN")
    token = now_token(factory, entities)
    gate = str(tmp_path / "gate")
    held = asyncio.create_task(factory.runner.write(
        receive_held, product.id, warehouse.id, gate, principal=ADMIN))
    await writer_held(gate)
    edges, token = await sync(api, admin.token, entities, since=token)
    assert edges == []  # written, not committed: invisible
    open(gate, "w").close()
    await held
    edges, _ = await sync(api, admin.token, entities, since=token)
    levels, _low, moves = factory.runner.read_sync(_stock_of, (product.id,), {})
    assert live(edges, "STOCK_LEVEL") == {gid("StockLevel", i) for i in levels}
    assert live(edges, "STOCK_MOVEMENT") == {gid("StockMovement", i) for i in moves}
    assert len(live(edges, "AUDIT_RECORD")) == 1
