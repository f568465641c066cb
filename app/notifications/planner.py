"""Turns domain events into notification rows: what each event calls for, rendered for
each recipient in their language and on the channels they allow.

The planner (app/notifications/planning.py) runs this on batches of events read from the
outbox after their transactions committed: a change commits without waiting for its
notifications, and a rolled-back change has no events to plan. `record` writes a batch's
rows with the planner's outbox position, so each event is planned exactly once. The
dispatcher sends EMAIL/SMS rows later (a batch with any emits one `notifications.due`);
IN_APP rows are delivered by being stored, and each emits `notification.created`, which
feeds `myNotifications`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.auth.roles import Role
from app.config import Settings
from app.events import topics
from app.events.bus import DomainEvent
from app.events.repository import consumers, outbox
from app.notifications import proactive, pushes
from app.notifications import repository as repo
from app.notifications.reads import Plan, Reads
from app.notifications.repository import Status
from app.notifications.templates import LANGUAGES, Rendered, label, render
from app.persistence.columns import utcnow
from app.sync import capture as sync_capture

log = logging.getLogger("crm.notifications")
CONSUMER = "notifications"  # its outbox position (app/events/repository/consumers.py)
STAFF_LANGUAGE = "zh"  # for a user whose language is not one of LANGUAGES
_LABELLED = ("status", "alert", "problem", "kind", "metric", "period", "breach")
_SHIPPED = {"PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY"}
# delivery exceptions the customer hears of (docs/architecture.md#delivery-exceptions); an
# OTHER problem only when a carrier reported it (staff's own are internal until resolved)
_PROBLEMS = {"FAILED_ATTEMPT", "DAMAGED", "LOST", "ADDRESS_PROBLEM", "REFUSED"}


# Event -> plans ---------------------------------------------------------------

def _order_status(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    to, frm, order_id = p.get("to_status"), p.get("from_status"), p.get("order_id")
    if to == "PENDING_REVIEW" and frm in (None, "DRAFT"):
        template = "order_received"
    elif to == "CONFIRMED" and frm in (None, "DRAFT", "PENDING_REVIEW"):
        template = "order_approved"
    elif to == "SCHEDULED" and not reads.already_notified("order_scheduled", "order_id",
                                                          order_id):
        template = "order_scheduled"
    elif to == "DELIVERED" and not reads.already_notified("order_delivered", "order_id",
                                                          order_id):
        template = "order_delivered"
    else:
        return []
    order = reads.order(order_id)
    customer = reads.customer(p.get("customer_id") or (order and order.customer_id))
    values = {"order_number": order.number if order else "-"}
    if template == "order_scheduled":  # the expected completion date the plan promises
        values["promised_date"] = _day(order and order.promised_date)
    return [Plan(template, values, customer, source=repo.source_key("order_id", order_id))]


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _shipment_values(reads: Reads, shipment: Any, order: Any, p: dict[str, Any]
                     ) -> dict[str, Any]:
    # the payload names the carrier by code; customers know it by name
    carrier = repo.carrier_name(reads.session, shipment and shipment.carrier_id) \
        or p.get("carrier")
    return {
        "order_number": order.number if order else "-",
        "shipment_number": shipment.number if shipment else "-",
        "carrier": carrier,
        "tracking_number": p.get("tracking_number") or (shipment and shipment.tracking_number),
    }


def _shipment_status(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """Shipped, once per shipment; staff alerted of a carrier's EXCEPTION. The customer's
    delay and problem notices come with the exception it opens (`_exception_opened`), so a
    carrier's event makes one notice, not one per topic."""
    status, shipment_id = p.get("status"), p.get("shipment_id")
    if status not in _SHIPPED and status != "EXCEPTION":
        return []
    if status in _SHIPPED and reads.already_notified("order_shipped", "shipment_id",
                                                     shipment_id):
        return []
    shipment = repo.shipment(reads.session, shipment_id)
    order = reads.order(p.get("order_id") or (shipment and shipment.order_id))
    values = _shipment_values(reads, shipment, order, p)
    source = repo.source_key("shipment_id", shipment_id)
    if status in _SHIPPED:
        customer = reads.customer(p.get("customer_id") or (order and order.customer_id))
        return [Plan("order_shipped", values, customer, source=source)]
    values["reason"] = p.get("reason") or (shipment and shipment.exception_reason) or status
    roles = [Role.LOGISTICS, Role.CUSTOMER_SERVICE, Role.MANAGER, Role.WAREHOUSE]
    warehouse_id = p.get("warehouse_id") or (shipment and shipment.warehouse_id)
    return [Plan("staff_exception", values,
                 users=repo.staff(reads.session, roles, warehouse_id), source=source)]


