"""User administration for users:manage (ADMIN): the users list, userCreate, userUpdate."""

from __future__ import annotations

import strawberry

from app.auth import admin
from app.auth.roles import Perm
from app.errors import DomainError
from app.ids import parse_id
from schema.auth.types import Role, User
from schema.core.errors import UserError, user_errors
from schema.core.node import parse_ids
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import provided, run_write
from schema.loading.prefetch import read_connection

UserSort = strawberry.enum(admin.UserSort, name="UserSort")


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


@strawberry.type
class UserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _ids(customer_id: strawberry.ID | None, warehouse_ids: list[strawberry.ID] | None
         ) -> tuple[int | None, list[int] | None]:
    """An input's customer and warehouse IDs, decoded together so every bad one is
    reported; None where the input has none."""
    customer, *warehouses = parse_ids((customer_id, "Customer", "customerId"),
                                      *((w, "Warehouse", "warehouseIds")
                                        for w in warehouse_ids or ()))
    return customer, None if warehouse_ids is None else warehouses


def _filter(flt: UserFilter | None) -> admin.UserFilter:
    if flt is None:
        return admin.UserFilter()
    [customer] = parse_ids((flt.customer_id, "Customer", ["filter", "customerId"]))
    return admin.UserFilter(search=flt.search,
                            roles=tuple(r.value for r in flt.roles) if flt.roles else None,
                            is_active=flt.is_active, customer_id=customer)


@strawberry.type
class UserAdminQuery:
    @strawberry.field(extensions=requires(Perm.USERS_MANAGE),
                      description="Every user account, newest first by default.")
    async def users(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: UserFilter | None = None,
        sort: UserSort = UserSort.CREATED_AT_DESC,
    ) -> Connection[User]:
        page = await read_connection(info, "User", admin.list_users, current_principal(info),
                                     _filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, User.from_row)


@strawberry.type
class UserAdminMutation:
    @strawberry.mutation(extensions=requires(Perm.USERS_MANAGE),
                         description="Create a user account.")
    async def user_create(self, info: strawberry.Info, input: UserCreateInput) -> UserPayload:
        try:
            customer, warehouses = _ids(input.customer_id, input.warehouse_ids)
        except DomainError as exc:
            return UserPayload(user_errors=user_errors(exc))
        row, errors = await run_write(
            info, admin.create_user, email=input.email[:254], password=input.password[:256],
            role=input.role.value, full_name=input.full_name, language=input.language,
            customer_id=customer, warehouse_ids=warehouses)
        return UserPayload(user=User.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(extensions=requires(Perm.USERS_MANAGE),
                         description="Change a user's role, name, language, customer or "
                         "warehouses, or deactivate the account. You cannot change your own "
                         "role or deactivate yourself.")
    async def user_update(self, info: strawberry.Info, id: strawberry.ID,
                          input: UserUpdateInput) -> UserPayload:
        try:
            pk = parse_id(id, "User")
            changes = provided(input)
            if changes.get("role") is not None:
                changes["role"] = changes["role"].value
            customer, warehouses = _ids(changes.get("customer_id"), changes.get("warehouse_ids"))
            if "customer_id" in changes:
                changes["customer_id"] = customer
            if "warehouse_ids" in changes:
                changes["warehouse_ids"] = warehouses
        except DomainError as exc:
            return UserPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, admin.update_user, pk, changes)
        return UserPayload(user=User.from_row(row) if row else None, user_errors=errors)
