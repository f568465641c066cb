"""SQL for the demo: whether the database is empty enough for it, and the plan written in
bulk (multi-row INSERT .. RETURNING id per table, in dependency order, inside the
caller's single transaction: all or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from app.activities.models import Activity, ContactPlan, SalesTarget, VisitPlan
from app.auth.models import User, UserWarehouse
from app.catalog.models import Product
from app.customers.models import Address, Contact, Customer
from app.delivery.models import DeliveryOrder, DeliveryPlan
from app.demo import catalog_data as cd
from app.demo.activities import ActivityDemo
from app.demo.carriers import SERVICE_SPECS, rate_rules, service_row
from app.demo.masterdata import CustomerPlan
from app.demo.orders import OrderPlan, ShipmentPlan
from app.demo.sales import LeadPlan, OpportunityPlan
from app.demo.sales_quotes import AgreementPlans
from app.demo.stock import Movement
from app.demo.surveys import SurveyPlan
from app.demo.tickets import TicketDemo
from app.followups.models import DeliveryFollowUp
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.orders.models import Order, OrderAllocation, OrderEvent, OrderLine
from app.orders.numbering import assign_number
from app.payments.models import Payment
from app.persistence import crypto
from app.persistence.fast import bulk
from app.quotes.models import FreightAgreement, PriceAgreement, Quote, QuoteLine
from app.sales.models import (
    Lead,
    Opportunity,
    OpportunityLine,
    OpportunityStageChange,
    PipelineStage,
)
from app.segments.models import SavedSegment
from app.shipping.models import (
    Carrier,
    CarrierRateRule,
    CarrierService,
    Shipment,
    ShipmentLine,
    TrackingEvent,
)
from app.surveys.models import Survey
from app.tickets.models import Ticket, TicketMessage


@dataclass
class DemoPlan:
    customers: list[CustomerPlan]
    products: list[dict[str, Any]]
    orders: list[OrderPlan]
    levels: list[dict[str, Any]]
    movements: list[Movement]
    now: datetime  # the demo's "now" (masterdata.demo_now)
    leads: list[LeadPlan] = field(default_factory=list)
    opportunities: list[OpportunityPlan] = field(default_factory=list)
    activities: ActivityDemo | None = None  # app/demo/activities.py
    agreements: AgreementPlans | None = None  # quotes and agreements (sales_quotes.py)
    tickets: TicketDemo | None = None  # app/demo/tickets.py
    surveys: list[SurveyPlan] = field(default_factory=list)  # app/demo/surveys.py

    @property
    def opened(self) -> datetime:
        """When the business opened: its users, warehouses and carrier services exist
        before its first customer (730 days before now at most)."""
        return self.now - timedelta(days=731)


def occupied(session: Session, demo_emails: Sequence[str]) -> str | None:
    """Why the database is not empty enough for demo data, or None."""
    for model, label in ((Customer, "customers"), (Product, "products"),
                         (Warehouse, "warehouses"), (Order, "orders")):
        if session.exec(select(func.count()).select_from(model)).one():
            return f"it already has {label}"
    taken = session.exec(select(User.email).where(_any_email(session, demo_emails))).first()
    return f"user {taken} exists" if taken else None


def _any_email(session: Session, emails: Sequence[str]):  # noqa: ANN202
    """Users with one of `emails`: by the keyed hash when personal data is encrypted."""
    keyring = crypto.session_keyring(session)
    return User.email.in_(list(emails)) if keyring is None else User.email_hash.in_(
        [h for e in emails for h in keyring.lookups("email", e)])


def demo_accounts(session: Session, demo_emails: Sequence[str]) -> list[tuple[str, str]]:
    """(email, password hash) of the active demo users present."""
    rows = session.exec(select(User.email, User.password_hash).where(
        _any_email(session, demo_emails), User.is_active))
    return [(email, password_hash) for email, password_hash in rows]


def saved_segment_ids(session: Session) -> dict[str, int]:
    """{name: id} of the saved segments (the demo campaigns target two)."""
    return dict(session.execute(select(SavedSegment.name, SavedSegment.id)).all())


def insert_rows(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many rows in one batched statement; their ids in the rows' order."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, list(rows)).scalars())


class Ids:
    """Index -> database id maps, filled as tables are written."""

    users: dict[str, int]
    consignors: list[int]  # app/demo/consignors.py, in CONSIGNORS order
    warehouses: list[int]
    carriers: list[int]
    services: list[int]  # by index into carriers.SERVICE_SPECS
    customers: list[int]
    primary_contacts: list[int]
    products: list[int]
    orders: list[int]
    lines: list[list[int]]
    shipments: dict[tuple[int, int], int]


def write_people(s: Session, ids: Ids, plan: DemoPlan, password_hash: str) -> None:
    """Users, warehouses, carriers, customers with contacts and addresses."""
    staff = [(e, r, n) for e, r, n in cd.DEMO_USERS if r not in ("CUSTOMER", "CONSIGNOR")]
    user_row = {"password_hash": password_hash, "is_active": True, "created_at": plan.opened,
                "customer_id": None}
    ids.users = dict(zip([e for e, _, _ in staff], insert_rows(s, User, [
        {**user_row, "email": e, "role": r, "full_name": n} for e, r, n in staff]), strict=True))
    ids.warehouses = insert_rows(s, Warehouse, [
        {"code": c, "name": n, "region": r, "address": a, "is_active": True,
         "created_at": plan.opened}
        for c, n, r, _, a in cd.WAREHOUSES])
    s.execute(insert(UserWarehouse), [{"user_id": ids.users["warehouse@demo.local"],
                                       "warehouse_id": ids.warehouses[0]}])
    ids.carriers = insert_rows(s, Carrier, [
        {"code": c, "name": n, "regions": r, "base_rate": rate, "is_active": active}
        for c, n, r, rate, active, *_ in cd.CARRIERS])
    sales = [e for e, r, _ in staff if r == "SALES"]
    ids.customers = insert_rows(s, Customer, [
        {**c.row, "owner_id": ids.users[sales[c.owner]] if c.owner is not None else None}
        for c in plan.customers])
    contact_ids = insert_rows(s, Contact, [
        {**row, "customer_id": cid} for c, cid in zip(plan.customers, ids.customers, strict=True)
        for row in c.contacts])
    ids.primary_contacts, n = [], 0
    for c in plan.customers:  # the first contact of each customer is its primary one
        ids.primary_contacts.append(contact_ids[n])
        n += len(c.contacts)
    insert_rows(s, Address, [
        {**row, "customer_id": cid} for c, cid in zip(plan.customers, ids.customers, strict=True)
        for row in c.addresses])
    email, role, name = next(u for u in cd.DEMO_USERS if u[1] == "CUSTOMER")
    ids.users[email] = insert_rows(s, User, [
        {**user_row, "email": email, "role": role, "full_name": name,
         "customer_id": ids.customers[0]}])[0]


def write_consignor_login(s: Session, ids: Ids, plan: DemoPlan, password_hash: str) -> None:
    """The CONSIGNOR portal login, linked to the first demo consignor (written after it)."""
    email, role, name = next(u for u in cd.DEMO_USERS if u[1] == "CONSIGNOR")
    ids.users[email] = insert_rows(s, User, [
        {"password_hash": password_hash, "is_active": True, "created_at": plan.opened,
         "email": email, "role": role, "full_name": name,
         "customer_id": ids.consignors[0]}])[0]


def write_stock(s: Session, ids: Ids, plan: DemoPlan) -> None:
    ids.products = insert_rows(s, Product, plan.products)
    s.execute(insert(StockLevel), [
        {**{k: v for k, v in lv.items() if k not in ("product", "warehouse")},
         "product_id": ids.products[lv["product"]],
         "warehouse_id": ids.warehouses[lv["warehouse"]]} for lv in plan.levels])


def write_orders(s: Session, ids: Ids, plan: DemoPlan) -> None:
    users = ids.users
    rows = [{**o.row, "number": f"~demo{i}", "customer_id": ids.customers[o.customer],
             "contact_id": ids.primary_contacts[o.customer],
             "created_by_id": users.get(o.created_by) if o.created_by else None}
            for i, o in enumerate(plan.orders)]
    for row in rows:
        row.setdefault("rating", None)
        row.setdefault("feedback", None)
    ids.orders = insert_rows(s, Order, rows)
    # Numbers come from ids, exactly as app/orders/numbering.py numbers a new order.
    s.execute(update(Order), [
        {"id": oid, "number": assign_number(SimpleNamespace(id=oid, created_at=o.row[
            "created_at"], number=None))} for oid, o in zip(ids.orders, plan.orders, strict=True)])
    line_ids = insert_rows(s, OrderLine, [
        {"order_id": oid, "product_id": ids.products[ln.product], "sku": ln.sku,
         "name": ln.name, "quantity": ln.quantity, "unit_price": ln.unit_price,
         "discount_rate": ln.discount_rate, "line_total": ln.line_total,
         "quantity_shipped": ln.shipped, "quantity_delivered": ln.delivered,
         "quantity_returned": 0}
        for oid, o in zip(ids.orders, plan.orders, strict=True) for ln in o.lines])
    ids.lines, n = [], 0
    for o in plan.orders:
        ids.lines.append(line_ids[n:n + len(o.lines)])
        n += len(o.lines)
    _write_order_children(s, ids, plan)


def _write_order_children(s: Session, ids: Ids, plan: DemoPlan) -> None:
    allocations, events, payments = [], [], []
    for i, (oid, o) in enumerate(zip(ids.orders, plan.orders, strict=True)):
        if o.reserved and not o.released:  # cancellation deletes unshipped allocations
            allocations += [{"order_id": oid, "order_line_id": ids.lines[i][n],
                             "product_id": ids.products[ln.product],
                             "warehouse_id": ids.warehouses[o.warehouse],
                             "quantity": ln.quantity, "quantity_shipped": ln.shipped}
                            for n, ln in enumerate(o.lines)]
        events += [{"order_id": oid, "type": e["type"], "from_status": e["from_status"],
                    "to_status": e["to_status"], "message": e["message"], "details": None,
                    "actor_id": ids.users.get(e["actor"]) if e["actor"] else None,
                    "created_at": e["created_at"]} for e in o.events]
        payments += [{"order_id": oid, "customer_id": ids.customers[o.customer],
                      "kind": p["kind"], "method": p["method"], "amount": p["amount"],
                      "currency": p["currency"], "reference": p["reference"],
                      "created_by_id": ids.users[p["actor"]], "created_at": p["created_at"]}
                     for p in o.payments]
    s.execute(insert(OrderAllocation), allocations)
    s.execute(insert(OrderEvent), events)
    if payments:
        s.execute(insert(Payment), payments)


def write_shipments(s: Session, ids: Ids, plan: DemoPlan) -> None:
    keys, rows = [], []
    for i, (oid, o) in enumerate(zip(ids.orders, plan.orders, strict=True)):
        for n, sh in enumerate(o.shipments):
            keys.append((i, n))
            last = sh.events[-1]["occurred_at"] if sh.events else sh.created_at
            rows.append({
                "number": sh.number, "order_id": oid, "warehouse_id": ids.warehouses[sh.warehouse],
                "carrier_id": ids.carriers[sh.carrier], "tracking_number": sh.tracking,
                "status": sh.status, "exception_reason": sh.exception_reason,
                "estimated_delivery": sh.estimated_delivery, "created_at": sh.created_at,
                "updated_at": last, "shipped_at": sh.shipped_at, "delivered_at": sh.delivered_at,
                "version": 1 + len(sh.events), **_shipping_terms(ids, sh)})
    ids.shipments = dict(zip(keys, insert_rows(s, Shipment, rows), strict=True))
    lines, events = [], []
    for (i, n), sid in ids.shipments.items():
        sh = plan.orders[i].shipments[n]
        lines += [{"shipment_id": sid, "order_line_id": ids.lines[i][ln], "quantity": q}
                  for ln, q in sh.lines]
        events += [{**e, "shipment_id": sid, "external_id": f"{sh.tracking}-{k + 1}",
                    "created_at": e["occurred_at"]} for k, e in enumerate(sh.events)]
    s.execute(insert(ShipmentLine), lines)
    if events:
        s.execute(insert(TrackingEvent), events)


def _choice_ids(ids: Ids, choice: dict | None) -> dict | None:
    """The plan's carrier choice with its service and carrier indexes as database ids."""
    if choice is None:
        return None

    def one(option: dict | None) -> dict | None:
        return option and {**option, "serviceId": ids.services[option["serviceId"]],
                           "carrierId": ids.carriers[option["carrierId"]]}
    return {**choice, "chosen": one(choice["chosen"]),
            "alternatives": [one(a) for a in choice["alternatives"]]}


