"""Quote mutations, one per workflow step, and the agreements': parse the input, call one
service, map the result to `{ quote | priceAgreement | freightAgreement, userErrors }`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.quotes import agreements
from app.quotes import service as quotes
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.quotes.inputs import (
    FreightAgreementSetInput,
    PriceAgreementSetInput,
    QuoteCreateInput,
    QuoteUpdateInput,
    changes_from,
    draft_from,
    freight_terms_from,
    price_terms_from,
)
from schema.quotes.types import FreightAgreement, PriceAgreement, Quote


@strawberry.type
class QuotePayload:
    quote: Quote | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PriceAgreementPayload:
    price_agreement: PriceAgreement | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FreightAgreementPayload:
    freight_agreement: FreightAgreement | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple],
               payload: type, field: str, convert: Callable[[Any], Any]) -> Any:
    try:
        args = parse()
    except DomainError as exc:
        return payload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *args)
    return payload(**{field: convert(row) if row else None}, user_errors=errors)


async def _quote(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]) -> QuotePayload:
    return await _run(info, fn, parse, QuotePayload, "quote", Quote.from_row)


def _id(raw: str, *rest: Any) -> Callable[[], tuple]:
    return lambda: (parse_id(raw, "Quote"), *rest)


@strawberry.type
class QuoteMutation:
    @strawberry.mutation(description="A DRAFT quote, priced like an order (agreed prices "
                         "first).")
    async def quote_create(self, info: strawberry.Info, input: QuoteCreateInput) -> QuotePayload:
        return await _quote(info, quotes.create_quote, lambda: (draft_from(input),))

    @strawberry.mutation(description="DRAFT only: lines (re-priced), validity, terms.")
    async def quote_update(self, info: strawberry.Info, input: QuoteUpdateInput) -> QuotePayload:
        return await _quote(info, quotes.update_quote, lambda: changes_from(input))

    @strawberry.mutation(description="DRAFT -> APPROVED (discounts within the rep's limit) or "
                         "PENDING_APPROVAL (MANAGER or FINANCE, by the largest discount).")
    async def quote_submit(self, info: strawberry.Info, id: strawberry.ID) -> QuotePayload:
        return await _quote(info, quotes.submit_quote, _id(id))

    @strawberry.mutation(description="PENDING_APPROVAL -> APPROVED; above the finance "
                         "threshold FINANCE only.")
    async def quote_approve(self, info: strawberry.Info, id: strawberry.ID,
                            note: str | None = None) -> QuotePayload:
        return await _quote(info, quotes.approve_quote, _id(id, note))

    @strawberry.mutation(description="The approver sends it back: PENDING_APPROVAL -> DRAFT, "
                         "with an internal note.")
    async def quote_reject(self, info: strawberry.Info, id: strawberry.ID,
                           note: str) -> QuotePayload:
        return await _quote(info, quotes.reject_quote, _id(id, note))

    @strawberry.mutation(description="APPROVED -> SENT: the customer sees it from now on.")
    async def quote_send(self, info: strawberry.Info, id: strawberry.ID) -> QuotePayload:
        return await _quote(info, quotes.send_quote, _id(id))

    @strawberry.mutation(description="SENT -> ACCEPTED (CUSTOMER: its own).")
    async def quote_accept(self, info: strawberry.Info, id: strawberry.ID) -> QuotePayload:
        return await _quote(info, quotes.accept_quote, _id(id))

    @strawberry.mutation(description="SENT -> REJECTED (CUSTOMER: its own).")
    async def quote_decline(self, info: strawberry.Info, id: strawberry.ID,
                            reason: str | None = None) -> QuotePayload:
        return await _quote(info, quotes.decline_quote, _id(id, reason))

    @strawberry.mutation(description="ACCEPTED -> an order at the quote's prices, submitted "
                         "for review (`Quote.order`); once.")
    async def quote_convert_to_order(self, info: strawberry.Info,
                                     id: strawberry.ID) -> QuotePayload:
        return await _quote(info, quotes.convert_quote, _id(id))

    @strawberry.mutation(description="The customer's price for a product, replacing any "
                         "earlier one.")
    async def price_agreement_set(self, info: strawberry.Info,
                                  input: PriceAgreementSetInput) -> PriceAgreementPayload:
        return await _run(info, agreements.set_price_agreement,
                          lambda: (price_terms_from(input),), PriceAgreementPayload,
                          "price_agreement", PriceAgreement.from_row)

    @strawberry.mutation(description="The customer's freight terms, replacing earlier ones.")
    async def freight_agreement_set(self, info: strawberry.Info,
                                    input: FreightAgreementSetInput) -> FreightAgreementPayload:
        return await _run(info, agreements.set_freight_agreement,
                          lambda: (freight_terms_from(input),), FreightAgreementPayload,
                          "freight_agreement", FreightAgreement.from_row)
