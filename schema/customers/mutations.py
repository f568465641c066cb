"""Customer, contact and address mutations and their payloads `{ <object>, userErrors }`:
parse the input, call one service, map the result."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.customers import service
from app.errors import DomainError
from app.ids import parse_id
from schema.core.errors import UserError, user_errors
from schema.core.writes import provided, run_write
from schema.customers.inputs import (
    AddressInput,
    ContactInput,
    CustomerCreateInput,
    CustomerUpdateInput,
    customer_data_from,
)
from schema.customers.types import Address, Contact, Customer


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ContactPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddressPayload:
    address: Address | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation()
    async def customer_create(self, info: strawberry.Info,
                              input: CustomerCreateInput) -> CustomerPayload:
        try:
            data = customer_data_from(input, creating=True)
        except DomainError as exc:
            return CustomerPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.create_customer, data)
        return CustomerPayload(customer=Customer.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation()
    async def customer_update(self, info: strawberry.Info, id: strawberry.ID,
                              input: CustomerUpdateInput) -> CustomerPayload:
        try:
            pk = parse_id(id, "Customer")
            data = customer_data_from(input)
        except DomainError as exc:
            return CustomerPayload(user_errors=user_errors(exc))
        version = input.expected_version or None
        row, errors = await run_write(info, service.update_customer, pk, data, version)
        return CustomerPayload(customer=Customer.from_row(row) if row else None,
                               user_errors=errors)

    @strawberry.mutation()
    async def customer_contact_add(self, info: strawberry.Info, customer_id: strawberry.ID,
                                   input: ContactInput) -> ContactPayload:
        return await _child(info, service.add_contact, customer_id, "Customer", input,
                            ContactPayload, Contact, "contact")

    @strawberry.mutation()
    async def customer_contact_update(
            self, info: strawberry.Info, id: strawberry.ID, input: ContactInput,
            expected_version: Annotated[int | None, strawberry.argument(
                description="The contact's version the change was made on: another is a "
                "CONFLICT (offline edits).")] = None) -> ContactPayload:
        return await _child(info, service.update_contact, id, "Contact", input,
                            ContactPayload, Contact, "contact", expected_version)

    @strawberry.mutation()
    async def customer_contact_remove(self, info: strawberry.Info,
                                      id: strawberry.ID) -> ContactPayload:
        return await _child(info, service.remove_contact, id, "Contact", None,
                            ContactPayload, Contact, "contact")

    @strawberry.mutation()
    async def customer_address_add(self, info: strawberry.Info, customer_id: strawberry.ID,
                                   input: AddressInput) -> AddressPayload:
        return await _child(info, service.add_address, customer_id, "Customer", input,
                            AddressPayload, Address, "address")

    @strawberry.mutation()
    async def customer_address_update(self, info: strawberry.Info, id: strawberry.ID,
                                      input: AddressInput) -> AddressPayload:
        return await _child(info, service.update_address, id, "Address", input,
                            AddressPayload, Address, "address")

    @strawberry.mutation()
    async def customer_address_remove(self, info: strawberry.Info,
                                      id: strawberry.ID) -> AddressPayload:
        return await _child(info, service.remove_address, id, "Address", None,
                            AddressPayload, Address, "address")


async def _child(info, fn, raw_id, id_type, inp, payload_cls, type_cls, attr,  # noqa: ANN001, ANN202
                 *extra):  # noqa: ANN002
    """Contacts and addresses share one shape: id -> service -> payload."""
    field = "customerId" if id_type == "Customer" else "id"
    try:
        pk = parse_id(raw_id, id_type, field)
    except DomainError as exc:
        return payload_cls(user_errors=user_errors(exc))
    args = (pk,) if inp is None else (pk, provided(inp), *extra)
    row, errors = await run_write(info, fn, *args)
    return payload_cls(**{attr: type_cls.from_row(row) if row else None}, user_errors=errors)
