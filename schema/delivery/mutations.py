"""Delivery orders (one, or a bulk), the consignor's freight agreement, and delivery plans
(create, update, pause, resume, end), and their payloads: parse the input, call one
service, map the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from app.delivery import plans, service
from app.errors import DomainError
from app.ids import parse_id
from schema.core.errors import UserError, user_errors
from schema.core.permissions import current_principal
from schema.core.writes import run_write
from schema.delivery.inputs import (
    ConsignorFreightAgreementSetInput,
    DeliveryOrderBulkCreateInput,
    DeliveryOrderCreateInput,
    DeliveryPlanCreateInput,
    DeliveryPlanInput,
    freight_terms_from,
    optional_id,
    plan_draft_from,
    request_from,
)
from schema.delivery.types import ConsignorFreightAgreement, DeliveryOrder, DeliveryPlan
from schema.orders.types import Order


@strawberry.type(description="What became of one delivery order of a call.")
class DeliveryOrderResult:
    reference: str
    delivery_order: DeliveryOrder | None
    order: Order | None
    created: bool = strawberry.field(description="False when the reference was sent before "
                                     "(the existing order is returned) or on errors.")
    user_errors: list[UserError]


@strawberry.type
class DeliveryOrderPayload:
    result: DeliveryOrderResult | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeliveryOrderBulkPayload:
    results: list[DeliveryOrderResult] = strawberry.field(default_factory=list)
    created_count: int = 0
    error_count: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConsignorFreightAgreementPayload:
    freight_agreement: ConsignorFreightAgreement | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeliveryPlanPayload:
    plan: DeliveryPlan | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _result(r: service.DeliveryResult) -> DeliveryOrderResult:
    errors = [UserError(field=e.field, message=e.message, code=e.code) for e in r.errors]
    return DeliveryOrderResult(
        reference=r.reference, created=r.created, user_errors=errors,
        delivery_order=DeliveryOrder.from_row(r.delivery_order) if r.delivery_order else None,
        order=Order.from_row(r.order) if r.order else None)


async def _plan(info: strawberry.Info, fn: Callable[..., Any],
                args: Callable[[], tuple]) -> DeliveryPlanPayload:
    try:
        parsed = args()
    except DomainError as exc:
        return DeliveryPlanPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *parsed)
    return DeliveryPlanPayload(plan=DeliveryPlan.from_row(row) if row else None,
                               user_errors=errors)


def _plan_id(id: strawberry.ID) -> int:
    return parse_id(id, "DeliveryPlan")


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(description="One delivery order for a consignor (the consignor's "
                         "integration, or staff for it); the same reference again returns "
                         "the existing order (created: false).")
    async def delivery_order_create(self, info: strawberry.Info,
                                    input: DeliveryOrderCreateInput) -> DeliveryOrderPayload:
        try:
            consignor = optional_id(input.consignor_id, "Customer", "consignorId")
        except DomainError as exc:
            return DeliveryOrderPayload(user_errors=user_errors(exc))
        result, errors = await run_write(info, service.create_delivery_order, consignor,
                                         request_from(input.order))
        return DeliveryOrderPayload(result=_result(result) if result else None,
                                    user_errors=errors)

    @strawberry.mutation(description="Up to 1,000 delivery orders, each checked on its own: "
                         "created, found again by its reference, or answered with its own "
                         "userErrors; one bad row never blocks the others.")
    async def delivery_order_bulk_create(
            self, info: strawberry.Info,
            input: DeliveryOrderBulkCreateInput) -> DeliveryOrderBulkPayload:
        ctx = info.context
        try:
            consignor = optional_id(input.consignor_id, "Customer", "consignorId")
            results = await service.create_delivery_orders(
                ctx.runner, current_principal(info), ctx.request_id, consignor,
                [request_from(o) for o in input.orders])
        except DomainError as exc:
            return DeliveryOrderBulkPayload(user_errors=user_errors(exc))
        return DeliveryOrderBulkPayload(
            results=[_result(r) for r in results],
            created_count=sum(1 for r in results if r.created),
            error_count=sum(1 for r in results if r.errors))

    @strawberry.mutation(description="The consignor's freight terms, replacing earlier ones.")
    async def consignor_freight_agreement_set(
            self, info: strawberry.Info,
            input: ConsignorFreightAgreementSetInput) -> ConsignorFreightAgreementPayload:
        try:
            terms = freight_terms_from(input)
        except DomainError as exc:
            return ConsignorFreightAgreementPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.set_freight_agreement, terms)
        return ConsignorFreightAgreementPayload(
            freight_agreement=ConsignorFreightAgreement.from_row(row) if row else None,
            user_errors=errors)

    @strawberry.mutation(description="A recurring delivery plan for a consignor and "
                         "consignee: its route days' orders are made ahead of time.")
    async def delivery_plan_create(self, info: strawberry.Info,
                                   input: DeliveryPlanCreateInput) -> DeliveryPlanPayload:
        return await _plan(info, plans.create_plan, lambda: (
            optional_id(input.consignor_id, "Customer", "consignorId"),
            plan_draft_from(input.plan)))

    @strawberry.mutation(description="Replace a plan's days, quantities, consignee and "
                         "validity; orders already made stay as they are.")
    async def delivery_plan_update(self, info: strawberry.Info, id: strawberry.ID,
                                   input: DeliveryPlanInput,
                                   expected_version: int | None = None) -> DeliveryPlanPayload:
        return await _plan(info, plans.update_plan, lambda: (
            _plan_id(id), plan_draft_from(input), expected_version))

    @strawberry.mutation(description="ACTIVE -> PAUSED: no new orders until resumed.")
    async def delivery_plan_pause(self, info: strawberry.Info, id: strawberry.ID,
                                  expected_version: int | None = None) -> DeliveryPlanPayload:
        return await _plan(info, plans.move_plan, lambda: (
            _plan_id(id), "pause", expected_version))

    @strawberry.mutation(description="PAUSED -> ACTIVE.")
    async def delivery_plan_resume(self, info: strawberry.Info, id: strawberry.ID,
                                   expected_version: int | None = None) -> DeliveryPlanPayload:
        return await _plan(info, plans.move_plan, lambda: (
            _plan_id(id), "resume", expected_version))

    @strawberry.mutation(description="ACTIVE or PAUSED -> ENDED, for good.")
    async def delivery_plan_end(self, info: strawberry.Info, id: strawberry.ID,
                                expected_version: int | None = None) -> DeliveryPlanPayload:
        return await _plan(info, plans.move_plan, lambda: (
            _plan_id(id), "end", expected_version))
