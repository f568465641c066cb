"""Customer queries and mutations: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.auth.roles import Perm
from app.customers import repository as repo
from app.customers import service
from app.errors import DomainError
from app.ids import parse_id
from schema.core.errors import user_errors
from schema.core.node import lookup, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import provided, run_read, run_write
from schema.customers.types import (
    Address,
    AddressInput,
    AddressPayload,
    Contact,
    ContactInput,
    ContactPayload,
    Customer,
    CustomerCreateInput,
    CustomerFilter,
    CustomerPayload,
    CustomerSort,
    CustomerUpdateInput,
)
from schema.loading.loaders import register_loader
from schema.loading.prefetch import read_connection, register_relation

register_loader("customer_by_id", repo.customer_rows_by_ids)
register_loader("contacts_by_customer", repo.contacts_by_customer, default=[])
register_loader("addresses_by_customer", repo.addresses_by_customer, default=[])
register_loader("contact_by_id", repo.contacts_by_ids)
register_relation("Customer", "owner", "user_by_id", "owner_id")
register_relation("Customer", "contacts", "contacts_by_customer", "id", many=True)
register_relation("Customer", "addresses", "addresses_by_customer", "id",
                  many=True)


async def fetch_customer(info: strawberry.Info, pk: int) -> Customer | None:
    principal = current_principal(info)
    if not principal.can(Perm.CUSTOMERS_READ):
        return None
    row = await run_read(info, service.get_customer, principal, pk)
    return Customer.from_row(row) if row else None


register_node("Customer", fetch_customer)


def _filter(flt: CustomerFilter | None) -> repo.CustomerFilter:
    if flt is None:
        return repo.CustomerFilter()
    owner = parse_id(flt.owner_id, "User", "ownerId") if flt.owner_id else None
    return repo.CustomerFilter(
        search=flt.search, tier=flt.tier, status=flt.status, region=flt.region, owner_id=owner,
        created_after=flt.created_after, created_before=flt.created_before,
    )


def _customer_data(inp: object, *, creating: bool = False) -> dict:
    data = provided(inp)
    if creating:  # create inputs default to null: null means "not given"
        data = {k: v for k, v in data.items() if v is not None}
    data.pop("expected_version", None)
    if data.get("owner_id"):
        data["owner_id"] = parse_id(data["owner_id"], "User", "ownerId")
    return data


@strawberry.type
class CustomerQuery:
    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="Customers the caller may see (SALES: own; CUSTOMER: self).")
    async def customers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CustomerFilter | None = None, sort: CustomerSort = CustomerSort.NAME_ASC,
    ) -> Connection[Customer]:
        principal = current_principal(info)
        page = await read_connection(info, "Customer", service.list_customers, principal,
                                     _filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Customer.from_row)

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="One customer; null when missing or out of your scope.")
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        return await lookup(info, id, "Customer")


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_create(self, info: strawberry.Info,
                              input: CustomerCreateInput) -> CustomerPayload:
        try:
            data = _customer_data(input, creating=True)
        except DomainError as exc:
            return CustomerPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.create_customer, data)
        return CustomerPayload(customer=Customer.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_update(self, info: strawberry.Info, id: strawberry.ID,
                              input: CustomerUpdateInput) -> CustomerPayload:
        try:
            pk = parse_id(id, "Customer")
            data = _customer_data(input)
        except DomainError as exc:
            return CustomerPayload(user_errors=user_errors(exc))
        version = input.expected_version or None
        row, errors = await run_write(info, service.update_customer, pk, data, version)
        return CustomerPayload(customer=Customer.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_contact_add(self, info: strawberry.Info, customer_id: strawberry.ID,
                                   input: ContactInput) -> ContactPayload:
        return await _child(info, service.add_contact, customer_id, "Customer", input,
                            ContactPayload, Contact, "contact")

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_contact_update(self, info: strawberry.Info, id: strawberry.ID,
                                      input: ContactInput) -> ContactPayload:
        return await _child(info, service.update_contact, id, "Contact", input,
                            ContactPayload, Contact, "contact")

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_contact_remove(self, info: strawberry.Info,
                                      id: strawberry.ID) -> ContactPayload:
        return await _child(info, service.remove_contact, id, "Contact", None,
                            ContactPayload, Contact, "contact")

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_address_add(self, info: strawberry.Info, customer_id: strawberry.ID,
                                   input: AddressInput) -> AddressPayload:
        return await _child(info, service.add_address, customer_id, "Customer", input,
                            AddressPayload, Address, "address")

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_address_update(self, info: strawberry.Info, id: strawberry.ID,
                                      input: AddressInput) -> AddressPayload:
        return await _child(info, service.update_address, id, "Address", input,
                            AddressPayload, Address, "address")

    @strawberry.mutation(extensions=requires(Perm.CUSTOMERS_WRITE))
    async def customer_address_remove(self, info: strawberry.Info,
                                      id: strawberry.ID) -> AddressPayload:
        return await _child(info, service.remove_address, id, "Address", None,
                            AddressPayload, Address, "address")


async def _child(info, fn, raw_id, id_type, inp, payload_cls, type_cls, attr):  # noqa: ANN001, ANN202
    """Contacts and addresses share one shape: id -> service -> payload."""
    field = "customerId" if id_type == "Customer" else "id"
    try:
        pk = parse_id(raw_id, id_type, field)
    except DomainError as exc:
        return payload_cls(user_errors=user_errors(exc))
    args = (pk,) if inp is None else (pk, provided(inp))
    row, errors = await run_write(info, fn, *args)
    return payload_cls(**{attr: type_cls.from_row(row) if row else None}, user_errors=errors)
