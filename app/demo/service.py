"""`crm seed-demo`: realistic, deterministic demo data in one transaction.

About 200 customers, 100 products, 3 warehouses with stock, 7 carriers, 1,000 orders in
every state with lines, allocations, history, payments, shipments and tracking, the sales
reps' activities, visit and contact plans and targets (app/demo/activities.py), quotes in
every state with customers' price and freight agreements (sales_quotes.py), satisfaction
surveys of delivered orders, answered, low, open and expired (surveys.py), and one
login per role (shared password `demo-password`). Its dates are relative to the day it is
seeded (masterdata.demo_now: today, or CRM_DEMO_TODAY / `seed-demo --today`): open orders
promised around that day, parcels in flight dispatched in its last days, the rest spread
over the months before. The same rows for the same day: one seeded random generator and
every time an offset from that day. Carriers come with services and rate cards, products
with parcel sizes (app/demo/carriers.py); shipments are priced by those rate cards
(app/demo/quotes.py).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date

from app.auth.passwords import hash_password, verify_password
from app.auth.principal import SYSTEM
from app.demo import catalog_data as cd
from app.demo.activities import plan_activities
from app.demo.campaigns import write_campaigns
from app.demo.carriers import add_parcel_facts, add_shipping_agreements
from app.demo.consignors import CONSIGNORS, write_consignors
from app.demo.follow_ups import write_follow_ups
from app.demo.masterdata import SEED, build_customers, build_products, demo_now, demo_today
from app.demo.orders import build_orders
from app.demo.repository import (
    DemoPlan,
    Ids,
    demo_accounts,
    occupied,
    write_activities,
    write_carrier_services,
    write_consignor_login,
    write_movements,
    write_orders,
    write_people,
    write_quotes,
    write_sales,
    write_shipments,
    write_stock,
    write_surveys,
    write_tickets,
)
from app.demo.sales import build_sales
from app.demo.sales_quotes import build_agreements
from app.demo.shipments import Numbers, plan_shipments
from app.demo.stock import plan_stock
from app.demo.surveys import plan_surveys
from app.demo.tickets import plan_tickets
from app.errors import Conflict
from app.persistence.uow import Runner, UnitOfWork
from app.segments import service as segments
from app.segments.repository import Criteria

CUSTOMERS = 200
DEMO_EMAILS = [email for email, _, _ in cd.DEMO_USERS]


@dataclass
class SeedResult:
    skipped: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    today: date | None = None  # the demo's day


def build_plan(today: date, seed: int = SEED) -> DemoPlan:
    """Every demo row, in memory, from one seeded generator (no database access), its
    times up to `today`'s demo_now."""
    now = demo_now(today)
    rng = random.Random(seed)
    sales = [email for email, role, _ in cd.DEMO_USERS if role == "SALES"]
    customers = build_customers(rng, CUSTOMERS, len(sales), now)
    products = build_products(rng, now)
    add_parcel_facts(products)  # no random draws: shipments are quoted with them
    add_shipping_agreements(customers)
    regions = [w[2] for w in cd.WAREHOUSES]
    orders = build_orders(rng, customers, products, regions, sales, now)
    numbers = Numbers(rng)
    for order in orders:
        plan_shipments(rng, order, customers[order.customer], numbers, now, products)
    levels, movements = plan_stock(rng, products, len(cd.WAREHOUSES), orders, now)
    leads, opportunities = build_sales(customers, products, len(sales), now)
    return DemoPlan(customers=customers, products=products, orders=orders, levels=levels,
                    movements=movements, now=now, leads=leads, opportunities=opportunities,
                    activities=plan_activities(customers, len(sales), now),
                    agreements=build_agreements(customers, products, now, today),
                    tickets=plan_tickets(customers, orders, now),
                    surveys=plan_surveys(orders, customers, now, seed))


def _write(uow: UnitOfWork, plan: DemoPlan, password_hash: str) -> dict[str, int] | str:
    """The whole demo in this one transaction, or the reason it was not written."""
    reason = occupied(uow.session, DEMO_EMAILS)
    if reason:
        return reason
    s, ids = uow.session, Ids()
    write_people(s, ids, plan, password_hash)
    services = write_carrier_services(s, ids, plan)
    write_stock(s, ids, plan)
    write_orders(s, ids, plan)
    write_shipments(s, ids, plan)
    write_movements(s, ids, plan)
    write_sales(s, ids, plan)
    crm = write_activities(s, ids, plan)
    quotes = write_quotes(s, ids, plan)
    tickets = write_tickets(s, ids, plan)
    surveys = write_surveys(s, ids, plan)
    segments = _segments(uow, plan)
    campaigns = write_campaigns(s, ids, plan)
    consigned = write_consignors(uow, ids, plan.now)
    followed = write_follow_ups(uow, ids, plan.now)
    write_consignor_login(s, ids, plan, password_hash)
    counts = {
        "users": len(ids.users), "customers": len(ids.customers),
        "products": len(ids.products), "warehouses": len(ids.warehouses),
        "carriers": len(ids.carriers), "orders": len(ids.orders),
        "shipments": len(ids.shipments), "stock_movements": len(plan.movements),
        "carrier_services": services, "leads": len(plan.leads),
        "opportunities": len(plan.opportunities), "customer_segments": segments,
        "activities_plans_targets": crm, "quotes": quotes, "tickets": tickets,
        "surveys": surveys, "campaigns": campaigns, **consigned, **followed,
    }
    uow.audit("demo.seed", "Database", None, after=counts)
    return counts


