"""GraphQL types of customer segments: the computed RFM segment and purchase preferences of
a customer (`Customer.segment`, `Customer.preferences`), segment counts, and saved segments
with their customers (docs/architecture.md#customer-segments)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.persistence.columns import utcnow
from app.segments import models as m
from app.segments import repository as repo
from app.segments import service
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import read_connection

if TYPE_CHECKING:
    from schema.catalog.types import Product
    from schema.customers.types import Customer

register_loader("segment_by_customer", repo.segments_by_customer)
register_loader("preferences_by_customer", repo.preferences_by_customer)

CustomerSegmentKind = strawberry.enum(m.Segment, name="CustomerSegmentKind")
SegmentCustomerSort = strawberry.enum(repo.SegmentCustomerSort, name="SegmentCustomerSort")


@strawberry.type(description="A customer's computed RFM segment: recency, frequency and "
                 "monetary scores 1-5 (5 best) over purchased orders, and when it was computed.")
class CustomerSegment:
    segment: CustomerSegmentKind  # type: ignore[valid-type]
    previous_segment: CustomerSegmentKind | None = strawberry.field(  # type: ignore
        description="The segment before its last change; null if it never changed.")
    recency_score: int
    frequency_score: int
    monetary_score: int
    order_count: int
    monetary: Money
    first_order_at: datetime
    last_order_at: datetime
    recency_days: int = strawberry.field(description="Days from the last order to now.")
    computed_at: datetime = strawberry.field(
        description="When these figures were last written: a recompute that finds them "
        "unchanged leaves them, and this time, as they were.")
    changed_at: datetime = strawberry.field(description="When the segment last changed.")

    @classmethod
    def from_row(cls, row: m.CustomerSegment) -> CustomerSegment:
        return cls(segment=m.Segment(row.segment),
                   previous_segment=m.Segment(row.previous_segment)
                   if row.previous_segment else None,
                   recency_score=row.r_score, frequency_score=row.f_score,
                   monetary_score=row.m_score, order_count=row.order_count,
                   monetary=money(row.monetary), first_order_at=row.first_order_at,
                   last_order_at=row.last_order_at,
                   recency_days=max(0, (utcnow() - row.last_order_at).days),
                   computed_at=row.computed_at, changed_at=row.segment_changed_at)


@strawberry.type(description="A product category the customer buys most (units, returns "
                 "deducted).")
class CategoryPreference:
    category: str
    quantity: int
    orders: int


@strawberry.type(description="A product the customer orders most often, with its usual "
                 "quantity (the median units per order holding it).")
class ProductPreference:
    sku: str
    name: str
    orders: int
    quantity: int
    usual_quantity: int
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:
        row = await info.context.loaders.load("product_by_id", self._product_id)
        return object_type("Product").from_row(row) if row else None


@strawberry.type(description="What and how often a customer buys: top categories and "
                 "products, the mean days between orders and the next expected order.")
class PurchasePreferences:
    top_categories: list[CategoryPreference]
    top_products: list[ProductPreference]
    cadence_days: float | None = strawberry.field(
        description="Mean days between consecutive orders (the days from the first to the "
        "last order over the gaps between them); null below two orders.")
    last_order_at: datetime | None
    next_order_at: datetime | None = strawberry.field(
        description="The last order plus the cadence: when the next order is expected.")

    @classmethod
    def from_row(cls, p: repo.Preferences) -> PurchasePreferences:
        return cls(
            top_categories=[CategoryPreference(category=c.category, quantity=c.quantity,
                                               orders=c.orders) for c in p.top_categories],
            top_products=[ProductPreference(sku=t.sku, name=t.name, orders=t.orders,
                                            quantity=t.quantity,
                                            usual_quantity=t.usual_quantity,
                                            _product_id=t.product_id)
                          for t in p.top_products],
            cadence_days=None if p.cadence_days is None else round(p.cadence_days, 1),
            last_order_at=p.last_order_at, next_order_at=p.next_order_at)


@strawberry.type(description="Customers in the caller's scope in one segment.")
class SegmentCount:
    segment: CustomerSegmentKind  # type: ignore[valid-type]
    count: int


@strawberry.type(description="The filter a saved segment keeps.")
class SegmentCriteria:
    segments: list[CustomerSegmentKind]  # type: ignore[valid-type]
    regions: list[str]
    tiers: list[str]
    owner_id: strawberry.ID | None
    min_recency_score: int | None
    min_frequency_score: int | None
    min_monetary_score: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SegmentCriteria:
        c = repo.Criteria.from_json(data)
        return cls(segments=[m.Segment(s) for s in c.segments], regions=list(c.regions),
                   tiers=list(c.tiers),
                   owner_id=gid("User", c.owner_id) if c.owner_id else None,
                   min_recency_score=c.min_recency_score,
                   min_frequency_score=c.min_frequency_score,
                   min_monetary_score=c.min_monetary_score)


@strawberry.type(description="A saved segment: a named filter over customers and their "
                 "computed segments; its customers and count are those in the caller's scope.")
class Segment(Node):
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    version: int
    _criteria: strawberry.Private[dict[str, Any] | None]

    @strawberry.field(name="filter")
    def criteria(self) -> SegmentCriteria:
        return SegmentCriteria.from_json(self._criteria)

    @strawberry.field(description="Customers matching the filter in your scope.")
    async def count(self, info: strawberry.Info) -> int:
        return await run_read(info, service.segment_count, current_principal(info),
                              self._criteria)

    @strawberry.field(description="The matching customers in your scope, by name.")
    async def customers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        sort: SegmentCustomerSort | None = None,  # type: ignore
    ) -> Connection[Annotated[Customer, strawberry.lazy("schema.customers.types")]]:
        page = await read_connection(info, "Customer", service.segment_customers,
                                     current_principal(info), self._criteria,
                                     repo.SegmentCustomerSort(sort or "NAME_ASC"),
                                     page_request(info, first, after, last, before))
        return to_connection(page, object_type("Customer").from_row)

    @classmethod
    def from_row(cls, row: m.SavedSegment) -> Segment:
        return cls(id=gid("Segment", row.id), name=row.name, description=row.description,
                   created_at=row.created_at, updated_at=row.updated_at, version=row.version,
                   _criteria=row.criteria)


async def fetch_segment(info: strawberry.Info, pk: int) -> Segment | None:
    principal = current_principal(info)
    if not principal.can(Perm.SEGMENTS_READ):
        return None
    row = await run_read(info, service.get_segment, principal, pk)
    return Segment.from_row(row) if row else None


register_node("Segment", fetch_segment)
register_types(Segment, CustomerSegment, PurchasePreferences)
