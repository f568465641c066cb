"""Input types of delivery orders, freight agreements and delivery plans, and their
translation into service arguments. A bulk row's own IDs are decoded by the service, so a
malformed one is that row's error, not the whole call's."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.delivery import plans, service
from app.delivery import repository as repo
from app.ids import parse_id
from app.orders.service import ShipTo
from schema.delivery.types import DeliveryPlanStatus, DeliverySource, FreightBasis
from schema.orders.inputs import ShipToInput

DeliveryOrderSort = strawberry.enum(repo.DeliveryOrderSort, name="DeliveryOrderSort")
DeliveryPlanSort = strawberry.enum(repo.DeliveryPlanSort, name="DeliveryPlanSort")


@strawberry.input(description="Goods of the consignor to deliver: by productId or by SKU.")
class DeliveryLineInput:
    quantity: int
    product_id: strawberry.ID | None = None
    sku: str | None = None


@strawberry.input(description="One delivery order: to a consignee (its default shipping "
                  "address) and/or a shipTo address (which wins).")
class DeliveryOrderInput:
    reference: str = strawberry.field(description="The consignor's reference, 1 to 100 "
                                      "characters: the same reference again returns the "
                                      "existing order.")
    lines: list[DeliveryLineInput]
    consignee_id: strawberry.ID | None = None
    ship_to: ShipToInput | None = None
    delivery_date: date | None = None
    notes: str = ""


@strawberry.input
class DeliveryOrderCreateInput:
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the signed-in consignor's own.")
    order: DeliveryOrderInput


@strawberry.input
class DeliveryOrderBulkCreateInput:
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the signed-in consignor's own.")
    orders: list[DeliveryOrderInput] = strawberry.field(description="1 to 1,000.")


@strawberry.input
class DeliveryOrderFilter:
    consignor_id: strawberry.ID | None = None
    consignee_id: strawberry.ID | None = None
    plan_id: strawberry.ID | None = None
    source: list[DeliverySource] | None = None  # type: ignore[valid-type]
    reference: str | None = None
    billed: bool | None = strawberry.field(default=None, description="true: the freight "
                                           "charges (the consignor's billing list).")
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class ConsignorFreightAgreementSetInput:
    consignor_id: strawberry.ID
    basis: FreightBasis  # type: ignore[valid-type]
    rate: Decimal
    valid_from: date
    minimum_charge: Decimal = Decimal("0")
    valid_until: date | None = None


@strawberry.input(description="A delivery plan; on update it replaces the plan as a whole.")
class DeliveryPlanInput:
    route_days: list[int] = strawberry.field(description="ISO weekdays, 1 = Monday.")
    lines: list[DeliveryLineInput] = strawberry.field(description="Standing quantities.")
    valid_from: date
    consignee_id: strawberry.ID | None = None
    ship_to: ShipToInput | None = None
    valid_until: date | None = None
    name: str = ""
    notes: str = ""


@strawberry.input
class DeliveryPlanCreateInput:
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the signed-in consignor's own.")
    plan: DeliveryPlanInput


@strawberry.input
class DeliveryPlanFilter:
    consignor_id: strawberry.ID | None = None
    consignee_id: strawberry.ID | None = None
    status: list[DeliveryPlanStatus] | None = None  # type: ignore[valid-type]


def _ship_to(inp: ShipToInput | None) -> ShipTo | None:
    if inp is None:
        return None
    return ShipTo(recipient=inp.recipient, address=inp.address, phone=inp.phone or None,
                  region=inp.region or "")


def _lines(lines: list[DeliveryLineInput]) -> tuple[service.DeliveryLine, ...]:
    return tuple(service.DeliveryLine(quantity=ln.quantity, product_id=ln.product_id,
                                      sku=ln.sku) for ln in lines)


def request_from(inp: DeliveryOrderInput) -> service.DeliveryRequest:
    return service.DeliveryRequest(
        reference=inp.reference, lines=_lines(inp.lines), consignee_id=inp.consignee_id,
        ship_to=_ship_to(inp.ship_to), delivery_date=inp.delivery_date, notes=inp.notes)


def optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return parse_id(value, type_name, field) if value else None


def plan_draft_from(inp: DeliveryPlanInput) -> plans.PlanDraft:
    return plans.PlanDraft(
        route_days=tuple(inp.route_days), lines=_lines(inp.lines), valid_from=inp.valid_from,
        consignee_id=inp.consignee_id, ship_to=_ship_to(inp.ship_to),
        valid_until=inp.valid_until, name=inp.name, notes=inp.notes)


def freight_terms_from(inp: ConsignorFreightAgreementSetInput) -> service.FreightTerms:
    return service.FreightTerms(
        consignor_id=parse_id(inp.consignor_id, "Customer", "consignorId"),
        basis=inp.basis.value, rate=inp.rate, valid_from=inp.valid_from,
        minimum_charge=inp.minimum_charge, valid_until=inp.valid_until)


def order_filter_from(flt: DeliveryOrderFilter | None) -> repo.DeliveryOrderFilter:
    if flt is None:
        return repo.DeliveryOrderFilter()
    return repo.DeliveryOrderFilter(
        consignor_id=optional_id(flt.consignor_id, "Customer", "filter.consignorId"),
        consignee_id=optional_id(flt.consignee_id, "Customer", "filter.consigneeId"),
        plan_id=optional_id(flt.plan_id, "DeliveryPlan", "filter.planId"),
        sources=tuple(s.value for s in flt.source or ()), reference=flt.reference,
        billed=flt.billed, created_after=flt.created_after, created_before=flt.created_before)


def plan_filter_from(flt: DeliveryPlanFilter | None) -> repo.DeliveryPlanFilter:
    if flt is None:
        return repo.DeliveryPlanFilter()
    return repo.DeliveryPlanFilter(
        consignor_id=optional_id(flt.consignor_id, "Customer", "filter.consignorId"),
        consignee_id=optional_id(flt.consignee_id, "Customer", "filter.consigneeId"),
        statuses=tuple(s.value for s in flt.status or ()))