# the manager's saved segments (docs/architecture.md#customer-segments); 华东 is East
SAVED_SEGMENTS = (("VIP in 华东", "VIP customers of the East region",
                   Criteria(segments=("VIP",), regions=("East",))),
                  ("At risk", "High-value customers who stopped ordering: call them",
                   Criteria(segments=("AT_RISK",))))


def _segments(uow: UnitOfWork, plan: DemoPlan) -> int:
    """Segments computed as of the demo's now, and the saved segments."""
    scored = segments.recompute_all(uow, as_of=plan.now).scored
    for name, description, criteria in SAVED_SEGMENTS:
        segments.save_segment(uow, name, criteria, description)
    return scored


def seed_demo(runner: Runner, only_if_empty: bool = False, quiet: bool = False,
              today: date | None = None) -> SeedResult:
    """Load the demo, dated around `today` (default: CRM_DEMO_TODAY, else today in UTC),
    into an empty database.

    With `only_if_empty` a database that already has data is left alone (a no-op);
    without it, that is an error (CONFLICT) rather than a half-merged demo.
    """
    started = time.perf_counter()
    today = today or demo_today()
    plan = build_plan(today)
    outcome = runner.write_sync(_write, plan, hash_password(cd.DEMO_PASSWORD),
                                principal=SYSTEM)
    seconds = time.perf_counter() - started
    if isinstance(outcome, str):
        if not only_if_empty:
            raise Conflict(f"demo data not loaded: {outcome} (seed-demo needs an empty "
                           "database; --if-empty skips quietly)")
        if not quiet:
            print(f"demo data skipped: {outcome}")
            usable = demo_logins(runner)
            if usable:  # the demo is there already: its logins are known
                print("\n".join(login_lines(plan, usable)))
        return SeedResult(skipped=True, seconds=seconds, today=today)
    result = SeedResult(skipped=False, seconds=seconds, counts=outcome, today=today)
    if not quiet:
        print(describe(result, plan))
    return result


def describe(result: SeedResult, plan: DemoPlan) -> str:
    c = result.counts
    return "\n".join([
        f"demo data loaded in {result.seconds:.1f}s: {c['customers']} customers, "
        f"{c['products']} products, {c['warehouses']} warehouses, {c['orders']} orders, "
        f"{c['shipments']} shipments, {c['stock_movements']} stock movements, dated "
        f"around {result.today}",
        *login_lines(plan, DEMO_EMAILS),
    ])


def demo_logins(runner: Runner) -> list[str]:
    """The demo users present, active and still with the demo password. They were all
    seeded with one hash, so this verifies about once (argon2, ~50 ms each)."""
    verified: dict[str, bool] = {}
    usable = []
    for email, password_hash in runner.read_sync(demo_accounts, (DEMO_EMAILS,), {}):
        if password_hash not in verified:
            verified[password_hash] = verify_password(password_hash, cd.DEMO_PASSWORD)
        if verified[password_hash]:
            usable.append(email)
    return usable


def login_lines(plan: DemoPlan, emails: list[str]) -> list[str]:
    """The demo logins among `emails`, one a line, with what each one sees."""
    first = plan.customers[0].row
    owned = sum(1 for p in plan.customers if p.owner == 0)
    notes = {
        "CUSTOMER": f"customer {first['code']} {first['name']}",
        "WAREHOUSE": f"warehouse {cd.WAREHOUSES[0][0]} {cd.WAREHOUSES[0][1]}",
        "CONSIGNOR": f"consignor {CONSIGNORS[0][0]} {CONSIGNORS[0][1]}",
    }
    lines = [f"demo logins (password for all: {cd.DEMO_PASSWORD}):"]
    for email, role, name in cd.DEMO_USERS:
        if email not in emails:
            continue
        note = notes.get(role, "")
        if email == "sales@demo.local":
            note = f"owns {owned} customers"
        lines.append(f"  {email:<24} {role:<17} {name}{'  (' + note + ')' if note else ''}")
    return lines
