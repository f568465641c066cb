"""Input types of notifications (the inbox, delivery status, preferences), and their
translation into service arguments (global IDs decoded here)."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.notifications import repository as repo
from schema.notifications.types import NotificationChannel, NotificationStatus

NotificationSort = strawberry.enum(repo.NotificationSort, name="NotificationSort")


@strawberry.input
class NotificationFilter:
    inbox: bool = strawberry.field(
        default=False, description="Only IN_APP notifications addressed to the caller.")
    unread_only: bool = False
    channel: NotificationChannel | None = None
    status: NotificationStatus | None = None  # type: ignore[valid-type]
    template: str | None = None
    customer_id: strawberry.ID | None = None


@strawberry.input
class NotificationPreferencesUpdateInput:
    customer_id: strawberry.ID
    email: bool | None = None
    sms: bool | None = None
    in_app: bool | None = None
    push: bool | None = None
    opt_out: bool | None = strawberry.field(
        default=None, description="true switches every channel off; false switches all on.")


@strawberry.input
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 100; omit to mark the whole inbox read.")


def filter_from(flt: NotificationFilter | None) -> repo.NotificationFilter:
    if flt is None:
        return repo.NotificationFilter()
    customer = parse_id(flt.customer_id, "Customer", "customerId") if flt.customer_id else None
    return repo.NotificationFilter(
        inbox=flt.inbox, unread_only=flt.unread_only,
        channel=flt.channel.value if flt.channel else None,
        status=flt.status.value if flt.status else None, template=flt.template,
        customer_id=customer)


def changes_from(inp: NotificationPreferencesUpdateInput) -> dict[str, bool]:
    changes: dict[str, bool] = {}
    if inp.opt_out is not None:
        changes = dict.fromkeys(repo.CHANNELS, not inp.opt_out)
    for channel, value in (("EMAIL", inp.email), ("SMS", inp.sms), ("IN_APP", inp.in_app),
                           ("PUSH", inp.push)):
        if value is not None:
            changes[channel] = value
    if not changes:
        raise DomainError("nothing to change", field=["input"])
    return changes
