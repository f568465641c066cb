"""Order creation, edits, notes and reads. The state machine steps live in
transitions.py, scheduling.py and fulfillment.py."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers import repository as customers
from app.customers.models import Customer, CustomerStatus
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.orders import history, loading, numbering, pricing, transitions, workflow
from app.orders import repository as repo
from app.orders.history import EventType
from app.orders.models import Order, OrderChannel
from app.orders.pricing import LineRequest
from app.orders.workflow import Action
from app.persistence import idempotency
from app.persistence.pagination import PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.quotes import repository as quotes_repo
from app.quotes.workflow import business_today

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")
CREATE_OPERATION = "orderCreate"


@dataclass(frozen=True)
class ShipTo:
    recipient: str
    address: str
    phone: str | None = None
    region: str = ""


@dataclass(frozen=True)
class OrderDraft:
    customer_id: int
    lines: tuple[LineRequest, ...]
    channel: str = OrderChannel.WEB.value
    contact_id: int | None = None
    address_id: int | None = None
    ship_to: ShipTo | None = None
    notes: str = ""
    payment_method: str | None = None
    external_id: str | None = None
    promised_date: date | None = None
    submit: bool = False
    idempotency_key: str | None = field(default=None, compare=False)

    def fingerprint(self) -> dict[str, Any]:
        """What a replay must repeat exactly (everything but the key)."""
        data = asdict(self)
        data.pop("idempotency_key")
        return data


def _validate_ship_to(v: Validator, ship_to: ShipTo | None, path: str = "shipTo") -> None:
    if ship_to is None:
        return
    v.check(1 <= len(ship_to.recipient.strip()) <= 200, [path, "recipient"],
            "recipient is required (at most 200 characters)")
    v.check(1 <= len(ship_to.address.strip()) <= 800, [path, "address"],
            "address is required (at most 800 characters)")
    v.check(len(ship_to.region) <= 64, [path, "region"], "region is at most 64 characters")
    if ship_to.phone:
        v.check(bool(PHONE_RE.match(ship_to.phone)), [path, "phone"], "not a valid phone number")


def _validate_draft(draft: OrderDraft) -> None:
    idempotency.validate_key(draft.idempotency_key)
    pricing.validate_lines(draft.lines)
    v = Validator()
    v.check(draft.channel in OrderChannel.__members__, "channel", "unknown channel")
    v.check(len(draft.notes) <= 4000, "notes", "notes are at most 4000 characters")
    if draft.external_id is not None:
        v.check(1 <= len(draft.external_id) <= 100, "externalId",
                "external id is 1 to 100 characters")
    _validate_ship_to(v, draft.ship_to)
    _check_promised(v, draft.promised_date)
    v.raise_if_any()


def _check_promised(v: Validator, promised: date | None) -> None:
    if promised is not None:
        v.check(promised >= datetime.now(UTC).date(), "promisedDate",
                "the promised date cannot be in the past")


def _customer(uow: UnitOfWork, customer_id: int) -> Any:
    """The customer as a read-only record: placing an order only reads it."""
    customer = customers.visible_record(uow.session, uow.principal, customer_id)
    if customer is None:
        raise NotFound("customer not found", field=["customerId"])
    if customer.status != CustomerStatus.ACTIVE:
        raise DomainError(f"customer is {customer.status}: no new orders", field=["customerId"])
    return customer


def _apply_contact(session: Session, order: Order, contact_id: int | None) -> None:
    if contact_id is None:
        contact = customers.primary_contact(session, order.customer_id)
    else:
        contact = customers.contacts_by_ids(session, [contact_id]).get(contact_id)
        if contact is None or contact.customer_id != order.customer_id:
            raise NotFound("contact not found for this customer", field=["contactId"])
    order.contact_id = contact.id if contact else None


def _apply_address(session: Session, order: Order, customer: Customer,
                   address_id: int | None, ship_to: ShipTo | None) -> None:
    """An explicit ship-to wins, then the chosen address, then the default address."""
    if ship_to is not None:
        order.ship_recipient, order.ship_phone = ship_to.recipient.strip(), ship_to.phone
        order.ship_region = ship_to.region or customer.region
        order.ship_address = ship_to.address.strip()
        return
    address = None
    if address_id is not None:
        address = next((a for a in customers.addresses_by_customer(session, [customer.id])
                        .get(customer.id, []) if a.id == address_id), None)
        if address is None:
            raise NotFound("address not found for this customer", field=["addressId"])
    else:
        address = customers.default_shipping_address(session, customer.id)
    if address is None:
        order.ship_region = order.ship_region or customer.region
        return
    order.ship_recipient, order.ship_phone = address.recipient, address.phone
    order.ship_region = address.region or customer.region
    parts = (address.province, address.city, address.district, address.line1, address.line2)
    order.ship_address = " ".join(p for p in parts if p)


def _priced_lines(uow: UnitOfWork, customer: Customer,
                  requests: tuple[LineRequest, ...]) -> pricing.Priced:
    if not uow.principal.is_staff and any(r.discount_rate is not None for r in requests):
        raise Forbidden("customers cannot set discounts", field=["lines"])
    ids = [r.product_id for r in requests]
    products = repo.products_by_ids(uow.session, ids)
    if not uow.principal.is_staff:
        # goods outside the caller's catalog answer like a missing product, not as
        # another consignor's (docs/architecture.md#consignors)
        products = {k: p for k, p in products.items()
                    if pricing.in_catalog_of(p, uow.principal)}
    # the customer's agreed prices (one statement per placement; app/quotes/repository.py)
    agreed = quotes_repo.agreed_prices(uow.session, customer.id, ids,
                                       business_today(uow.settings.business_timezone))
    return pricing.price_lines(products, customer, requests, agreed=agreed)


def _set_totals(order: Order, priced: pricing.Priced) -> None:
    totals = pricing.totals(priced.lines, order.shipping_total)
    order.subtotal, order.discount_total, order.total = (
        totals.subtotal, totals.discount_total, totals.total)
    order.currency = priced.currency


def create_order(uow: UnitOfWork, draft: OrderDraft) -> Order:
    """A DRAFT order (PENDING_REVIEW with `submit`), priced from the catalog.

    With an idempotency key, a replay by the same principal returns the first
    order and writes nothing; a different payload under the key is refused.
    """
    if not uow.principal.can(Perm.ORDERS_CREATE):
        raise Forbidden("requires permission orders:create")
    _validate_draft(draft)
    return idempotency.run_once(
        uow, CREATE_OPERATION, draft.idempotency_key, draft.fingerprint, "Order",
        create=lambda: _create(uow, draft), load=lambda pk: _replayed(uow, pk))


def _replayed(uow: UnitOfWork, order_id: int) -> Order:
    order = repo.get_visible(uow.session, uow.principal, order_id)
    if order is None:
        raise NotFound("order not found", field=["idempotencyKey"])
    return order


def _create(uow: UnitOfWork, draft: OrderDraft) -> Order:
    s = uow.session
    repo.ahead.placement(
        s, uow.principal, draft.customer_id, [r.product_id for r in draft.lines],
        business_today(uow.settings.business_timezone), contact=draft.contact_id is None,
        address=draft.ship_to is None and draft.address_id is None)
    customer = _customer(uow, draft.customer_id)
    priced = _priced_lines(uow, customer, draft.lines)
    if draft.external_id and repo.external_id_taken(s, draft.channel, draft.external_id):
        raise DomainError("an order with this external id exists for the channel",
                          field=["externalId"], code=ErrorCode.DUPLICATE)
    order = repo.new_order(
        number=numbering.placeholder(), customer_id=customer.id, channel=draft.channel,
        external_id=draft.external_id, notes=draft.notes.strip(),
        payment_method=pricing.payment_method_for(customer, draft.payment_method),
        created_by_id=uow.actor_id, promised_date=draft.promised_date)
    _apply_contact(s, order, draft.contact_id)
    _apply_address(s, order, customer, draft.address_id, draft.ship_to)
    _set_totals(order, priced)
    repo.insert_order(s, order, priced.lines, numbering.assign_number)
    history.record(uow, order, EventType.CREATED,
                   details={"lines": len(priced.lines), "total": str(order.total),
                            "channel": order.channel})
    if draft.submit:
        transitions.submit(uow, order, has_lines=bool(priced.lines))
    return order


# Edits -----------------------------------------------------------------------

UPDATABLE = ("lines", "contact_id", "address_id", "ship_to", "notes", "payment_method",
             "promised_date")


def _validate_changes(changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise DomainError(f"unknown fields {sorted(unknown)}")
    if changes.get("lines") is not None:
        pricing.validate_lines(changes["lines"])
    v = Validator()
    if changes.get("notes") is not None:
        v.check(len(changes["notes"]) <= 4000, "notes", "notes are at most 4000 characters")
    _validate_ship_to(v, changes.get("ship_to"))
    _check_promised(v, changes.get("promised_date"))
    v.raise_if_any()


def update_order(uow: UnitOfWork, order_id: int, changes: dict[str, Any],
                 expected_version: int | None = None) -> Order:
    """Lines, ship-to, contact, notes, payment method, promised date (DRAFT/PENDING_REVIEW).

    Lines are replaced as a whole and re-priced from the catalog. A stale
    `expected_version` is a CONFLICT.
    """
    _validate_changes(changes)
    order = loading.load(uow, order_id, Action.UPDATE)
    if expected_version is not None and expected_version != order.version:
        raise Conflict(f"order changed (version {order.version}); reload and retry",
                       field=["expectedVersion"])
    s = uow.session
    before = snapshot(order)
    customer = s.get(Customer, order.customer_id)
    if changes.get("lines") is not None:
        priced = _priced_lines(uow, customer, tuple(changes["lines"]))
        repo.delete_lines(s, order.id)
        _set_totals(order, priced)
        repo.insert_lines(s, order.id, priced.lines)
    if "contact_id" in changes:
        _apply_contact(s, order, changes["contact_id"])
    if changes.get("address_id") is not None or changes.get("ship_to") is not None:
        _apply_address(s, order, customer, changes.get("address_id"), changes.get("ship_to"))
    if changes.get("notes") is not None:
        order.notes = changes["notes"].strip()
    if changes.get("payment_method") is not None:
        order.payment_method = pricing.payment_method_for(customer, changes["payment_method"])
    if "promised_date" in changes:
        order.promised_date = changes["promised_date"]
    history.touch(order)
    s.add(order)
    history.record(uow, order, EventType.UPDATED, before=before,
                   details={"fields": sorted(k for k, v in changes.items()
                                             if v is not None or k == "promised_date")})
    return order


@dataclass(frozen=True)
class NoteResult:
    order: Order
    event: history.Entry


def add_note(uow: UnitOfWork, order_id: int, message: str) -> NoteResult:
    """A note in the order's history (any state); emits `order.event`."""
    message = (message or "").strip()
    if not 1 <= len(message) <= 2000:
        raise DomainError("a note is 1 to 2000 characters", field=["message"])
    order = loading.load(uow, order_id, Action.ADD_NOTE)
    event = history.record(uow, order, EventType.NOTE_ADDED, message=message)
    return NoteResult(order=order, event=event)


# Reads -----------------------------------------------------------------------

def get_order(session: Session, principal: Principal, order_id: int) -> Order | None:
    return repo.get_visible(session, principal, order_id)


def list_orders(session: Session, principal: Principal, flt: repo.OrderFilter,
                sort: repo.OrderSort, page: PageRequest) -> Any:
    return repo.list_orders(session, principal, flt, sort, page)


def actions_for(order: Order, principal: Principal) -> list[workflow.ActionState]:
    return workflow.available_actions(order, principal)