def _shipping_terms(ids: Ids, sh: ShipmentPlan) -> dict[str, Any]:
    """The shipment's service, promise, cost and charge, cash on delivery and recipient."""
    return {"service_id": ids.services[sh.service] if sh.service is not None else None,
            "promised_date": sh.promised_date, "billable_weight_kg": sh.billable_weight_kg,
            "carrier_choice": _choice_ids(ids, sh.carrier_choice),
            "cost": sh.cost, "charge": sh.charge, "cod_amount": sh.cod_amount,
            "cod_collected": sh.cod_collected, "cod_collected_at": sh.cod_collected_at,
            "packed_at": sh.packed_at, **sh.recipient}


def write_movements(s: Session, ids: Ids, plan: DemoPlan) -> None:
    rows = []
    for m in plan.movements:
        ref_type = ref_id = None
        if m.ref is not None:
            ref_type = m.ref[0]
            ref_id = ids.orders[m.ref[1]] if ref_type == "Order" else ids.shipments[m.ref[1:]]
        rows.append({"product_id": ids.products[m.product],
                     "warehouse_id": ids.warehouses[m.warehouse], "kind": m.kind,
                     "on_hand_delta": m.on_hand, "reserved_delta": m.reserved,
                     "reason": m.reason, "reference_type": ref_type, "reference_id": ref_id,
                     "actor_id": None, "created_at": m.created_at})
    s.execute(insert(StockMovement), rows)


