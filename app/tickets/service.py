"""Tickets: one function per step (open, update, assign, reply, note) and the reads the API
uses (docs/architecture.md#tickets-and-slas). The lifecycle (resolve, close, reopen,
merge): app/tickets/lifecycle.py; delivery changes: app/tickets/delivery.py; the breach
check: app/tickets/breaches.py; the SLA report: app/tickets/report.py.

`open_follow_up_ticket` is the entry for other domains (a low survey score, a failed
delivery): it opens a ticket inside the caller's unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.customers import repository as customers
from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    Validator,
)
from app.events import topics
from app.orders import repository as orders
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.returns import repository as returns
from app.shipping import repository as shipping
from app.tickets import delivery, sla
from app.tickets import repository as repo
from app.tickets import workflow as wf
from app.tickets.models import (
    AfterSalesType,
    AuthorKind,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketPriority,
    TicketSlaPolicy,
    TicketStatus,
)

AGENT_ROLE = Role.CUSTOMER_SERVICE.value  # who automatic assignment chooses from
_LINKS = ("order_id", "shipment_id", "return_id", "exception_id")
_EDITABLE = ("subject", "description", "kind", "after_sales_type", "channel", "priority",
             *_LINKS)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([DomainError(message, field=[field])])


def _validate(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    if creating or "subject" in data:
        subject = (data.get("subject") or "").strip()
        v.check(1 <= len(subject) <= 200, "subject", "subject is required (at most 200 "
                "characters)")
    if data.get("description") is not None:
        v.check(len(data["description"]) <= 4000, "description",
                "description is at most 4000 characters")
    for key, enum in (("kind", TicketKind), ("channel", TicketChannel),
                      ("priority", TicketPriority), ("after_sales_type", AfterSalesType)):
        if data.get(key) is not None:
            v.check(data[key] in enum.__members__, key, f"{key} must be one of "
                    + ", ".join(enum.__members__))
    kind = data.get("kind")
    if data.get("after_sales_type") is not None and kind not in (None, "AFTER_SALES"):
        v.check(False, "afterSalesType", "afterSalesType is for AFTER_SALES tickets only")
    if creating and kind == TicketKind.AFTER_SALES.value:
        v.check(data.get("after_sales_type") is not None, "afterSalesType",
                "an AFTER_SALES ticket needs afterSalesType (REPAIR or INSTALLATION)")
    v.raise_if_any()


def validate_body(body: str | None) -> str:
    text = (body or "").strip()
    if not 1 <= len(text) <= 4000:
        raise _invalid("body", "a message needs 1 to 4000 characters")
    return text


# Links ------------------------------------------------------------------------------

def _check_links(session: Session, principal: Principal, customer_id: int,
                 data: dict[str, Any]) -> None:
    """Each linked order, shipment, return and exception must exist, be visible to the
    caller and belong to the ticket's customer: anything else is NOT_FOUND, like a
    missing one. An exception brings its shipment and order along."""
    if data.get("exception_id") is not None:
        exc = None if principal.role is Role.CUSTOMER else \
            shipping.get_visible_exception(session, principal, data["exception_id"])
        order = orders.orders_by_ids(session, [exc.order_id]).get(exc.order_id) \
            if exc else None
        if exc is None or order is None or order.customer_id != customer_id:
            raise NotFound("delivery exception not found for this customer",
                           field=["exceptionId"])
        data.setdefault("shipment_id", exc.shipment_id)
        data["shipment_id"] = data["shipment_id"] or exc.shipment_id
        data["order_id"] = data.get("order_id") or exc.order_id
    if data.get("shipment_id") is not None:
        shipment = shipping.get_visible(session, principal, data["shipment_id"])
        order = orders.orders_by_ids(session, [shipment.order_id]).get(shipment.order_id) \
            if shipment else None
        if shipment is None or order is None or order.customer_id != customer_id:
            raise NotFound("shipment not found for this customer", field=["shipmentId"])
        data["order_id"] = data.get("order_id") or shipment.order_id
        if data["order_id"] != shipment.order_id:
            raise _invalid("shipmentId", "the shipment belongs to another order")
    if data.get("order_id") is not None:
        order = orders.get_visible(session, principal, data["order_id"])
        if order is None or order.customer_id != customer_id:
            raise NotFound("order not found for this customer", field=["orderId"])
    if data.get("return_id") is not None:
        request = returns.get_visible(session, principal, data["return_id"])
        if request is None or request.customer_id != customer_id:
            raise NotFound("return not found for this customer", field=["returnId"])


def _customer(session: Session, principal: Principal, customer_id: int | None) -> Any:
    """The ticket's customer: a CUSTOMER's own (a foreign id answers like a missing one),
    else the one named, in the caller's scope."""
    if principal.role is Role.CUSTOMER:
        if customer_id is not None and customer_id != principal.customer_id:
            raise NotFound("customer not found", field=["customerId"])
        customer_id = principal.customer_id
    if customer_id is None:
        raise _invalid("customerId", "customerId is required")
    record = customers.visible_record(session, principal, customer_id)
    if record is None:
        raise NotFound("customer not found", field=["customerId"])
    return record


