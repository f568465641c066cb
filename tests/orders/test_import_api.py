"""Issue 3 item 9: orderImport from outside channels: per-order results and errors, each
order on its own, and re-imports (also concurrent ones) that create nothing new."""

from __future__ import annotations

import asyncio

from app.orders.models import Order
from tests.orders.support import gid, pk
from tests.returns.support import codes, count

IMPORT = """mutation($input: OrderImportInput!) { orderImport(input: $input) {
  results { externalId created order { id number status channel externalId notes
            total { amount } lines { sku quantity unitPrice { amount } } }
            userErrors { field message code } }
  userErrors { field message code } } }"""


def _ext(prefix: str) -> str:
    from tests.support import unique
    return unique(prefix)


async def _import(kit, token: str, orders: list[dict], channel: str = "MARKETPLACE",
                  **extra) -> dict:  # noqa: ANN001
    data = await kit.api.ok(IMPORT, {"input": {"channel": channel, "orders": orders, **extra}},
                            token)
    return data["orderImport"]


def _orders_with(kit, channel: str, external_ids: list[str]) -> int:  # noqa: ANN001
    return count(kit, Order, Order.channel == channel, Order.external_id.in_(external_ids))


async def test_mixed_batch_then_reimport(kit, factory):
    service = factory.user("CUSTOMER_SERVICE")
    customer = kit.customer()
    tea, cup = kit.product("25.00"), kit.product("8.80")
    retired = kit.product("5.00", is_active=False)
    ids = [_ext("TM-") for _ in range(6)]
    batch = [
        {"externalId": ids[0], "customerId": gid("Customer", customer.id),
         "lines": [{"productId": gid("Product", tea.id), "quantity": 2}], "notes": "天猫订单"},
        {"externalId": ids[1], "customerCode": customer.code,
         "lines": [{"sku": cup.sku, "quantity": 5, "unitPrice": "8.80"},
                   {"sku": tea.sku, "quantity": 1}]},
        {"externalId": ids[2], "customerCode": customer.code,
         "lines": [{"sku": "NO-SUCH-SKU", "quantity": 1}]},
        {"externalId": ids[3], "customerCode": customer.code,
         "lines": [{"sku": cup.sku, "quantity": 1, "unitPrice": "7.00"}]},
        {"externalId": ids[4], "customerCode": "NOBODY",
         "lines": [{"sku": cup.sku, "quantity": 1}]},
        {"externalId": ids[5], "customerId": gid("Customer", customer.id),
         "lines": [{"productId": gid("Product", retired.id), "quantity": 1}]},
    ]
    first = await _import(kit, service.token, batch)
    assert first["userErrors"] == []
    results = first["results"]
    assert [r["externalId"] for r in results] == ids
    assert [r["created"] for r in results] == [True, True, False, False, False, False]
    good = [r["order"] for r in results[:2]]
    assert all(o["status"] == "PENDING_REVIEW" and o["channel"] == "MARKETPLACE" for o in good)
    assert good[0]["notes"] == "天猫订单" and good[1]["total"] == {"amount": "69.00"}
    assert [(r["userErrors"][0]["field"], r["userErrors"][0]["code"]) for r in results[2:]] == [
        (["lines", "0", "sku"], "NOT_FOUND"), (["lines", "0", "unitPrice"], "PRICE_MISMATCH"),
        (["customerCode"], "NOT_FOUND"), (["lines", "0", "productId"], "NOT_FOUND")]
    assert all(r["order"] is None for r in results[2:])
    assert _orders_with(kit, "MARKETPLACE", ids) == 2

    again = await _import(kit, service.token, batch)
    assert [r["created"] for r in again["results"]] == [False] * 6
    assert [r["order"]["id"] for r in again["results"][:2]] == [o["id"] for o in good]
    assert _orders_with(kit, "MARKETPLACE", ids) == 2
    other_channel = await _import(kit, service.token, batch[:1], channel="EDI")
    assert other_channel["results"][0]["created"] is True  # ids are unique per channel


async def test_batch_rules_and_permissions(kit, factory):
    service = factory.user("CUSTOMER_SERVICE")
    customer = kit.customer()
    tea = kit.product("1.00")

    def one() -> dict:
        return {"externalId": _ext("EDI-"), "customerCode": customer.code,
                "lines": [{"sku": tea.sku, "quantity": 1}]}

    assert codes(await _import(kit, service.token, [])) == ["INVALID"]
    too_many = await _import(kit, service.token, [one() for _ in range(101)], channel="EDI")
    assert too_many["userErrors"][0]["field"] == ["orders"] and too_many["results"] == []
    assert codes(await _import(kit, service.token, [one()], channel="WEB")) == ["INVALID"]
    for role in ("CUSTOMER", "WAREHOUSE", "FINANCE"):
        token = factory.user(role, customer_id=customer.id if role == "CUSTOMER" else None).token
        body = await kit.api.gql(IMPORT, {"input": {"channel": "EDI", "orders": [one()]}}, token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    both = {**one(), "customerId": gid("Customer", customer.id)}
    neither = {k: v for k, v in one().items() if k != "customerCode"}
    drafts = await _import(kit, service.token, [both, neither, one()], channel="EMAIL",
                           submit=False)
    results = drafts["results"]
    assert [r["userErrors"][0]["field"] for r in results[:2]] == [["customerId"],
                                                                 ["customerId"]]
    assert results[2]["order"]["status"] == "DRAFT"
    long_id = {**one(), "externalId": "x" * 101}
    assert (await _import(kit, service.token, [long_id], channel="EDI"))["results"][0][
        "userErrors"][0]["field"] == ["externalId"]


async def test_same_external_id_twice_in_a_batch_and_in_parallel(kit, factory):
    service, manager = factory.user("CUSTOMER_SERVICE"), factory.user("MANAGER")
    customer = kit.customer()
    tea = kit.product("3.00")
    ext = _ext("MAIL-")
    item = {"externalId": ext, "customerCode": customer.code,
            "lines": [{"sku": tea.sku, "quantity": 2}]}
    twice = await _import(kit, service.token, [item, item], channel="EMAIL")
    assert [r["created"] for r in twice["results"]] == [True, False]
    assert twice["results"][0]["order"]["id"] == twice["results"][1]["order"]["id"]

    race = {**item, "externalId": _ext("MAIL-")}
    outcomes = await asyncio.gather(*(_import(kit, t, [race], channel="EMAIL")
                                      for t in (service.token, manager.token,
                                                service.token)))
    results = [o["results"][0] for o in outcomes]
    assert sorted(r["created"] for r in results) == [False, False, True]
    assert len({r["order"]["id"] for r in results}) == 1
    assert _orders_with(kit, "EMAIL", [race["externalId"]]) == 1


async def test_an_order_already_imported_for_another_sales_rep_is_not_shown(kit, factory):
    rep, other_rep = factory.user("SALES"), factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    tea = kit.product("3.00")
    item = {"externalId": _ext("TM-"), "customerCode": customer.code,
            "lines": [{"sku": tea.sku, "quantity": 1}]}
    created = await _import(kit, rep.token, [item])
    assert created["results"][0]["created"] is True
    hidden = await _import(kit, other_rep.token, [item])
    assert hidden["results"][0]["order"] is None
    assert codes(hidden["results"][0]) == ["DUPLICATE"]
    order_pk = pk(created["results"][0]["order"]["id"])
    assert count(kit, Order, Order.id == order_pk) == 1
