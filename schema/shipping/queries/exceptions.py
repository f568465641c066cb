"""The exception queue and the failed-delivery follow-up list: thin resolvers over the
repository reads, scoped by the caller (docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import Session

from app.auth.principal import Principal
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.shipping import repository as repo
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.loading.loaders import Loaders
from schema.loading.prefetch import read_connection
from schema.shipping.inputs.exceptions import (
    FailedDeliverySort,
    ShipmentExceptionFilter,
    ShipmentExceptionSort,
    filter_from,
)
from schema.shipping.types.exceptions import FailedDelivery, ShipmentException

_EMPTY: Page = Page(items=[], cursors=[], has_next=False, has_previous=False, total=0)
_SCOPE = ("CUSTOMER never sees them; WAREHOUSE: parcels leaving its warehouses; SALES: its "
          "customers' parcels. Requires exceptions:read.")


def _failed_page(session: Session, loaders: Loaders, principal: Principal,
                 sort: repo.FailedDeliverySort, request: PageRequest) -> Page[Any]:
    """The page, its shipments primed for `FailedDelivery.shipment` (no second read)."""
    page = repo.list_failed_deliveries(session, principal, sort, request)
    for row in page.items:
        loaders.prime("shipment_by_id", row.id, row)
    return page


@strawberry.type
class ShipmentExceptionQuery:
    @strawberry.field(
        description="Delivery exceptions, by default the open ones oldest first, each with "
        "its age and whether its SLA is breached. " + _SCOPE)
    async def shipment_exceptions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ShipmentExceptionFilter | None = None,
        sort: ShipmentExceptionSort | None = None,
    ) -> Connection[ShipmentException]:
        sort = sort or ShipmentExceptionSort.OPENED_AT_ASC  # null: the list's default order
        principal = current_principal(info)
        request = page_request(info, first, after, last, before).validated()
        flt = filter_from(filter)
        if flt is None:
            return to_connection(_EMPTY, ShipmentException.from_row)
        page = await read_connection(info, "ShipmentException", repo.list_exceptions,
                                     principal, flt, sort, request, utcnow())
        return to_connection(page, lambda r: info.context.loaders.cached(ShipmentException, r))

    @strawberry.field(description="One exception; null when missing or out of your scope.")
    async def shipment_exception(self, info: strawberry.Info, id: strawberry.ID
                                 ) -> ShipmentException | None:
        return await lookup(info, id, "ShipmentException")

    @strawberry.field(
        description="Parcels with failed delivery attempts and not delivered (nor back at the "
        "sender, nor cancelled), with their last attempt and open exceptions. " + _SCOPE)
    async def failed_deliveries(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        sort: FailedDeliverySort | None = None,
    ) -> Connection[FailedDelivery]:
        sort = sort or FailedDeliverySort.SHIPPED_AT_ASC  # null: the list's default order
        principal = current_principal(info)
        request = page_request(info, first, after, last, before).validated()
        page = await read_connection(info, "FailedDelivery", _failed_page,
                                     info.context.loaders, principal, sort, request)
        return to_connection(page, FailedDelivery.from_row)
