"""Deterministic benchmark datasets, written straight into the tables with bulk inserts.

Size S: 1k customers, 200 products, 3 warehouses, 10k orders, 50k lines, 10k shipments
(30k tracking events). Size M: 10k customers, 1k products, 100k orders, 500k lines, 100k
shipments, 300k tracking events. The same seed gives the same rows, ids and timestamps.

The stock ledger is consistent by construction: every stock level has one RECEIPT movement
and one RESERVATION / SHIPMENT movement per allocation, and its on_hand / reserved are the
sums of those movements (`ledger_mismatches` checks it).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tests.bench import names

BASE_TIME = datetime(2025, 6, 1, 8, 0, 0)  # naive UTC, as the app stores it
PASSWORD = "bench-password"
CHUNK_ORDERS = 2000


@dataclass(frozen=True)
class Size:
    name: str
    customers: int
    products: int
    warehouses: int
    orders: int
    lines: int
    shipments: int
    tracking_events: int
    sales_reps: int
    hot_products: int = 5
    customer_users: int = 50


SIZES = {
    "S": Size("S", 1_000, 200, 3, 10_000, 50_000, 10_000, 30_000, 20),
    "M": Size("M", 10_000, 1_000, 3, 100_000, 500_000, 100_000, 300_000, 100),
}

# Fixed user ids (the first rows of app_user).
ADMIN_ID, MANAGER_ID, ANALYST_ID, FINANCE_ID, SERVICE_ID = 1, 2, 3, 4, 5
STAFF = [(ADMIN_ID, "ADMIN"), (MANAGER_ID, "MANAGER"), (ANALYST_ID, "ANALYST"),
         (FINANCE_ID, "FINANCE"), (SERVICE_ID, "CUSTOMER_SERVICE")]

# Order statuses with their weights; the shipped ones carry shipments.
STATUS_WEIGHTS = [("DRAFT", 3), ("PENDING_REVIEW", 4), ("CONFIRMED", 8), ("SCHEDULED", 5),
                  ("IN_FULFILLMENT", 5), ("PARTIALLY_SHIPPED", 5), ("SHIPPED", 10),
                  ("DELIVERED", 15), ("COMPLETED", 37), ("ON_HOLD", 2), ("CANCELLED", 4),
                  ("REJECTED", 2)]
ALLOCATED = {"CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "PARTIALLY_SHIPPED", "SHIPPED",
             "DELIVERED", "COMPLETED"}
SHIPPED = {"PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "COMPLETED"}
SHIPMENT_STATUS = {"PARTIALLY_SHIPPED": "IN_TRANSIT", "SHIPPED": "OUT_FOR_DELIVERY",
                   "DELIVERED": "DELIVERED", "COMPLETED": "DELIVERED"}
TABLE_ORDER = ["app_user", "warehouse", "user_warehouse", "customer", "contact", "address",
               "product", "carrier", "sales_order", "order_line", "order_allocation",
               "order_event", "shipment", "shipment_line", "tracking_event", "stock_level",
               "stock_movement"]
TRACKING_PATH = ["PICKED_UP", "IN_TRANSIT", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]


def sales_rep_ids(size: Size) -> list[int]:
    start = len(STAFF) + size.warehouses + 1
    return list(range(start, start + size.sales_reps))


def warehouse_user_id(size: Size, warehouse_id: int) -> int:
    return len(STAFF) + warehouse_id


def customer_user_id(size: Size, customer_id: int) -> int | None:
    """Customers 1..customer_users each have one CUSTOMER login."""
    if customer_id > size.customer_users:
        return None
    return len(STAFF) + size.warehouses + size.sales_reps + customer_id


def hot_product_ids(size: Size) -> list[int]:
    return list(range(1, size.hot_products + 1))


def spread_product_ids(size: Size) -> list[int]:
    """Every product but the hot ones (S3's "spread" mode)."""
    return list(range(size.hot_products + 1, size.products + 1))


def order_number(order_id: int, created: datetime) -> str:
    """The app's own format (app/orders/numbering.py), unique because the id is."""
    return f"SO-{created:%Y%m%d}-{order_id:06d}"


@dataclass
class Tables:
    """Rows per table, appended in foreign-key order."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def drain(self) -> Iterator[tuple[str, list[dict]]]:
        for table in TABLE_ORDER:
            if self.rows.get(table):
                yield table, self.rows.pop(table)


class Generator:
    """Yields (table, rows) batches; identical output for an identical size and seed."""

    def __init__(self, size: Size, password_hash: str, seed: int = 20250601) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.password_hash = password_hash
        self.reserved: dict[tuple[int, int], int] = defaultdict(int)
        self.shipped: dict[tuple[int, int], int] = defaultdict(int)
        self.prices: list[Decimal] = []
        self.customer_discount: list[Decimal] = []
        self.ids = defaultdict(int)  # next id per table

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def batches(self) -> Iterator[tuple[str, list[dict]]]:
        out = Tables()
        self._users_and_warehouses(out)
        self._customers(out)
        self._catalog(out)
        yield from out.drain()
        statuses, line_counts, shipment_counts = self._order_plan()
        for start in range(0, self.size.orders, CHUNK_ORDERS):
            for i in range(start, min(start + CHUNK_ORDERS, self.size.orders)):
                self._order(out, i + 1, statuses[i], line_counts[i], shipment_counts[i])
            yield from out.drain()
        self._stock_levels(out)
        yield from out.drain()

    # -- reference data ---------------------------------------------------------------
    def _user(self, out: Tables, email: str, name: str, role: str,
              customer_id: int | None = None) -> int:
        uid = self.next_id("app_user")
        out.add("app_user", {"id": uid, "email": email, "full_name": name,
                             "password_hash": self.password_hash, "role": role,
                             "customer_id": customer_id, "is_active": True,
                             "created_at": BASE_TIME - timedelta(days=400)})
        return uid

    def _users_and_warehouses(self, out: Tables) -> None:
        for uid, role in STAFF:
            assert self._user(out, f"{role.lower()}@bench.local", f"基准{role}", role) == uid
        for w in range(1, self.size.warehouses + 1):
            out.add("warehouse", {"id": w, "code": f"WH{w}", "name": f"{names.CITIES[w]}仓库",
                                  "region": names.REGIONS[w % len(names.REGIONS)],
                                  "address": f"{names.CITIES[w]}物流园{w}号", "is_active": True,
                                  "created_at": BASE_TIME - timedelta(days=400)})
            uid = self._user(out, f"warehouse{w}@bench.local", f"仓管{w}", "WAREHOUSE")
            assert uid == warehouse_user_id(self.size, w)
            out.add("user_warehouse", {"user_id": uid, "warehouse_id": w})
        for n in range(self.size.sales_reps):
            self._user(out, f"sales{n + 1}@bench.local", names.person(self.rng), "SALES")

    def _customers(self, out: Tables) -> None:
        reps = sales_rep_ids(self.size)
        for cid in range(1, self.size.customers + 1):
            region = self.rng.choice(names.REGIONS)
            city = self.rng.choice(names.CITIES)
            discount = Decimal(self.rng.choice(["0", "0", "0.02", "0.05", "0.08"]))
            self.customer_discount.append(discount)
            created = BASE_TIME - timedelta(days=365 + self.rng.randint(0, 30))
            out.add("customer", {
                "id": cid, "code": f"C{cid:06d}", "name": names.company(self.rng, city),
                "kind": "COMPANY", "email": f"buyer{cid}@example.cn", "phone": f"138{cid:08d}",
                "tier": self.rng.choice(["STANDARD", "STANDARD", "SILVER", "GOLD", "PLATINUM"]),
                "status": "ACTIVE", "region": region, "language": "zh",
                "owner_id": reps[cid % len(reps)], "credit_limit": Decimal(5_000_000),
                "payment_terms": self.rng.choice(["PREPAID", "NET_30", "NET_60"]),
                "discount_rate": discount, "notes": "", "created_at": created,
                "updated_at": created, "version": 1})
            person = names.person(self.rng)
            out.add("contact", {"id": cid, "customer_id": cid, "name": person, "title": "采购经理",
                                "email": f"contact{cid}@example.cn", "phone": f"139{cid:08d}",
                                "is_primary": True, "created_at": created})
            out.add("address", {
                "id": cid, "customer_id": cid, "label": "总部", "recipient": person,
                "phone": f"139{cid:08d}", "country": "CN", "region": region, "province": city,
                "city": city, "district": "高新区", "line1": f"科技路{cid}号",
                "line2": "", "postal_code": f"{100000 + cid % 800000:06d}",
                "is_default_shipping": True, "is_default_billing": True, "created_at": created})
        for cid in range(1, self.size.customer_users + 1):
            uid = self._user(out, f"customer{cid}@bench.local", f"客户{cid}", "CUSTOMER", cid)
            assert uid == customer_user_id(self.size, cid)

    def _catalog(self, out: Tables) -> None:
        for pid in range(1, self.size.products + 1):
            price = Decimal(self.rng.randint(1_000, 200_000)) / 100
            self.prices.append(price)
            out.add("product", {
                "id": pid, "sku": f"SKU-{pid:05d}", "name": names.product(self.rng, pid),
                "description": "基准测试商品", "category": self.rng.choice(names.CATEGORIES),
                "unit": "pcs", "price": price, "cost": (price * Decimal("0.6")).quantize(
                    Decimal("0.01")), "currency": "CNY",
                "weight_kg": Decimal(self.rng.randint(10, 5000)) / 100, "is_active": True,
                "created_at": BASE_TIME - timedelta(days=400),
                "updated_at": BASE_TIME - timedelta(days=400)})
        for cid, (code, name) in enumerate(names.CARRIERS, start=1):
            out.add("carrier", {"id": cid, "code": code, "name": name, "regions": "",
                                "base_rate": Decimal("12.00"), "is_active": True})

    # -- orders -------------------------------------------------------------------------
    def _order_plan(self) -> tuple[list[str], list[int], list[int]]:
        n = self.size.orders
        choices, weights = zip(*STATUS_WEIGHTS, strict=True)
        statuses = self.rng.choices(choices, weights=weights, k=n)
        mean = self.size.lines // n
        counts = [mean] * n
        for i in range(0, n - 1, 2):  # pairs keep the total exact
            k = self.rng.randint(-(mean - 1), mean - 1)
            counts[i], counts[i + 1] = mean + k, mean - k
        counts[-1] += self.size.lines - sum(counts)
        for i, status in enumerate(statuses):
            if status == "PARTIALLY_SHIPPED" and counts[i] < 2:
                statuses[i] = "SHIPPED"
        shipments = [1 if s in SHIPPED else 0 for s in statuses]
        extra = self.size.shipments - sum(shipments)
        candidates = [i for i, s in enumerate(statuses) if s in SHIPPED and counts[i] >= 3]
        for i in self.rng.sample(candidates, min(max(extra, 0), len(candidates))):
            shipments[i] += 1
        return statuses, counts, shipments

    def _order(self, out: Tables, oid: int, status: str, n_lines: int, n_ship: int) -> None:
        rng = self.rng
        cid = rng.randint(1, self.size.customers)
        created = BASE_TIME - timedelta(seconds=(self.size.orders - oid) * 600
                                        + rng.randint(0, 500))
        products = rng.sample(range(1, self.size.products + 1), n_lines)
        warehouse = rng.randint(1, self.size.warehouses)
        discount = self.customer_discount[cid - 1]
        lines, subtotal = [], Decimal(0)
        for pid in products:
            qty = rng.randint(1, 10)
            price = self.prices[pid - 1]
            total = (price * qty * (1 - discount)).quantize(Decimal("0.01"))
            subtotal += total
            lines.append({"id": self.next_id("order_line"), "order_id": oid, "product_id": pid,
                          "sku": f"SKU-{pid:05d}", "name": names.product_name(pid),
                          "quantity": qty, "unit_price": price, "discount_rate": discount,
                          "line_total": total, "quantity_shipped": 0, "quantity_delivered": 0,
                          "quantity_returned": 0})
        has_shipments = self._ship_lines(out, oid, status, lines, warehouse, n_ship, created)
        self._allocate(out, oid, status, lines, warehouse)
        out.add("sales_order", self._order_row(oid, cid, status, subtotal, created,
                                               has_shipments))
        for line in lines:
            out.add("order_line", line)
        out.add("order_event", {"id": oid, "order_id": oid, "type": "STATUS_CHANGED",
                                "from_status": None, "to_status": status, "actor_id": None,
                                "message": "", "details": None, "created_at": created})

    def _order_row(self, oid: int, cid: int, status: str, subtotal: Decimal,
                   created: datetime, shipped: bool) -> dict:
        shipping = Decimal("12.00")
        paid = status in ("DELIVERED", "COMPLETED")
        later = created + timedelta(hours=2)
        return {
            "id": oid, "number": order_number(oid, created), "customer_id": cid, "contact_id": cid,
            "channel": self.rng.choice(["WEB", "MOBILE", "SALES_REP", "PHONE"]),
            "external_id": None, "status": status,
            "status_before_hold": "PENDING_REVIEW" if status == "ON_HOLD" else None,
            "payment_status": "PAID" if paid else "UNPAID", "payment_method": "PREPAID",
            "currency": "CNY", "subtotal": subtotal, "discount_total": Decimal(0),
            "shipping_total": shipping, "total": subtotal + shipping,
            "paid_total": subtotal + shipping if paid else Decimal(0),
            "refunded_total": Decimal(0), "ship_recipient": "收货人", "ship_phone": "13900000000",
            "ship_region": "华东", "ship_address": f"上海市浦东新区张江路{oid}号", "notes": "",
            "hold_reason": "信用额度审核" if status == "ON_HOLD" else None,
            "close_reason": "客户取消" if status in ("CANCELLED", "REJECTED") else None,
            "priority": 0, "promised_date": (created + timedelta(days=7)).date(),
            "scheduled_date": None, "rating": None, "feedback": None,
            "created_by_id": None, "created_at": created, "updated_at": later,
            "confirmed_at": later if status in ALLOCATED else None,
            "shipped_at": later + timedelta(days=1) if shipped else None,
            "delivered_at": later + timedelta(days=3) if status in ("DELIVERED", "COMPLETED")
            else None,
            "completed_at": later + timedelta(days=10) if status == "COMPLETED" else None,
            "version": 1}

    def _allocate(self, out: Tables, oid: int, status: str, lines: list[dict],
                  warehouse: int) -> None:
        if status not in ALLOCATED:
            return
        for line in lines:
            key = (line["product_id"], warehouse)
            q, shipped = line["quantity"], line["quantity_shipped"]
            out.add("order_allocation", {"id": line["id"], "order_id": oid,
                                         "order_line_id": line["id"], "product_id": key[0],
                                         "warehouse_id": warehouse, "quantity": q,
                                         "quantity_shipped": shipped})
            self._movement(out, key, "RESERVATION", 0, q, "ORDER", oid)
            self.reserved[key] += q - shipped
            self.shipped[key] += shipped

    def _movement(self, out: Tables, key: tuple[int, int], kind: str, on_hand: int,
                  reserved: int, ref_type: str, ref_id: int) -> None:
        out.add("stock_movement", {
            "id": self.next_id("stock_movement"), "product_id": key[0], "warehouse_id": key[1],
            "kind": kind, "on_hand_delta": on_hand, "reserved_delta": reserved, "reason": "",
            "reference_type": ref_type, "reference_id": ref_id, "actor_id": None,
            "created_at": BASE_TIME - timedelta(days=1)})

    def _ship_lines(self, out: Tables, oid: int, status: str, lines: list[dict],
                    warehouse: int, n_ship: int, created: datetime) -> bool:
        """Split the lines over n_ship shipments (a partial order keeps one bucket back)."""
        if not n_ship:
            return False
        buckets = n_ship + (1 if status == "PARTIALLY_SHIPPED" else 0)
        for k in range(n_ship):
            sid = self.next_id("shipment")
            at = created + timedelta(days=1, hours=k)
            ship_status = SHIPMENT_STATUS[status]
            delivered = ship_status == "DELIVERED"
            out.add("shipment", {
                "id": sid, "number": f"SH-B{sid:08d}", "order_id": oid, "warehouse_id": warehouse,
                "carrier_id": 1 + sid % len(names.CARRIERS), "tracking_number": f"TN{sid:010d}",
                "status": ship_status, "exception_reason": None,
                "estimated_delivery": (at + timedelta(days=3)).date(), "created_at": at,
                "updated_at": at, "shipped_at": at,
                "delivered_at": at + timedelta(days=2) if delivered else None, "version": 1})
            for i, line in enumerate(lines):
                if i % buckets != k:
                    continue
                line["quantity_shipped"] = line["quantity"]
                if delivered:
                    line["quantity_delivered"] = line["quantity"]
                out.add("shipment_line", {"id": line["id"], "shipment_id": sid,
                                          "order_line_id": line["id"],
                                          "quantity": line["quantity"]})
                self._movement(out, (line["product_id"], warehouse), "SHIPMENT",
                               -line["quantity"], -line["quantity"], "SHIPMENT", sid)
            self._tracking(out, sid, at, delivered)
        return True

    def _tracking(self, out: Tables, sid: int, at: datetime, delivered: bool) -> None:
        per, extra = divmod(self.size.tracking_events, self.size.shipments)
        count = per + (1 if sid <= extra else 0)
        path = TRACKING_PATH if delivered else TRACKING_PATH[:-1]
        for n in range(count):
            status = path[-1] if delivered and n == count - 1 else path[min(n, len(path) - 2)]
            when = at + timedelta(hours=6 * (n + 1))
            out.add("tracking_event", {
                "id": self.next_id("tracking_event"), "shipment_id": sid, "status": status,
                "location": self.rng.choice(names.CITIES), "description": names.TRACKING[status],
                "external_id": f"EV{sid}-{n}", "occurred_at": when, "created_at": when})

    def _stock_levels(self, out: Tables) -> None:
        hot = set(hot_product_ids(self.size))
        for pid in range(1, self.size.products + 1):
            for w in range(1, self.size.warehouses + 1):
                key = (pid, w)
                # hot products are hot rows, not scarce ones: their stock outlasts every
                # S3 step (a full run places up to 75,000 orders), so no step measures refusals
                available = 200_000 if pid in hot else self.rng.randint(300, 3_000)
                reserved = self.reserved.get(key, 0)
                on_hand = available + reserved
                receipt = on_hand + self.shipped.get(key, 0)
                out.add("stock_level", {
                    "id": (pid - 1) * self.size.warehouses + w, "product_id": pid,
                    "warehouse_id": w, "on_hand": on_hand, "reserved": reserved, "incoming": 0,
                    "safety_stock": 20, "reorder_point": 50,
                    "updated_at": BASE_TIME - timedelta(days=1)})
                self._movement(out, key, "RECEIPT", receipt, 0, "RECEIPT", None)