def write_carrier_services(s: Session, ids: Ids, plan: DemoPlan) -> int:
    """The services and rate rules of the demo carriers (after write_people, before
    write_shipments); how many services."""
    carrier_ids = {c[0]: cid for c, cid in zip(cd.CARRIERS, ids.carriers, strict=True)}
    specs = [(carrier_ids[code], spec) for code, spec in SERVICE_SPECS]
    ids.services = insert_rows(s, CarrierService, [service_row(cid, spec, plan.opened)
                                                   for cid, spec in specs])
    s.execute(insert(CarrierRateRule), [rule for sid, (_, spec) in zip(ids.services, specs,
                                                                      strict=True)
                                        for rule in rate_rules(sid, spec[-1])])
    return len(ids.services)


def write_sales(s: Session, ids: Ids, plan: DemoPlan) -> None:
    """Leads and the pipeline: opportunities, their lines and every stay in a stage, on the
    stages the migration seeded (after write_people and write_stock)."""
    sales = [e for e, r, _ in cd.DEMO_USERS if r == "SALES"]
    stages = {code: sid for sid, code in s.execute(select(PipelineStage.id, PipelineStage.code))}
    lead_ids = insert_rows(s, Lead, [
        {**lp.row, "owner_id": ids.users[sales[lp.owner]],
         "customer_id": ids.customers[lp.customer] if lp.customer is not None else None}
        for lp in plan.leads])
    opp_ids = insert_rows(s, Opportunity, [
        {**op.row, "owner_id": ids.users[sales[op.owner]], "stage_id": stages[op.stays[-1][0]],
         "customer_id": ids.customers[op.customer],
         "lead_id": lead_ids[op.lead] if op.lead is not None else None}
        for op in plan.opportunities])
    s.execute(insert(OpportunityLine), [
        {"opportunity_id": oid, "product_id": ids.products[p], "quantity": q, "unit_price": u}
        for oid, op in zip(opp_ids, plan.opportunities, strict=True) for p, q, u in op.lines])
    s.execute(insert(OpportunityStageChange), [
        {"opportunity_id": oid, "stage_id": stages[code], "entered_at": entered,
         "from_stage_id": stages[op.stays[i - 1][0]] if i else None, "left_at": left,
         "seconds_in_stage": int((left - entered).total_seconds()) if left else None,
         "actor_id": ids.users[sales[op.owner]]}
        for oid, op in zip(opp_ids, plan.opportunities, strict=True)
        for i, (code, entered, left) in enumerate(op.stays)])
    converted = [{"id": lead_ids[op.lead], "opportunity_id": oid}
                 for oid, op in zip(opp_ids, plan.opportunities, strict=True)
                 if op.lead is not None]
    if converted:
        s.execute(update(Lead), converted)