# Assignment ---------------------------------------------------------------------------

def check_agent(session: Session, assignee_id: int) -> int:
    user = repo.active_user(session, assignee_id)
    if user is None:
        raise NotFound("user not found", field=["assigneeId"])
    if not Principal(user_id=user.id, role=Role(user.role)).can(Perm.TICKETS_WRITE):
        raise _invalid("assigneeId", f"a {user.role} user cannot work tickets")
    return user.id


def auto_assignee(session: Session) -> int | None:
    """The active CUSTOMER_SERVICE agent with the fewest open tickets (lowest id on a
    tie), read under the assignment lock so two tickets opened at once are counted one
    after the other (docs/architecture.md#tickets-and-slas)."""
    repo.lock_assignment(session)
    return repo.least_loaded_agent(session, AGENT_ROLE)


def emit(uow: UnitOfWork, topic: str, ticket: Ticket, at: datetime, **extra: Any) -> None:
    uow.emit(topic, ticket_id=ticket.id, customer_id=ticket.customer_id,
             assignee_id=ticket.assignee_id, at=at.isoformat(), **extra)


def set_status(uow: UnitOfWork, ticket: Ticket, status: str, at: datetime) -> None:
    if ticket.status != status:
        before, ticket.status = ticket.status, status
        emit(uow, topics.TICKET_STATUS_CHANGED, ticket, at, from_status=before,
             status=status)


