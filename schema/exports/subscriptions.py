"""`exportJobEvents(id)`: an export job's progress and status, live, from the
`export.job_changed` topic (one event per job queued, chunk written, end). For the job's
owner (ADMIN: any job); checked when it starts and for every event again
(docs/architecture.md#exports, #subscriptions)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from app.auth.roles import Role
from app.errors import DomainError
from app.events import topics
from app.events.bus import DomainEvent
from app.exports import service
from app.exports.models import ExportStatus as _Status
from app.ids import parse_id
from schema.core.node import gid
from schema.core.permissions import current_principal
from schema.exports.types import ExportJob, ExportStatus
from schema.policy.apply import caller
from schema.subscriptions.registry import register_subscription
from schema.subscriptions.streams import live_events, parse_cursor
from schema.subscriptions.types import CURSOR

TOPICS = frozenset({topics.EXPORT_JOB_CHANGED})
# personal: what arrives depends on the user (its own jobs), not only on the role
register_subscription("exportJobEvents", set(TOPICS), personal=True)


@strawberry.type(description="An export job was queued, wrote a chunk, or ended.")
class ExportJobEvent:
    cursor: str = strawberry.field(description=CURSOR)
    job_id: strawberry.ID
    status: ExportStatus  # type: ignore[valid-type]
    rows: int
    total_rows: int | None
    _job_id: strawberry.Private[int]

    @strawberry.field(description="The job as it is now (null if no longer yours).")
    async def job(self, info: strawberry.Info) -> ExportJob | None:
        row = await info.context.runner.read(service.get_job, current_principal(info),
                                             self._job_id)
        return ExportJob.from_row(row) if row else None

    @classmethod
    def from_event(cls, event: DomainEvent) -> ExportJobEvent:
        p = event.payload
        return cls(cursor=str(event.id), job_id=gid("ExportJob", p["export_job_id"]),
                   status=_Status(p["status"]), rows=int(p.get("rows") or 0),
                   total_rows=p.get("total_rows"), _job_id=p["export_job_id"])


def _missing() -> GraphQLError:
    return GraphQLError("export job not found", extensions={"code": "NOT_FOUND"})


@strawberry.type
class ExportSubscription:
    @strawberry.subscription(description=(
        "One export job's progress and status changes (yours; ADMIN: any). Requires "
        "exports:create. Resume after `since` (a cursor): missed events are replayed first."))
    async def export_job_events(self, info: strawberry.Info, id: strawberry.ID,
                                since: str | None = None
                                ) -> AsyncGenerator[ExportJobEvent, None]:
        principal = caller(info)
        try:
            parse_cursor(since)
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": "BAD_USER_INPUT"}) from None
        try:
            pk = parse_id(id, "ExportJob")
        except DomainError:
            raise _missing() from None

        async def checks():  # noqa: ANN202
            if await info.context.runner.read(service.get_job, principal, pk) is None:
                raise _missing()

            async def authorize(event: DomainEvent) -> bool:
                return principal.role is Role.ADMIN or \
                    event.payload.get("user_id") == principal.user_id

            return {"export_job_id": pk}, authorize

        async for event in live_events(info, TOPICS, since=since, checks=checks):
            yield ExportJobEvent.from_event(event)
