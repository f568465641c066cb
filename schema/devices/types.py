"""GraphQL types of push devices: one's own phones registered for push notifications
(docs/architecture.md#offline-writes-and-push). The token itself is never shown back."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.devices import models as m
from app.devices import repository as repo
from schema.core.node import Node, gid, register_node
from schema.core.objects import register_types
from schema.core.permissions import current_principal
from schema.core.writes import run_read

DevicePlatform = strawberry.enum(m.Platform, name="DevicePlatform")


@strawberry.type(description="A phone or browser registered by the caller for push "
                 "notifications.")
class Device(Node):
    platform: DevicePlatform  # type: ignore[valid-type]
    name: str
    token_ending: str = strawberry.field(description="The token's last 4 characters, to "
                                         "tell devices apart (the token is personal data).")
    created_at: datetime
    last_seen_at: datetime = strawberry.field(description="When it was last registered.")

    @classmethod
    def from_row(cls, row: m.Device) -> Device:
        return cls(id=gid("Device", row.id), platform=m.Platform(row.platform), name=row.name,
                   token_ending=row.token[-4:], created_at=row.created_at,
                   last_seen_at=row.last_seen_at)


async def fetch_device(info: strawberry.Info, pk: int) -> Device | None:
    principal = current_principal(info)
    if principal.is_system:
        return None
    row = await run_read(info, repo.own, principal.user_id, pk)
    return Device.from_row(row) if row else None


register_node("Device", fetch_device)
register_types(Device)