def write_activities(s: Session, ids: Ids, plan: DemoPlan) -> int:
    """Activities, contact plans, visit plans and targets (app/demo/activities.py); the
    rows written."""
    demo = plan.activities
    if demo is None:
        return 0
    reps = [ids.users[e] for e, r, _ in cd.DEMO_USERS if r == "SALES"]
    manager = ids.users["manager@demo.local"]
    plan_ids = insert_rows(s, ContactPlan, [
        {**{k: v for k, v in p.items() if k not in ("customer", "assignee")},
         "subject_id": ids.customers[p["customer"]], "customer_id": ids.customers[p["customer"]],
         "assignee_id": reps[p["assignee"]]} for p in demo.contact_plans])
    insert_rows(s, Activity, [
        {**{k: v for k, v in a.items() if k not in ("customer", "assignee")},
         "subject_id": ids.customers[a["customer"]], "customer_id": ids.customers[a["customer"]],
         "assignee_id": reps[a["assignee"]], "created_by_id": reps[a["assignee"]],
         "contact_plan_id": None, "overdue_alerted_at": None, "version": 1}
        for a in demo.activities])
    insert_rows(s, VisitPlan, [{**{k: v for k, v in p.items() if k != "user"},
                                "user_id": reps[p["user"]]} for p in demo.visit_plans])
    insert_rows(s, SalesTarget, [
        {**{k: v for k, v in t.items() if k != "user"},
         "user_id": reps[t["user"]] if t["user"] is not None else None,
         "scope_key": f"user:{reps[t['user']]}" if t["user"] is not None else "team",
         "pace_alerted_on": None, "created_by_id": manager} for t in demo.targets])
    return len(demo.activities) + len(plan_ids) + len(demo.visit_plans) + len(demo.targets)