def touch(ticket: Ticket, at: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = at


# Opening ---------------------------------------------------------------------------

def _due(session: Session, priority: str, tier: str, created_at: datetime) -> sla.DueTimes:
    row = repo.sla_policy(session, priority, tier)
    targets = sla.Targets(row.first_response_minutes, row.resolution_minutes) if row \
        else sla.default_targets(priority, tier)
    return sla.due_times(created_at, targets)


def create_ticket(uow: UnitOfWork, data: dict[str, Any], now: datetime | None = None
                  ) -> Ticket:
    """Open a ticket: staff for any customer in scope, a CUSTOMER for itself. Its SLA due
    times come from the policy for its priority and the customer's tier; without an
    assignee it goes to the least loaded agent."""
    _validate(data, creating=True)
    session, principal = uow.session, uow.principal
    customer = _customer(session, principal, data.get("customer_id"))
    if principal.role is Role.CUSTOMER:
        if data.get("assignee_id") is not None:
            raise Forbidden("customers cannot choose an agent", field=["assigneeId"])
        data["priority"] = TicketPriority.NORMAL.value  # staff triage a customer's ticket
    _check_links(session, principal, customer.id, data)
    change = None
    if data.get("kind") == TicketKind.DELIVERY_CHANGE.value:
        change = delivery.requested_change(session, data,
                                            uow.settings.business_timezone)
    return open_ticket(uow, customer, data, change, now or utcnow())


def open_ticket(uow: UnitOfWork, customer: Any, data: dict[str, Any],
                change: delivery.Change | None, now: datetime) -> Ticket:
    """The ticket's row, its SLA, its assignee and its events, for a customer and links
    already checked."""
    session, principal = uow.session, uow.principal
    assignee = check_agent(session, data["assignee_id"]) \
        if data.get("assignee_id") is not None else auto_assignee(session)
    priority = data.get("priority") or TicketPriority.NORMAL.value
    due = _due(session, priority, customer.tier, now)
    ticket = Ticket(
        number=f"tmp-{uuid4().hex[:24]}", kind=data["kind"],
        after_sales_type=data.get("after_sales_type"),
        status=TicketStatus.OPEN.value if assignee else TicketStatus.NEW.value,
        channel=data.get("channel") or TicketChannel.WEB.value, priority=priority,
        subject=data["subject"].strip(), description=(data.get("description") or "").strip(),
        customer_id=customer.id, assignee_id=assignee,
        created_by_id=None if principal.is_system else principal.user_id,
        tier=customer.tier, first_response_due_at=due.first_response_due_at,
        resolution_due_at=due.resolution_due_at, created_at=now, updated_at=now,
        **{k: data.get(k) for k in _LINKS})
    if change is not None:
        delivery.apply_request(ticket, change)
    session.add(ticket)
    session.flush()
    ticket.number = f"TK{ticket.id:07d}"  # by id: known after the insert
    session.flush()
    uow.audit("ticket.create", "Ticket", ticket.id, after=snapshot(ticket))
    emit(uow, topics.TICKET_CREATED, ticket, now, kind=ticket.kind, priority=ticket.priority,
         channel=ticket.channel, status=ticket.status)
    if assignee:
        emit(uow, topics.TICKET_ASSIGNED, ticket, now, previous_assignee_id=None,
             auto=data.get("assignee_id") is None)
    return ticket


def open_follow_up_ticket(uow: UnitOfWork, customer_id: int, reason: str, *,
                          order_id: int | None = None, shipment_id: int | None = None,
                          priority: str = TicketPriority.HIGH.value,
                          kind: str = TicketKind.COMPLAINT.value,
                          subject: str | None = None, now: datetime | None = None) -> Ticket:
    """For other domains, inside their unit of work (a low satisfaction score, a delivery
    problem): a ticket for `customer_id` with `reason` as its description, auto-assigned.
    The links are checked against the customer, not against the caller's scope (the
    calling service has checked its own)."""
    data = {"kind": kind, "priority": priority, "channel": TicketChannel.EMAIL.value,
            "subject": (subject or reason)[:200], "description": reason[:4000],
            "order_id": order_id, "shipment_id": shipment_id}
    _validate(data, creating=True)
    customer = customers.visible_record(uow.session, _SYSTEM_SCOPE, customer_id)
    if customer is None:
        raise NotFound("customer not found", field=["customerId"])
    _check_links(uow.session, _SYSTEM_SCOPE, customer.id, data)
    return open_ticket(uow, customer, data, None, now or utcnow())


_SYSTEM_SCOPE = Principal(user_id=0, role=Role.ADMIN)


# Working it ------------------------------------------------------------------------

def load(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = repo.get_visible(uow.session, uow.principal, ticket_id, for_update=True)
    if ticket is None:
        raise NotFound("ticket not found", field=["id"])
    return ticket


def authorize(uow: UnitOfWork, action: wf.TicketAction) -> None:
    if not wf.may_attempt(uow.principal, action):
        raise Forbidden(f"requires tickets:write to {action.value.lower()} a ticket")


def update_ticket(uow: UnitOfWork, ticket_id: int, data: dict[str, Any],
                  expected_version: int | None = None, now: datetime | None = None) -> Ticket:
    authorize(uow, wf.TicketAction.UPDATE)
    _validate(data, creating=False)
    now = now or utcnow()
    ticket = load(uow, ticket_id)
    if expected_version is not None and expected_version != ticket.version:
        raise Conflict(f"ticket changed (version {ticket.version}); reload and retry",
                       field=["expectedVersion"])
    wf.check(ticket.status, wf.TicketAction.UPDATE)
    before = snapshot(ticket)
    links = {k: data[k] for k in _LINKS if data.get(k) is not None}
    if links:
        _check_links(uow.session, uow.principal, ticket.customer_id, links)
    data = {**data, **links}
    kind = data.get("kind") or ticket.kind
    if kind != TicketKind.AFTER_SALES.value:
        data["after_sales_type"] = None
    elif (data.get("after_sales_type") or ticket.after_sales_type) is None:
        raise _invalid("afterSalesType", "an AFTER_SALES ticket needs afterSalesType")
    for key in _EDITABLE:
        if key in data and (data[key] is not None or key == "after_sales_type"):
            setattr(ticket, key, data[key].strip() if key == "subject" else data[key])
    if "priority" in data and data["priority"] and before["priority"] != ticket.priority:
        # re-timed from its creation under the new priority
        due = _due(uow.session, ticket.priority, ticket.tier, ticket.created_at)
        ticket.first_response_due_at = due.first_response_due_at
        ticket.resolution_due_at = due.resolution_due_at
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.update", "Ticket", ticket.id, before=before, after=snapshot(ticket))
    return ticket


def assign_ticket(uow: UnitOfWork, ticket_id: int, assignee_id: int | None,
                  now: datetime | None = None) -> Ticket:
    """By hand to an agent (anyone holding tickets:write), or null: to the least loaded
    CUSTOMER_SERVICE agent. NEW becomes OPEN."""
    authorize(uow, wf.TicketAction.ASSIGN)
    now = now or utcnow()
    ticket = load(uow, ticket_id)
    wf.check(ticket.status, wf.TicketAction.ASSIGN)
    agent = check_agent(uow.session, assignee_id) if assignee_id is not None \
        else auto_assignee(uow.session)
    if agent is None:
        raise _invalid("assigneeId", "no active CUSTOMER_SERVICE agent to assign")
    before = snapshot(ticket)
    previous, ticket.assignee_id = ticket.assignee_id, agent
    set_status(uow, ticket, wf.after_assign(ticket.status), now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.assign", "Ticket", ticket.id, before=before, after=snapshot(ticket))
    emit(uow, topics.TICKET_ASSIGNED, ticket, now, previous_assignee_id=previous,
         auto=assignee_id is None)
    return ticket


def _message(uow: UnitOfWork, ticket: Ticket, body: str, *, internal: bool, kind: str,
             at: datetime) -> TicketMessage:
    message = TicketMessage(ticket_id=ticket.id, internal=internal, author_kind=kind,
                            author_id=None if uow.principal.is_system else
                            uow.principal.user_id, body=body, created_at=at)
    uow.session.add(message)
    uow.session.flush()
    return message


def reply(uow: UnitOfWork, ticket_id: int, body: str, now: datetime | None = None
          ) -> tuple[Ticket, TicketMessage]:
    """A message the customer sees. From an agent: the first response (if it is), and the
    ticket waits for the customer (PENDING_CUSTOMER); an unassigned ticket becomes the
    replying agent's. From the customer: back to the agent (OPEN)."""
    authorize(uow, wf.TicketAction.REPLY)
    text, now = validate_body(body), now or utcnow()
    ticket = load(uow, ticket_id)
    if ticket.status in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
        hint = " (reopen it first)" if ticket.status == TicketStatus.RESOLVED.value else ""
        raise InvalidTransition("ticket", ticket.status, "reply to" + hint)
    before = snapshot(ticket)
    customer = uow.principal.role is Role.CUSTOMER
    kind = AuthorKind.CUSTOMER.value if customer else AuthorKind.AGENT.value
    message = _message(uow, ticket, text, internal=False, kind=kind, at=now)
    if customer:
        set_status(uow, ticket, wf.after_customer_reply(ticket.status), now)
    else:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        if ticket.assignee_id is None and not uow.principal.is_system:
            ticket.assignee_id = uow.principal.user_id
            emit(uow, topics.TICKET_ASSIGNED, ticket, now, previous_assignee_id=None,
                 auto=False)
        set_status(uow, ticket, wf.after_agent_reply(ticket.status), now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.reply", "Ticket", ticket.id, before=before, after=snapshot(ticket))
    emit(uow, topics.TICKET_REPLIED, ticket, now, message_id=message.id, author_kind=kind)
    return ticket, message


def add_note(uow: UnitOfWork, ticket_id: int, body: str, now: datetime | None = None
             ) -> tuple[Ticket, TicketMessage]:
    """An internal note: staff only, never shown to the customer, no status change."""
    if not uow.principal.can(Perm.TICKETS_WRITE):
        raise Forbidden("requires tickets:write")
    text, now = validate_body(body), now or utcnow()
    ticket = load(uow, ticket_id)
    message = _message(uow, ticket, text, internal=True, kind=AuthorKind.AGENT.value, at=now)
    touch(ticket, now)
    uow.session.flush()
    uow.audit("ticket.note_add", "Ticket", ticket.id, after={"message_id": message.id})
    return ticket, message


# Reads --------------------------------------------------------------------------------

def get_ticket(session: Session, principal: Principal, ticket_id: int) -> Ticket | None:
    return repo.get_visible(session, principal, ticket_id)


def list_tickets(session: Session, principal: Principal, flt: repo.TicketFilter,
                 sort: repo.TicketSort, page: Any) -> Any:
    return repo.list_tickets(session, principal, flt, sort, page)


def tickets_by_ids(session: Session, ids: Any) -> dict[int, Ticket]:
    return repo.tickets_by_ids(session, ids)


def sla_policies(session: Session, principal: Principal) -> list[Any]:
    return repo.sla_policies(session)



def set_sla_policy(uow: UnitOfWork, priority: str, tier: str, first_response_minutes: int,
                   resolution_minutes: int) -> Any:
    """Change one row of the SLA table (tickets:supervise): tickets opened from now on are
    timed by it; open tickets keep their due times."""
    if not uow.principal.can(Perm.TICKETS_SUPERVISE):
        raise Forbidden("requires tickets:supervise")
    v = Validator()
    v.check(tier in sla.TIERS, "tier", "tier must be one of " + ", ".join(sla.TIERS))
    v.check(priority in sla.PRIORITIES, "priority", "unknown priority")
    v.check(1 <= first_response_minutes <= 525600, "firstResponseMinutes",
            "firstResponseMinutes must be 1 to 525600")
    v.check(first_response_minutes <= resolution_minutes <= 525600, "resolutionMinutes",
            "resolutionMinutes must be at least firstResponseMinutes (at most 525600)")
    v.raise_if_any()
    row = repo.sla_policy(uow.session, priority, tier)
    before = snapshot(row)
    if row is None:
        row = TicketSlaPolicy(priority=priority, tier=tier, first_response_minutes=0,
                              resolution_minutes=0, updated_at=utcnow())
        uow.session.add(row)
    row.first_response_minutes, row.resolution_minutes = (first_response_minutes,
                                                          resolution_minutes)
    row.updated_at = utcnow()
    uow.session.flush()
    uow.audit("ticket_sla_policy.set", "TicketSlaPolicy", row.id, before=before,
              after=snapshot(row))
    return row


def create_from_exception(uow: UnitOfWork, exception_id: int, data: dict[str, Any],
                          now: datetime | None = None) -> Ticket:
    """A ticket for the customer of a delivery exception's order, linked to the exception,
    its parcel and order (staff who may read the exception)."""
    session, principal = uow.session, uow.principal
    exc = None if principal.role is Role.CUSTOMER else \
        shipping.get_visible_exception(session, principal, exception_id)
    order = orders.orders_by_ids(session, [exc.order_id]).get(exc.order_id) if exc else None
    if exc is None or order is None:
        raise NotFound("delivery exception not found", field=["exceptionId"])
    data = {"kind": TicketKind.COMPLAINT.value, "channel": TicketChannel.PHONE.value,
            "subject": f"配送异常 / Delivery exception: {exc.type}",
            "description": exc.description, **{k: v for k, v in data.items() if v is not None},
            "customer_id": order.customer_id, "exception_id": exc.id}
    return create_ticket(uow, data, now)
