"""Notification mutations (mark read, channel preferences) and their payloads
`{ <object>, userErrors }`: parse the input, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.notifications import service
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.notifications.inputs import (
    NotificationMarkReadInput,
    NotificationPreferencesUpdateInput,
    changes_from,
)
from schema.notifications.types import Notification, NotificationPreferences


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationMarkReadPayload:
    notifications: list[Notification] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Mark inbox notifications read (all unread when no ids).")
    async def notification_mark_read(self, info: strawberry.Info,
                                     input: NotificationMarkReadInput
                                     ) -> NotificationMarkReadPayload:
        try:
            ids = None if input.ids is None else [parse_id(i, "Notification", "ids")
                                                  for i in input.ids]
        except DomainError as exc:
            return NotificationMarkReadPayload(user_errors=user_errors(exc))
        rows, errors = await run_write(info, service.mark_read, ids)
        return NotificationMarkReadPayload(
            notifications=[Notification.from_row(r) for r in rows or []], user_errors=errors)

    @strawberry.mutation(description=(
        "Switch a customer's EMAIL / SMS / IN_APP notifications on or off (optOut: all). "
        "The customer itself, or staff who may edit the customer."))
    async def notification_preferences_update(
        self, info: strawberry.Info, input: NotificationPreferencesUpdateInput,
    ) -> NotificationPreferencesPayload:
        try:
            pk = parse_id(input.customer_id, "Customer", "customerId")
            changes = changes_from(input)
        except DomainError as exc:
            return NotificationPreferencesPayload(user_errors=user_errors(exc))
        prefs, errors = await run_write(info, service.update_preferences, pk, changes)
        return NotificationPreferencesPayload(
            preferences=NotificationPreferences.from_dict(pk, prefs) if prefs else None,
            user_errors=errors)