def write_tickets(s: Session, ids: Ids, plan: DemoPlan) -> int:
    """Tickets, their messages and notes, and a merged duplicate (app/demo/tickets.py);
    the tickets written."""
    demo = plan.tickets
    if demo is None:
        return 0
    agent = ids.users["service@demo.local"]

    def row(t: dict[str, Any], merged_into: int | None = None) -> dict[str, Any]:
        base = {k: v for k, v in t.items() if k not in ("customer", "order", "assignee",
                                                        "merged_into")}
        defaults = {"after_sales_type": None, "return_id": None, "shipment_id": None,
                    "exception_id": None, "created_by_id": None, "reopen_count": 0,
                    "change_recipient": None, "change_phone": None, "change_region": None,
                    "change_address": None, "change_date": None, "change_status": None,
                    "change_decided_at": None, "version": 1}
        return {**defaults, **base, "customer_id": ids.customers[t["customer"]],
                "order_id": ids.orders[t["order"]] if t["order"] is not None else None,
                "assignee_id": agent if t["assignee"] else None,
                "merged_into_id": merged_into}

    ticket_ids = insert_rows(s, Ticket, [row(t) for t in demo.tickets])
    dup_ids = insert_rows(s, Ticket, [row(d, ticket_ids[d["merged_into"]])
                                      for d in demo.duplicates])
    insert_rows(s, TicketMessage, [
        {k: v for k, v in m.items() if k != "ticket"}
        | {"ticket_id": ticket_ids[m["ticket"]], "merged_from_id": None,
           "author_id": agent if m["author_kind"] == "AGENT" else None}
        for m in demo.messages])
    return len(ticket_ids) + len(dup_ids)


