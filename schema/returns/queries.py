"""`returnRequests` and `returnRequest`: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.returns import service as returns
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.returns.inputs import ReturnRequestFilter, ReturnRequestSort, filter_from
from schema.returns.types import ReturnRequest


@strawberry.type
class ReturnQuery:
    @strawberry.field(description="Return requests the caller may see (SALES: of owned "
                      "customers; CUSTOMER: its own).")
    async def return_requests(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ReturnRequestFilter | None = None,
        sort: ReturnRequestSort | None = None,  # type: ignore
    ) -> Connection[ReturnRequest]:
        sort = sort or ReturnRequestSort.CREATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        page = await run_read(info, returns.list_returns, principal, filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, ReturnRequest.from_row)

    @strawberry.field(description="One return request; null when missing or out of scope.")
    async def return_request(self, info: strawberry.Info,
                             id: strawberry.ID) -> ReturnRequest | None:
        return await lookup(info, id, "ReturnRequest")
