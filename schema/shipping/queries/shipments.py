"""Shipment, carrier and shipping-quote queries: parse, call one service, map the result.

Shipment writes are in schema/shipping/mutations/.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.persistence.columns import utcnow
from app.persistence.pagination import Page
from app.shipping import quoting, service
from schema.core.node import lookup, parse_ids
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection
from schema.shipping.inputs.shipments import (
    CarrierFilter,
    CarrierSort,
    ShipmentFilter,
    ShipmentSort,
    filter_from,
)
from schema.shipping.types import Carrier, Shipment, ShippingQuotes

_EMPTY: Page = Page(items=[], cursors=[], has_next=False, has_previous=False, total=0)


@strawberry.type
class ShippingQuery:
    @strawberry.field(
        description="Shipments the caller may see (CUSTOMER: of its orders; SALES: of its "
        "customers' orders; WAREHOUSE: from its warehouses).")
    async def shipments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ShipmentFilter | None = None,
        sort: ShipmentSort | None = None,
    ) -> Connection[Shipment]:
        sort = sort or ShipmentSort.CREATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        request = page_request(info, first, after, last, before).validated()
        flt = filter_from(filter)
        if flt is None:
            return to_connection(_EMPTY, Shipment.from_row)
        page = await read_connection(info, "Shipment", service.list_shipments, principal, flt,
                                     sort, request)
        return to_connection(page, Shipment.from_row)

    @strawberry.field(description="One shipment; null when missing or out of your scope.")
    async def shipment(self, info: strawberry.Info, id: strawberry.ID) -> Shipment | None:
        return await lookup(info, id, "Shipment")

    @strawberry.field(description="Carriers, e.g. to fill a shipment filter.")
    async def carriers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CarrierFilter | None = None, sort: CarrierSort | None = None,
    ) -> Connection[Carrier]:
        sort = sort or CarrierSort.NAME_ASC  # null: the list's default order
        active = filter.is_active if filter is not None else None
        page = await run_read(info, service.list_carriers, active, sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, Carrier.from_row)

    @strawberry.field(
        description="Every active service's quote for what is left to ship of an order from a "
        "warehouse (its allocation there, or the whole order), with the recommended service "
        "and the reasons of every ineligible one. readyAt: when the parcel is handed over "
        "(default now); serviceId: a service the dispatcher names. Errors NOT_FOUND for an "
        "order or warehouse that is missing or outside your scope alike.")
    async def shipping_quotes(
        self, info: strawberry.Info, order_id: strawberry.ID, warehouse_id: strawberry.ID,
        ready_at: datetime | None = None, service_id: strawberry.ID | None = None,
    ) -> ShippingQuotes | None:
        principal = current_principal(info)
        order_pk, warehouse_pk, service_pk = parse_ids(
            (order_id, "Order", "orderId"), (warehouse_id, "Warehouse", "warehouseId"),
            (service_id, "CarrierService", "serviceId"))
        found = await run_read(info, quoting.quote_order, principal, order_pk, warehouse_pk,
                               ready_at or utcnow(), info.context.settings.business_timezone,
                               service_pk)
        return ShippingQuotes.build(found)
