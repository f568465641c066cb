"""`deviceRegister` and `deviceUnregister` and their payload `{ device, userErrors }`."""

from __future__ import annotations

import strawberry

from app.devices import service
from app.errors import DomainError
from app.ids import parse_id
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.devices.types import Device, DevicePlatform


@strawberry.type
class DevicePayload:
    device: Device | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeviceMutation:
    @strawberry.mutation(description="Register this device's push token for the caller (call "
                         "it at every sign-in and when the token changes; a token another "
                         "user registered moves to the caller).")
    async def device_register(self, info: strawberry.Info, token: str,
                              platform: DevicePlatform,  # type: ignore[valid-type]
                              name: str | None = None) -> DevicePayload:
        row, errors = await run_write(info, service.register_device, token, platform.value,
                                      name)
        return DevicePayload(device=Device.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Stop pushing to one of the caller's devices (at "
                         "sign-out), named by its id or its token.")
    async def device_unregister(self, info: strawberry.Info, id: strawberry.ID | None = None,
                                token: str | None = None) -> DevicePayload:
        try:
            pk = parse_id(id, "Device") if id is not None else None
        except DomainError as exc:
            return DevicePayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.unregister_device, pk, token)
        return DevicePayload(device=Device.from_row(row) if row else None, user_errors=errors)
