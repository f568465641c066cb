"""SQL for products, with the caller's row scope applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.persistence.fast import rows
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    in_period,
    in_range,
    one_of,
    paginate,
    sort_table,
    where,
)


class ProductSort(StrEnum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    SKU_ASC = "SKU_ASC"
    SKU_DESC = "SKU_DESC"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


_SORTS = sort_table(ProductSort, {
    "NAME": Product.name, "SKU": Product.sku, "PRICE": Product.price,
    "CREATED_AT": Product.created_at, "UPDATED_AT": Product.updated_at,
})


@dataclass(frozen=True)
class ProductFilter:
    search: str | None = None
    category: str | None = None
    is_active: bool | None = None
    skus: tuple[str, ...] | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    consignor_id: int | None = None  # one consignor's goods
    consigned: bool | None = None  # any consignor's (True) or the company's own (False)


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Customers shop from the live catalog: a retired product, or another consignor's
    goods (docs/architecture.md#consignors), answer like a missing one. A consignor's
    portal sees its own goods only, retired ones too."""
    if principal.consignor_scope is not None:
        return stmt.where(Product.consignor_id == principal.consignor_scope)
    if principal.customer_scope is not None:
        stmt = stmt.where(Product.is_active.is_(True),
                          or_(Product.consignor_id.is_(None),
                              Product.consignor_id == principal.customer_scope))
    return stmt


def get_visible(session: Session, principal: Principal, product_id: int) -> Product | None:
    return session.exec(scope(select(Product).where(Product.id == product_id), principal)).first()


def list_products(session: Session, principal: Principal, flt: ProductFilter, sort: ProductSort,
                  page: PageRequest) -> Page[Product]:
    stmt = where(scope(select(Product), principal),
                 contains(flt.search, Product.name, Product.sku, Product.category),
                 equal(Product.category, flt.category),
                 equal(Product.is_active, flt.is_active),
                 one_of(Product.sku, flt.skus),
                 in_range(Product.price, flt.price_min, flt.price_max),
                 in_period(Product.created_at, flt.created_after, flt.created_before),
                 equal(Product.consignor_id, flt.consignor_id),
                 None if flt.consigned is None else Product.consignor_id.is_not(None)
                 if flt.consigned else Product.consignor_id.is_(None))
    return paginate(session, stmt, _SORTS[sort], page, Product.id)


def products_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    return {p.id: p for p in session.exec(select(Product).where(Product.id.in_(list(ids))))}


def product_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only rows for display (app/persistence/fast/rows.py)."""
    return rows.by_id(session, Product, ids)


def sku_taken(session: Session, sku: str, except_id: int | None = None) -> bool:
    stmt = select(Product.id).where(Product.sku == sku)
    if except_id is not None:
        stmt = stmt.where(Product.id != except_id)
    return session.exec(stmt).first() is not None
