"""Input types of quotes and agreements, and their translation into service arguments
(global IDs decoded here)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.ids import parse_id
from app.quotes import agreements
from app.quotes import repository as repo
from app.quotes import service as quotes
from schema.quotes.types import QuoteApprovalLevel, QuoteStatus

QuoteSort = strawberry.enum(repo.QuoteSort, name="QuoteSort")
PriceAgreementSort = strawberry.enum(repo.AgreementSort, name="PriceAgreementSort")


@strawberry.input
class QuoteFilter:
    status: list[QuoteStatus] | None = None  # type: ignore[valid-type]
    approval_level: list[QuoteApprovalLevel] | None = None  # type: ignore[valid-type]
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="One customer's quote history.")
    created_after: datetime | None = None
    created_before: datetime | None = None
    valid_until_before: date | None = None


@strawberry.input
class QuoteLineInput:
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Default: the customer's agreed price, else the catalog's.")
    discount_rate: Decimal | None = strawberry.field(
        default=None, description="A fraction 0..1. Default: 0 on an agreed price, else the "
        "customer's discount.")


@strawberry.input
class QuoteCreateInput:
    customer_id: strawberry.ID
    lines: list[QuoteLineInput]
    valid_until: date
    terms: str = ""


@strawberry.input(description="Only the fields sent change; lines are replaced as a whole.")
class QuoteUpdateInput:
    id: strawberry.ID
    lines: list[QuoteLineInput] | None = None
    valid_until: date | None = None
    terms: str | None = None
    expected_version: int | None = None


@strawberry.input
class PriceAgreementFilter:
    customer_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    active_on: date | None = strawberry.field(default=None,
                                             description="Only those valid on this day.")


@strawberry.input
class PriceAgreementSetInput:
    customer_id: strawberry.ID
    product_id: strawberry.ID
    price: Decimal
    valid_from: date
    valid_until: date | None = None
    note: str = ""


@strawberry.input(description="Free shipping from a goods total (0: always), else a flat "
                  "fee, else the carrier's price; replaces the customer's earlier terms.")
class FreightAgreementSetInput:
    customer_id: strawberry.ID
    valid_from: date
    free_shipping_threshold: Decimal | None = None
    flat_fee: Decimal | None = None
    valid_until: date | None = None


def _customer(raw: strawberry.ID | None) -> int | None:
    return parse_id(raw, "Customer", "customerId") if raw else None


def filter_from(flt: QuoteFilter | None) -> repo.QuoteFilter:
    if flt is None:
        return repo.QuoteFilter()
    return repo.QuoteFilter(
        statuses=tuple(s.value for s in flt.status or ()),
        approval_levels=tuple(a.value for a in flt.approval_level or ()),
        customer_id=_customer(flt.customer_id), created_after=flt.created_after,
        created_before=flt.created_before, valid_until_before=flt.valid_until_before)


def lines_from(lines: list[QuoteLineInput]) -> tuple[quotes.QuoteLineRequest, ...]:
    return tuple(quotes.QuoteLineRequest(
        parse_id(ln.product_id, "Product", f"lines.{i}.productId"), ln.quantity,
        ln.unit_price, ln.discount_rate) for i, ln in enumerate(lines))


def draft_from(inp: QuoteCreateInput) -> quotes.QuoteDraft:
    return quotes.QuoteDraft(customer_id=_customer(inp.customer_id), lines=lines_from(inp.lines),
                             valid_until=inp.valid_until, terms=inp.terms)


def changes_from(inp: QuoteUpdateInput) -> tuple[int, dict, int | None]:
    changes = {"lines": lines_from(inp.lines) if inp.lines is not None else None,
               "valid_until": inp.valid_until, "terms": inp.terms}
    return parse_id(inp.id, "Quote"), changes, inp.expected_version


def agreement_filter_from(flt: PriceAgreementFilter | None) -> repo.AgreementFilter:
    if flt is None:
        return repo.AgreementFilter()
    return repo.AgreementFilter(
        customer_id=_customer(flt.customer_id),
        product_id=parse_id(flt.product_id, "Product", "productId") if flt.product_id else None,
        active_on=flt.active_on)


def price_terms_from(inp: PriceAgreementSetInput) -> agreements.PriceTerms:
    return agreements.PriceTerms(
        customer_id=_customer(inp.customer_id),
        product_id=parse_id(inp.product_id, "Product", "productId"), price=inp.price,
        valid_from=inp.valid_from, valid_until=inp.valid_until, note=inp.note)


def freight_terms_from(inp: FreightAgreementSetInput) -> agreements.FreightTerms:
    return agreements.FreightTerms(
        customer_id=_customer(inp.customer_id), valid_from=inp.valid_from,
        free_shipping_threshold=inp.free_shipping_threshold, flat_fee=inp.flat_fee,
        valid_until=inp.valid_until)
