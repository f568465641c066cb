"""The floor under S3 with the database: what placing and approving an order could cost
if the write path were nothing but hand-written SQL.

`RawOrders` places and approves orders for real, on the DB-API cursor, through the app's
SQLite writer thread (queueing, group commit and a savepoint per unit included). It runs
the statements the order workflow runs, with rows of the same shape and size:

- create: customer, products, default contact and address, the order, its lines, two
  history rows, the order number, notification preferences, notification rows, audit
  rows, outbox rows and the notifications' links to them;
- approve: order, customer, lines, products, the credit exposure (the app's own compiled
  statement), whether the customer has been served before, the products' stock, the
  conditional reservations, allocations, history, the new status, notifications, ledger
  movements, audit, outbox and links.

Nothing else: no ORM, no rules beyond stock (a line takes the warehouse with the most
available units; a short line refuses the approval). Mounted behind the floor schema
(tests/bench/floor.py) at /floor-db on SQLite, so an order placed there costs the
strawberry floor plus the least a write path of this workflow could cost. S3 prints
what it reaches beside the real figures: the target set against a floor that includes
the database.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from app.db import Database
from app.orders import balances


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


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


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


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
                'entity_id, "before", "after", request_id, created_at) '
                "VALUES (?, 'ADMIN', ?, 'Order', ?, ?, ?, ?, ?)")
INSERT_NOTIFICATION = ("INSERT INTO notification (customer_id, user_id, channel, template, "
                       "language, recipient, subject, body, status, attempts, source_key, "
                       "next_attempt_at, sent_at, created_at) VALUES ")
NOTIFICATION_ROW = "(?, NULL, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)"
LINK_NOTIFICATION = "UPDATE notification SET event_id = ? WHERE id = ?"
INSERT_MOVEMENT = ("INSERT INTO stock_movement (product_id, warehouse_id, kind, on_hand_delta, "
                   "reserved_delta, reason, reference_type, reference_id, external_reference, "
                   "actor_id, created_at) VALUES (?, ?, 'RESERVATION', 0, ?, 'order approved', "
                   "'Order', ?, NULL, ?, ?)")
RESERVE = ("UPDATE stock_level SET reserved = reserved + ?, updated_at = ? WHERE product_id = ? "
           "AND warehouse_id = ? AND on_hand - reserved >= ?")


class RawOrders:
    """Order placement and approval on the DB-API, through the app's writer thread."""

    def __init__(self, db: Database, actor_id: int) -> None:
        self.db, self.actor_id = db, actor_id
        # the credit check's own statement, its IN lists expanded once
        exposure = balances._EXPOSURE.compile(  # noqa: SLF001
            dialect=db.write_engine.dialect).construct_expanded_state(
            {"customer_id": 0, "exclude_id": 0})
        self._exposure_sql = exposure.statement
        self._exposure_names = exposure.positiontup
        self._exposure_params = exposure.parameters

    async def create(self, customer_id: int, lines: list[tuple[int, int]]) -> dict:
        return await self.db.writer.run(functools.partial(self._unit, self._create,
                                                          (customer_id, lines)))

    async def approve(self, order_id: int) -> dict:
        return await self.db.writer.run(functools.partial(self._unit, self._approve,
                                                          (order_id,)))

    # -- units of work -----------------------------------------------------------------
    def _unit(self, fn: Any, args: tuple, group: Connection | None) -> dict:
        """Alone: a transaction of its own. In a group: a savepoint, as the app's units."""
        if group is None:
            with self.db.write_engine.connect() as conn:
                conn.begin()  # BEGIN IMMEDIATE (app.db)
                try:
                    out = fn(conn.connection.cursor(), *args)
                except Refused as refused:
                    conn.rollback()
                    return {"order": None, "error": (refused.code, refused.message)}
                conn.commit()
                return {"order": out, "error": None}
        cur = group.connection.cursor()
        cur.execute("SAVEPOINT floor_db")
        try:
            out = fn(cur, *args)
        except Refused as refused:
            cur.execute("ROLLBACK TO SAVEPOINT floor_db")
            cur.execute("RELEASE SAVEPOINT floor_db")
            return {"order": None, "error": (refused.code, refused.message)}
        cur.execute("RELEASE SAVEPOINT floor_db")
        return {"order": out, "error": None}

    def _create(self, cur: Any, customer_id: int, lines: list[tuple[int, int]]) -> dict:
        now = _now()
        customer = _one(cur, "SELECT * FROM customer WHERE id = ?", (customer_id,))
        if customer is None:
            raise Refused("NOT_FOUND", "customer not found")
        ids = sorted({p for p, _ in lines})
        products = {p["id"]: p for p in _all(
            cur, f"SELECT * FROM product WHERE id IN ({_marks(len(ids))})", ids)}
        if len(products) != len(ids):
            raise Refused("NOT_FOUND", "product not found")
        contact = _one(cur, "SELECT * FROM contact WHERE customer_id = ? "
                            "ORDER BY is_primary DESC, id LIMIT 1", (customer_id,))
        address = _one(cur, "SELECT * FROM address WHERE customer_id = ? "
                            "ORDER BY is_default_shipping DESC, id LIMIT 1", (customer_id,))
        subtotal = round(sum(products[p]["price"] * q for p, q in lines), 2)
        order = dict.fromkeys(_ORDER_COLUMNS)
        order.update(
            number=f"~{customer_id}-{now}", customer_id=customer_id,
            contact_id=contact and contact["id"], channel="WEB", status="DRAFT",
            payment_status="UNPAID", payment_method="CREDIT_TERMS", currency="CNY",
            subtotal=subtotal, discount_total=0.0, shipping_total=0.0, total=subtotal,
            paid_total=0.0, refunded_total=0.0,
            ship_recipient=address["recipient"] if address else customer["name"],
            ship_phone=address and address["phone"], ship_region=customer["region"],
            ship_address=" ".join(str(address[k]) for k in (
                "province", "city", "district", "line1")) if address else "",
            notes="", priority=0, created_by_id=self.actor_id, created_at=now,
            updated_at=now, version=1)
        cur.execute(INSERT_ORDER, tuple(order.values()))
        order_id = cur.lastrowid
        cur.executemany(INSERT_LINE, [
            (order_id, p, products[p]["sku"], products[p]["name"], q, products[p]["price"],
             0.0, round(products[p]["price"] * q, 2)) for p, q in lines])
        created = self._event(cur, order_id, "CREATED", None, None, now,
                              {"lines": len(lines), "total": str(subtotal), "channel": "WEB"})
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
        self._finish(cur, customer, after, "order_received", now, events,
                     [("order.created", None, after), ("order.submitted", before, after)])
        return {"id": order_id, "number": order["number"], "status": order["status"]}

    def _approve(self, cur: Any, order_id: int) -> dict:
        now = _now()
        order = _one(cur, "SELECT * FROM sales_order WHERE id = ?", (order_id,))
        if order is None:
            raise Refused("NOT_FOUND", "order not found")
        if order["status"] != "PENDING_REVIEW":
            raise Refused("INVALID_TRANSITION", f"cannot approve an order in {order['status']}")
        customer = _one(cur, "SELECT * FROM customer WHERE id = ?", (order["customer_id"],))
        lines = _all(cur, "SELECT * FROM order_line WHERE order_id = ? ORDER BY id",
                     (order_id,))
        ids = sorted({ln["product_id"] for ln in lines})
        _all(cur, f"SELECT * FROM product WHERE id IN ({_marks(len(ids))})", ids)
        params = {**self._exposure_params, "customer_id": customer["id"],
                  "exclude_id": order_id}
        cur.execute(self._exposure_sql, [params[n] for n in self._exposure_names]).fetchone()
        cur.execute("SELECT id FROM sales_order WHERE customer_id = ? AND id != ? AND status "
                    "IN ('DELIVERED', 'COMPLETED') LIMIT 1",
                    (customer["id"], order_id)).fetchone()
        stock = _all(cur, "SELECT s.product_id, s.warehouse_id, s.on_hand, s.reserved, "
                          "w.region FROM stock_level s JOIN warehouse w ON w.id = "
                          f"s.warehouse_id WHERE s.product_id IN ({_marks(len(ids))}) "
                          "AND w.is_active ORDER BY s.product_id, s.warehouse_id", ids)
        slots = []
        for line in lines:
            best = max((s for s in stock if s["product_id"] == line["product_id"]),
                       key=lambda s: s["on_hand"] - s["reserved"], default=None)
            if best is None or best["on_hand"] - best["reserved"] < line["quantity"]:
                raise Refused("INSUFFICIENT_STOCK", f"insufficient stock for {line['sku']}")
            best["reserved"] += line["quantity"]
            slots.append((line, best["warehouse_id"]))
        for line, warehouse in slots:
            cur.execute(RESERVE, (line["quantity"], now, line["product_id"], warehouse,
                                  line["quantity"]))
            if cur.rowcount != 1:
                raise Refused("INSUFFICIENT_STOCK", f"insufficient stock for {line['sku']}")
        cur.executemany("INSERT INTO order_allocation (order_id, order_line_id, product_id, "
                        "warehouse_id, quantity, quantity_shipped) VALUES (?, ?, ?, ?, ?, 0)",
                        [(order_id, ln["id"], ln["product_id"], w, ln["quantity"])
                         for ln, w in slots])
        approved = self._event(cur, order_id, "APPROVED", "PENDING_REVIEW", "CONFIRMED", now,
                               {"reserved": {w: ln["quantity"] for ln, w in slots}})
        before = dict(order)
        order.update(status="CONFIRMED", priority=1, updated_at=now, confirmed_at=now,
                     version=order["version"] + 1)
        cur.execute("UPDATE sales_order SET status = ?, priority = ?, updated_at = ?, "
                    "confirmed_at = ?, version = ? WHERE id = ?",
                    ("CONFIRMED", 1, now, now, order["version"], order_id))
        cur.executemany(INSERT_MOVEMENT, [(ln["product_id"], w, ln["quantity"], order_id,
                                           self.actor_id, now) for ln, w in slots])
        events = [self._status_event(order_id, customer["id"], "PENDING_REVIEW", "CONFIRMED",
                                     approved, now)]
        self._finish(cur, customer, order, "order_approved", now, events,
                     [("order.approved", before, order)])
        return {"id": order_id, "number": order["number"], "status": order["status"]}

    # -- the append-only tail: history, notifications, audit, outbox -----------------
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

    def _finish(self, cur: Any, customer: dict, order: dict, template: str, now: str,
                events: list[tuple[str, dict]], audits: list[tuple]) -> None:
        off = {r[0] for r in cur.execute("SELECT channel, enabled FROM notification_preference "
                                         "WHERE customer_id = ?", (customer["id"],)) if not r[1]}
        subject = f"订单 {order['number']} 状态更新"
        body = (f"尊敬的{customer['name']}：您的订单 {order['number']}（金额 "
                f"{order['total']} {order['currency']}）状态已更新为 {order['status']}。")
        rows = [(channel, recipient) for channel, recipient in (
            ("EMAIL", customer["email"]), ("SMS", customer["phone"]), ("IN_APP", ""))
            if channel not in off and recipient is not None]
        notified = [r[0] for r in cur.execute(
            INSERT_NOTIFICATION + ", ".join([NOTIFICATION_ROW] * len(rows)) + " RETURNING id",
            [v for channel, recipient in rows for v in (
                customer["id"], channel, template, customer["language"], recipient, subject,
                body[:70] if channel == "SMS" else body,
                "DELIVERED" if channel == "IN_APP" else "PENDING",
                f"floor:{order['id']}:{template}:{channel}",
                None if channel == "IN_APP" else now, now if channel == "IN_APP" else None,
                now)]).fetchall()] if rows else []
        notified.sort()
        events += [("notification.created", {"notification_id": n, "channel": c,
                                             "customer_id": customer["id"], "user_id": None,
                                             "template": template})
                   for n, (c, _) in zip(notified, rows, strict=True)]
        cur.executemany(INSERT_AUDIT, [
            (self.actor_id, action, order["id"], before and _json(before), _json(after),
             "floor-db", now) for action, before, after in audits])
        # published at once: the relay's recovery must not redo them in later steps
        outbox = sorted(r[0] for r in cur.execute(
            "INSERT INTO outbox_event (topic, payload, created_at, published_at) VALUES "
            + ", ".join(["(?, ?, ?, ?)"] * len(events)) + " RETURNING id",
            [v for topic, payload in events for v in (topic, _json(payload), now, now)]
        ).fetchall())
        first_link = len(events) - len(notified)
        cur.executemany(LINK_NOTIFICATION, [(outbox[first_link + i], n)
                                            for i, n in enumerate(notified)])
