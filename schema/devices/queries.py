"""Devices: the caller's own."""

from __future__ import annotations

import strawberry

from app.devices import service
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.devices.types import Device


@strawberry.type
class DeviceQuery:
    @strawberry.field(description="The caller's own push devices, most recently seen first "
                      f"(at most {service.MAX_PER_USER}).")
    async def my_devices(self, info: strawberry.Info) -> list[Device]:
        rows = await run_read(info, service.my_devices, current_principal(info))
        return [Device.from_row(r) for r in rows]
