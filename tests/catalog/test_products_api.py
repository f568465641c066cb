"""Products through the GraphQL API: CRUD, the cost rule, scope, validation, lists."""

from __future__ import annotations

from sqlmodel import select

from app.catalog.models import Product
from tests.inventory.support import audit_records, gid, product, receive, warehouse
from tests.support import unique

CREATE = """mutation($i: ProductCreateInput!) { productCreate(input: $i) {
  product { id sku name category price { amount currency } cost { amount } weightKg isActive }
  userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $i: ProductUpdateInput!) { productUpdate(id: $id, input: $i) {
  product { sku name description price { amount } cost { amount } isActive }
  userErrors { field message code } } }"""
GET = "query($id: ID!) { product(id: $id) { sku name price { amount } } }"
LIST = """query($f: ProductFilter, $s: ProductSort, $first: Int, $after: String) {
  products(filter: $f, sort: $s, first: $first, after: $after) {
    totalCount nodes { sku price { amount } } pageInfo { hasNextPage endCursor } } }"""


def _skus(factory, sku: str) -> int:  # noqa: ANN001
    def count(session) -> int:  # noqa: ANN001
        return len(session.exec(select(Product.id).where(Product.sku == sku)).all())
    return factory.runner.read_sync(count, (), {})


async def test_create_read_update_product(api, factory):
    manager = factory.user("MANAGER")
    sku = unique("TEA-")
    data = await api.ok(CREATE, {"i": {"sku": sku, "name": "西湖龙井 250g", "price": "168.00",
                                       "cost": "92.50", "category": "茶叶",
                                       "weightKg": "0.25"}}, manager.token)
    out = data["productCreate"]
    assert out["userErrors"] == []
    made = out["product"]
    assert made["name"] == "西湖龙井 250g" and made["category"] == "茶叶"
    assert made["price"] == {"amount": "168.00", "currency": "CNY"}
    assert made["cost"] == {"amount": "92.50"} and made["weightKg"] == "0.25"
    assert made["isActive"] is True
    upd = await api.ok(UPDATE, {"id": made["id"], "i": {"price": "158", "description": "明前茶",
                                                        "isActive": False}}, manager.token)
    assert upd["productUpdate"]["product"] == {
        "sku": sku, "name": "西湖龙井 250g", "description": "明前茶", "price": {"amount": "158.00"},
        "cost": {"amount": "92.50"}, "isActive": False}
    fetched = await api.ok(GET, {"id": made["id"]}, manager.token)
    assert fetched["product"]["price"]["amount"] == "158.00"
    pk = int(factory.runner.read_sync(
        lambda s: s.exec(select(Product.id).where(Product.sku == sku)).one(), (), {}))
    records = audit_records(factory, "product.update", "Product", pk)
    assert records[0].before["price"] == "168.00" and records[0].after["price"] == "158.00"
    assert len(audit_records(factory, "product.create", "Product", pk)) == 1


async def test_duplicate_sku_on_create_and_update(api, factory):
    manager = factory.user("ADMIN")
    first, second = product(factory), product(factory)
    dup = await api.ok(CREATE, {"i": {"sku": first.sku, "name": "x", "price": "1"}},
                       manager.token)
    assert dup["productCreate"]["userErrors"] == [
        {"field": ["sku"], "message": f"SKU {first.sku} is already in use", "code": "DUPLICATE"}]
    upd = await api.ok(UPDATE, {"id": gid("Product", second.id), "i": {"sku": first.sku}},
                       manager.token)
    assert upd["productUpdate"]["userErrors"][0]["code"] == "DUPLICATE"
    assert _skus(factory, first.sku) == 1
    same = await api.ok(UPDATE, {"id": gid("Product", first.id), "i": {"sku": first.sku}},
                        manager.token)
    assert same["productUpdate"]["userErrors"] == []


async def test_invalid_input_reports_every_field_and_writes_nothing(api, factory):
    admin = factory.user("ADMIN")
    sku = unique("BAD-")
    data = await api.ok(CREATE, {"i": {"sku": sku, "name": "  ", "price": "-1", "cost": "1.234",
                                       "currency": "rmb", "weightKg": "NaN"}}, admin.token)
    errors = data["productCreate"]["userErrors"]
    assert {e["field"][0] for e in errors} == {"name", "price", "cost", "currency", "weightKg"}
    assert data["productCreate"]["product"] is None and _skus(factory, sku) == 0
    spaced = await api.ok(CREATE, {"i": {"sku": "A B", "name": "n", "price": "1"}}, admin.token)
    assert spaced["productCreate"]["userErrors"][0]["field"] == ["sku"]
    huge = await api.ok(CREATE, {"i": {"sku": unique("H-"), "name": "n",
                                       "price": "1000000000000"}}, admin.token)
    assert huge["productCreate"]["userErrors"][0]["field"] == ["price"]
    p = product(factory)
    nulls = await api.ok(UPDATE, {"id": gid("Product", p.id), "i": {"name": None, "price": None}},
                         admin.token)
    assert {e["field"][0] for e in nulls["productUpdate"]["userErrors"]} == {"name", "price"}
    missing = await api.ok(UPDATE, {"id": gid("Product", 99999999), "i": {"name": "x"}},
                           admin.token)
    assert missing["productUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    wrong_type = await api.ok(UPDATE, {"id": gid("Warehouse", p.id), "i": {"name": "x"}},
                              admin.token)
    assert wrong_type["productUpdate"]["userErrors"] == missing["productUpdate"]["userErrors"]


