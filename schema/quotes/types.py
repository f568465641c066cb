"""GraphQL types of quotes, their lines and the customers' price and freight agreements
(docs/architecture.md#quotes-and-price-agreements)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.auth.roles import Perm
from app.quotes import agreements
from app.quotes import models as m
from app.quotes import repository as repo
from app.quotes import service as quotes
from app.quotes import workflow as wf
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.catalog.types import Product
    from schema.customers.types import Customer
    from schema.orders.types import Order

register_loader("quote_lines_by_quote", repo.lines_by_quote, default=[])

QuoteStatus = strawberry.enum(m.QuoteStatus, name="QuoteStatus", description=(
    "DRAFT -> PENDING_APPROVAL -> APPROVED -> SENT -> ACCEPTED / REJECTED (by the "
    "customer); open quotes past validUntil become EXPIRED."))
QuoteApprovalLevel = strawberry.enum(m.ApprovalLevel, name="QuoteApprovalLevel", description=(
    "Who must approve the quote's largest discount: NONE (within the rep's limit), MANAGER, "
    "FINANCE."))
QuoteAction = strawberry.enum(wf.QuoteAction, name="QuoteAction")


@strawberry.type(description="Whether the caller may take a quote step now, and why not.")
class QuoteActionState:
    action: QuoteAction  # type: ignore[valid-type]
    enabled: bool
    reason: str | None


@strawberry.type(description="A product on a quote, at its quoted price.")
class QuoteLine:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    discount_rate: Decimal = strawberry.field(description="A fraction 0..1.")
    line_total: Money
    reference_price: Money = strawberry.field(
        description="The customer's price when quoted: its agreed price, else the catalog's.")
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        return info.context.loaders.one("product_by_id", self._product_id,
                                        object_type("Product"))

    @classmethod
    def from_row(cls, row: m.QuoteLine, currency: str) -> QuoteLine:
        return cls(sku=row.sku, name=row.name, quantity=row.quantity,
                   unit_price=money(row.unit_price, currency), discount_rate=row.discount_rate,
                   line_total=money(row.line_total, currency),
                   reference_price=money(row.reference_price, currency),
                   _product_id=row.product_id)


@strawberry.type(description="An offer to a customer: lines, validity and terms, approved "
                 "by the level its discount needs before it is sent.")
class Quote(Node):
    number: str
    status: QuoteStatus  # type: ignore[valid-type]
    currency: str
    valid_until: date
    terms: str
    subtotal: Money
    discount_total: Money
    total: Money
    decline_reason: str = strawberry.field(description="The customer's reason, if it gave one.")
    sent_at: datetime | None
    decided_at: datetime | None = strawberry.field(
        description="When it was accepted, rejected or expired.")
    created_at: datetime
    updated_at: datetime
    version: int
    _row: strawberry.Private[m.Quote]

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return gid("Customer", self._row.customer_id)

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[QuoteLine]:
        rows = await info.context.loaders.load("quote_lines_by_quote", self._row.id)
        return [QuoteLine.from_row(r, self._row.currency) for r in rows]

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        row = await info.context.loaders.load("customer_by_id", self._row.customer_id)
        return object_type("Customer").from_row(row) if row else None

    @strawberry.field(description="The order it was converted to.")
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        if self._row.order_id is None:
            return None
        row = await info.context.loaders.load("order_by_id", self._row.order_id)
        return object_type("Order").from_row(row) if row else None

    @strawberry.field(extensions=requires(Perm.QUOTES_READ),
                      description="The largest line discount against the customer's price.")
    def max_discount(self) -> Decimal | None:
        return self._row.max_discount

    @strawberry.field(extensions=requires(Perm.QUOTES_READ))
    def approval_level(self) -> QuoteApprovalLevel | None:  # type: ignore[valid-type]
        return m.ApprovalLevel(self._row.approval_level)

    @strawberry.field(extensions=requires(Perm.QUOTES_READ),
                      description="Internal: the approver's note. Never shown to customers.")
    def approval_note(self) -> str | None:
        return self._row.approval_note

    @strawberry.field(extensions=requires(Perm.QUOTES_READ))
    def submitted_at(self) -> datetime | None:
        return self._row.submitted_at

    @strawberry.field(extensions=requires(Perm.QUOTES_READ))
    def approved_at(self) -> datetime | None:
        return self._row.approved_at

    @strawberry.field(description="Every step, whether the caller may take it now and why not "
                      "(a customer: accept and decline only).")
    def available_actions(self, info: strawberry.Info) -> list[QuoteActionState]:
        today = wf.business_today(info.context.settings.business_timezone)
        states = wf.available_actions(self._row, current_principal(info), today)
        return [QuoteActionState(action=s.action, enabled=s.enabled, reason=s.reason)
                for s in states]

    @classmethod
    def from_row(cls, row: m.Quote) -> Quote:
        c = row.currency
        return cls(id=gid("Quote", row.id), number=row.number, status=row.status, currency=c,
                   valid_until=row.valid_until, terms=row.terms,
                   subtotal=money(row.subtotal, c), discount_total=money(row.discount_total, c),
                   total=money(row.total, c), decline_reason=row.decline_reason,
                   sent_at=row.sent_at, decided_at=row.decided_at, created_at=row.created_at,
                   updated_at=row.updated_at, version=row.version, _row=row)


@strawberry.type(description="A customer's price for a product while it is valid: orders "
                 "are priced at it and their review accepts it.")
class PriceAgreement(Node):
    price: Money
    valid_from: date
    valid_until: date | None = strawberry.field(description="Inclusive; null: open-ended.")
    note: str
    updated_at: datetime
    _row: strawberry.Private[m.PriceAgreement]

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return gid("Customer", self._row.customer_id)

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._row.product_id)

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        return info.context.loaders.one("product_by_id", self._row.product_id,
                                        object_type("Product"))

    @classmethod
    def from_row(cls, row: m.PriceAgreement) -> PriceAgreement:
        return cls(id=gid("PriceAgreement", row.id), price=money(row.price),
                   valid_from=row.valid_from, valid_until=row.valid_until, note=row.note,
                   updated_at=row.updated_at, _row=row)


@strawberry.type(description="A customer's shipping terms while valid: free from a goods "
                 "total, else a flat fee, else the carrier's price.")
class FreightAgreement:
    free_shipping_threshold: Money | None
    flat_fee: Money | None
    valid_from: date
    valid_until: date | None
    updated_at: datetime
    _row: strawberry.Private[m.FreightAgreement]

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return gid("Customer", self._row.customer_id)

    @classmethod
    def from_row(cls, row: m.FreightAgreement) -> FreightAgreement:
        return cls(free_shipping_threshold=money(row.free_shipping_threshold),
                   flat_fee=money(row.flat_fee), valid_from=row.valid_from,
                   valid_until=row.valid_until, updated_at=row.updated_at, _row=row)


async def fetch_quote(info: strawberry.Info, pk: int) -> Quote | None:
    principal = current_principal(info)
    if not wf.may_read(principal):
        return None
    row = await run_read(info, quotes.get_quote, principal, pk)
    return Quote.from_row(row) if row else None


async def fetch_agreement(info: strawberry.Info, pk: int) -> PriceAgreement | None:
    principal = current_principal(info)
    if not principal.can(Perm.QUOTES_READ):
        return None
    row = await run_read(info, agreements.get_price_agreement, principal, pk)
    return PriceAgreement.from_row(row) if row else None


register_node("Quote", fetch_quote)
register_node("PriceAgreement", fetch_agreement)
register_types(Quote, PriceAgreement)
