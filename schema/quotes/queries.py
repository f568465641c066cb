"""`quotes`, `quote`, `priceAgreements` and `freightAgreement`: parse, call one service, map
the result."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.quotes import agreements
from app.quotes import service as quotes
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.quotes.inputs import (
    PriceAgreementFilter,
    PriceAgreementSort,
    QuoteFilter,
    QuoteSort,
    agreement_filter_from,
    filter_from,
)
from schema.quotes.types import FreightAgreement, PriceAgreement, Quote


@strawberry.type
class QuoteQuery:
    @strawberry.field(description="Quotes the caller may see (SALES: of owned customers; "
                      "CUSTOMER: its own, once sent). `filter.customerId`: a customer's "
                      "history; `filter.status: [PENDING_APPROVAL]`: the approval queue.")
    async def quotes(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: QuoteFilter | None = None,
        sort: QuoteSort | None = None,  # type: ignore
    ) -> Connection[Quote]:
        sort = sort or QuoteSort.CREATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        page = await run_read(info, quotes.list_quotes, principal, filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, Quote.from_row)

    @strawberry.field(description="One quote; null when missing or out of scope.")
    async def quote(self, info: strawberry.Info, id: strawberry.ID) -> Quote | None:
        return await lookup(info, id, "Quote")

    @strawberry.field(description="Customers' prices per product (SALES: of owned customers).")
    async def price_agreements(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: PriceAgreementFilter | None = None,
        sort: PriceAgreementSort | None = None,  # type: ignore
    ) -> Connection[PriceAgreement]:
        sort = sort or PriceAgreementSort.UPDATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        page = await run_read(info, agreements.list_price_agreements, principal,
                              agreement_filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, PriceAgreement.from_row)

    @strawberry.field(description="The customer's freight terms; null when it has none or is "
                      "out of scope.")
    async def freight_agreement(self, info: strawberry.Info,
                                customer_id: strawberry.ID) -> FreightAgreement | None:
        principal = current_principal(info)
        try:
            pk = parse_id(customer_id, "Customer", "customerId")
        except DomainError:  # a malformed id answers like a missing one
            return None
        row = await run_read(info, agreements.freight_agreement, principal, pk)
        return FreightAgreement.from_row(row) if row else None
