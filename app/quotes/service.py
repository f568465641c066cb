"""Quotes: one function per workflow step (create, update, submit, approve, reject, send,
accept, decline, convert to an order) and the reads. The state machine and the approval
levels are in workflow.py, agreements in agreements.py, expiry in expiry.py
(docs/architecture.md#quotes-and-price-agreements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers import repository as customers
from app.customers.models import CustomerStatus
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.events import topics
from app.orders import pricing
from app.orders import repository as orders_repo
from app.orders import service as orders
from app.orders.models import OrderChannel
from app.orders.numbering import placeholder
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.quotes import repository as repo
from app.quotes.models import ApprovalLevel, Quote, QuoteLine, QuoteStatus
from app.quotes.workflow import QuoteAction, Thresholds, authorize, business_today

MAX_LINES = 200
MAX_QUANTITY = 1_000_000
MAX_PRICE = Decimal("1000000000")
RATE_PLACES = Decimal("0.0001")
ZERO = Decimal("0")


@dataclass(frozen=True)
class QuoteLineRequest:
    product_id: int
    quantity: int
    unit_price: Decimal | None = None  # None: the agreed price, else the catalog's
    discount_rate: Decimal | None = None  # None: 0 on an agreed price, else the customer's


@dataclass(frozen=True)
class QuoteDraft:
    customer_id: int
    lines: tuple[QuoteLineRequest, ...]
    valid_until: date
    terms: str = ""


def today_of(uow: UnitOfWork) -> date:
    return business_today(uow.settings.business_timezone)


def thresholds(uow: UnitOfWork) -> Thresholds:
    return Thresholds(Decimal(uow.settings.quote_discount_manager),
                      Decimal(uow.settings.quote_discount_finance))


# Validation and pricing -----------------------------------------------------------------

def _validate_lines(v: Validator, lines: tuple[QuoteLineRequest, ...]) -> None:
    v.check(1 <= len(lines) <= MAX_LINES, "lines", f"a quote has 1 to {MAX_LINES} lines")
    seen: set[int] = set()
    for i, line in enumerate(lines[:MAX_LINES]):
        path = ["lines", str(i)]
        v.check(1 <= line.quantity <= MAX_QUANTITY, [*path, "quantity"],
                f"quantity must be 1 to {MAX_QUANTITY}")
        if line.unit_price is not None:
            v.check(line.unit_price.is_finite() and ZERO <= line.unit_price < MAX_PRICE,
                    [*path, "unitPrice"], "a unit price is 0 or more")
        if line.discount_rate is not None:
            v.check(line.discount_rate.is_finite() and ZERO <= line.discount_rate < 1,
                    [*path, "discountRate"],
                    "discount rate is a fraction from 0 up to (not incl.) 1")
        v.check(line.product_id not in seen, [*path, "productId"],
                "this product is already on the quote; combine the lines")
        seen.add(line.product_id)


def _validate(v: Validator, valid_until: date | None, terms: str | None, today: date) -> None:
    if valid_until is not None:
        v.check(valid_until >= today, "validUntil", "valid until cannot be in the past")
    if terms is not None:
        v.check(len(terms) <= 4000, "terms", "terms are at most 4000 characters")


def _customer(uow: UnitOfWork, customer_id: int) -> Any:
    customer = customers.visible_record(uow.session, uow.principal, customer_id)
    if customer is None:
        raise NotFound("customer not found", field=["customerId"])
    if customer.status != CustomerStatus.ACTIVE:
        raise DomainError(f"customer is {customer.status}: no new quotes", field=["customerId"])
    return customer


def _price(uow: UnitOfWork, quote: Quote, customer: Any,
           requests: tuple[QuoteLineRequest, ...]) -> list[QuoteLine]:
    """Lines priced like an order's (app/orders/pricing.py) and the quote's totals and
    largest discount against the customer's reference price (agreement, else catalog)."""
    ids = [r.product_id for r in requests]
    products = orders_repo.products_by_ids(uow.session, ids)
    agreed = repo.agreed_prices(uow.session, customer.id, ids, today_of(uow))
    priced = pricing.price_lines(products, customer, [
        pricing.LineRequest(r.product_id, r.quantity, r.discount_rate, r.unit_price)
        for r in requests], agreed=agreed)
    lines, worst = [], ZERO
    for p in priced.lines:
        reference = agreed.get(p.product_id, products[p.product_id].price)
        gross = Decimal(p.quantity) * reference
        discount = max(ZERO, 1 - p.line_total / gross) if gross > 0 else ZERO
        worst = max(worst, discount.quantize(RATE_PLACES))
        lines.append(QuoteLine(quote_id=quote.id, product_id=p.product_id, sku=p.sku,
                               name=p.name, quantity=p.quantity, unit_price=p.unit_price,
                               discount_rate=p.discount_rate, line_total=p.line_total,
                               reference_price=reference))
    totals = pricing.totals(priced.lines)
    quote.subtotal, quote.discount_total, quote.total = (
        totals.subtotal, totals.discount_total, totals.total)
    quote.currency, quote.max_discount = priced.currency, worst
    return lines


