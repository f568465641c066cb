"""`syncPush`: a mobile client's queued offline writes, each applied on its own, and the
result of each (docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.errors import DomainError, ErrorCode
from app.offline import service
from schema.activities.types import Activity
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_read, run_write
from schema.customers.types import Contact
from schema.offline.inputs import SyncOperationInput, operation_from
from schema.offline.types import Outcome, SyncStatus
from schema.orders.types import Order

_TYPES: dict[str, Any] = {"Activity": Activity, "Contact": Contact, "Order": Order}


@strawberry.type
class SyncOperationResult:
    id: str = strawberry.field(description="The operation's id, as sent.")
    status: SyncStatus  # type: ignore[valid-type]
    client_id: str | None = None
    server_version: int | None = strawberry.field(
        default=None, description="The object's version on the server now.")
    activity: Activity | None = None
    contact: Contact | None = None
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SyncPushPayload:
    results: list[SyncOperationResult] = strawberry.field(
        default_factory=list, description="One per operation, in the order sent.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _result(inp: SyncOperationInput, status: Outcome, entity_type: str | None = None,
            row: Any = None, errors: list[UserError] | None = None) -> SyncOperationResult:
    out = SyncOperationResult(id=inp.id, status=status, client_id=inp.client_id,
                              user_errors=errors or [])
    if row is not None and entity_type is not None:
        setattr(out, entity_type.lower(), _TYPES[entity_type].from_row(row))
        out.server_version = row.version
    return out


async def _push(info: strawberry.Info, inp: SyncOperationInput) -> SyncOperationResult:
    try:
        op = operation_from(inp)
    except DomainError as exc:
        return _result(inp, Outcome.REJECTED, errors=user_errors(exc))
    applied, errors = await run_write(info, service.apply_operation, op)
    if applied is not None:
        status = Outcome.REPLAYED if applied.replayed else Outcome.APPLIED
        return _result(inp, status, applied.entity_type, applied.row)
    if any(e.code is ErrorCode.CONFLICT for e in errors):
        row = await run_read(info, service.current, info.context.principal, op)
        return _result(inp, Outcome.CONFLICT, service.ENTITY[op.kind], row, errors)
    return _result(inp, Outcome.REJECTED, errors=errors)


@strawberry.type
class OfflineMutation:
    @strawberry.mutation(description="Push a mobile client's queued offline writes: each "
                         "runs on its own (its own transaction), in order, and has its "
                         "result; an operation refused does not stop the others. Safe to "
                         "retry whole: every operation applies once (its id). At most "
                         f"{service.MAX_OPERATIONS} operations.")
    async def sync_push(self, info: strawberry.Info,
                        operations: list[SyncOperationInput]) -> SyncPushPayload:
        if len(operations) > service.MAX_OPERATIONS:
            return SyncPushPayload(user_errors=user_errors(DomainError(
                f"at most {service.MAX_OPERATIONS} operations per push; send the rest next",
                field=["operations"])))
        return SyncPushPayload(results=[await _push(info, inp) for inp in operations])
