"""Input types of the caller's profile and of user administration, and their translation
into service arguments (global IDs decoded here)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.auth import admin
from schema.auth.types import Role
from schema.core.node import parse_ids
from schema.core.writes import provided

UserSort = strawberry.enum(admin.UserSort, name="UserSort")


@strawberry.input(description="The caller's own profile; a field left out or null is kept.")
class MeUpdateInput:
    full_name: str | None = None
    language: str | None = strawberry.field(default=None, description="zh or en")


@strawberry.input
class UserFilter:
    search: str | None = strawberry.field(default=None, description="Part of e-mail or name.")
    roles: list[Role] | None = None  # type: ignore[valid-type]
    is_active: bool | None = None
    customer_id: strawberry.ID | None = None


@strawberry.input
class UserCreateInput:
    email: str
    password: str = strawberry.field(description="8 to 256 characters.")
    role: Role  # type: ignore[valid-type]
    full_name: str = ""
    language: str = strawberry.field(default="zh", description="zh or en")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for role CUSTOMER: whose account this is.")
    warehouse_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="For role WAREHOUSE: the warehouses this user works in.")


@strawberry.input(description="A field left out is kept.")
class UserUpdateInput:
    role: Role | None = strawberry.UNSET  # type: ignore[valid-type]
    full_name: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false ends the user's session: refresh is "
        "refused at once, the access token runs out within CRM_ACCESS_TOKEN_MINUTES.")
    customer_id: strawberry.ID | None = strawberry.UNSET
    warehouse_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the user's warehouses.")


def user_ids(customer_id: strawberry.ID | None, warehouse_ids: list[strawberry.ID] | None
             ) -> tuple[int | None, list[int] | None]:
    """An input's customer and warehouse IDs, decoded together so every bad one is
    reported; None where the input has none."""
    customer, *warehouses = parse_ids((customer_id, "Customer", "customerId"),
                                      *((w, "Warehouse", "warehouseIds")
                                        for w in warehouse_ids or ()))
    return customer, None if warehouse_ids is None else warehouses


def filter_from(flt: UserFilter | None) -> admin.UserFilter:
    if flt is None:
        return admin.UserFilter()
    [customer] = parse_ids((flt.customer_id, "Customer", ["filter", "customerId"]))
    return admin.UserFilter(search=flt.search,
                            roles=tuple(r.value for r in flt.roles) if flt.roles else None,
                            is_active=flt.is_active, customer_id=customer)


def changes_from(inp: UserUpdateInput) -> dict[str, Any]:
    """The fields sent, by service name, with role and IDs decoded."""
    changes = provided(inp)
    if changes.get("role") is not None:
        changes["role"] = changes["role"].value
    customer, warehouses = user_ids(changes.get("customer_id"), changes.get("warehouse_ids"))
    if "customer_id" in changes:
        changes["customer_id"] = customer
    if "warehouse_ids" in changes:
        changes["warehouse_ids"] = warehouses
    return changes
