"""The yardstick: hand-written Starlette endpoints that run the same SQL the graph runs (one
statement per level, IN-lists, the same columns, joins and order), build the same JSON with plain
dicts and encode it with orjson. Mounted at /baseline in the benchmark server, on the app's
own engines and worker threads, so the only difference measured is the GraphQL layer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.ids import to_global_id as gid
from app.models import metadata
from app.persistence.pagination import encode_cursor
from app.persistence.sqlite.writers import writers

T = metadata.tables
CENT = Decimal("0.01")


def money(amount: Decimal, currency: str) -> dict:
    return {"amount": str(Decimal(amount).quantize(CENT)), "currency": currency}


def iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _by(rows: Any, key: str) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for row in rows:
        out[row._mapping[key]].append(row)
    return out


def _in(conn: Connection, table: str, column: str, ids: set[int] | list[int],
        order: tuple[str, ...] = ()) -> list:
    t = T[table]
    stmt = select(t).where(t.c[column].in_(sorted(ids)))
    if order:
        stmt = stmt.order_by(*(t.c[c] for c in order))
    return list(conn.execute(stmt))


def _levels_with_warehouses(conn: Connection, product_ids: set[int]) -> list:
    """Stock levels joined with their warehouse (columns prefixed wh_), as the graph's
    stock-levels-by-product loader reads them."""
    lv, wh = T["stock_level"], T["warehouse"]
    stmt = (select(lv, *(c.label("wh_" + c.name) for c in wh.c))
            .join(wh, wh.c.id == lv.c.warehouse_id)
            .where(lv.c.product_id.in_(sorted(product_ids)))
            .order_by(lv.c.product_id, lv.c.warehouse_id))
    return list(conn.execute(stmt))


def orders_page(conn: Connection, first: int) -> dict:
    """S1: orders -> customer, lines -> product -> stock levels with their warehouse,
    shipments."""
    o = T["sales_order"]
    rows = list(conn.execute(select(o).order_by(o.c.created_at.desc(), o.c.id.desc())
                             .limit(first + 1)))
    more, rows = len(rows) > first, rows[:first]
    order_ids = [r.id for r in rows]
    customers = {c.id: c for c in _in(conn, "customer", "id", {r.customer_id for r in rows})}
    lines = _by(_in(conn, "order_line", "order_id", order_ids, ("order_id", "id")), "order_id")
    product_ids = {ln.product_id for group in lines.values() for ln in group}
    products = {p.id: p for p in _in(conn, "product", "id", product_ids)}
    levels = _by(_levels_with_warehouses(conn, product_ids), "product_id")
    shipments = _by(_in(conn, "shipment", "order_id", order_ids, ("order_id", "created_at", "id")),
                    "order_id")

    def product(pid: int) -> dict:
        p = products[pid]
        return {"id": gid("Product", p.id), "name": p.name, "stockLevels": [
            {"available": lv.on_hand - lv.reserved, "onHand": lv.on_hand,
             "reserved": lv.reserved, "warehouse": {
                 "id": gid("Warehouse", lv.warehouse_id), "code": lv.wh_code}}
            for lv in levels.get(pid, [])]}

    def node(r: Any) -> dict:
        c = customers[r.customer_id]
        return {
            "id": gid("Order", r.id), "number": r.number, "status": r.status,
            "paymentStatus": r.payment_status, "createdAt": iso(r.created_at),
            "promisedDate": iso(r.promised_date), "total": money(r.total, r.currency),
            "customer": {"id": gid("Customer", c.id), "name": c.name, "tier": c.tier},
            "lines": [{"id": gid("OrderLine", ln.id), "sku": ln.sku, "name": ln.name,
                       "quantity": ln.quantity, "quantityShipped": ln.quantity_shipped,
                       "lineTotal": money(ln.line_total, r.currency),
                       "product": product(ln.product_id)} for ln in lines.get(r.id, [])],
            "shipments": [{"id": gid("Shipment", s.id), "number": s.number, "status": s.status,
                           "trackingNumber": s.tracking_number, "createdAt": iso(s.created_at)}
                          for s in shipments.get(r.id, [])]}

    end = encode_cursor([rows[-1].created_at, rows[-1].id]) if rows else None
    return {"data": {"orders": {"pageInfo": {"hasNextPage": more, "endCursor": end},
                                "edges": [{"node": node(r)} for r in rows]}}}


def _order_json(order: Any) -> dict:
    return {"id": gid("Order", order.id), "number": order.number, "status": order.status}


def _write_endpoint(runner: Any, call: Any):  # noqa: ANN202
    """S3: the same service function the mutation runs, in the same unit of work, with
    userErrors as data; only the GraphQL layer is missing."""
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.errors import DomainError
    from tests.bench.dataset import ADMIN_ID

    principal = Principal(user_id=ADMIN_ID, role=Role.ADMIN)

    async def endpoint(request: Request) -> Response:
        body = orjson.loads(await request.body())
        try:
            order = await call(runner, principal, body)
            out = {"order": _order_json(order), "userErrors": []}
        except DomainError as exc:
            out = {"order": None, "userErrors": [
                {"code": e.code.value, "message": e.message} for e in exc.errors]}
        return Response(orjson.dumps({"data": out}), media_type="application/json")

    return endpoint


async def _create(runner: Any, principal: Any, body: dict) -> Any:
    from app.orders import service
    from app.orders.pricing import LineRequest

    draft = service.OrderDraft(
        customer_id=body["customerId"], submit=True,
        lines=tuple(LineRequest(product_id=ln["productId"], quantity=ln["quantity"])
                    for ln in body["lines"]))
    return await runner.write(service.create_order, draft, principal=principal)


async def _approve(runner: Any, principal: Any, body: dict) -> Any:
    from app.ids import from_global_id
    from app.orders import transitions

    return await runner.write(transitions.approve_order, from_global_id(body["id"])[1],
                              principal=principal)


def _session_call(fn: Any):  # noqa: ANN202
    """Adapt fn(conn, ...) to the runner's fn(session, ...)."""
    def call(session: Any, *args: Any) -> Any:
        return fn(session.connection(), *args)
    return call