async def test_cost_and_margin_are_finance_only(api, factory):
    p = product(factory, price="200.00", cost="150.00")
    query = """query($id: ID!) { product(id: $id) { name price { amount } cost { amount }
      margin { amount } marginRate } }"""
    for role in ("FINANCE", "MANAGER", "ADMIN"):
        data = await api.ok(query, {"id": gid("Product", p.id)}, factory.user(role).token)
        assert data["product"]["cost"] == {"amount": "150.00"}, role
        assert data["product"]["margin"] == {"amount": "50.00"}
        assert data["product"]["marginRate"] == "0.2500"
    for role in ("SALES", "WAREHOUSE", "ANALYST"):
        body = await api.gql(query, {"id": gid("Product", p.id)}, factory.user(role).token)
        assert body["data"]["product"]["name"] == p.name
        assert body["data"]["product"]["price"] == {"amount": "200.00"}
        assert body["data"]["product"]["cost"] is None
        assert body["data"]["product"]["margin"] is None
        paths = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
        assert paths == {("product", "cost"): "FORBIDDEN", ("product", "margin"): "FORBIDDEN",
                         ("product", "marginRate"): "FORBIDDEN"}, role


async def test_only_managers_write_products(api, factory):
    p = product(factory)
    for role in ("SALES", "WAREHOUSE", "FINANCE", "CUSTOMER_SERVICE"):
        body = await api.gql(UPDATE, {"id": gid("Product", p.id), "i": {"name": "hijack"}},
                             factory.user(role).token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    body = await api.gql(GET, {"id": gid("Product", p.id)})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    fetched = await api.ok(GET, {"id": gid("Product", p.id)}, factory.user("ADMIN").token)
    assert fetched["product"]["name"] == p.name


async def test_customers_see_only_active_products_and_no_stock(api, factory):
    active, retired = product(factory), product(factory, is_active=False)
    customer = factory.user("CUSTOMER", customer_id=factory.customer().id)
    assert (await api.ok(GET, {"id": gid("Product", active.id)}, customer.token))["product"]
    assert (await api.ok(GET, {"id": gid("Product", retired.id)}, customer.token)) == {
        "product": None}
    node = await api.ok("query($id: ID!) { node(id: $id) { id } }",
                        {"id": gid("Product", retired.id)}, customer.token)
    assert node == {"node": None}
    listed = await api.ok(LIST, {"f": {"skus": [active.sku, retired.sku]}}, customer.token)
    assert [n["sku"] for n in listed["products"]["nodes"]] == [active.sku]
    body = await api.gql("query($id: ID!) { product(id: $id) { sku totalAvailable } }",
                         {"id": gid("Product", active.id)}, customer.token)
    assert body["data"]["product"] == {"sku": active.sku, "totalAvailable": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_filters_sorts_and_pagination(api, factory):
    user = factory.user("SALES")
    category = unique("cat-")
    prices = ["30.00", "10.00", "50.00", "20.00", "40.00"]
    made = [product(factory, category=category, price=p, name=f"{category} 商品 {i}")
            for i, p in enumerate(prices)]
    product(factory, category=category, price="99.00", is_active=False)
    flt = {"category": category, "isActive": True}
    seen, after = [], None
    while True:
        page = (await api.ok(LIST, {"f": flt, "s": "PRICE_DESC", "first": 2, "after": after},
                             user.token))["products"]
        assert page["totalCount"] == 5
        seen += [n["price"]["amount"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(prices, reverse=True)
    by_range = await api.ok(LIST, {"f": {"category": category, "priceMin": "20",
                                         "priceMax": "40"}, "s": "PRICE_ASC"}, user.token)
    assert [n["price"]["amount"] for n in by_range["products"]["nodes"]] == [
        "20.00", "30.00", "40.00"]
    search = await api.ok(LIST, {"f": {"search": f"{category} 商品 3"}}, user.token)
    assert [n["sku"] for n in search["products"]["nodes"]] == [made[3].sku]
    wildcard = await api.ok(LIST, {"f": {"search": "%"}}, user.token)
    assert wildcard["products"]["totalCount"] == 0
    by_sku = await api.ok(LIST, {"f": {"skus": [made[0].sku, made[1].sku]}, "s": "SKU_DESC"},
                          user.token)
    assert [n["sku"] for n in by_sku["products"]["nodes"]] == sorted(
        [made[0].sku, made[1].sku], reverse=True)
    too_many = await api.gql(LIST, {"f": {"skus": ["x"] * 101}}, user.token)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID"


async def test_product_stock_fields_are_batched(api, factory, db):
    """One statement per level of the query, whatever the number of products."""
    user = factory.user("MANAGER")
    category = unique("batch-")
    w1, w2 = warehouse(factory), warehouse(factory)
    query = """query($c: String!) { products(first: 50, filter: {category: $c}) { nodes {
      sku totalAvailable stockLevels { available warehouse { code } product { sku } } } } }"""

    async def statements_for(n: int) -> int:
        for _ in range(n):
            p = product(factory, category=category)
            receive(factory, p.id, w1.id, 3)
            receive(factory, p.id, w2.id, 4)
        db.counter.reset()
        data = await api.ok(query, {"c": category}, user.token)
        nodes = data["products"]["nodes"]
        assert all(n["totalAvailable"] == 7 and len(n["stockLevels"]) == 2 for n in nodes)
        return db.counter.count

    few = await statements_for(2)
    many = await statements_for(8)
    # products, stock levels joined with their warehouses, the levels' products
    assert few == many <= 3, (few, many)


async def test_non_numeric_price_filter_is_an_error_not_a_crash(api, factory):
    body = await api.gql(LIST, {"f": {"priceMin": "NaN"}}, factory.user("SALES").token)
    assert body["errors"][0]["extensions"]["field"] == ["filter", "priceMin"]
