"""SQL for users, their warehouses and refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from app.auth.models import RefreshToken, User, UserWarehouse
from app.persistence import crypto
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    one_of,
    paginate,
    sort_table,
    where,
)


class UserSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    EMAIL_ASC = "EMAIL_ASC"


_SORTS = sort_table(UserSort, {"CREATED_AT": User.created_at, "EMAIL": User.email})
# encrypted e-mails have no order to sort by: EMAIL sorts by their keyed hash, a stable order
# that pages walk (docs/architecture.md#personal-data-at-rest)
_SORTS_ENCRYPTED = sort_table(UserSort, {"CREATED_AT": User.created_at, "EMAIL": User.email_hash})


@dataclass(frozen=True)
class UserFilter:
    search: str | None = None  # substring of e-mail or name
    roles: tuple[str, ...] | None = None
    is_active: bool | None = None
    customer_id: int | None = None


def list_users(session: Session, flt: UserFilter, sort: UserSort,
               page: PageRequest) -> Page[User]:
    keyring = crypto.session_keyring(session)
    search = contains(flt.search, User.email, User.full_name) if keyring is None else \
        _name_or_email(flt.search, keyring)
    stmt = where(select(User), search,
                 one_of(User.role, flt.roles), equal(User.is_active, flt.is_active),
                 equal(User.customer_id, flt.customer_id))
    sorts = _SORTS if keyring is None else _SORTS_ENCRYPTED
    return paginate(session, stmt, sorts[sort], page, User.id)


def _name_or_email(text: str | None, keyring: crypto.Keyring) -> Any:
    """Encrypted e-mails: the name contains `text`, or the e-mail is `text`."""
    names = contains(text, User.full_name)
    if names is None:
        return None
    exact = crypto.matches(User.email_hash, "email", text, keyring)
    return names if exact is None else or_(names, exact)


def user_by_email(session: Session, email: str) -> User | None:
    keyring = crypto.session_keyring(session)
    if keyring is None:
        return session.exec(select(User).where(User.email == email.strip().lower())).first()
    # by keyed hash, under any key of the ring (docs/architecture.md#personal-data-at-rest)
    return session.exec(select(User).where(User.email_hash.in_(
        keyring.lookups("email", email)))).first()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def users_by_ids(session: Session, ids: list[int]) -> dict[int, User]:
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(ids)))}


def warehouse_ids(session: Session, user_id: int) -> list[int]:
    rows = session.exec(
        select(UserWarehouse.warehouse_id).where(UserWarehouse.user_id == user_id)
        .order_by(UserWarehouse.warehouse_id)
    )
    return list(rows)


def warehouse_ids_by_user(session: Session, user_ids: list[int]) -> dict[int, list[int]]:
    rows = session.exec(select(UserWarehouse.user_id, UserWarehouse.warehouse_id)
                        .where(UserWarehouse.user_id.in_(user_ids))
                        .order_by(UserWarehouse.user_id, UserWarehouse.warehouse_id))
    out: dict[int, list[int]] = {}
    for user_id, warehouse_id in rows:
        out.setdefault(user_id, []).append(warehouse_id)
    return out


def refresh_token_by_hash(session: Session, token_hash: str) -> RefreshToken | None:
    return session.exec(select(RefreshToken).where(RefreshToken.token_hash == token_hash)).first()


def tokens_of_family(session: Session, family: str) -> list[RefreshToken]:
    return list(session.exec(select(RefreshToken).where(RefreshToken.family == family)))


def replace_warehouses(session: Session, user_id: int, warehouse_ids: list[int]) -> None:
    """The user's warehouses become exactly these."""
    session.execute(delete(UserWarehouse).where(UserWarehouse.user_id == user_id))
    session.add_all(UserWarehouse(user_id=user_id, warehouse_id=w) for w in warehouse_ids)


def revoke_tokens_of(session: Session, user_id: int, now: datetime) -> None:
    """Revoke every refresh token of the user not revoked yet."""
    session.execute(update(RefreshToken).where(RefreshToken.user_id == user_id,
                                               RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