# Shared by every step -------------------------------------------------------------------

def load(uow: UnitOfWork, quote_id: int, action: QuoteAction) -> Quote:
    """The quote, locked, if `action` is allowed now. Out of scope answers like missing."""
    quote = repo.get_visible(uow.session, uow.principal, quote_id)
    if quote is None:
        raise NotFound("quote not found", field=["id"])
    quote = repo.lock(uow.session, quote.id)
    authorize(action, quote, uow.principal, today_of(uow))
    return quote


def move(uow: UnitOfWork, quote: Quote, to_status: QuoteStatus, action: str,
         before: dict[str, Any] | None) -> Quote:
    """Set the status; audit before/after, and emit `quote.status_changed` when it moved."""
    moved = before is None or quote.status != to_status.value
    quote.status = to_status.value
    quote.updated_at = utcnow()
    quote.version += 1 if before is not None else 0
    uow.session.add(quote)
    uow.session.flush()
    uow.audit(f"quote.{action}", "Quote", quote.id, before=before, after=snapshot(quote))
    if moved:
        uow.emit(topics.QUOTE_STATUS_CHANGED, quote_id=quote.id,
                 customer_id=quote.customer_id, status=quote.status,
                 at=quote.updated_at.isoformat())
    return quote


# Steps ----------------------------------------------------------------------------------

def create_quote(uow: UnitOfWork, draft: QuoteDraft) -> Quote:
    """A DRAFT quote for a customer the caller may see, priced like an order."""
    if not uow.principal.can(Perm.QUOTES_WRITE):
        raise Forbidden("requires permission quotes:write")
    v = Validator()
    _validate_lines(v, draft.lines)
    _validate(v, draft.valid_until, draft.terms, today_of(uow))
    v.raise_if_any()
    s = uow.session
    customer = _customer(uow, draft.customer_id)
    quote = Quote(number=placeholder(), customer_id=customer.id, valid_until=draft.valid_until,
                  terms=draft.terms.strip(), created_by_id=uow.actor_id)
    s.add(quote)
    s.flush()
    quote.number = f"Q-{quote.created_at:%Y%m%d}-{quote.id:06d}"
    s.add_all(_price(uow, quote, customer, draft.lines))
    return move(uow, quote, QuoteStatus.DRAFT, "created", before=None)


def update_quote(uow: UnitOfWork, quote_id: int, changes: dict[str, Any],
                 expected_version: int | None = None) -> Quote:
    """Lines (replaced and re-priced), validity, terms: DRAFT only."""
    v = Validator()
    if changes.get("lines") is not None:
        _validate_lines(v, tuple(changes["lines"]))
    _validate(v, changes.get("valid_until"), changes.get("terms"), today_of(uow))
    v.raise_if_any()
    quote = load(uow, quote_id, QuoteAction.UPDATE)
    if expected_version is not None and expected_version != quote.version:
        raise Conflict(f"quote changed (version {quote.version}); reload and retry",
                       field=["expectedVersion"])
    before = snapshot(quote)
    if changes.get("lines") is not None:
        customer = _customer(uow, quote.customer_id)
        repo.replace_lines(uow.session, quote.id, _price(uow, quote, customer,
                                                         tuple(changes["lines"])))
    if changes.get("valid_until") is not None:
        quote.valid_until = changes["valid_until"]
    if changes.get("terms") is not None:
        quote.terms = changes["terms"].strip()
    return move(uow, quote, QuoteStatus.DRAFT, "updated", before=before)


def submit_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    """DRAFT -> APPROVED when every discount is within the rep's limit, else
    PENDING_APPROVAL for the level the largest discount needs."""
    quote = load(uow, quote_id, QuoteAction.SUBMIT)
    if quote.valid_until < today_of(uow):
        raise DomainError("valid until is in the past; update the quote",
                          field=["validUntil"], code=ErrorCode.INVALID_TRANSITION)
    before = snapshot(quote)
    level = thresholds(uow).level_for(quote.max_discount)
    quote.approval_level, quote.submitted_at = level.value, utcnow()
    if level is ApprovalLevel.NONE:
        quote.approved_at, quote.approved_by_id = quote.submitted_at, None
        return move(uow, quote, QuoteStatus.APPROVED, "submitted", before=before)
    return move(uow, quote, QuoteStatus.PENDING_APPROVAL, "submitted", before=before)


