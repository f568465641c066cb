"""`activityDue`: overdue work, live, from the `activity.overdue` topic (raised once per
activity and due time by the periodic check, app/activities/checks.py) for the assignee and
the managers (users have no manager relation: every MANAGER and ADMIN sees the team's).
Checked when it starts (`caller`) and for every event again
(docs/architecture.md#activities-plans-and-targets, #subscriptions)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from app.auth.roles import Role
from app.errors import DomainError
from app.events import topics
from app.events.bus import DomainEvent
from schema.activities.types import Activity, ActivityKind
from schema.core.node import gid
from schema.core.permissions import current_principal
from schema.policy.apply import caller
from schema.subscriptions.registry import register_subscription
from schema.subscriptions.streams import Authorize, live_events, parse_cursor
from schema.subscriptions.types import CURSOR

TOPICS = frozenset({topics.ACTIVITY_OVERDUE})
# personal: what arrives depends on the user (its own activities), not only on the role
register_subscription("activityDue", set(TOPICS), personal=True)
TEAM_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@strawberry.type(description="An activity became overdue.")
class ActivityDue:
    cursor: str = strawberry.field(description=CURSOR)
    activity_id: strawberry.ID
    assignee_id: strawberry.ID
    kind: ActivityKind  # type: ignore[valid-type]
    title: str
    due_at: datetime | None
    _activity_id: strawberry.Private[int]

    @strawberry.field(description="The activity as it is now (null if out of your scope).")
    async def activity(self, info: strawberry.Info) -> Activity | None:
        row = await info.context.loaders.load("activity_by_id", self._activity_id)
        return Activity.from_row(row) if row else None

    @classmethod
    def from_event(cls, event: DomainEvent) -> ActivityDue:
        p = event.payload
        return cls(cursor=str(event.id), activity_id=gid("Activity", p["activity_id"]),
                   assignee_id=gid("User", p["assignee_id"]), kind=p["kind"],
                   title=p.get("title") or "", due_at=_at(p.get("due_at")),
                   _activity_id=p["activity_id"])


def _authorizer(info: strawberry.Info) -> Authorize:
    """Every event again: the caller's own activity, or the caller is a manager."""
    principal = current_principal(info)

    async def authorize(event: DomainEvent) -> bool:
        return principal.role in TEAM_ROLES or \
            event.payload.get("assignee_id") == principal.user_id

    return authorize


@strawberry.type
class ActivitySubscription:
    @strawberry.subscription(description=(
        "Activities that became overdue: your own; MANAGER and ADMIN: everyone's. Requires "
        "activities:read. Resume after `since` (a cursor): missed events are replayed first, "
        "then live ones follow."))
    async def activity_due(self, info: strawberry.Info, since: str | None = None
                           ) -> AsyncGenerator[ActivityDue, None]:
        caller(info)
        try:
            parse_cursor(since)
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": "BAD_USER_INPUT"}) from None

        async def checks():  # noqa: ANN202
            return {}, _authorizer(info)

        async for event in live_events(info, TOPICS, since=since, checks=checks):
            yield ActivityDue.from_event(event)