def _exception_opened(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """The customer's "delayed" (DELAYED) or "problem with your delivery" notice, in its
    language, at most once per exception."""
    kind, exception_id = p.get("type"), p.get("exception_id")
    if kind == "DELAYED":
        template = "order_delayed"
    elif kind in _PROBLEMS or (kind == "OTHER" and p.get("source") == "EVENT"):
        template = "delivery_problem"
    else:
        return []
    if reads.already_notified(template, "exception_id", exception_id):
        return []
    session = reads.session
    shipment = repo.shipment(session, p.get("shipment_id"))
    exception = repo.shipment_exception(session, exception_id)
    # what the carrier said (staff's descriptions are internal)
    event = repo.tracking_event(session, exception and exception.tracking_event_id)
    order = reads.order(p.get("order_id") or (shipment and shipment.order_id))
    estimated = shipment.estimated_delivery if shipment else None
    values = {**_shipment_values(reads, shipment, order, p), "problem": kind,
              "detail": event.description if event else None,
              "estimated_delivery": estimated.isoformat() if estimated else None}
    customer = reads.customer(order.customer_id if order else None)
    return [Plan(template, values, customer,
                 source=repo.source_key("exception_id", exception_id))]


def _return_status(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    request = repo.return_request(reads.session, p.get("return_request_id"))
    order = reads.order(p.get("order_id") or (request and request.order_id))
    customer = reads.customer(p.get("customer_id") or (request and request.customer_id))
    values = {"return_number": request.number if request else "-",
              "order_number": order.number if order else "-", "status": p.get("status")}
    return [Plan("return_status", values, customer)]


def _stock_alert(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    if p.get("kind") not in ("LOW_STOCK", "OUT_OF_STOCK"):
        return []
    session = reads.session
    product = repo.product(session, p.get("product_id"))
    warehouse = repo.warehouse(session, p.get("warehouse_id"))
    values = {"sku": product.sku if product else "-",
              "product_name": product.name if product else "",
              "warehouse": warehouse.name if warehouse else "-", "alert": p.get("kind"),
              "available": p.get("available"), "safety_stock": p.get("safety_stock")}
    users = repo.staff(session, [Role.WAREHOUSE, Role.MANAGER], p.get("warehouse_id"))
    return [Plan("staff_low_stock", values, users=users)]


def _churn_risk(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """The owner's churn warning (app/segments/service.py emits one event per move); a
    customer without an active owner warns the managers."""
    customer = reads.customer(p.get("customer_id"))
    if customer is None:
        return []
    users = repo.active_users(reads.session, [p["owner_id"]] if p.get("owner_id") else [])
    users = users or repo.staff(reads.session, [Role.MANAGER])
    values = {"customer_name": customer.name, "customer_code": customer.code,
              "from_segment": p.get("from_segment"), "to_segment": p.get("to_segment")}
    return [Plan("staff_churn_warning", values, users=users)]


def _activity_overdue(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """The assignee and every MANAGER hear of overdue work once per due time (the check
    raises one event: app/activities/checks.py). Users have no manager relation: the
    managers are all of them (docs/architecture.md#activities-plans-and-targets)."""
    session = reads.session
    assignee = repo.active_users(session, [p.get("assignee_id") or 0])
    managers = repo.staff(session, [Role.MANAGER])
    users = {u.id: u for u in assignee + managers}
    values = {"title": p.get("title"), "kind": p.get("kind"),
              "due_at": (p.get("due_at") or "")[:16].replace("T", " ") + " UTC",
              "assignee": assignee[0].full_name if assignee else "-"}
    return [Plan("staff_activity_overdue", values, users=list(users.values()),
                 source=repo.source_key("activity_id", p.get("activity_id")))]


def _target_behind(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """The rep (a team target: nobody in particular) and every MANAGER."""
    session = reads.session
    rep = repo.active_users(session, [p["user_id"]]) if p.get("user_id") else []
    users = {u.id: u for u in rep + repo.staff(session, [Role.MANAGER])}
    values = {"rep": rep[0].full_name if rep else "团队 / team", "metric": p.get("metric"),
              "period": p.get("period"), "period_start": p.get("period_start"),
              "achieved": p.get("achieved"), "target": p.get("target"), "pace": p.get("pace")}
    return [Plan("staff_target_behind", values, users=list(users.values()),
                 source=repo.source_key("target_id", p.get("target_id")))]


def _ticket_breached(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """The assignee and every MANAGER hear of a late first response or resolution, once
    per breach (the breach check raises one event each: app/tickets/breaches.py;
    docs/architecture.md#tickets-and-slas)."""
    session = reads.session
    assignee = repo.active_users(session, [p.get("assignee_id") or 0])
    users = {u.id: u for u in assignee + repo.staff(session, [Role.MANAGER])}
    values = {"number": p.get("number"), "breach": p.get("breach"),
              "priority": p.get("priority"),
              "due_at": (p.get("due_at") or "")[:16].replace("T", " ") + " UTC",
              "assignee": assignee[0].full_name if assignee else "-"}
    return [Plan("staff_ticket_breached", values, users=list(users.values()),
                 source=repo.source_key("ticket_id", p.get("ticket_id")))]


HANDLERS: dict[str, Callable[[Reads, dict[str, Any]], list[Plan]]] = {
    topics.ORDER_STATUS_CHANGED: _order_status,
    topics.SHIPMENT_STATUS_CHANGED: _shipment_status,
    topics.SHIPMENT_EXCEPTION_OPENED: _exception_opened,
    topics.RETURN_STATUS_CHANGED: _return_status,
    topics.STOCK_ALERT: _stock_alert,
    topics.CUSTOMER_CHURN_RISK: _churn_risk,
    topics.ACTIVITY_OVERDUE: _activity_overdue,
    topics.TARGET_BEHIND_PACE: _target_behind,
    topics.TICKET_BREACHED: _ticket_breached,
    # satisfaction surveys and proactive communication (app/notifications/proactive.py)
    topics.SURVEY_SENT: proactive.survey_sent,
    topics.SURVEY_LOW_SCORE: proactive.survey_low_score,
    topics.ORDER_DUE_SOON: proactive.order_due_soon,
}


# Plans -> rows ------------------------------------------------------------------

def _texts(plan: Plan, language: str) -> Rendered:
    """The plan rendered in `language`: once for all of a recipient's channels."""
    values = {k: (label(language, v) if k in _LABELLED else v) for k, v in plan.values.items()}
    return render(plan.template, language, values)


def _row(plan: Plan, text: Rendered, language: str, channel: str, recipient: str,
         now: datetime, *, customer_id: int | None = None, user_id: int | None = None
         ) -> dict[str, Any]:
    """A notification row; every text is cut to its column, so the insert cannot fail."""
    stored = channel == "IN_APP"
    return {
        "customer_id": customer_id, "user_id": user_id, "channel": channel,
        "template": plan.template, "language": language, "recipient": recipient[:254],
        "subject": text.subject[:300], "body": (text.sms if channel == "SMS" else text.body)[:4000],
        "status": Status.DELIVERED.value if stored else Status.PENDING.value, "attempts": 0,
        "sent_at": now if stored else None, "next_attempt_at": None if stored else now,
        "source_key": plan.source, "created_at": now,
    }


def _customer_rows(reads: Reads, plan: Plan) -> list[dict[str, Any]]:
    customer = plan.customer
    if customer is None:
        return []
    enabled = reads.preferences(customer.id)
    language = customer.language if customer.language in LANGUAGES else "zh"
    plan = replace(plan, values={"customer_name": customer.name, **plan.values})
    text, now = _texts(plan, language), utcnow()
    out = []
    for channel, recipient in (("EMAIL", customer.email), ("SMS", customer.phone),
                               ("IN_APP", "")):
        if enabled.get(channel, True) and (channel == "IN_APP" or recipient):
            out.append(_row(plan, text, language, channel, recipient or "", now,
                            customer_id=customer.id))
    return out


def _staff_rows(plan: Plan) -> list[dict[str, Any]]:
    out, texts, now = [], {}, utcnow()
    for user in plan.users:
        language = user.language if user.language in LANGUAGES else STAFF_LANGUAGE
        if language not in texts:
            texts[language] = _texts(plan, language)
        text = texts[language]
        out.append(_row(plan, text, language, "IN_APP", "", now, user_id=user.id))
        if user.email:
            out.append(_row(plan, text, language, "EMAIL", user.email, now, user_id=user.id))
    return out


def plan(session: Session, events: list[DomainEvent], settings: Settings | None = None
         ) -> list[dict[str, Any]]:
    """The notification rows `events` call for, each with the id of its event. An event
    whose planning fails is logged and left without notifications: a broken template or
    handler must not hold up every later event."""
    reads = Reads(session, settings)
    reads.prefetch(e for e in events if e.topic in HANDLERS)
    planned: list[dict[str, Any]] = []
    for event in events:
        handler = HANDLERS.get(event.topic)
        if handler is None:
            continue
        try:
            made = [row for p in handler(reads, event.payload)
                    for row in _customer_rows(reads, p) + _staff_rows(p)]
        except Exception:
            log.exception("planning notifications for event %s (%s) failed; it has none",
                          event.id, event.topic)
            continue
        for row in made:
            row["event_id"] = event.id
            reads.planned.add((row["template"], row["source_key"]))
        planned += made
    if reads.settings.push_url and planned:
        planned += pushes.push_rows(reads, planned)
    return planned


# The write, module-level: on SQLite it runs in the writer process (app.persistence.sqlite.writer)
# ----------

def record(session: Session, start: int, end: int, planned: list[dict[str, Any]]
           ) -> list[DomainEvent] | None:
    """Write the rows planned for the events after `start` up to `end` and move the
    planner's position there; the events to publish after commit: `notification.created`
    for each in-app row, one `notifications.due` for the e-mail and SMS rows. None (and
    nothing written) when another process planned them first."""
    if not consumers.advance(session, CONSUMER, start, end):
        return None
    ids = repo.insert_notifications(session, planned)
    sync_capture.touch_rows(session, "Notification", ids)
    synced = sync_capture.prepare(session)  # the keys, before the lock
    events = [DomainEvent(topic=topics.NOTIFICATION_CREATED, payload={
        "notification_id": row_id, "channel": row["channel"], "customer_id": row["customer_id"],
        "user_id": row["user_id"], "template": row["template"]})
        for row, row_id in zip(planned, ids, strict=True) if row["channel"] == "IN_APP"]
    due = [row["channel"] for row in planned if row["channel"] in repo.SENDABLE]
    if due:
        events.append(DomainEvent(topic=topics.NOTIFICATIONS_DUE, payload={
            "channels": sorted(set(due)), "count": len(due)}))
    if not events:
        sync_capture.record_plain(session, synced)
        return []
    event_ids = outbox.append(session, events)
    sync_capture.record_plain(session, synced, event_ids[-1])
    return [replace(e, id=i) for e, i in zip(events, event_ids, strict=True)]
