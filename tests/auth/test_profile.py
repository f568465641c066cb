"""meUpdate: a user's own name and notification language; staff alerts follow it."""

from __future__ import annotations

from sqlmodel import select

from app.audit.models import AuditRecord
from app.inventory import stock_service
from tests.notifications.support import rows
from tests.orders.support import Kit

ME = "{ me { user { fullName language } } }"
UPDATE = """mutation($input: MeUpdateInput!) { meUpdate(input: $input) {
  user { id fullName language } userErrors { field code message } } }"""


async def test_a_user_sets_name_and_language_and_it_is_audited(api, factory):
    user = factory.user("WAREHOUSE")
    assert (await api.ok(ME, token=user.token))["me"]["user"]["language"] == "zh"
    done = (await api.ok(UPDATE, {"input": {"fullName": "  Li Lei ", "language": "en"}},
                         user.token))["meUpdate"]
    assert done["userErrors"] == []
    assert done["user"] == {"id": user.gid, "fullName": "Li Lei", "language": "en"}
    # a field left out is kept
    kept = (await api.ok(UPDATE, {"input": {"fullName": "李雷"}}, user.token))["meUpdate"]
    assert kept["user"]["language"] == "en"
    assert (await api.ok(ME, token=user.token))["me"]["user"] == {"fullName": "李雷",
                                                                 "language": "en"}
    updates = factory.runner.read_sync(lambda s: list(s.exec(select(AuditRecord).where(
        AuditRecord.entity_type == "User", AuditRecord.entity_id == user.id,
        AuditRecord.action == "user.update").order_by(AuditRecord.id))), (), {})
    assert [(u.before["language"], u.after["language"], u.actor_id) for u in updates] == [
        ("zh", "en", user.id), ("en", "en", user.id)]
    assert all("password_hash" not in u.after for u in updates)


async def test_bad_values_change_nothing_and_anonymous_callers_are_refused(api, factory):
    user = factory.user("SALES")
    bad = (await api.ok(UPDATE, {"input": {"fullName": "x" * 201, "language": "fr"}},
                        user.token))["meUpdate"]
    assert bad["user"] is None
    assert {tuple(e["field"]) for e in bad["userErrors"]} == {("fullName",), ("language",)}
    assert (await api.ok(ME, token=user.token))["me"]["user"]["language"] == "zh"
    anonymous = await api.gql(UPDATE, {"input": {"language": "en"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_staff_alerts_are_written_in_each_users_language(api, factory):
    kit = Kit(api, factory)
    warehouse = kit.warehouse()
    english = factory.user("WAREHOUSE", warehouses=[warehouse.code])
    chinese = factory.user("WAREHOUSE", warehouses=[warehouse.code])
    await api.ok(UPDATE, {"input": {"language": "en"}}, english.token)
    product = kit.product()
    kit.stock(product, warehouse, 2)
    factory.write(stock_service.adjust_stock, product.id, warehouse.id, -2, "破损")
    factory.plan_notifications()
    [mail_en] = [n for n in rows(factory, user_id=english.id) if n.channel == "EMAIL"]
    [mail_zh] = [n for n in rows(factory, user_id=chinese.id) if n.channel == "EMAIL"]
    assert mail_en.subject.startswith("Stock alert: " + product.sku)
    assert mail_zh.subject.startswith("库存预警：" + product.sku)
