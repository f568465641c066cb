"""`deliveryOrders`, `deliveryOrder`, `deliveryPlans`, `deliveryPlan`,
`consignorFreightAgreement` and `consignorBilling`: parse, call one service, map the result."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.delivery import plans, service
from app.errors import DomainError
from app.ids import parse_id
from schema.core.node import gid, lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.scalars import money
from schema.core.writes import run_read
from schema.delivery.inputs import (
    DeliveryOrderFilter,
    DeliveryOrderSort,
    DeliveryPlanFilter,
    DeliveryPlanSort,
    optional_id,
    order_filter_from,
    plan_filter_from,
)
from schema.delivery.types import (
    ConsignorBilling,
    ConsignorFreightAgreement,
    DeliveryOrder,
    DeliveryPlan,
)


@strawberry.type
class DeliveryQuery:
    @strawberry.field(description="Consignors' delivery orders the caller may see (a "
                      "consignor's sign-in: its own; SALES: of the consignors it owns). "
                      "`filter: {consignorId, billed: true}`: a consignor's freight charges.")
    async def delivery_orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: DeliveryOrderFilter | None = None,
        sort: DeliveryOrderSort | None = None,  # type: ignore
    ) -> Connection[DeliveryOrder]:
        sort = sort or DeliveryOrderSort.CREATED_AT_DESC  # null: the list's default order
        page = await run_read(info, service.list_delivery_orders, current_principal(info),
                              order_filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, DeliveryOrder.from_row)

    @strawberry.field(description="One delivery order; null when missing or out of scope.")
    async def delivery_order(self, info: strawberry.Info,
                             id: strawberry.ID) -> DeliveryOrder | None:
        return await lookup(info, id, "DeliveryOrder")

    @strawberry.field(description="Delivery plans the caller may see, per consignor and "
                      "consignee.")
    async def delivery_plans(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: DeliveryPlanFilter | None = None,
        sort: DeliveryPlanSort | None = None,  # type: ignore
    ) -> Connection[DeliveryPlan]:
        sort = sort or DeliveryPlanSort.CREATED_AT_DESC  # null: the list's default order
        page = await run_read(info, plans.list_plans, current_principal(info),
                              plan_filter_from(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, DeliveryPlan.from_row)

    @strawberry.field(description="One delivery plan; null when missing or out of scope.")
    async def delivery_plan(self, info: strawberry.Info,
                            id: strawberry.ID) -> DeliveryPlan | None:
        return await lookup(info, id, "DeliveryPlan")

    @strawberry.field(description="The consignor's freight terms; null when it has none or "
                      "is out of scope.")
    async def consignor_freight_agreement(
            self, info: strawberry.Info,
            consignor_id: strawberry.ID) -> ConsignorFreightAgreement | None:
        try:
            pk = parse_id(consignor_id, "Customer", "consignorId")
        except DomainError:  # a malformed id answers like a missing one
            return None
        row = await run_read(info, service.freight_agreement, current_principal(info), pk)
        return ConsignorFreightAgreement.from_row(row) if row else None

    @strawberry.field(description="The freight charged to a consignor (default: the "
                      "signed-in consignor) for delivery orders made in [after, before).")
    async def consignor_billing(
            self, info: strawberry.Info, consignor_id: strawberry.ID | None = None,
            after: datetime | None = None, before: datetime | None = None) -> ConsignorBilling:
        pk = optional_id(consignor_id, "Customer", "consignorId")
        billing = await run_read(info, service.consignor_billing, current_principal(info),
                                 pk, after, before)
        return ConsignorBilling(consignor_id=gid("Customer", billing.consignor_id),
                                order_count=billing.orders, total=money(billing.total))