def _note(text: str | None, required: bool) -> str:
    text = (text or "").strip()
    if len(text) > 2000 or (required and not text):
        raise DomainError("a note is required (at most 2000 characters)" if required
                          else "a note is at most 2000 characters", field=["note"])
    return text


def approve_quote(uow: UnitOfWork, quote_id: int, note: str | None = None) -> Quote:
    """PENDING_APPROVAL -> APPROVED by an approver of the quote's level."""
    text = _note(note, required=False)
    quote = load(uow, quote_id, QuoteAction.APPROVE)
    before = snapshot(quote)
    quote.approved_at, quote.approved_by_id, quote.approval_note = utcnow(), uow.actor_id, text
    return move(uow, quote, QuoteStatus.APPROVED, "approved", before=before)


def reject_quote(uow: UnitOfWork, quote_id: int, note: str) -> Quote:
    """PENDING_APPROVAL -> DRAFT: the approver says why; the rep revises and submits again."""
    text = _note(note, required=True)
    quote = load(uow, quote_id, QuoteAction.REJECT)
    before = snapshot(quote)
    quote.approval_note, quote.submitted_at = text, None
    return move(uow, quote, QuoteStatus.DRAFT, "rejected", before=before)


def send_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    """APPROVED -> SENT: from now on the customer sees it."""
    quote = load(uow, quote_id, QuoteAction.SEND)
    before = snapshot(quote)
    quote.sent_at = utcnow()
    return move(uow, quote, QuoteStatus.SENT, "sent", before=before)


def accept_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    """SENT -> ACCEPTED, by the customer (its own) or staff recording its answer."""
    quote = load(uow, quote_id, QuoteAction.ACCEPT)
    before = snapshot(quote)
    quote.decided_at = utcnow()
    return move(uow, quote, QuoteStatus.ACCEPTED, "accepted", before=before)


def decline_quote(uow: UnitOfWork, quote_id: int, reason: str | None = None) -> Quote:
    """SENT -> REJECTED, by the customer (its own) or staff recording its answer."""
    text = (reason or "").strip()
    if len(text) > 2000:
        raise DomainError("a reason is at most 2000 characters", field=["reason"])
    quote = load(uow, quote_id, QuoteAction.DECLINE)
    before = snapshot(quote)
    quote.decided_at, quote.decline_reason = utcnow(), text
    return move(uow, quote, QuoteStatus.REJECTED, "declined", before=before)


def convert_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    """ACCEPTED -> an order at the quote's prices and discounts, submitted for review,
    through the order service (app/orders/service.py); once per quote."""
    quote = load(uow, quote_id, QuoteAction.CONVERT)
    lines = repo.lines_of(uow.session, quote.id)
    draft = orders.OrderDraft(
        customer_id=quote.customer_id, channel=OrderChannel.SALES_REP.value,
        notes=f"quote {quote.number}", submit=True,
        lines=tuple(pricing.LineRequest(ln.product_id, ln.quantity, ln.discount_rate,
                                        ln.unit_price) for ln in lines))
    order = orders.create_order(uow, draft)  # its errors name the line, as the quote's
    before = snapshot(quote)
    quote.order_id = order.id
    quote.updated_at = utcnow()
    uow.session.add(quote)
    uow.audit("quote.converted", "Quote", quote.id, before=before, after=snapshot(quote))
    return quote


# Reads ----------------------------------------------------------------------------------

def get_quote(session: Session, principal: Principal, quote_id: int) -> Quote | None:
    return repo.get_visible(session, principal, quote_id)


def list_quotes(session: Session, principal: Principal, flt: repo.QuoteFilter,
                sort: repo.QuoteSort, page: PageRequest) -> Page[Quote]:
    """A customer may not filter or sort by the approval's internal fields: the list would
    tell what the fields hide (docs/architecture.md#quotes-and-price-agreements)."""
    if principal.customer_scope is not None:
        if flt.approval_levels:
            raise Forbidden("approval levels are internal", field=["filter", "approvalLevel"])
        if sort in (repo.QuoteSort.SUBMITTED_AT_ASC,):
            raise Forbidden("the submission time is internal", field=["sort"])
    return repo.list_quotes(session, principal, flt, sort, page)
