"""GraphQL types of customers, contacts and addresses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.auth.roles import Perm
from app.customers import models as m
from app.customers import repository as repo
from app.customers import service
from app.orders.repository import OrderSort as _OrderSort
from app.orders.repository import customer_views
from schema.core.guards import CONTACT_RULE, CREDIT_RULE, contact_value, credit_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.pagination import Connection, page_request, to_connection, wants_total
from schema.core.permissions import current_principal, requires, visibility
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import prefetch_connection, register_relation

if TYPE_CHECKING:
    from schema.activities.types import TimelineEntry
    from schema.auth.types import User
    from schema.catalog.types import Product
    from schema.orders.inputs import CustomerOrderFilter, OrderSort
    from schema.orders.types import Order
    from schema.segments.types import CustomerSegment, PurchasePreferences

register_loader("customer_by_id", repo.customer_rows_by_ids)
register_loader("contacts_by_customer", repo.contacts_by_customer, default=[])
register_loader("addresses_by_customer", repo.addresses_by_customer, default=[])
register_loader("contact_by_id", repo.contacts_by_ids)
register_relation("Customer", "owner", "user_by_id", "owner_id")
register_relation("Customer", "contacts", "contacts_by_customer", "id", many=True)
register_relation("Customer", "addresses", "addresses_by_customer", "id",
                  many=True)

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
    version: int = strawberry.field(description="Bumped by every change: send it back as "
                                    "expectedVersion to detect a conflicting edit.")
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
                   is_primary=row.is_primary, created_at=row.created_at, version=row.version,
                   _email=row.email,
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


@strawberry.type(description="A product the customer buys most (by units, returns deducted).")
class TopProduct:
    sku: str
    name: str
    quantity: int
    revenue: Money
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        row = await info.context.loaders.load("product_by_id", self._product_id)
        return object_type("Product").from_row(row) if row else None


@strawberry.type(description="What a customer has bought: approved orders, not cancelled or "
                 "rejected.")
class PurchaseSummary:
    order_count: int
    total_spent: Money
    last_order_at: datetime | None
    top_products: list[TopProduct]


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
    is_consignor: bool = strawberry.field(description=(
        "A consignor: its goods are stored and delivered here (docs: Consignors)."))
    created_at: datetime
    updated_at: datetime
    version: int
    _pk: strawberry.Private[int]
    _email: strawberry.Private[str | None]
    _phone: strawberry.Private[str | None]
    _owner_id: strawberry.Private[int | None]
    _credit_limit: strawberry.Private[Decimal]
    _payment_terms: strawberry.Private[str]
    _free_shipping_threshold: strawberry.Private[Decimal | None]

    @strawberry.field(description="The shipping agreement: orders whose goods total reaches "
                      "this amount ship free (0: always); null: shipping is billed.")
    def free_shipping_threshold(self) -> Money | None:
        return money(self._free_shipping_threshold)

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
        credit_value(info, self._owner_id, None)  # FORBIDDEN before any query
        amount = await info.context.loaders.load("outstanding_balance_by_customer", self._pk)
        return money(amount)

    @strawberry.field(description="The sales rep who owns this customer.")
    def owner(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        return info.context.loaders.one("user_by_id", self._owner_id, object_type("User"))

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
                      "(first/after forward, last/before backward; batched across a list "
                      "of customers).")
    async def orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[CustomerOrderFilter, strawberry.lazy(
            "schema.orders.inputs")] | None = None,
        sort: Annotated[OrderSort, strawberry.lazy("schema.orders.inputs")] | None = None,
    ) -> Connection[Annotated[Order, strawberry.lazy("schema.orders.types")]] | None:
        # the parent customer is inside the caller's row scope, and so are its orders
        # (SALES own the customer; a CUSTOMER is the customer)
        args = customer_views.CustomerOrdersArgs(
            first=first, after=after, last=last, before=before,
            sort=_OrderSort(sort or _OrderSort.CREATED_AT_DESC),
            statuses=tuple(s.value for s in (filter.status or ())) if filter else (),
            with_total=wants_total(info)).validated()
        page = await info.context.loaders.load("orders_by_customer_page", (self._pk, args))
        # every customer of the list gets here in the same turn: their orders' relations
        # load together, one batch per level
        await prefetch_connection(info, "Order", page.items)
        return to_connection(page, object_type("Order").from_row)

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="Order count, total spent, last order date, top products.")
    async def purchase_summary(self, info: strawberry.Info) -> PurchaseSummary | None:
        s = await info.context.loaders.load("purchase_summary_by_customer", self._pk)
        return PurchaseSummary(
            order_count=s.order_count, total_spent=money(s.total_spent, s.currency),
            last_order_at=s.last_order_at,
            top_products=[TopProduct(sku=t.sku, name=t.name, quantity=t.quantity,
                                     revenue=money(t.revenue, s.currency),
                                     _product_id=t.product_id)
                          for t in s.top_products])

    @strawberry.field(extensions=requires(Perm.SEGMENTS_READ),
                      description="The computed RFM segment; null before the customer's "
                      "first purchase is scored; the hand-set `tier` is separate.")
    def segment(self, info: strawberry.Info) -> Annotated[
            CustomerSegment, strawberry.lazy("schema.segments.types")] | None:
        return info.context.loaders.resolve("segment_by_customer", self._pk,
                                            object_type("CustomerSegment").from_row)

    @strawberry.field(extensions=requires(Perm.SEGMENTS_READ),
                      description="Top categories and products, usual quantities, order "
                      "cadence and the next expected order.")
    def preferences(self, info: strawberry.Info) -> Annotated[
            PurchasePreferences, strawberry.lazy("schema.segments.types")]:
        return info.context.loaders.resolve("preferences_by_customer", self._pk,
                                            object_type("PurchasePreferences").from_row)

    @strawberry.field(extensions=requires(Perm.ACTIVITIES_READ),
                      description="The customer 360 timeline, newest first: orders, order "
                      "events (notes, status changes), shipments, payments, returns, "
                      "activities (SALES: their own) and notifications sent; one SQL statement "
                      "per page (first/after).")
    async def timeline(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> Connection[Annotated[TimelineEntry, strawberry.lazy("schema.activities.types")]] \
            | None:
        # the parent customer is inside the caller's row scope; the activities in it are
        # scoped by the caller's activity scope (app/activities/repository/timeline.py)
        key = (self._pk, current_principal(info),
               page_request(info, first, after, last, before).validated())
        page = await info.context.loaders.load("timeline_page", key)
        return to_connection(page, object_type("TimelineEntry").from_row)

    @classmethod
    def from_row(cls, row: m.Customer) -> Customer:
        return cls(
            id=gid("Customer", row.id), code=row.code, name=row.name, kind=row.kind,
            tier=row.tier, status=row.status, region=row.region, language=row.language,
            discount_rate=row.discount_rate, notes=row.notes, is_consignor=row.is_consignor,
            created_at=row.created_at,
            updated_at=row.updated_at, version=row.version, _pk=row.id, _email=row.email,
            _phone=row.phone, _owner_id=row.owner_id, _credit_limit=row.credit_limit,
            _payment_terms=row.payment_terms,
            _free_shipping_threshold=row.free_shipping_threshold,
        )


async def fetch_customer(info: strawberry.Info, pk: int) -> Customer | None:
    principal = current_principal(info)
    if not principal.can(Perm.CUSTOMERS_READ):
        return None
    row = await run_read(info, service.get_customer, principal, pk)
    return Customer.from_row(row) if row else None


register_node("Customer", fetch_customer)
register_types(Customer, Contact, Address)