def write_quotes(s: Session, ids: Ids, plan: DemoPlan) -> int:
    """Quotes with their lines, price and freight agreements (app/demo/sales_quotes.py)."""
    if plan.agreements is None:
        return 0
    a, sales = plan.agreements, [e for e, r, _ in cd.DEMO_USERS if r == "SALES"]
    approver = {"MANAGER": ids.users["manager@demo.local"],
                "FINANCE": ids.users["finance@demo.local"]}
    quote_ids = insert_rows(s, Quote, [
        {**q.row, "number": f"~demo-quote{i}", "customer_id": ids.customers[q.customer],
         "created_by_id": ids.users[sales[q.owner]],
         "approved_by_id": approver.get(q.level.value) if q.row["approved_at"] else None}
        for i, q in enumerate(a.quotes)])
    s.execute(update(Quote), [{"id": qid, "number": f"Q-{q.row['created_at']:%Y%m%d}-{qid:06d}"}
                              for qid, q in zip(quote_ids, a.quotes, strict=True)])
    s.execute(insert(QuoteLine), [
        {**{k: v for k, v in ln.items() if k != "product"}, "quote_id": qid,
         "product_id": ids.products[ln["product"]]}
        for qid, q in zip(quote_ids, a.quotes, strict=True) for ln in q.lines])
    finance = ids.users["finance@demo.local"]
    s.execute(insert(PriceAgreement), [
        {**{k: v for k, v in p.items() if k not in ("customer", "product")},
         "customer_id": ids.customers[p["customer"]], "product_id": ids.products[p["product"]],
         "updated_by_id": finance, "updated_at": p["created_at"]} for p in a.prices])
    s.execute(insert(FreightAgreement), [
        {**{k: v for k, v in f.items() if k != "customer"},
         "customer_id": ids.customers[f["customer"]], "updated_by_id": finance,
         "updated_at": f["created_at"]} for f in a.freight])
    return len(quote_ids)


def write_surveys(s: Session, ids: Ids, plan: DemoPlan) -> int:
    """Satisfaction surveys of delivered orders (app/demo/surveys.py)."""
    insert_rows(s, Survey, [
        {**p.row, "subject_key": f"order:{ids.orders[p.order]}",
         "customer_id": ids.customers[p.customer], "order_id": ids.orders[p.order],
         "shipment_id": ids.shipments.get((p.order, p.shipment)) if p.shipment is not None
         else None, "ticket_id": None, "agent_user_id": None} for p in plan.surveys])
    return len(plan.surveys)


