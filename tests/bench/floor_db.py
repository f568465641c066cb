"""An estimate of the floor under S3 with the database: what placing and approving an order
costs when the write path is hand-written SQL on the DB-API.

`RawOrders` places and approves orders for real, on the DB-API cursor, in the app's own
units of work: `Runner.write` runs them on the app's SQLite writer (the writer process by
default, with its queueing, group commit and a savepoint per unit), and the events are
published after commit, as the app's are. It runs the statements the order workflow runs,
with rows of the same content:

- create: customer, products, the customer's agreed prices, default contact and address,
  the order, its lines, two
  history rows, the order number, audit rows and outbox rows;
- approve: order, customer, lines, products (price check), the credit exposure (the app's
  own statement, compared with the limit), whether the customer has been served before
  (priority), the products' stock, the plan (the app's own `allocation.plan`), conditional
  reservations, allocations, history, the new status, ledger movements, audit and outbox.

Their notifications are the app's: its planner reads these outbox events after commit, as
it reads the app's own (app/notifications/planning.py).

It leaves out what has no SQL: the checks of rights and input, discount approvals, the
ORM. Mounted behind the floor schema (tests/bench/floor.py) at /floor-db on SQLite, so an
order placed there costs the strawberry floor plus the app's unit of work around a lean
write path; S3 prints what it reaches beside the real figures.
`tests/orders/test_bench_floor_db.py` holds it to the real workflow's statements and rows.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import orjson

from app.customers.models import TIER_RANK
from app.errors import DomainError
from app.events.bus import DomainEvent
from app.orders import allocation
from app.orders.repository import balances
from app.persistence.fast import driver
from app.persistence.uow import Runner, UnitOfWork
from app.quotes.workflow import business_today

Publish = Callable[[list[DomainEvent]], Awaitable[None]]
Line = namedtuple("Line", "id product_id quantity sku unit_price")  # plan reads the first 4


class Refused(DomainError):
    """A refusal: the unit of work rolls back what it wrote, as the app's do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ")


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _one(cur: Any, sql: str, args: tuple) -> dict | None:
    row = cur.execute(sql, args).fetchone()
    return None if row is None else dict(zip((d[0] for d in cur.description), row, strict=True))


def _all(cur: Any, sql: str, args: tuple | list) -> list[dict]:
    rows = cur.execute(sql, args).fetchall()
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in rows]


def _ids(cur: Any, sql: str, args: list) -> list[int]:
    """A multi-row INSERT ... RETURNING id: the ids (SQLite numbers the rows in order)."""
    return sorted(r[0] for r in cur.execute(sql, args).fetchall())


def _json(value: Any) -> str:
    # default=str: PostgreSQL's rows hold Decimals (tests/bench/pg_reference.py)
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


_ORDER_COLUMNS = ("number", "customer_id", "contact_id", "channel", "external_id", "status",
                  "status_before_hold", "payment_status", "payment_method", "currency",
                  "subtotal", "discount_total", "shipping_total", "total", "paid_total",
                  "refunded_total", "ship_recipient", "ship_phone", "ship_region",
                  "ship_address", "notes", "hold_reason", "close_reason", "priority",
                  "promised_date", "scheduled_date", "rating", "feedback", "created_by_id",
                  "created_at", "updated_at", "confirmed_at", "shipped_at", "delivered_at",
                  "completed_at", "version")
INSERT_ORDER = (f"INSERT INTO sales_order ({', '.join(_ORDER_COLUMNS)}) "
                f"VALUES ({_marks(len(_ORDER_COLUMNS))})")
INSERT_LINE = ("INSERT INTO order_line (order_id, product_id, sku, name, quantity, unit_price, "
               "discount_rate, line_total, quantity_shipped, quantity_delivered, "
               "quantity_returned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)")
