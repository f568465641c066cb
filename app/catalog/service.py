"""Catalog rules: product validation, unique SKUs, who may set costs."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.catalog import repository as repo
from app.catalog.models import Product
from app.customers import repository as customers
from app.errors import DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, flush_unique, snapshot

SKU_RE = re.compile(r"^[^\s]{1,64}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_MONEY = Decimal("999999999999.99")
MAX_WEIGHT = Decimal("1000000")
MAX_LENGTH = Decimal("10000")  # cm, one side of one unit (app/shipping/rates.py)
_MEASURES = ("length_cm", "width_cm", "height_cm")
CENT = Decimal("0.01")
_TEXT_LIMITS = {"description": 4000, "category": 100}
_NOT_NULL = ("sku", "name", "price", "cost", "currency", "unit", "is_active", "weight_kg",
             *_MEASURES, "cold_chain")
_CAMEL = {"is_active": "isActive", "weight_kg": "weightKg", "length_cm": "lengthCm",
          "width_cm": "widthCm", "height_cm": "heightCm", "cold_chain": "coldChain"}


def _check_amount(v: Validator, data: dict[str, Any], key: str, limit: Decimal) -> None:
    value = data.get(key)
    if value is None:
        return
    field = _CAMEL.get(key, key)
    if not isinstance(value, Decimal):  # the CLI and seeding pass ints and strings
        try:
            value = data[key] = Decimal(str(value))
        except ArithmeticError:
            value = Decimal("NaN")
    if not v.check(value.is_finite(), field, f"{field} must be a number"):
        return
    if v.check(Decimal("0") <= value <= limit, field, f"{field} must be between 0 and {limit}"):
        v.check(value == value.quantize(CENT), field, f"{field} has at most two decimal places")


def _validate(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    for key in _NOT_NULL:
        if key in data and data[key] is None:
            v.check(False, _CAMEL.get(key, key), f"{_CAMEL.get(key, key)} cannot be null")
    if creating or data.get("sku") is not None:
        v.check(bool(SKU_RE.match(data.get("sku") or "")), "sku",
                "sku is required: 1 to 64 characters, no spaces")
    if creating or data.get("name") is not None:
        v.check(1 <= len(data.get("name") or "") <= 200, "name",
                "name is required (at most 200 characters)")
    for key, limit in _TEXT_LIMITS.items():
        v.check(len(data.get(key) or "") <= limit, key, f"{key} is at most {limit} characters")
    if data.get("unit") is not None:
        v.check(1 <= len(data["unit"]) <= 16, "unit", "unit is 1 to 16 characters")
    if data.get("currency") is not None:
        v.check(bool(CURRENCY_RE.match(data["currency"])), "currency",
                "currency is a three-letter ISO code, e.g. CNY")
    if creating:
        v.check(data.get("price") is not None, "price", "price is required")
    _check_amount(v, data, "price", MAX_MONEY)
    _check_amount(v, data, "cost", MAX_MONEY)
    _check_amount(v, data, "weight_kg", MAX_WEIGHT)
    for key in _MEASURES:
        _check_amount(v, data, key, MAX_LENGTH)
    v.raise_if_any()


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in ("sku", "name", "unit", "category"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    for key in ("description", "category"):  # optional text: null clears it
        if key in out and out[key] is None:
            out[key] = ""
    return out


def _normalize(data: dict[str, Any]) -> dict[str, Any]:
    """Amounts as stored (two decimals), so audit before/after compare like for like."""
    amounts = ("price", "cost", "weight_kg", *_MEASURES)
    return {k: v.quantize(CENT) if k in amounts and v is not None else v
            for k, v in data.items()}


def _check_cost_access(principal: Principal, data: dict[str, Any]) -> None:
    if "cost" in data and not principal.can_see_cost():
        raise Forbidden("only FINANCE, MANAGER or ADMIN may set product costs", field=["cost"])


def _duplicate(sku: str) -> DomainError:
    return DomainError(f"SKU {sku} is already in use", field=["sku"], code=ErrorCode.DUPLICATE)


def _check_consignor(uow: UnitOfWork, consignor_id: int) -> None:
    """A consignor's goods name a consignor (docs/architecture.md#consignors)."""
    consignor = customers.get_visible(uow.session, uow.principal, consignor_id)
    if consignor is None:
        raise NotFound("consignor not found", field=["consignorId"])
    if not consignor.is_consignor:
        raise DomainError(f"customer {consignor.code} is not a consignor",
                          field=["consignorId"])


def create_product(uow: UnitOfWork, data: dict[str, Any]) -> Product:
    data = _clean({k: v for k, v in data.items() if v is not None})
    _validate(data, creating=True)
    _check_cost_access(uow.principal, data)
    data = _normalize(data)
    if repo.sku_taken(uow.session, data["sku"]):
        raise _duplicate(data["sku"])
    if data.get("consignor_id") is not None:
        _check_consignor(uow, data["consignor_id"])
    product = Product(**data)
    uow.session.add(product)
    flush_unique(uow.session, _duplicate(product.sku))
    uow.audit("product.create", "Product", product.id, after=snapshot(product))
    return product


def update_product(uow: UnitOfWork, product_id: int, data: dict[str, Any]) -> Product:
    data = _clean(data)
    _validate(data, creating=False)
    _check_cost_access(uow.principal, data)
    data = _normalize(data)
    product = repo.get_visible(uow.session, uow.principal, product_id)
    if product is None:
        raise NotFound("Product not found", field=["id"])
    if "sku" in data and repo.sku_taken(uow.session, data["sku"], except_id=product.id):
        raise _duplicate(data["sku"])
    before = snapshot(product)
    for key, value in data.items():
        setattr(product, key, value)
    product.updated_at = utcnow()
    uow.session.add(product)
    flush_unique(uow.session, _duplicate(product.sku))
    uow.audit("product.update", "Product", product.id, before=before, after=snapshot(product))
    return product


# Reads ----------------------------------------------------------------------

def get_product(session: Session, principal: Principal, product_id: int) -> Product | None:
    return repo.get_visible(session, principal, product_id)


def list_products(session: Session, principal: Principal, flt: repo.ProductFilter,
                  sort: repo.ProductSort, page: PageRequest) -> Page[Product]:
    return repo.list_products(session, principal, flt, sort, page)
