"""All SQL of push devices (docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.auth.models import User
from app.devices.models import Device
from app.persistence import crypto


def by_token(session: Session, token: str) -> Device | None:
    """The device holding `token`, whoever registered it: by keyed hash under any key of
    the ring when data is encrypted (docs/architecture.md#personal-data-at-rest)."""
    keyring = crypto.session_keyring(session)
    if keyring is None:
        return session.exec(select(Device).where(Device.token == token.strip())).first()
    return session.exec(select(Device).where(
        crypto.matches(Device.token_hash, "token", token, keyring))).first()


def own(session: Session, user_id: int, device_id: int) -> Device | None:
    return session.exec(select(Device).where(Device.id == device_id,
                                             Device.user_id == user_id)).first()


def for_user(session: Session, user_id: int) -> list[Device]:
    stmt = (select(Device).where(Device.user_id == user_id)
            .order_by(col(Device.last_seen_at).desc(), col(Device.id).desc()))
    return list(session.exec(stmt))


def remove(session: Session, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        session.execute(delete(Device).where(col(Device.id).in_(ids)))


def push_targets(session: Session, customer_ids: Iterable[int], user_ids: Iterable[int]
                 ) -> tuple[dict[int, list[Device]], dict[int, list[Device]]]:
    """One statement: the devices of the customers' own users (CUSTOMER logins of each
    customer record) and of the staff users, ({customer id: devices}, {user id: devices})."""
    customers, users = set(customer_ids), set(user_ids)
    by_customer: dict[int, list[Device]] = {}
    by_user: dict[int, list[Device]] = {}
    if not customers and not users:
        return by_customer, by_user
    cond = []
    if customers:
        cond.append(col(User.customer_id).in_(customers))
    if users:
        cond.append(col(User.id).in_(users))
    stmt = (select(Device, User.customer_id).join(User, col(User.id) == Device.user_id)
            .where(or_(*cond)).order_by(Device.id))
    for device, customer_id in session.exec(stmt):
        if customer_id is not None and customer_id in customers:
            by_customer.setdefault(customer_id, []).append(device)
        if device.user_id in users:
            by_user.setdefault(device.user_id, []).append(device)
    return by_customer, by_user
