"""Notification queries and mutations: the inbox, delivery status, preferences."""

from __future__ import annotations

import strawberry

from app.auth.roles import Perm
from app.errors import DomainError
from app.ids import parse_id
from app.notifications import repository as repo
from app.notifications import service
from schema.core.errors import user_errors
from schema.core.node import register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_read, run_write
from schema.loading.loaders import register_loader
from schema.notifications.types import (
    Notification,
    NotificationFilter,
    NotificationMarkReadInput,
    NotificationMarkReadPayload,
    NotificationPreferences,
    NotificationPreferencesPayload,
    NotificationPreferencesUpdateInput,
    NotificationSort,
)

register_loader("notification_by_id", repo.notifications_by_ids)


async def fetch_notification(info: strawberry.Info, pk: int) -> Notification | None:
    principal = current_principal(info)
    if not principal.can(Perm.NOTIFICATIONS_READ):
        return None
    row = await run_read(info, service.get_notification, principal, pk)
    return Notification.from_row(row) if row else None


register_node("Notification", fetch_notification)


def _filter(flt: NotificationFilter | None) -> repo.NotificationFilter:
    if flt is None:
        return repo.NotificationFilter()
    customer = parse_id(flt.customer_id, "Customer", "customerId") if flt.customer_id else None
    return repo.NotificationFilter(
        inbox=flt.inbox, unread_only=flt.unread_only,
        channel=flt.channel.value if flt.channel else None,
        status=flt.status.value if flt.status else None, template=flt.template,
        customer_id=customer)


def _changes(inp: NotificationPreferencesUpdateInput) -> dict[str, bool]:
    changes: dict[str, bool] = {}
    if inp.opt_out is not None:
        changes = dict.fromkeys(repo.CHANNELS, not inp.opt_out)
    for channel, value in (("EMAIL", inp.email), ("SMS", inp.sms), ("IN_APP", inp.in_app)):
        if value is not None:
            changes[channel] = value
    if not changes:
        raise DomainError("nothing to change", field=["input"])
    return changes


@strawberry.type
class NotificationQuery:
    @strawberry.field(extensions=requires(Perm.NOTIFICATIONS_READ), description=(
        "Notifications you may see: your inbox (filter inbox: true) and, for staff with "
        "customer access, the delivery status of customer notifications in your scope."))
    async def notifications(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: NotificationFilter | None = None,
        sort: NotificationSort = NotificationSort.CREATED_AT_DESC,  # type: ignore[valid-type]
    ) -> Connection[Notification]:
        principal = current_principal(info)
        page = await run_read(info, service.list_notifications, principal, _filter(filter),
                              repo.NotificationSort(sort.value),
                              page_request(info, first, after, last, before))
        return to_connection(page, Notification.from_row)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="A customer's channel preferences; null when not yours.")
    async def notification_preferences(self, info: strawberry.Info, customer_id: strawberry.ID
                                       ) -> NotificationPreferences | None:
        principal = current_principal(info)
        try:
            pk = parse_id(customer_id, "Customer", "customerId")
            prefs = await run_read(info, service.get_preferences, principal, pk)
        except DomainError:
            return None
        return NotificationPreferences.from_dict(pk, prefs)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(extensions=requires(Perm.NOTIFICATIONS_READ),
                         description="Mark inbox notifications read (all unread when no ids).")
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

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_READ), description=(
        "Switch a customer's EMAIL / SMS / IN_APP notifications on or off (optOut: all). "
        "The customer itself, or staff who may edit the customer."))
    async def notification_preferences_update(
        self, info: strawberry.Info, input: NotificationPreferencesUpdateInput,
    ) -> NotificationPreferencesPayload:
        try:
            pk = parse_id(input.customer_id, "Customer", "customerId")
            changes = _changes(input)
        except DomainError as exc:
            return NotificationPreferencesPayload(user_errors=user_errors(exc))
        prefs, errors = await run_write(info, service.update_preferences, pk, changes)
        return NotificationPreferencesPayload(
            preferences=NotificationPreferences.from_dict(pk, prefs) if prefs else None,
            user_errors=errors)
