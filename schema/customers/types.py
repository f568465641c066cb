"""GraphQL types of customers, contacts and addresses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from app.auth.roles import Perm
from app.customers import models as m
from app.customers.repository import CustomerSort as _CustomerSort
from schema.core.errors import UserError
from schema.core.guards import CONTACT_RULE, CREDIT_RULE, contact_value, credit_value
from schema.core.node import Node, gid
from schema.core.pagination import Connection
from schema.core.permissions import requires, visibility
from schema.core.scalars import Money, money

CustomerSort = strawberry.enum(_CustomerSort, name="CustomerSort")
CustomerTier = strawberry.enum(m.CustomerTier, name="CustomerTier")
CustomerStatus = strawberry.enum(m.CustomerStatus, name="CustomerStatus")
CustomerKind = strawberry.enum(m.CustomerKind, name="CustomerKind")
PaymentTerms = strawberry.enum(m.PaymentTerms, name="PaymentTerms")


@strawberry.type
class Contact(Node):
    name: str
    title: str
    is_primary: bool
    created_at: datetime
    _email: strawberry.Private[str | None]
    _phone: strawberry.Private[str | None]
    _customer_id: strawberry.Private[int]

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def email(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._email)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def phone(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._phone)

    @classmethod
    def from_row(cls, row: m.Contact) -> Contact:
        return cls(id=gid("Contact", row.id), name=row.name, title=row.title,
                   is_primary=row.is_primary, created_at=row.created_at, _email=row.email,
                   _phone=row.phone, _customer_id=row.customer_id)


@strawberry.type
class Address(Node):
    label: str
    country: str
    region: str
    province: str
    city: str
    district: str
    postal_code: str
    is_default_shipping: bool
    is_default_billing: bool
    _recipient: strawberry.Private[str]
    _phone: strawberry.Private[str | None]
    _line1: strawberry.Private[str]
    _line2: strawberry.Private[str]

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def recipient(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._recipient)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def phone(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._phone)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def line1(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._line1)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def line2(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._line2)

    @classmethod
    def from_row(cls, row: m.Address) -> Address:
        return cls(
            id=gid("Address", row.id), label=row.label, country=row.country, region=row.region,
            province=row.province, city=row.city, district=row.district,
            postal_code=row.postal_code, is_default_shipping=row.is_default_shipping,
            is_default_billing=row.is_default_billing, _recipient=row.recipient,
            _phone=row.phone, _line1=row.line1, _line2=row.line2,
        )


@strawberry.type
class Customer(Node):
    code: str
    name: str
    kind: CustomerKind  # type: ignore[valid-type]
    tier: CustomerTier  # type: ignore[valid-type]
    status: CustomerStatus  # type: ignore[valid-type]
    region: str
    language: str
    discount_rate: Decimal
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int
    _pk: strawberry.Private[int]
    _email: strawberry.Private[str | None]
    _phone: strawberry.Private[str | None]
    _owner_id: strawberry.Private[int | None]
    _credit_limit: strawberry.Private[Decimal]
    _payment_terms: strawberry.Private[str]

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def email(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._email)

    @strawberry.field(description=CONTACT_RULE, directives=visibility(CONTACT_RULE))
    def phone(self, info: strawberry.Info) -> str | None:
        return contact_value(info, self._phone)

    @strawberry.field(description=CREDIT_RULE, directives=visibility(CREDIT_RULE))
    def credit_limit(self, info: strawberry.Info) -> Money | None:
        return credit_value(info, self._owner_id, money(self._credit_limit))

    @strawberry.field(description=CREDIT_RULE, directives=visibility(CREDIT_RULE))
    def payment_terms(self, info: strawberry.Info) -> PaymentTerms | None:  # type: ignore
        return credit_value(info, self._owner_id, self._payment_terms)

    @strawberry.field(description="Unpaid totals of approved orders (returns credited, net of "
                      "refunds), the figure the credit check uses. " + CREDIT_RULE,
                      directives=visibility(CREDIT_RULE))
    async def outstanding_balance(self, info: strawberry.Info) -> Money | None:
        from schema.payments.types import customer_outstanding_balance
        return await customer_outstanding_balance(info, self._pk, self._owner_id)

    @strawberry.field(description="The sales rep who owns this customer.")
    def owner(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:  # noqa: F821
        from schema.auth.types import User
        return info.context.loaders.one("user_by_id", self._owner_id, User)

    @strawberry.field(description="Contacts, the primary one first.")
    def contacts(self, info: strawberry.Info) -> list[Contact]:
        return info.context.loaders.resolve(
            "contacts_by_customer", self._pk, lambda rows: [Contact.from_row(r) for r in rows])

    @strawberry.field(description="Addresses, the default shipping address first. "
                      + CONTACT_RULE)
    def addresses(self, info: strawberry.Info) -> list[Address]:
        return info.context.loaders.resolve(
            "addresses_by_customer", self._pk, lambda rows: [Address.from_row(r) for r in rows])

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="This customer's orders, newest first by default "
                      "(first/after; batched across a list of customers).")
    async def orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        filter: Annotated[CustomerOrderFilter, strawberry.lazy(  # noqa: F821
            "schema.orders.inputs")] | None = None,
        sort: Annotated[OrderSort, strawberry.lazy("schema.orders.types")]  # noqa: F821
        | None = None,
    ) -> Connection[Annotated[Order, strawberry.lazy(  # noqa: F821
            "schema.orders.types")]] | None:
        from schema.orders.customer_fields import customer_orders
        return await customer_orders(info, self._pk, first, after, filter, sort)

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="Order count, total spent, last order date, top products.")
    async def purchase_summary(self, info: strawberry.Info) -> Annotated[
            PurchaseSummary, strawberry.lazy("schema.orders.customer_fields")] | None:  # noqa: F821
        from schema.orders.customer_fields import purchase_summary
        return await purchase_summary(info, self._pk)

    @classmethod
    def from_row(cls, row: m.Customer) -> Customer:
        return cls(
            id=gid("Customer", row.id), code=row.code, name=row.name, kind=row.kind,
            tier=row.tier, status=row.status, region=row.region, language=row.language,
            discount_rate=row.discount_rate, notes=row.notes, created_at=row.created_at,
            updated_at=row.updated_at, version=row.version, _pk=row.id, _email=row.email,
            _phone=row.phone, _owner_id=row.owner_id, _credit_limit=row.credit_limit,
            _payment_terms=row.payment_terms,
        )


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Matches name, code, e-mail or phone.")
    tier: CustomerTier | None = None  # type: ignore[valid-type]
    status: CustomerStatus | None = None  # type: ignore[valid-type]
    region: str | None = None
    owner_id: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class CustomerCreateInput:
    name: str
    code: str | None = None
    kind: CustomerKind | None = None  # type: ignore[valid-type]
    email: str | None = None
    phone: str | None = None
    tier: CustomerTier | None = None  # type: ignore[valid-type]
    status: CustomerStatus | None = None  # type: ignore[valid-type]
    region: str | None = None
    language: str | None = strawberry.field(default=None, description="zh or en")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning sales rep (a User ID).")
    credit_limit: Decimal | None = strawberry.field(default=None, description=CREDIT_RULE)
    payment_terms: PaymentTerms | None = None  # type: ignore[valid-type]
    discount_rate: Decimal | None = strawberry.field(
        default=None, description="Agreed discount, a fraction 0..1.")
    notes: str | None = None


@strawberry.input
class CustomerUpdateInput:
    name: str | None = strawberry.UNSET
    kind: CustomerKind | None = strawberry.UNSET  # type: ignore[valid-type]
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    tier: CustomerTier | None = strawberry.UNSET  # type: ignore[valid-type]
    status: CustomerStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    region: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    credit_limit: Decimal | None = strawberry.UNSET
    payment_terms: PaymentTerms | None = strawberry.UNSET  # type: ignore[valid-type]
    discount_rate: Decimal | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT if the customer changed.")


@strawberry.input
class ContactInput:
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.input
class AddressInput:
    label: str | None = strawberry.UNSET
    recipient: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    line1: str | None = strawberry.UNSET
    line2: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    is_default_shipping: bool | None = strawberry.UNSET
    is_default_billing: bool | None = strawberry.UNSET


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
