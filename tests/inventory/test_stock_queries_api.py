"""Stock reads through the GraphQL API: levels, low stock, the ledger, replenishment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.inventory import ledger, stock_service
from app.orders.models import Order, OrderAllocation, OrderLine
from tests.inventory.support import gid, product, receive, warehouse
from tests.support import unique

SUGGEST = """query($w: ID) { replenishmentSuggestions(warehouseId: $w) {
  product { sku } warehouse { code } stockLevel { id } onHand reserved available incoming
  safetyStock reorderPoint openDemand productOpenDemand projectedAvailable reorderLevel
  targetLevel suggestedQuantity } }"""
_CUSTOMER_ID: int | None = None


def _settings(factory, level_id: int, **values: int) -> None:  # noqa: ANN001
    factory.write(stock_service.update_level_settings, level_id, values)


def _reserve(factory, product_id: int, warehouse_id: int, qty: int, order_id: int = 1) -> None:  # noqa: ANN001
    factory.write(lambda uow: ledger.reserve(
        uow.session, [ledger.StockLine(product_id, warehouse_id, qty)],
        ledger.Reference("Order", order_id)))


def _order(factory, status: str, lines: list[tuple[int, int]],  # noqa: ANN001
           allocations: list[tuple[int, int, int]] = ()) -> Order:
    """An order in `status`: (product, qty) lines, (line index, warehouse, qty) allocations."""
    global _CUSTOMER_ID
    if _CUSTOMER_ID is None:  # one buyer for every order here: keeps other lists small
        _CUSTOMER_ID = factory.customer(name="库存测试客户").id
    customer_id = _CUSTOMER_ID

    def make(uow):  # noqa: ANN001, ANN202
        order = Order(number=unique("SO-"), customer_id=customer_id, status=status)
        uow.session.add(order)
        uow.session.flush()
        rows = []
        for product_id, qty in lines:
            row = OrderLine(order_id=order.id, product_id=product_id, sku="s", name="n",
                            quantity=qty)
            uow.session.add(row)
            uow.session.flush()
            rows.append(row)
        for index, warehouse_id, qty in allocations:
            uow.session.add(OrderAllocation(order_id=order.id, order_line_id=rows[index].id,
                                            product_id=rows[index].product_id,
                                            warehouse_id=warehouse_id, quantity=qty))
        return order
    return factory.write(make)


async def test_replenishment_counts_open_demand_incoming_and_thresholds(api, factory):
    user = factory.user("MANAGER")
    w = warehouse(factory)
    p, plenty, unplanned = product(factory), product(factory), product(factory)
    level = receive(factory, p.id, w.id, 10)
    _reserve(factory, p.id, w.id, 2)
    _settings(factory, level.id, safety_stock=10, reorder_point=20, incoming=5)
    receive(factory, plenty.id, w.id, 100)
    receive(factory, unplanned.id, w.id, 1)
    _order(factory, "DRAFT", [(p.id, 4), (unplanned.id, 3)])
    _order(factory, "PENDING_REVIEW", [(p.id, 3)])
    _order(factory, "ON_HOLD", [(p.id, 6)], allocations=[(0, w.id, 2)])  # 4 still unreserved
    _order(factory, "CONFIRMED", [(p.id, 50)])  # reserved already: not open demand
    _order(factory, "CANCELLED", [(p.id, 9), (plenty.id, 500)])

    rows = (await api.ok(SUGGEST, {"w": gid("Warehouse", w.id)}, user.token))[
        "replenishmentSuggestions"]
    assert [r["product"]["sku"] for r in rows] == [p.sku, unplanned.sku]  # most urgent first
    first = rows[0]
    assert first["stockLevel"]["id"] == gid("StockLevel", level.id)
    assert {k: first[k] for k in ("onHand", "reserved", "available", "incoming", "openDemand",
                                  "projectedAvailable", "reorderLevel", "targetLevel",
                                  "suggestedQuantity")} == {
        "onHand": 10, "reserved": 2, "available": 8, "incoming": 5, "openDemand": 11,
        "projectedAvailable": 2, "reorderLevel": 20, "targetLevel": 30, "suggestedQuantity": 28}
    # no thresholds set, but open demand exceeds stock: order the shortfall
    assert (rows[1]["projectedAvailable"], rows[1]["suggestedQuantity"]) == (-2, 2)


async def test_replenishment_shares_demand_across_warehouses(api, factory):
    user = factory.user("ADMIN")
    big, small = warehouse(factory), warehouse(factory)
    p = product(factory)
    receive(factory, p.id, big.id, 30)
    level = receive(factory, p.id, small.id, 10)
    _settings(factory, level.id, reorder_point=10)
    _order(factory, "DRAFT", [(p.id, 8)])
    rows = (await api.ok(SUGGEST, {"w": gid("Warehouse", small.id)}, user.token))[
        "replenishmentSuggestions"]
    assert len(rows) == 1 and rows[0]["warehouse"]["code"] == small.code
    # 8 shared 30:10 -> 6 and 2
    assert (rows[0]["openDemand"], rows[0]["productOpenDemand"]) == (2, 8)
    assert (rows[0]["projectedAvailable"], rows[0]["suggestedQuantity"]) == (8, 2)
    big_rows = (await api.ok(SUGGEST, {"w": gid("Warehouse", big.id)}, user.token))[
        "replenishmentSuggestions"]
    assert p.sku not in [r["product"]["sku"] for r in big_rows]


async def test_replenishment_scope_and_bad_arguments(api, factory):
    mine, foreign = warehouse(factory), warehouse(factory)
    p = product(factory)
    for w in (mine, foreign):
        level = receive(factory, p.id, w.id, 1)
        _settings(factory, level.id, safety_stock=5)
    staff = factory.user("WAREHOUSE", warehouses=[mine.code])
    rows = (await api.ok(SUGGEST, {"w": None}, staff.token))["replenishmentSuggestions"]
    assert {r["warehouse"]["code"] for r in rows} == {mine.code}
    foreign_body = await api.gql(SUGGEST, {"w": gid("Warehouse", foreign.id)}, staff.token)
    missing_body = await api.gql(SUGGEST, {"w": gid("Warehouse", 99999999)}, staff.token)
    assert foreign_body == missing_body
    assert foreign_body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    limit = await api.gql("{ replenishmentSuggestions(limit: 0) { suggestedQuantity } }",
                          token=staff.token)
    assert limit["errors"][0]["extensions"]["field"] == ["limit"]
    customer = factory.user("CUSTOMER", customer_id=factory.customer().id)
    denied = await api.gql(SUGGEST, {"w": None}, customer.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_low_stock_levels_and_level_filters(api, factory):
    user = factory.user("LOGISTICS")
    w1, w2 = warehouse(factory), warehouse(factory)
    low, out, fine = product(factory), product(factory), product(factory)
    lv = receive(factory, low.id, w1.id, 5)
    _settings(factory, lv.id, safety_stock=10)
    receive(factory, low.id, w2.id, 5)  # same product, no safety stock: fine there
    lv = receive(factory, out.id, w1.id, 4)
    _reserve(factory, out.id, w1.id, 4)
    _settings(factory, lv.id, safety_stock=1, reorder_point=3)
    receive(factory, fine.id, w1.id, 50)

    query = """query($w: ID) { lowStockLevels(warehouseId: $w, first: 100) {
      totalCount nodes { isLow status available product { sku } warehouse { code } } } }"""
    data = (await api.ok(query, {"w": gid("Warehouse", w1.id)}, user.token))["lowStockLevels"]
    got = {n["product"]["sku"]: (n["status"], n["available"]) for n in data["nodes"]}
    assert got == {low.sku: ("LOW_STOCK", 5), out.sku: ("OUT_OF_STOCK", 0)}
    assert all(n["isLow"] for n in data["nodes"]) and data["totalCount"] == 2
    none_in_w2 = await api.ok(query, {"w": gid("Warehouse", w2.id)}, user.token)
    assert none_in_w2["lowStockLevels"]["totalCount"] == 0

    levels = """query($f: StockLevelFilter, $s: StockLevelSort) {
      stockLevels(filter: $f, sort: $s, first: 100) { nodes { onHand product { sku } } } }"""
    wh = gid("Warehouse", w1.id)

    async def skus(flt: dict, sort: str = "PRODUCT_ASC") -> list[str]:
        body = await api.ok(levels, {"f": {"warehouseId": wh, **flt}, "s": sort}, user.token)
        return [n["product"]["sku"] for n in body["stockLevels"]["nodes"]]

    assert await skus({"status": "OUT_OF_STOCK"}) == [out.sku]
    assert await skus({"status": "IN_STOCK"}) == [fine.sku]
    assert await skus({"belowReorderPoint": True}) == [out.sku]
    assert await skus({"belowSafetyStock": False}) == [fine.sku]
    assert await skus({}, "ON_HAND_DESC") == [fine.sku, low.sku, out.sku]
    node = await api.ok("""query($id: ID!) { node(id: $id) { ... on StockLevel { onHand
      warehouse { code } } } }""", {"id": gid("StockLevel", lv.id)}, user.token)
    assert node["node"] == {"onHand": 4, "warehouse": {"code": w1.code}}


def _real_order(factory):  # noqa: ANN001, ANN202
    customer = factory.customer()

    def add(uow):  # noqa: ANN001, ANN202
        row = Order(number=unique("SO-MV-"), customer_id=customer.id)
        uow.session.add(row)
        uow.session.flush()
        return row.id
    return factory.write(add)


async def test_movement_ledger_filters_sorts_and_pages(api, factory):
    user = factory.user("ADMIN")
    w, other = warehouse(factory), warehouse(factory)
    p = product(factory)
    factory.write(stock_service.receive_stock, p.id, w.id, 20, "到货", "DN-7788")
    factory.write(stock_service.adjust_stock, p.id, w.id, -1, "包装破损")
    oid = _real_order(factory)  # a real order: a referenceId filters like node(id)
    _reserve(factory, p.id, w.id, 5, order_id=oid)
    factory.write(lambda uow: ledger.release(
        uow.session, [ledger.StockLine(p.id, w.id, 5)], ledger.Reference("Order", oid)))
    receive(factory, p.id, other.id, 3)
    query = """query($f: StockMovementFilter, $s: StockMovementSort, $first: Int,
      $after: String) { stockMovements(filter: $f, sort: $s, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { kind onHandDelta reservedDelta reason referenceType referenceId
              externalReference actor { id } product { sku } } } }"""
    base = {"productId": gid("Product", p.id), "warehouseId": gid("Warehouse", w.id)}

    async def kinds(flt: dict, sort: str = "CREATED_AT_ASC") -> list[str]:
        body = await api.ok(query, {"f": {**base, **flt}, "s": sort, "first": 100}, user.token)
        return [n["kind"] for n in body["stockMovements"]["nodes"]]

    assert await kinds({}) == ["RECEIPT", "ADJUSTMENT", "RESERVATION", "RELEASE"]
    assert await kinds({}, "CREATED_AT_DESC") == ["RELEASE", "RESERVATION", "ADJUSTMENT",
                                                  "RECEIPT"]
    assert await kinds({"kinds": ["RESERVATION", "RELEASE"]}) == ["RESERVATION", "RELEASE"]
    order_ref = {"referenceType": "Order", "referenceId": gid("Order", oid)}
    assert await kinds(order_ref) == ["RESERVATION", "RELEASE"]
    assert await kinds({"referenceId": gid("Order", 987654321)}) == []
    assert await kinds({"reason": "破损"}) == ["ADJUSTMENT"]
    assert await kinds({"externalReference": "DN-7788"}) == ["RECEIPT"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await kinds({"createdAfter": future}) == []
    assert len(await kinds({"createdBefore": future})) == 4
    everywhere = await api.ok(query, {"f": {"productId": base["productId"]}, "first": 100},
                              user.token)
    assert everywhere["stockMovements"]["totalCount"] == 5

    seen, after = [], None
    while True:
        body = (await api.ok(query, {"f": base, "s": "CREATED_AT_ASC", "first": 3,
                                     "after": after}, user.token))["stockMovements"]
        seen += [n["kind"] for n in body["nodes"]]
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["pageInfo"]["endCursor"]
    assert seen == ["RECEIPT", "ADJUSTMENT", "RESERVATION", "RELEASE"]

    first = (await api.ok(query, {"f": {**base, "kinds": ["RESERVATION"]}}, user.token))[
        "stockMovements"]["nodes"][0]
    assert first["referenceType"] == "Order" and first["referenceId"] == gid("Order", oid)
    assert first["reservedDelta"] == 5 and first["actor"] is None  # written by SYSTEM
    bad = await api.gql(query, {"f": {"referenceType": "Shipment",
                                      "referenceId": gid("Order", oid)}}, user.token)
    assert bad["errors"][0]["extensions"]["field"] == ["filter", "referenceId"]
    # another rep's order filters like a missing one: nothing of it shows
    rep = factory.user("SALES")
    hidden = await api.ok(query, {"f": order_ref, "first": 100}, rep.token)
    assert hidden["stockMovements"]["nodes"] == []
    bad = await api.gql(query, {"f": {"referenceType": "Shipment",
                                      "referenceId": gid("Order", oid)}}, user.token)
    assert bad["errors"][0]["extensions"]["field"] == ["filter", "referenceId"]


async def test_ledger_relations_are_batched(api, factory, db):
    """Statements per query do not grow with the number of movements listed.

    Each root is measured in its own request: two roots in one request may or may
    not share a batch depending on event-loop timing, which is not what this checks.
    """
    user = factory.user("MANAGER")
    p, w = product(factory), warehouse(factory)
    queries = (
        """query($p: ID!) { stockMovements(first: 100, filter: {productId: $p}) {
          nodes { kind actor { email } product { sku } warehouse { code stockLevels { onHand } } }
        } }""",
        """query($p: ID!) { stockLevels(filter: {productId: $p}) {
          nodes { product { totalAvailable } } } }""",
    )

    async def statements(receipts: int) -> list[int]:
        for _ in range(receipts):
            await api.ok("""mutation($i: StockReceiveInput!) { stockReceive(input: $i) {
              userErrors { code } } }""", {"i": {"productId": gid("Product", p.id),
                                                "warehouseId": gid("Warehouse", w.id),
                                                "quantity": 1}}, user.token)
        counts = []
        for query in queries:
            db.counter.reset()
            await api.ok(query, {"p": gid("Product", p.id)}, user.token)
            counts.append(db.counter.count)
        return counts

    assert await statements(2) == await statements(6)
