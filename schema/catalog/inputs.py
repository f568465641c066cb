"""Input types of the product catalog, and their translation into repository arguments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.catalog import repository as repo
from app.errors import DomainError
from app.ids import parse_id
from schema.core.guards import COST_RULE

ProductSort = strawberry.enum(repo.ProductSort, name="ProductSort")
# parcel facts for shipping quotes (docs/architecture.md#carriers-and-quotes)
_MEASURE = "One unit, in cm: 0 to 10000, at most two decimals (0: not measured)."
_COLD = "Must travel refrigerated: only cold-chain carrier services take it."


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Matches name, SKU or category.")
    category: str | None = None
    is_active: bool | None = None
    skus: list[str] | None = strawberry.field(default=None, description="At most 100 SKUs.")
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="One consignor's goods (a Customer ID).")
    consigned: bool | None = strawberry.field(
        default=None, description="true: any consignor's goods; false: the company's own.")
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class ProductCreateInput:
    sku: str = strawberry.field(description="Unique; 1 to 64 characters without spaces.")
    name: str
    price: Decimal = strawberry.field(description="Decimal string, at most two decimals.")
    cost: Decimal | None = strawberry.field(default=None, description=COST_RULE)
    description: str | None = None
    category: str | None = None
    unit: str | None = None
    currency: str | None = strawberry.field(default=None, description="Default CNY.")
    weight_kg: Decimal | None = None
    is_active: bool | None = None
    length_cm: Decimal | None = strawberry.field(default=None, description=_MEASURE)
    width_cm: Decimal | None = strawberry.field(default=None, description=_MEASURE)
    height_cm: Decimal | None = strawberry.field(default=None, description=_MEASURE)
    cold_chain: bool | None = strawberry.field(default=None, description=_COLD)
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="A consignor's goods: its Customer ID (a consignor); null: "
        "the company's own. Fixed once created (docs: Consignors).")


@strawberry.input
class ProductUpdateInput:
    sku: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    cost: Decimal | None = strawberry.field(default=strawberry.UNSET, description=COST_RULE)
    description: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    weight_kg: Decimal | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    length_cm: Decimal | None = strawberry.field(default=strawberry.UNSET, description=_MEASURE)
    width_cm: Decimal | None = strawberry.field(default=strawberry.UNSET, description=_MEASURE)
    height_cm: Decimal | None = strawberry.field(default=strawberry.UNSET, description=_MEASURE)
    cold_chain: bool | None = strawberry.field(default=strawberry.UNSET, description=_COLD)


def filter_from(flt: ProductFilter | None) -> repo.ProductFilter:
    if flt is None:
        return repo.ProductFilter()
    if flt.skus is not None and len(flt.skus) > 100:
        raise DomainError("at most 100 SKUs per filter", field=["filter", "skus"])
    for name, bound in (("priceMin", flt.price_min), ("priceMax", flt.price_max)):
        if bound is not None and not bound.is_finite():
            raise DomainError(f"{name} must be a number", field=["filter", name])
    return repo.ProductFilter(
        search=flt.search, category=flt.category, is_active=flt.is_active,
        skus=tuple(flt.skus) if flt.skus is not None else None, price_min=flt.price_min,
        price_max=flt.price_max, created_after=flt.created_after,
        created_before=flt.created_before, consigned=flt.consigned,
        consignor_id=parse_id(flt.consignor_id, "Customer", "consignorId")
        if flt.consignor_id else None,
    )
