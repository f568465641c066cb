"""Push devices: register, unregister, list one's own
(docs/architecture.md#offline-writes-and-push).

A token belongs to one phone, and the phone to whoever signed in last: registering a token
another user registered moves it (a shared or handed-over device must not push the
previous user's notifications). A user keeps at most MAX_PER_USER devices, the most
recently seen: an app reinstalled many times leaves no trail of dead tokens."""

from __future__ import annotations

from sqlmodel import Session

from app.auth.principal import Principal
from app.devices import repository as repo
from app.devices.models import Device, Platform
from app.errors import DomainError, Forbidden, NotFound, Validator
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork

MAX_PER_USER = 20
MAX_TOKEN = 240  # stored as "<platform>:<token>" in notification.recipient (254)


def _user_id(principal: Principal) -> int:
    if principal is None or principal.is_system:
        raise Forbidden("devices belong to a signed-in user")
    return principal.user_id


def register_device(uow: UnitOfWork, token: str, platform: str, name: str | None) -> Device:
    user_id = _user_id(uow.principal)
    token = (token or "").strip()
    v = Validator()
    v.check(1 <= len(token) <= MAX_TOKEN and token.isprintable(), "token",
            f"token is 1 to {MAX_TOKEN} printable characters")
    v.check(platform in Platform.__members__, "platform", "unknown platform")
    v.check(len(name or "") <= 100, "name", "name is at most 100 characters")
    v.raise_if_any()
    now = utcnow()
    device = repo.by_token(uow.session, token)
    if device is None:
        device = Device(user_id=user_id, platform=platform, token=token, name=name or "",
                        created_at=now, last_seen_at=now)
    else:
        device.user_id, device.platform, device.last_seen_at = user_id, platform, now
        if name is not None:
            device.name = name
    uow.session.add(device)
    uow.session.flush()
    stale = repo.for_user(uow.session, user_id)[MAX_PER_USER:]
    repo.remove(uow.session, (d.id for d in stale if d.id != device.id))
    uow.audit("device.register", "Device", device.id, after={"platform": platform})
    return device


def unregister_device(uow: UnitOfWork, device_id: int | None, token: str | None) -> Device:
    """By id or by token; only one's own (another user's answers NOT_FOUND, like none)."""
    user_id = _user_id(uow.principal)
    if (device_id is None) == (token is None):
        raise DomainError("give the device's id or its token", field=["id"])
    if device_id is not None:
        device = repo.own(uow.session, user_id, device_id)
    else:
        device = repo.by_token(uow.session, token or "")
        if device is not None and device.user_id != user_id:
            device = None
    if device is None:
        raise NotFound("device not found", field=["id" if device_id is not None else "token"])
    repo.remove(uow.session, [device.id])
    uow.audit("device.unregister", "Device", device.id, before={"platform": device.platform})
    return device


def my_devices(session: Session, principal: Principal) -> list[Device]:
    return repo.for_user(session, _user_id(principal))
