"""`codRemittanceRecord` (cod:write: FINANCE, MANAGER, ADMIN) and its payload
`{ remittance, userErrors }` (docs/architecture.md#cash-on-delivery)."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.shipping import cod
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.shipping.inputs.shipments import CodRemittanceRecordInput, remittance_args
from schema.shipping.types.cod_and_performance import CodRemittance


@strawberry.type
class CodRemittancePayload:
    remittance: CodRemittance | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogisticsMutation:
    @strawberry.mutation(
        description="Record a carrier's payout of cash collected on delivery for the "
        "shipments it names; each must be the carrier's, DELIVERED with cash collected and "
        "in no other remittance (a userError at shipmentIds.<i> says which and why). The "
        "amount may differ from what they collected: codReconciliation shows it. Errors: "
        "DUPLICATE (reference), NOT_FOUND, INVALID, INVALID_TRANSITION, CONFLICT (already "
        "remitted). Requires cod:write (FINANCE, MANAGER, ADMIN).")
    async def cod_remittance_record(self, info: strawberry.Info,
                                    input: CodRemittanceRecordInput) -> CodRemittancePayload:
        try:
            args = remittance_args(input)
        except DomainError as exc:
            return CodRemittancePayload(user_errors=user_errors(exc))
        found, errors = await run_write(info, cod.record_remittance, **args)
        return CodRemittancePayload(
            remittance=CodRemittance.from_row(found) if found else None, user_errors=errors)
