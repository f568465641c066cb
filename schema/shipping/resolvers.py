"""Shipment and carrier queries: parse, call one service, map the result.

Shipment writes (dispatch, carrier webhooks) belong to the logistics workflow.
"""

from __future__ import annotations

import strawberry

from app.auth.roles import Perm
from app.errors import DomainError
from app.ids import parse_id
from app.persistence.pagination import Page
from app.shipping import repository as repo
from app.shipping import service
from schema.core.node import lookup, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import read_connection, register_relation
from schema.shipping.types import (
    Carrier,
    CarrierFilter,
    CarrierSort,
    Shipment,
    ShipmentFilter,
    ShipmentSort,
)

register_loader("shipments_by_order", repo.shipment_rows_by_order, default=[])
register_loader("tracking_events_by_shipment", repo.tracking_events_by_shipment, default=[])
register_loader("shipment_lines_by_shipment", repo.shipment_lines_by_shipment, default=[])
register_loader("carrier_by_id", repo.carriers_by_ids)
register_relation("Shipment", "order", "order_by_id", "order_id", child="Order")
register_relation("Shipment", "warehouse", "warehouse_by_id", "warehouse_id",
                  child="Warehouse")
register_relation("Shipment", "carrier", "carrier_by_id", "carrier_id")
register_relation("Shipment", "lines", "shipment_lines_by_shipment", "id",
                  child="ShipmentLine", many=True)
register_relation("Shipment", "trackingEvents", "tracking_events_by_shipment",
                  "id", many=True)
register_relation("ShipmentLine", "orderLine", "order_line_by_id",
                  "order_line_id", child="OrderLine")


async def fetch_shipment(info: strawberry.Info, pk: int) -> Shipment | None:
    principal = current_principal(info)
    if not principal.can(Perm.SHIPMENTS_READ):
        return None
    row = await run_read(info, service.get_shipment, principal, pk)
    return Shipment.from_row(row) if row else None


async def fetch_carrier(info: strawberry.Info, pk: int) -> Carrier | None:
    if not current_principal(info).can(Perm.SHIPMENTS_READ):
        return None
    row = await info.context.loaders.load("carrier_by_id", pk)
    return Carrier.from_row(row) if row else None


register_node("Shipment", fetch_shipment)
register_node("Carrier", fetch_carrier)


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return parse_id(value, type_name, field) if value else None


def _filter(flt: ShipmentFilter | None) -> repo.ShipmentFilter | None:
    """The repository filter, or None when an ID names nothing (the list is then empty)."""
    if flt is None:
        return repo.ShipmentFilter()
    try:
        ids = {
            "warehouse_id": _optional_id(flt.warehouse_id, "Warehouse", "warehouseId"),
            "order_id": _optional_id(flt.order_id, "Order", "orderId"),
            "carrier_id": _optional_id(flt.carrier_id, "Carrier", "carrierId"),
        }
    except DomainError:  # a malformed or foreign ID matches no shipment
        return None
    # an empty status list is treated like no status condition (a cleared multi-select)
    statuses = tuple(s.value for s in flt.status) if flt.status else None
    return repo.ShipmentFilter(
        statuses=statuses, tracking_number=flt.tracking_number,
        created_after=flt.created_after, created_before=flt.created_before, **ids,
    )


_EMPTY: Page = Page(items=[], cursors=[], has_next=False, has_previous=False, total=0)


@strawberry.type
class ShippingQuery:
    @strawberry.field(
        extensions=requires(Perm.SHIPMENTS_READ),
        description="Shipments the caller may see (CUSTOMER: of its orders; SALES: of its "
        "customers' orders; WAREHOUSE: from its warehouses).")
    async def shipments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ShipmentFilter | None = None,
        sort: ShipmentSort = ShipmentSort.CREATED_AT_DESC,
    ) -> Connection[Shipment]:
        principal = current_principal(info)
        request = page_request(info, first, after, last, before).validated()
        flt = _filter(filter)
        if flt is None:
            return to_connection(_EMPTY, Shipment.from_row)
        page = await read_connection(info, "Shipment", service.list_shipments, principal, flt,
                                     sort, request)
        return to_connection(page, Shipment.from_row)

    @strawberry.field(extensions=requires(Perm.SHIPMENTS_READ),
                      description="One shipment; null when missing or out of your scope.")
    async def shipment(self, info: strawberry.Info, id: strawberry.ID) -> Shipment | None:
        return await lookup(info, id, "Shipment")

    @strawberry.field(extensions=requires(Perm.SHIPMENTS_READ),
                      description="Carriers, e.g. to fill a shipment filter.")
    async def carriers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CarrierFilter | None = None, sort: CarrierSort = CarrierSort.NAME_ASC,
    ) -> Connection[Carrier]:
        active = filter.is_active if filter is not None else None
        page = await run_read(info, service.list_carriers, active, sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, Carrier.from_row)
