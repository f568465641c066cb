"""GraphQL types of notifications, their delivery state and channel preferences."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from app.notifications import models as m
from app.notifications.repository import NotificationSort as _Sort
from app.notifications.repository import Status as _Status
from schema.core.errors import UserError
from schema.core.guards import CONTACT_RULE, contact_value
from schema.core.node import Node, gid
from schema.core.permissions import visibility
from schema.customers.types import Customer

NotificationSort = strawberry.enum(_Sort, name="NotificationSort")
NotificationStatus = strawberry.enum(
    _Status, name="NotificationStatus",
    description="PENDING (waiting for an attempt), SENDING, SENT (accepted by the SMTP "
                "server or SMS provider), DELIVERED (IN_APP: in the inbox), FAILED (gave up).")


@strawberry.enum(description="How a notification reaches its recipient.")
class NotificationChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    IN_APP = "IN_APP"


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
        return contact_value(info, self._recipient) if self._recipient else None

    @strawberry.field(description="The customer it was sent to (null for staff alerts).")
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self._customer_id is None:
            return None
        row = await info.context.loaders.load("customer_by_id", self._customer_id)
        return Customer.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: m.Notification, cursor: int | None = None) -> Notification:
        return cls(
            id=gid("Notification", row.id), channel=NotificationChannel(row.channel),
            template=row.template, language=row.language, subject=row.subject, body=row.body,
            status=_Status(row.status), attempts=row.attempts, last_error=row.last_error,
            next_attempt_at=row.next_attempt_at, sent_at=row.sent_at, read_at=row.read_at,
            created_at=row.created_at, cursor=str(cursor) if cursor else None,
            _recipient=row.recipient, _customer_id=row.customer_id)


@strawberry.input
class NotificationFilter:
    inbox: bool = strawberry.field(
        default=False, description="Only IN_APP notifications addressed to the caller.")
    unread_only: bool = False
    channel: NotificationChannel | None = None
    status: NotificationStatus | None = None  # type: ignore[valid-type]
    template: str | None = None
    customer_id: strawberry.ID | None = None


@strawberry.type(description="Which channels a customer receives notifications on.")
class NotificationPreferences:
    customer_id: strawberry.ID
    email: bool
    sms: bool
    in_app: bool

    @strawberry.field(description="True when every channel is switched off.")
    def opted_out(self) -> bool:
        return not (self.email or self.sms or self.in_app)

    @classmethod
    def from_dict(cls, customer_id: int, prefs: dict[str, bool]) -> NotificationPreferences:
        return cls(customer_id=gid("Customer", customer_id), email=prefs["EMAIL"],
                   sms=prefs["SMS"], in_app=prefs["IN_APP"])


@strawberry.input
class NotificationPreferencesUpdateInput:
    customer_id: strawberry.ID
    email: bool | None = None
    sms: bool | None = None
    in_app: bool | None = None
    opt_out: bool | None = strawberry.field(
        default=None, description="true switches every channel off; false switches all on.")


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 100; omit to mark the whole inbox read.")


@strawberry.type
class NotificationMarkReadPayload:
    notifications: list[Notification] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)
