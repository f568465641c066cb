"""GraphQL types of consignors' delivery orders, their freight agreements and billing, and
delivery plans (docs/architecture.md#delivery-orders-and-plans)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.auth.roles import Perm
from app.delivery import models as m
from app.delivery import plans, service
from app.delivery import repository as repo
from schema.core.guards import SHIP_TO_RULE, ship_to_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.catalog.types import Product
    from schema.customers.types import Customer
    from schema.orders.types import Order

register_loader("delivery_plan_lines_by_plan", repo.lines_by_plan, default=[])
# a delivery order's plan: the plan is the same consignor's, so in the order's scope
register_loader("delivery_plan_by_id", repo.plans_by_ids)

FreightBasis = strawberry.enum(m.FreightBasis, name="FreightBasis", description=(
    "What a consignor's freight rate is per: PER_ORDER, PER_UNIT (pieces delivered) or "
    "PER_KG (the goods' weight)."))
DeliverySource = strawberry.enum(m.DeliverySource, name="DeliverySource", description=(
    "API: made by the consignor's integration or by staff for it; PLAN: made ahead of time "
    "from a delivery plan."))
DeliveryPlanStatus = strawberry.enum(m.DeliveryPlanStatus, name="DeliveryPlanStatus",
                                     description="ACTIVE (orders are made ahead of its "
                                     "route days), PAUSED (none until resumed), ENDED.")


def _customer(info: strawberry.Info, pk: int | None) -> Annotated[
        Customer, strawberry.lazy("schema.customers.types")] | None:
    if pk is None:
        return None
    return info.context.loaders.one("customer_by_id", pk, object_type("Customer"))


@strawberry.type(description="A consignor's order to deliver its goods to a consignee: an "
                 "ordinary order (reviewed, allocated, shipped, tracked, delivered by the "
                 "order and shipment steps) whose customer is the consignor, the paying "
                 "customer, and whose ship-to is the consignee.")
class DeliveryOrder(Node):
    reference: str = strawberry.field(description="The consignor's own reference: sending "
                                      "it again returns this order, never a second one.")
    source: DeliverySource  # type: ignore[valid-type]
    plan_date: date | None = strawberry.field(description="The route day of the plan it "
                                              "was made for.")
    freight_charge: Money | None = strawberry.field(description="Charged to the consignor "
                                                    "under its freight agreement when made; "
                                                    "null: no agreement was valid.")
    freight_basis: FreightBasis | None  # type: ignore[valid-type]
    freight_quantity: Decimal | None = strawberry.field(description="Orders, units or kg "
                                                        "charged for.")
    created_at: datetime
    _row: strawberry.Private[m.DeliveryOrder]

    @strawberry.field
    def consignor_id(self) -> strawberry.ID:
        return gid("Customer", self._row.consignor_id)

    @strawberry.field
    def consignee_id(self) -> strawberry.ID | None:
        return gid("Customer", self._row.consignee_id) if self._row.consignee_id else None

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    def consignor(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return _customer(info, self._row.consignor_id)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    def consignee(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return _customer(info, self._row.consignee_id)

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="The order: its status, lines, shipments and tracking.")
    def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        return info.context.loaders.one("order_by_id", self._row.order_id,
                                        object_type("Order"))

    @strawberry.field
    def plan(self, info: strawberry.Info) -> DeliveryPlan | None:
        return info.context.loaders.one("delivery_plan_by_id", self._row.plan_id, DeliveryPlan)

    @classmethod
    def from_row(cls, row: m.DeliveryOrder) -> DeliveryOrder:
        return cls(id=gid("DeliveryOrder", row.id), reference=row.consignor_reference,
                   source=row.source, plan_date=row.plan_date,
                   freight_charge=money(row.freight_charge), freight_basis=row.freight_basis,
                   freight_quantity=row.freight_quantity, created_at=row.created_at, _row=row)


@strawberry.type(description="A standing quantity of a delivery plan.")
class DeliveryPlanLine:
    quantity: int
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        return info.context.loaders.one("product_by_id", self._product_id,
                                        object_type("Product"))


@strawberry.type(description="A consignor's recurring delivery to a consignee on weekly "
                 "route days with standing quantities: the scheduler makes its delivery "
                 "orders ahead of time, one per route day.")
class DeliveryPlan(Node):
    name: str
    route_days: list[int] = strawberry.field(description="ISO weekdays, 1 = Monday.")
    status: DeliveryPlanStatus  # type: ignore[valid-type]
    valid_from: date
    valid_until: date | None = strawberry.field(description="Inclusive; null: open-ended.")
    ship_region: str
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime
    _row: strawberry.Private[m.DeliveryPlan]

    @strawberry.field
    def consignor_id(self) -> strawberry.ID:
        return gid("Customer", self._row.consignor_id)

    @strawberry.field
    def consignee_id(self) -> strawberry.ID | None:
        return gid("Customer", self._row.consignee_id) if self._row.consignee_id else None

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    def consignor(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return _customer(info, self._row.consignor_id)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    def consignee(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return _customer(info, self._row.consignee_id)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def ship_recipient(self, info: strawberry.Info) -> str | None:
        return ship_to_value(info, self._row.ship_recipient)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def ship_phone(self, info: strawberry.Info) -> str | None:
        return ship_to_value(info, self._row.ship_phone)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def ship_address(self, info: strawberry.Info) -> str | None:
        return ship_to_value(info, self._row.ship_address)

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[DeliveryPlanLine]:
        rows = await info.context.loaders.load("delivery_plan_lines_by_plan", self._row.id)
        return [DeliveryPlanLine(quantity=r.quantity, _product_id=r.product_id) for r in rows]

    @classmethod
    def from_row(cls, row: m.DeliveryPlan) -> DeliveryPlan:
        return cls(id=gid("DeliveryPlan", row.id), name=row.name,
                   route_days=plans.route_days_of(row), status=row.status,
                   valid_from=row.valid_from, valid_until=row.valid_until,
                   ship_region=row.ship_region, notes=row.notes, version=row.version,
                   created_at=row.created_at, updated_at=row.updated_at, _row=row)


@strawberry.type(description="What a consignor pays per delivery order while valid: rate "
                 "times the orders, units or kg delivered, never below minimumCharge.")
class ConsignorFreightAgreement:
    basis: FreightBasis  # type: ignore[valid-type]
    rate: Money
    minimum_charge: Money
    valid_from: date
    valid_until: date | None
    updated_at: datetime
    _row: strawberry.Private[m.ConsignorFreightAgreement]

    @strawberry.field
    def consignor_id(self) -> strawberry.ID:
        return gid("Customer", self._row.consignor_id)

    @classmethod
    def from_row(cls, row: m.ConsignorFreightAgreement) -> ConsignorFreightAgreement:
        c = row.currency
        return cls(basis=row.basis, rate=money(row.rate, c),
                   minimum_charge=money(row.minimum_charge, c), valid_from=row.valid_from,
                   valid_until=row.valid_until, updated_at=row.updated_at, _row=row)


@strawberry.type(description="The freight charged to a consignor in a period; the charges "
                 "themselves: deliveryOrders(filter: {consignorId, billed: true}).")
class ConsignorBilling:
    consignor_id: strawberry.ID
    order_count: int
    total: Money


async def fetch_delivery_order(info: strawberry.Info, pk: int) -> DeliveryOrder | None:
    principal = current_principal(info)
    if not principal.can(Perm.DELIVERY_READ):
        return None
    row = await run_read(info, service.get_delivery_order, principal, pk)
    return DeliveryOrder.from_row(row) if row else None


async def fetch_plan(info: strawberry.Info, pk: int) -> DeliveryPlan | None:
    principal = current_principal(info)
    if not principal.can(Perm.DELIVERY_READ):
        return None
    row = await run_read(info, plans.get_plan, principal, pk)
    return DeliveryPlan.from_row(row) if row else None


register_node("DeliveryOrder", fetch_delivery_order)
register_node("DeliveryPlan", fetch_plan)
register_types(DeliveryOrder, DeliveryPlan)
