"""SQL for users and refresh tokens."""

from __future__ import annotations

from sqlmodel import Session, select

from app.auth.models import RefreshToken, User, UserWarehouse


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


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