INSERT_EVENT = ("INSERT INTO order_event (order_id, type, from_status, to_status, actor_id, "
                "message, details, created_at) VALUES (?, ?, ?, ?, ?, '', ?, ?) RETURNING id")
INSERT_AUDIT = ('INSERT INTO audit_record (actor_id, actor_role, action, entity_type, '
                'entity_id, "before", "after", request_id, created_at) VALUES {} RETURNING id')
AUDIT_ROW = "(?, 'ADMIN', ?, 'Order', ?, ?, ?, ?, ?)"
INSERT_ALLOCATION = ("INSERT INTO order_allocation (order_id, order_line_id, product_id, "
                     "warehouse_id, quantity, quantity_shipped) VALUES (?, ?, ?, ?, ?, 0)")
INSERT_MOVEMENT = ("INSERT INTO stock_movement (product_id, warehouse_id, kind, on_hand_delta, "
                   "reserved_delta, reason, reference_type, reference_id, external_reference, "
                   "actor_id, created_at) VALUES {} RETURNING id")
MOVEMENT_ROW = "(?, ?, 'RESERVATION', 0, ?, 'order approved', 'Order', ?, NULL, ?, ?)"
RESERVE = ("UPDATE stock_level SET reserved = reserved + ?, updated_at = ? WHERE product_id = ? "
           "AND warehouse_id = ? AND on_hand - reserved >= ? RETURNING id")
INSERT_CHANGE = ("INSERT INTO sync_change (position, entity, entity_id, customer_id, user_id) "
                 "VALUES (?, ?, ?, ?, NULL)")
STOCK = ("SELECT s.product_id, s.warehouse_id, s.on_hand, s.reserved, w.region FROM stock_level "
         "s JOIN warehouse w ON w.id = s.warehouse_id WHERE s.product_id IN ({}) AND "
         "w.is_active ORDER BY s.product_id, s.warehouse_id")
RETURNING_CUSTOMER = ("SELECT id FROM sales_order WHERE customer_id = ? AND id != ? AND status "
                      "IN ('DELIVERED', 'COMPLETED') LIMIT 1")


class RawOrders:
    """Order placement and approval on the DB-API, in the app's units of work."""

    def __init__(self, runner: Runner, actor_id: int, publish: Publish | None = None) -> None:
        self.runner, self.actor_id, self.publish = runner, actor_id, publish

    async def create(self, customer_id: int, lines: list[tuple[int, int]]) -> dict:
        return await self._write("create", customer_id, lines)

    async def approve(self, order_id: int) -> dict:
        return await self._write("approve", order_id)

    async def _write(self, step: str, *args: Any) -> dict:
        """A refusal is an outcome (its unit rolled back), anything else is raised."""
        try:
            order, events = await self.runner.write(in_unit, self.actor_id, step, *args)
        except Refused as refused:
            return {"order": None, "events": [], "error": (refused.code, refused.message)}
        if events and self.publish is not None:
            await self.publish(events)
        return {"order": order, "events": events, "error": None}


def in_unit(uow: UnitOfWork, actor_id: int, step: str, *args: Any
            ) -> tuple[dict, list[DomainEvent]]:
    """One step on the unit's own connection (module-level: it crosses to the writer
    process pickled); the order as a dict, and the events with the outbox ids it wrote."""
    conn = driver.connection_of(uow.session)
    cur = conn.connection.cursor()
    try:
        sql = RawSql(actor_id, _exposure(conn.dialect))
        return (sql.create if step == "create" else sql.approve)(cur, *args)
    finally:
        cur.close()


@cache
def _exposure(dialect: Any) -> tuple[str, Any, dict]:
    """The credit check's own statement, its IN lists expanded once."""
    exposure = balances.EXPOSURE.compile(dialect=dialect)
    expanded = exposure.construct_expanded_state({"customer_id": 0, "exclude_id": 0})
    return expanded.statement, expanded.positiontup, expanded.parameters