def create_baseline(state: Any) -> Starlette:
    from tests.bench.app import LAST_SQL, PhaseTimer

    runner = state.runner
    page = _session_call(orders_page)

    async def orders(request: Request) -> Response:
        body = orjson.loads(await request.body())
        result = await runner.read(page, int(body.get("first", 10)))
        return Response(orjson.dumps(result), media_type="application/json")

    async def orders_json(request: Request) -> Response:
        """PostgreSQL only: the page as one statement's JSON text (baseline_json.py)."""
        from tests.bench.baseline_json import orders_page_json

        body = orjson.loads(await request.body())
        text = await runner.read(_session_call(orders_page_json), int(body.get("first", 10)))
        return Response(text, media_type="application/json")

    async def analyst(request: Request) -> Response:
        from app.auth.principal import Principal
        from app.auth.roles import Role
        from tests.bench.baseline_analyst import analyst_deep
        from tests.bench.dataset import ANALYST_ID

        body = orjson.loads(await request.body())
        result = await runner.read(analyst_deep, Principal(user_id=ANALYST_ID, role=Role.ANALYST),
                                   int(body["customers"]), int(body["orders"]))
        return Response(orjson.dumps(result), media_type="application/json")

    async def last_sql(_request: Request) -> Response:
        return Response(orjson.dumps(LAST_SQL), media_type="application/json")

    async def phases(_request: Request) -> Response:
        return Response(orjson.dumps(PhaseTimer.take()), media_type="application/json")

    async def writer(_request: Request) -> Response:
        """The SQLite writer's group-commit counters (groups, units in them); {} elsewhere."""
        stats = writers(state.db).stats if state.db.is_sqlite else {}
        return Response(orjson.dumps(stats), media_type="application/json")

    from tests.bench.baseline_webhook import route as webhook_route
    from tests.bench.baseline_ws import route as ws_route

    return Starlette(routes=[ws_route(state), webhook_route(state),
                             Route("/orders", orders, methods=["POST"]),
                             Route("/orders-json", orders_json, methods=["POST"]),
                             Route("/analyst", analyst, methods=["POST"]),
                             Route("/order-create", _write_endpoint(runner, _create),
                                   methods=["POST"]),
                             Route("/order-approve", _write_endpoint(runner, _approve),
                                   methods=["POST"]),
                             Route("/_sql", last_sql), Route("/_phases", phases),
                             Route("/_writer", writer)])
