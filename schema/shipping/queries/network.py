"""The logistics back office's queries: a carrier's cash-on-delivery reconciliation,
delivery performance and the shipments at risk of arriving late. Thin resolvers: parse,
call one service, map the result."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.ids import parse_id
from app.shipping import cod, performance
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import (
    current_principal,
)
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection
from schema.shipping.types import Shipment
from schema.shipping.types.cod_and_performance import (
    CodReconciliation,
    DeliveryPerformanceGroup,
    DeliveryPerformanceRow,
)

_FROM = strawberry.argument(name="from", description="The first day (business time zone).")
_TO = strawberry.argument(description="The last day, included; at most 366 days after "
                          "from, counting both.")


@strawberry.type
class LogisticsQuery:
    @strawberry.field(
        description="A carrier's cash on delivery over whole days: collected, remitted, "
        "outstanding, and the shipments and remittances whose amounts disagree. Errors: "
        "NOT_FOUND (carrierId), INVALID (from, to).")
    async def cod_reconciliation(
        self, info: strawberry.Info, carrier_id: strawberry.ID,
        from_: Annotated[date, _FROM], to: Annotated[date, _TO],
    ) -> CodReconciliation | None:
        pk = parse_id(carrier_id, "Carrier", "carrierId")
        found = await run_read(info, cod.reconcile, pk, from_, to,
                               info.context.settings.business_timezone)
        # the remittances' carrier: no statement for what was just read
        info.context.loaders.prime("carrier_by_id", found.carrier.id, found.carrier)
        return CodReconciliation.build(found)

    @strawberry.field(
        description="Delivery performance of the shipments picked up in the period (in your "
        "scope: WAREHOUSE, its warehouses), one row per group, by name. Errors: INVALID "
        "(from, to).")
    async def delivery_performance(
        self, info: strawberry.Info, from_: Annotated[date, _FROM], to: Annotated[date, _TO],
        group_by: DeliveryPerformanceGroup,  # type: ignore[valid-type]
    ) -> list[DeliveryPerformanceRow] | None:
        rows = await run_read(info, performance.delivery_performance, current_principal(info),
                              from_, to, group_by, info.context.settings.business_timezone)
        return [DeliveryPerformanceRow.build(r) for r in rows]

    @strawberry.field(
        description="Shipments not yet delivered (nor returned or cancelled) whose carrier "
        "estimate is later than the date promised to the customer, the oldest promise "
        "first; in your scope (WAREHOUSE: its warehouses; SALES: its customers'). Staff "
        "only: a customer is FORBIDDEN.")
    async def shipments_at_risk(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> Connection[Shipment] | None:
        request = page_request(info, first, after, last, before).validated()
        page = await read_connection(info, "Shipment", performance.shipments_at_risk,
                                     current_principal(info), request)
        return to_connection(page, Shipment.from_row)
