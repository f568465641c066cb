"""Carrier administration mutations (carriers, services, rate rules, webhook secrets): parse
the input, call one service, map the result (docs/architecture.md#carriers-and-quotes)."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping import carriers
from schema.core.errors import UserError, user_errors
from schema.core.writes import provided, run_write
from schema.shipping.inputs.shipments import (
    CarrierCreateInput,
    CarrierRateRuleInput,
    CarrierServiceCreateInput,
    CarrierServiceUpdateInput,
    CarrierUpdateInput,
    service_data,
)
from schema.shipping.types import Carrier, CarrierRateRule, CarrierService

_RATES = "Requires carriers:write (LOGISTICS, MANAGER, ADMIN)."


@strawberry.type
class CarrierPayload:
    carrier: Carrier | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CarrierWebhookSecretPayload:
    carrier: Carrier | None = None
    webhook_secret: str | None = strawberry.field(
        default=None, description="The new secret, shown this once: give it to the carrier "
        "to sign its webhooks (HMAC). No field ever shows it again.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CarrierServicePayload:
    service: CarrierService | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CarrierRateRulePayload:
    rate_rule: CarrierRateRule | None = None
    service: CarrierService | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _carrier(row: object | None, errors: list[UserError]) -> CarrierPayload:
    return CarrierPayload(carrier=Carrier.from_row(row) if row else None, user_errors=errors)


def _service(row: object | None, errors: list[UserError]) -> CarrierServicePayload:
    return CarrierServicePayload(service=CarrierService.from_row(row) if row else None,
                                 user_errors=errors)


@strawberry.type
class ShippingMutation:
    @strawberry.mutation(description="Add a carrier; its code must be unique. " + _RATES)
    async def carrier_create(self, info: strawberry.Info,
                             input: CarrierCreateInput) -> CarrierPayload:
        return _carrier(*await run_write(info, carriers.create_carrier, provided(input)))

    @strawberry.mutation(description="Change the fields given. " + _RATES)
    async def carrier_update(self, info: strawberry.Info, id: strawberry.ID,
                             input: CarrierUpdateInput) -> CarrierPayload:
        try:
            pk = parse_id(id, "Carrier")
        except DomainError as exc:
            return CarrierPayload(user_errors=user_errors(exc))
        return _carrier(*await run_write(info, carriers.update_carrier, pk, provided(input)))

    @strawberry.mutation(description="Set a new random webhook secret (the old one stops "
                         "working at once) and show it this once. " + _RATES)
    async def carrier_webhook_secret_rotate(self, info: strawberry.Info, carrier_id: strawberry.ID
                                            ) -> CarrierWebhookSecretPayload:
        try:
            pk = parse_id(carrier_id, "Carrier", "carrierId")
        except DomainError as exc:
            return CarrierWebhookSecretPayload(user_errors=user_errors(exc))
        rotated, errors = await run_write(info, carriers.rotate_webhook_secret, pk)
        if rotated is None:
            return CarrierWebhookSecretPayload(user_errors=errors)
        return CarrierWebhookSecretPayload(carrier=Carrier.from_row(rotated.carrier),
                                           webhook_secret=rotated.secret)

    @strawberry.mutation(description="Add a service to a carrier. " + _RATES)
    async def carrier_service_create(self, info: strawberry.Info, carrier_id: strawberry.ID,
                                     input: CarrierServiceCreateInput) -> CarrierServicePayload:
        try:
            pk = parse_id(carrier_id, "Carrier", "carrierId")
        except DomainError as exc:
            return CarrierServicePayload(user_errors=user_errors(exc))
        data = service_data({k: v for k, v in provided(input).items() if v is not None})
        return _service(*await run_write(info, carriers.create_service, pk, data))

    @strawberry.mutation(description="Change the fields given. " + _RATES)
    async def carrier_service_update(self, info: strawberry.Info, id: strawberry.ID,
                                     input: CarrierServiceUpdateInput) -> CarrierServicePayload:
        try:
            pk = parse_id(id, "CarrierService")
        except DomainError as exc:
            return CarrierServicePayload(user_errors=user_errors(exc))
        data = service_data(provided(input))
        return _service(*await run_write(info, carriers.update_service, pk, data))

    @strawberry.mutation(description="Set a service's price and transit time on a lane: "
                         "added, or replacing its rule for the same two regions. " + _RATES)
    async def carrier_rate_rule_set(self, info: strawberry.Info, service_id: strawberry.ID,
                                    input: CarrierRateRuleInput) -> CarrierRateRulePayload:
        try:
            pk = parse_id(service_id, "CarrierService", "serviceId")
        except DomainError as exc:
            return CarrierRateRulePayload(user_errors=user_errors(exc))
        result, errors = await run_write(info, carriers.set_rate_rule, pk, provided(input))
        if result is None:
            return CarrierRateRulePayload(user_errors=errors)
        rule, owner = result
        return CarrierRateRulePayload(rate_rule=CarrierRateRule.from_row(rule, owner.currency),
                                      service=CarrierService.from_row(owner))

    @strawberry.mutation(description="Remove a lane's rule; returns its service. " + _RATES)
    async def carrier_rate_rule_delete(self, info: strawberry.Info, id: strawberry.ID
                                       ) -> CarrierServicePayload:
        try:
            pk = parse_id(id, "CarrierRateRule")
        except DomainError as exc:
            return CarrierServicePayload(user_errors=user_errors(exc))
        return _service(*await run_write(info, carriers.delete_rate_rule, pk))
