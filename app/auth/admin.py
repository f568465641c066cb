"""User administration (users:manage, i.e. ADMIN): list, create, change, deactivate.

A change of role or warehouses reaches the user's access token at its next refresh (at
most CRM_ACCESS_TOKEN_MINUTES later); deactivating a user also revokes every refresh
token, so the session ends by then. Admins cannot demote or deactivate themselves, so
the last admin cannot lock everyone out by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from app.auth import repository as repo
from app.auth import service
from app.auth.models import RefreshToken, User, UserWarehouse
from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.customers.models import Customer
from app.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.inventory.models import Warehouse
from app.inventory.repository import like
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest, SortKey, paginate
from app.persistence.uow import UnitOfWork, snapshot

MAX_WAREHOUSES = 100


class UserSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    EMAIL_ASC = "EMAIL_ASC"


_SORTS: dict[UserSort, SortKey] = {
    UserSort.CREATED_AT_DESC: [(User.created_at, True)],
    UserSort.EMAIL_ASC: [(User.email, False)],
}


@dataclass(frozen=True)
class UserFilter:
    search: str | None = None  # substring of e-mail or name
    roles: tuple[str, ...] | None = None
    is_active: bool | None = None
    customer_id: int | None = None


def _require(principal: Principal | None) -> Principal:
    if principal is None or not principal.can(Perm.USERS_MANAGE):
        raise Forbidden("requires permission users:manage")
    return principal


def list_users(session: Session, principal: Principal, flt: UserFilter, sort: UserSort,
               page: PageRequest) -> Page[User]:
    _require(principal)
    stmt = select(User)
    if flt.search and flt.search.strip():
        pattern = like(flt.search)
        stmt = stmt.where(or_(User.email.ilike(pattern, escape="\\"),
                              User.full_name.ilike(pattern, escape="\\")))
    if flt.roles is not None:
        stmt = stmt.where(User.role.in_(list(flt.roles)))
    if flt.is_active is not None:
        stmt = stmt.where(User.is_active == flt.is_active)
    if flt.customer_id is not None:
        stmt = stmt.where(User.customer_id == flt.customer_id)
    return paginate(session, stmt, _SORTS[sort], page, User.id)


def _replace_warehouses(session: Session, user_id: int, ids: list[int]) -> list[int]:
    """Assign exactly these warehouses (each must exist); the ids, without repeats."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_WAREHOUSES:
        raise DomainError(f"at most {MAX_WAREHOUSES} warehouses", field=["warehouseIds"])
    found = session.exec(select(func.count()).select_from(Warehouse)
                         .where(Warehouse.id.in_(ids))).one()
    if found != len(ids):
        raise NotFound("warehouse not found", field=["warehouseIds"])
    session.execute(delete(UserWarehouse).where(UserWarehouse.user_id == user_id))
    session.add_all(UserWarehouse(user_id=user_id, warehouse_id=w) for w in ids)
    return ids


def create_user(uow: UnitOfWork, *, email: str, password: str, role: str, full_name: str = "",
                language: str = "zh", customer_id: int | None = None,
                warehouse_ids: list[int] | None = None) -> User:
    _require(uow.principal)
    user = service.create_user(uow, email=email, password=password, role=role,
                               full_name=full_name, language=language, customer_id=customer_id)
    if warehouse_ids:
        _replace_warehouses(uow.session, user.id, warehouse_ids)
    return user


def update_user(uow: UnitOfWork, user_id: int, changes: dict[str, Any]) -> User:
    """Change role, name, language, active flag, customer or warehouses (`changes` holds only
    what the caller sent)."""
    principal = _require(uow.principal)
    s = uow.session
    service.validate_profile(changes.get("full_name"), changes.get("language"))
    user = s.get(User, user_id)
    if user is None:
        raise NotFound("user not found", field=["id"])
    role = changes.get("role", user.role)
    if role not in Role.__members__:
        raise DomainError(f"role must be one of {', '.join(Role.__members__)}", field=["role"])
    if user.id == principal.user_id and (role != user.role or changes.get("is_active") is False):
        raise DomainError("you cannot change your own role or deactivate yourself",
                          field=["role" if role != user.role else "isActive"])
    customer_id = changes.get("customer_id", user.customer_id)
    if role == Role.CUSTOMER.value and customer_id is None:
        raise DomainError("a CUSTOMER user needs a customer", field=["customerId"])
    if customer_id is not None and customer_id != user.customer_id \
            and s.get(Customer, customer_id) is None:
        raise DomainError("customer not found", field=["customerId"], code=ErrorCode.NOT_FOUND)
    before = {**snapshot(user), "warehouse_ids": repo.warehouse_ids(s, user.id)}
    for name in ("full_name", "language", "is_active"):
        if changes.get(name) is not None:
            setattr(user, name, changes[name].strip() if name == "full_name" else changes[name])
    user.role, user.customer_id = role, customer_id
    s.add(user)
    warehouses = before["warehouse_ids"]
    if changes.get("warehouse_ids") is not None:
        warehouses = _replace_warehouses(s, user.id, changes["warehouse_ids"])
    if before["is_active"] and not user.is_active:  # the session ends at the next refresh
        s.execute(update(RefreshToken).where(RefreshToken.user_id == user.id,
                                             RefreshToken.revoked_at.is_(None))
                  .values(revoked_at=utcnow()))
    uow.audit("user.update", "User", user.id, before=before,
              after={**snapshot(user), "warehouse_ids": sorted(warehouses)})
    return user
