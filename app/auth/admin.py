"""User administration (users:manage, i.e. ADMIN): list, create, change, deactivate.

A change of role or warehouses reaches the user's access token at its next refresh (at
most CRM_ACCESS_TOKEN_MINUTES later); deactivating a user also revokes every refresh
token, so the session ends by then. Admins cannot demote or deactivate themselves, so
the last admin cannot lock everyone out by accident.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.auth import repository as repo
from app.auth import service
from app.auth.models import User
from app.auth.principal import Principal
from app.auth.repository import UserFilter, UserSort
from app.auth.roles import Perm, Role
from app.errors import DomainError, Forbidden, NotFound
from app.inventory import repository as inventory
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot

MAX_WAREHOUSES = 100


def _require(principal: Principal | None) -> Principal:
    if principal is None or not principal.can(Perm.USERS_MANAGE):
        raise Forbidden("requires permission users:manage")
    return principal


def list_users(session: Session, principal: Principal, flt: UserFilter, sort: UserSort,
               page: PageRequest) -> Page[User]:
    _require(principal)
    return repo.list_users(session, flt, sort, page)


def _replace_warehouses(session: Session, user_id: int, ids: list[int]) -> list[int]:
    """Assign exactly these warehouses (each must exist); the ids, without repeats."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_WAREHOUSES:
        raise DomainError(f"at most {MAX_WAREHOUSES} warehouses", field=["warehouseIds"])
    if len(inventory.existing_warehouse_ids(session, ids)) != len(ids):
        raise NotFound("warehouse not found", field=["warehouseIds"])
    repo.replace_warehouses(session, user_id, ids)
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
    if role != user.role or customer_id != user.customer_id:
        service.check_customer_link(s, role, customer_id)
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
        repo.revoke_tokens_of(s, user.id, utcnow())
    uow.audit("user.update", "User", user.id, before=before,
              after={**snapshot(user), "warehouse_ids": sorted(warehouses)})
    return user
