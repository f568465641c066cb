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
from app.persistence.pagination import Page, PageRequest, SortKey, paginate


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


_SORTS: dict[ProductSort, SortKey] = {
    ProductSort.NAME_ASC: [(Product.name, False)],
    ProductSort.NAME_DESC: [(Product.name, True)],
    ProductSort.SKU_ASC: [(Product.sku, False)],
    ProductSort.SKU_DESC: [(Product.sku, True)],
    ProductSort.PRICE_ASC: [(Product.price, False)],
    ProductSort.PRICE_DESC: [(Product.price, True)],
    ProductSort.CREATED_AT_ASC: [(Product.created_at, False)],
    ProductSort.CREATED_AT_DESC: [(Product.created_at, True)],
    ProductSort.UPDATED_AT_DESC: [(Product.updated_at, True)],
}


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


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Customers shop from the live catalog: a retired product answers like a missing one."""
    if principal.customer_scope is not None:
        stmt = stmt.where(Product.is_active.is_(True))
    return stmt


def get_visible(session: Session, principal: Principal, product_id: int) -> Product | None:
    return session.exec(scope(select(Product).where(Product.id == product_id), principal)).first()


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_products(session: Session, principal: Principal, flt: ProductFilter, sort: ProductSort,
                  page: PageRequest) -> Page[Product]:
    stmt = scope(select(Product), principal)
    if flt.search and flt.search.strip():
        like = _like(flt.search)
        stmt = stmt.where(or_(Product.name.ilike(like, escape="\\"),
                              Product.sku.ilike(like, escape="\\"),
                              Product.category.ilike(like, escape="\\")))
    if flt.category is not None:
        stmt = stmt.where(Product.category == flt.category)
    if flt.is_active is not None:
        stmt = stmt.where(Product.is_active.is_(flt.is_active))
    if flt.skus is not None:
        stmt = stmt.where(Product.sku.in_(list(flt.skus)))
    if flt.price_min is not None:
        stmt = stmt.where(Product.price >= flt.price_min)
    if flt.price_max is not None:
        stmt = stmt.where(Product.price <= flt.price_max)
    if flt.created_after is not None:
        stmt = stmt.where(Product.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(Product.created_at < flt.created_before)
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