def date_consignor_rows(s: Session, customer_ids: Sequence[int], product_ids: Sequence[int],
                        at: datetime) -> None:
    """Date the rows the consignors' services wrote (app/demo/consignors.py) to the demo's
    days, like every other demo row: nothing in the demo happens after its "now"."""
    bulk.write_deferred(s)  # the receipts' movements, deferred to commit by the ledger
    s.execute(update(Customer).where(Customer.id.in_(customer_ids))
              .values(created_at=at, updated_at=at))
    s.execute(update(Product).where(Product.id.in_(product_ids))
              .values(created_at=at, updated_at=at))
    s.execute(update(StockLevel).where(StockLevel.product_id.in_(product_ids))
              .values(updated_at=at))
    s.execute(update(StockMovement).where(StockMovement.product_id.in_(product_ids))
              .values(created_at=at))


def date_delivery_rows(s: Session, consignee_ids: Sequence[int], plan_ids: Sequence[int],
                       orders: Sequence[tuple[int, int, datetime, Any]], at: datetime) -> None:
    """Date the consignees and plans (`at`) and each delivery order, its order and the
    order's events (made at its own time, promised for its own day) to the demo's days
    (app/demo/deliveries.py)."""
    bulk.write_deferred(s)  # history rows and allocations deferred to commit (PostgreSQL)
    s.execute(update(Customer).where(Customer.id.in_(consignee_ids))
              .values(created_at=at, updated_at=at))
    s.execute(update(DeliveryPlan).where(DeliveryPlan.id.in_(plan_ids))
              .values(created_at=at, updated_at=at))
    for delivery_id, order_id, made, promised in orders:
        s.execute(update(DeliveryOrder).where(DeliveryOrder.id == delivery_id)
                  .values(created_at=made))
        s.execute(update(Order).where(Order.id == order_id)
                  .values(created_at=made, updated_at=made, promised_date=promised))
        s.execute(update(OrderEvent).where(OrderEvent.order_id == order_id)
                  .values(created_at=made))


def date_follow_up_rows(s: Session, order_ids: Sequence[int], at: datetime) -> None:
    """Date the rows the demo's failed deliveries wrote (app/demo/follow_ups.py) before the
    demo's "now": their orders, shipments, tracking events, movements and follow-ups were
    written through the services, at the real time."""
    bulk.write_deferred(s)  # the ledger's movements, deferred to commit
    shipment_ids = select(Shipment.id).where(Shipment.order_id.in_(order_ids))
    picked_up = select(func.min(Shipment.shipped_at)).where(
        Shipment.order_id == Order.id).scalar_subquery()
    s.execute(update(Order).where(Order.id.in_(order_ids))
              .values(updated_at=at, shipped_at=picked_up))
    s.execute(update(OrderEvent).where(OrderEvent.order_id.in_(order_ids))
              .values(created_at=at))
    s.execute(update(Shipment).where(Shipment.order_id.in_(order_ids))
              .values(created_at=Shipment.shipped_at, packed_at=Shipment.shipped_at,
                      updated_at=at))
    s.execute(update(Shipment).where(Shipment.order_id.in_(order_ids),
                                     Shipment.restocked_at.is_not(None))
              .values(restocked_at=at))
    s.execute(update(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids),
                                          TrackingEvent.occurred_at > at)
              .values(occurred_at=at))  # staff's receipt of a parcel back
    s.execute(update(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids))
              .values(created_at=TrackingEvent.occurred_at))
    s.execute(update(StockMovement).where(
        ((StockMovement.reference_type == "Order") & StockMovement.reference_id.in_(order_ids))
        | ((StockMovement.reference_type == "Shipment")
           & StockMovement.reference_id.in_(shipment_ids))
        | (StockMovement.reference_type == "DeliveryFollowUp")).values(created_at=at))
    s.execute(update(DeliveryFollowUp).where(DeliveryFollowUp.order_id.in_(order_ids))
              .values(opened_at=at, updated_at=at))
    s.execute(update(DeliveryFollowUp).where(DeliveryFollowUp.order_id.in_(order_ids),
                                             DeliveryFollowUp.resolved_at.is_not(None))
              .values(resolved_at=at))