class RawSql:
    """The steps' statements on a DB-API cursor."""

    def __init__(self, actor_id: int, exposure: tuple[str, Any, dict]) -> None:
        self.actor_id, self._exposure = actor_id, exposure

    # -- create ------------------------------------------------------------------------
    def create(self, cur: Any, customer_id: int, lines: list[tuple[int, int]]
                ) -> tuple[dict, list[DomainEvent]]:
        now = _now()
        customer = _one(cur, "SELECT * FROM customer WHERE id = ?", (customer_id,))
        if customer is None or customer["status"] != "ACTIVE":
            raise Refused("NOT_FOUND", "customer not found or not active")
        products = self._agreed(cur, customer_id, self._products(cur, [p for p, _ in lines]))
        order = self._draft(cur, customer, products, lines, now)
        cur.execute(INSERT_ORDER, tuple(order.values()))
        order_id = cur.lastrowid
        cur.executemany(INSERT_LINE, [
            (order_id, p, products[p]["sku"], products[p]["name"], q, products[p]["price"],
             0.0, round(products[p]["price"] * q, 2)) for p, q in lines])
        created = self._event(cur, order_id, "CREATED", None, None, now, {
            "lines": len(lines), "total": f"{order['total']:.2f}", "channel": "WEB"})
        submitted = self._event(cur, order_id, "SUBMITTED", "DRAFT", "PENDING_REVIEW", now)
        before = {"id": order_id, **order}
        order.update(number=f"SO-{now[:10].replace('-', '')}-{order_id:06d}",
                     status="PENDING_REVIEW", version=2)
        cur.execute("UPDATE sales_order SET number = ?, status = ?, updated_at = ?, "
                    "version = ? WHERE id = ?",
                    (order["number"], order["status"], now, order["version"], order_id))
        after = {"id": order_id, **order}
        events = [("order.event", {"order_id": order_id, "customer_id": customer_id,
                                   "order_event_id": created, "type": "CREATED", "at": now}),
                  self._status_event(order_id, customer_id, "DRAFT", "PENDING_REVIEW",
                                     submitted, now)]
        return after, self._finish(cur, after, now, events, [
            ("order.created", None, after), ("order.submitted", before, after)])

    @staticmethod
    def _products(cur: Any, product_ids: list[int]) -> dict[int, dict]:
        ids = sorted(set(product_ids))
        found = {p["id"]: p for p in _all(
            cur, f"SELECT * FROM product WHERE id IN ({_marks(len(ids))})", ids)}
        if len(found) != len(ids) or not all(p["is_active"] for p in found.values()):
            raise Refused("NOT_FOUND", "product not found or no longer sold")
        return found

    @staticmethod
    def _agreed(cur: Any, customer_id: int, products: dict[int, dict]) -> dict[int, dict]:
        """Products at the customer's agreed prices valid today (app/orders/pricing.py)."""
        ids, today = sorted(products), business_today("Asia/Shanghai").isoformat()
        agreed = {r["product_id"]: r["price"] for r in _all(
            cur, "SELECT product_id, price FROM price_agreement WHERE customer_id = ? AND "
            f"product_id IN ({_marks(len(ids))}) AND valid_from <= ? AND (valid_until IS NULL "
            "OR valid_until >= ?)", [customer_id, *ids, today, today])}
        return {pid: {**p, "price": agreed.get(pid, p["price"])} for pid, p in products.items()}

    def _draft(self, cur: Any, customer: dict, products: dict[int, dict],
               lines: list[tuple[int, int]], now: str) -> dict:
        """The new order's columns: priced lines, the default contact and address."""
        contact = _one(cur, "SELECT * FROM contact WHERE customer_id = ? "
                            "ORDER BY is_primary DESC, id LIMIT 1", (customer["id"],))
        address = _one(cur, "SELECT * FROM address WHERE customer_id = ? "
                            "ORDER BY is_default_shipping DESC, id LIMIT 1", (customer["id"],))
        subtotal = round(sum(products[p]["price"] * q for p, q in lines), 2)
        order = dict.fromkeys(_ORDER_COLUMNS)
        order.update(
            number=f"~{customer['id']}-{now}", customer_id=customer["id"],
            contact_id=contact and contact["id"], channel="WEB", status="DRAFT",
            payment_status="UNPAID", payment_method="CREDIT_TERMS", currency="CNY",
            subtotal=subtotal, discount_total=0.0, shipping_total=0.0, total=subtotal,
            paid_total=0.0, refunded_total=0.0, ship_recipient="", ship_phone=None,
            ship_region=customer["region"], ship_address="", notes="", priority=0,
            created_by_id=self.actor_id, created_at=now, updated_at=now, version=1)
        if address is not None:
            order.update(ship_recipient=address["recipient"], ship_phone=address["phone"],
                         ship_region=address["region"] or customer["region"],
                         ship_address=" ".join(address[k] for k in (
                             "province", "city", "district", "line1", "line2") if address[k]))
        return order

    # -- approve -----------------------------------------------------------------------
    def approve(self, cur: Any, order_id: int) -> tuple[dict, list[DomainEvent]]:
        now = _now()
        order = _one(cur, "SELECT * FROM sales_order WHERE id = ?", (order_id,))
        if order is None:
            raise Refused("NOT_FOUND", "order not found")
        if order["status"] != "PENDING_REVIEW":
            raise Refused("INVALID_TRANSITION", f"cannot approve an order in {order['status']}")
        customer = _one(cur, "SELECT * FROM customer WHERE id = ?", (order["customer_id"],))
        lines = [Line(*(r[k] for k in Line._fields)) for r in _all(
            cur, "SELECT * FROM order_line WHERE order_id = ? ORDER BY id", (order_id,))]
        self._review(cur, order, customer, lines)
        returning = cur.execute(RETURNING_CUSTOMER, (customer["id"], order_id)).fetchone()
        slots, levels = self._reserve(cur, order, customer, lines, now)
        approved = self._event(cur, order_id, "APPROVED", "PENDING_REVIEW", "CONFIRMED", now,
                               {"reserved": allocation.warehouses_of(slots)})
        before = dict(order)
        order.update(status="CONFIRMED", updated_at=now, confirmed_at=now,
                     priority=TIER_RANK.get(customer["tier"], 0) * 2 + (returning is not None),
                     version=order["version"] + 1)
        cur.execute("UPDATE sales_order SET status = ?, priority = ?, updated_at = ?, "
                    "confirmed_at = ?, version = ? WHERE id = ?",
                    ("CONFIRMED", order["priority"], now, now, order["version"], order_id))
        movements = _ids(cur, INSERT_MOVEMENT.format(", ".join([MOVEMENT_ROW] * len(slots))), [
            v for s in slots
            for v in (s.product_id, s.warehouse_id, s.quantity, order_id, self.actor_id, now)])
        events = [self._status_event(order_id, customer["id"], "PENDING_REVIEW", "CONFIRMED",
                                     approved, now)]
        return order, self._finish(cur, order, now, events, [("order.approved", before, order)],
                                   [("StockLevel", i) for i in levels]
                                   + [("StockMovement", i) for i in movements])

    def _review(self, cur: Any, order: dict, customer: dict, lines: list[Line]) -> None:
        """Prices against the catalog, then the credit limit (the app's exposure SQL)."""
        products = self._products(cur, [ln.product_id for ln in lines])
        if any(products[ln.product_id]["price"] != ln.unit_price for ln in lines):
            raise Refused("PRICE_MISMATCH", "the catalog changed")
        sql, names, params = self._exposure
        params = {**params, "customer_id": customer["id"], "exclude_id": order["id"]}
        exposure = cur.execute(sql, [params[n] for n in names]).fetchone()[0] or 0
        if Decimal(str(exposure)) + Decimal(str(order["total"])) > Decimal(
                str(customer["credit_limit"])):
            raise Refused("CREDIT_LIMIT_EXCEEDED", "credit limit exceeded")

    @staticmethod
    def _reserve(cur: Any, order: dict, customer: dict, lines: list[Line], now: str
                 ) -> tuple[list[allocation.Slot], list[int]]:
        """The app's plan over the products' stock, then the conditional reservations."""
        ids = sorted({ln.product_id for ln in lines})
        available, regions = {}, {}
        for s in _all(cur, STOCK.format(_marks(len(ids))), ids):
            available[(s["product_id"], s["warehouse_id"])] = s["on_hand"] - s["reserved"]
            regions[s["warehouse_id"]] = s["region"]
        stock = allocation.Stock(available, [allocation.Site(w, r)
                                             for w, r in sorted(regions.items())])
        try:
            slots = allocation.plan(lines, stock, order["ship_region"] or customer["region"])
        except DomainError as short:  # INSUFFICIENT_STOCK, one line or several
            raise Refused("INSUFFICIENT_STOCK", str(short)) from None
        levels = []  # the delta sync's changed levels (docs/architecture.md#delta-sync)
        for s in slots:
            level = cur.execute(RESERVE, (s.quantity, now, s.product_id, s.warehouse_id,
                                          s.quantity)).fetchone()
            if level is None:
                raise Refused("INSUFFICIENT_STOCK", "stock moved")
            levels.append(level[0])
        cur.executemany(INSERT_ALLOCATION, [(order["id"], s.line_id, s.product_id,
                                             s.warehouse_id, s.quantity) for s in slots])
        return slots, levels

    # -- the append-only tail: history, audit, outbox -----------------
    def _event(self, cur: Any, order_id: int, kind: str, from_status: str | None,
               to_status: str | None, now: str, details: dict | None = None) -> int:
        return cur.execute(INSERT_EVENT, (order_id, kind, from_status, to_status,
                                          self.actor_id, details and _json(details),
                                          now)).fetchone()[0]

    def _status_event(self, order_id: int, customer_id: int, from_status: str,
                      to_status: str, event_id: int, now: str) -> tuple[str, dict]:
        return ("order.status_changed", {
            "order_id": order_id, "customer_id": customer_id, "from_status": from_status,
            "to_status": to_status, "actor_id": self.actor_id, "order_event_id": event_id,
            "at": now, "message": ""})

    def _finish(self, cur: Any, order: dict, now: str, events: list[tuple[str, dict]],
                audits: list[tuple], changed: list[tuple[str, int]] = ()) -> list[DomainEvent]:
        """Audit rows, then the outbox and the sync change rows (the order, its audit
        records, and `changed`: levels and movements); the events with their outbox ids,
        to publish after commit."""
        records = _ids(cur, INSERT_AUDIT.format(", ".join([AUDIT_ROW] * len(audits))), [
            v for action, before, after in audits
            for v in (self.actor_id, action, order["id"], before and _json(before),
                      _json(after), "floor-db", now)])
        outbox = sorted(r[0] for r in cur.execute(
            "INSERT INTO outbox_event (topic, payload, created_at) VALUES "
            + ", ".join(["(?, ?, ?)"] * len(events)) + " RETURNING id",
            [v for topic, payload in events for v in (topic, _json(payload), now)]
        ).fetchall())
        # the delta sync's change rows at the unit's last position (architecture.md#delta-sync)
        rows = [("AuditRecord", i, None) for i in records] + [
            ("Order", order["id"], order["customer_id"])] + [(e, i, None) for e, i in changed]
        cur.executemany(INSERT_CHANGE, [(outbox[-1], e, i, c) for e, i, c in sorted(rows)])
        return [DomainEvent(topic, payload, i)
                for (topic, payload), i in zip(events, outbox, strict=True)]
