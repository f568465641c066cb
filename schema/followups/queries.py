"""The failed-delivery follow-up list: thin resolvers over the repository reads, scoped by
the caller (docs/architecture.md#failed-delivery-follow-up)."""

from __future__ import annotations

import strawberry

from app.followups import repository as repo
from app.persistence.pagination import Page
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.followups.inputs import DeliveryFollowUpFilter, DeliveryFollowUpSort, filter_from
from schema.followups.types import DeliveryFollowUp
from schema.loading.prefetch import read_connection

_EMPTY: Page = Page(items=[], cursors=[], has_next=False, has_previous=False, total=0)
_SCOPE = ("Requires followups:read. A customer sign-in sees its own goods' only; SALES: its "
          "customers' parcels; WAREHOUSE: parcels leaving its warehouses.")


@strawberry.type
class FollowUpQuery:
    @strawberry.field(description=(
        "Goods that failed to deliver, by default the open ones oldest first, with reason, "
        "next action and age. " + _SCOPE))
    async def delivery_follow_ups(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: DeliveryFollowUpFilter | None = None,
        sort: DeliveryFollowUpSort | None = None,
    ) -> Connection[DeliveryFollowUp]:
        sort = sort or DeliveryFollowUpSort.OPENED_AT_ASC  # null: the list's default order
        principal = current_principal(info)
        request = page_request(info, first, after, last, before).validated()
        flt = filter_from(filter)
        if flt is None:
            return to_connection(_EMPTY, DeliveryFollowUp.from_row)
        page = await read_connection(info, "DeliveryFollowUp", repo.list_follow_ups,
                                     principal, flt, sort, request)
        return to_connection(page, DeliveryFollowUp.from_row)

    @strawberry.field(description="One follow-up; null when missing or out of your scope.")
    async def delivery_follow_up(self, info: strawberry.Info, id: strawberry.ID
                                 ) -> DeliveryFollowUp | None:
        return await lookup(info, id, "DeliveryFollowUp")
