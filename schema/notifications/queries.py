"""`notifications` and `notificationPreferences`: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.notifications import repository as repo
from app.notifications import service
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.notifications.inputs import NotificationFilter, NotificationSort, filter_from
from schema.notifications.types import Notification, NotificationPreferences


@strawberry.type
class NotificationQuery:
    @strawberry.field(description=(
        "Notifications you may see: your inbox (filter inbox: true) and, for staff with "
        "customer access, the delivery status of customer notifications in your scope."))
    async def notifications(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: NotificationFilter | None = None,
        sort: NotificationSort | None = None,  # type: ignore[valid-type]
    ) -> Connection[Notification]:
        sort = sort or NotificationSort.CREATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        page = await run_read(info, service.list_notifications, principal, filter_from(filter),
                              repo.NotificationSort(sort.value),
                              page_request(info, first, after, last, before))
        return to_connection(page, Notification.from_row)

    @strawberry.field(description="A customer's channel preferences; null when not yours.")
    async def notification_preferences(self, info: strawberry.Info, customer_id: strawberry.ID
                                       ) -> NotificationPreferences | None:
        principal = current_principal(info)
        try:
            pk = parse_id(customer_id, "Customer", "customerId")
            prefs = await run_read(info, service.get_preferences, principal, pk)
        except DomainError:
            return None
        return NotificationPreferences.from_dict(pk, prefs)
