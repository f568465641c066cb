"""GraphQL types of notifications, their delivery state and channel preferences."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.auth.roles import Perm
from app.notifications import models as m
from app.notifications import repository as repo
from app.notifications import service
from app.notifications.repository import Status as _Status
from schema.core.guards import CONTACT_RULE, contact_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, visibility
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.customers.types import Customer

register_loader("notification_by_id", repo.notifications_by_ids)

NotificationStatus = strawberry.enum(
    _Status, name="NotificationStatus",
    description="PENDING (waiting for an attempt), SENDING, SENT (accepted by the SMTP "
                "server or SMS provider), DELIVERED (IN_APP: in the inbox), FAILED (gave up).")


@strawberry.enum(description="How a notification reaches its recipient.")
class NotificationChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    IN_APP = "IN_APP"
    PUSH = "PUSH"


@strawberry.type(description="A message to a customer or staff member, with its delivery state.")
class Notification(Node):
    channel: NotificationChannel
    template: str = strawberry.field(description="order_received, order_shipped, ...")
    language: str
    subject: str
    body: str
    status: NotificationStatus  # type: ignore[valid-type]
    attempts: int
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    next_attempt_at: datetime | None
    sent_at: datetime | None
    read_at: datetime | None
    created_at: datetime
    cursor: str | None = strawberry.field(
        description="Outbox cursor of the notification.created event (myNotifications).")
    _recipient: strawberry.Private[str]
    _customer_id: strawberry.Private[int | None]

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def recipient(self, info: strawberry.Info) -> str | None:
        if self.channel is NotificationChannel.PUSH:  # "<platform>:<token>": never the token
            platform, _, token = self._recipient.partition(":")
            return f"{platform}:…{token[-4:]}"
        return contact_value(info, self._recipient) if self._recipient else None

    @strawberry.field(description="The customer it was sent to (null for staff alerts).")
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        if self._customer_id is None:
            return None
        row = await info.context.loaders.load("customer_by_id", self._customer_id)
        return object_type("Customer").from_row(row) if row else None

    @classmethod
    def from_row(cls, row: m.Notification, cursor: int | None = None) -> Notification:
        return cls(
            id=gid("Notification", row.id), channel=NotificationChannel(row.channel),
            template=row.template, language=row.language, subject=row.subject, body=row.body,
            status=_Status(row.status), attempts=row.attempts, last_error=row.last_error,
            next_attempt_at=row.next_attempt_at, sent_at=row.sent_at, read_at=row.read_at,
            created_at=row.created_at, cursor=str(cursor) if cursor else None,
            _recipient=row.recipient, _customer_id=row.customer_id)


@strawberry.type(description="Which channels a customer receives notifications on.")
class NotificationPreferences:
    customer_id: strawberry.ID
    email: bool
    sms: bool
    in_app: bool
    push: bool = strawberry.field(description="Push notifications to the customer's "
                                  "registered devices.")

    @strawberry.field(description="True when every channel is switched off.")
    def opted_out(self) -> bool:
        return not (self.email or self.sms or self.in_app or self.push)

    @classmethod
    def from_dict(cls, customer_id: int, prefs: dict[str, bool]) -> NotificationPreferences:
        return cls(customer_id=gid("Customer", customer_id), email=prefs["EMAIL"],
                   sms=prefs["SMS"], in_app=prefs["IN_APP"], push=prefs["PUSH"])


async def fetch_notification(info: strawberry.Info, pk: int) -> Notification | None:
    principal = current_principal(info)
    if not principal.can(Perm.NOTIFICATIONS_READ):
        return None
    row = await run_read(info, service.get_notification, principal, pk)
    return Notification.from_row(row) if row else None


register_node("Notification", fetch_notification)
register_types(Notification)
