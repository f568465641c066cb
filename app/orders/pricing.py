"""Prices come from the catalog or the customer's price agreement, discounts from the
customer's agreement (or a line override), totals are computed here and only here
(docs/architecture.md#quotes-and-price-agreements)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers.models import Customer, PaymentTerms
from app.errors import DomainError, ErrorCode, ValidationFailed
from app.orders.models import OrderLine, PaymentMethod

CENT = Decimal("0.01")
ZERO = Decimal("0")
MAX_QUANTITY = 1_000_000
MAX_LINES = 200


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int
    discount_rate: Decimal | None = None  # None: the customer's agreed discount
    # a converted quote's price (app/quotes/service.py); no API input sets it
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal


def line_total(quantity: int, unit_price: Decimal, discount_rate: Decimal) -> Decimal:
    return cents(Decimal(quantity) * unit_price * (1 - discount_rate))


def validate_lines(lines: Sequence[LineRequest], field: str = "lines") -> None:
    """Shape only (catalog checks need the database): reported all at once."""
    errors: list[DomainError] = []
    if not 1 <= len(lines) <= MAX_LINES:
        errors.append(DomainError(f"an order has 1 to {MAX_LINES} lines", field=[field]))
    seen: set[int] = set()
    for i, line in enumerate(lines):
        path = [field, str(i)]
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors.append(DomainError(f"quantity must be 1 to {MAX_QUANTITY}",
                                      field=[*path, "quantity"]))
        if line.discount_rate is not None and not ZERO <= line.discount_rate < 1:
            errors.append(DomainError("discount rate is a fraction from 0 up to (not incl.) 1",
                                      field=[*path, "discountRate"]))
        if line.product_id in seen:
            errors.append(DomainError("this product is already on the order; combine the lines",
                                      field=[*path, "productId"]))
        seen.add(line.product_id)
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class PricedLine:
    """An order line's priced values (the service writes them; no ORM object needed)."""

    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    discount_rate: Decimal
    line_total: Decimal


@dataclass
class Priced:
    lines: list[PricedLine]
    currency: str


def in_catalog_of(product: Product, principal: Principal) -> bool:
    """The catalog a CUSTOMER or CONSIGNOR signs in to (app/catalog/repository.py scope): a
    consignor its own goods, a customer the company's and its own consigned ones."""
    if principal.consignor_scope is not None:
        return product.consignor_id == principal.consignor_scope
    return product.consignor_id is None or product.consignor_id == principal.customer_scope


def owner_mismatch(product: Product, customer: Customer) -> str | None:
    """Why `customer` may not order `product`, or None: a consignor's goods go only on that
    consignor's own orders, and a consignor's orders carry only its own goods
    (docs/architecture.md#consignors)."""
    owner = customer.id if customer.is_consignor else None
    if product.consignor_id == owner:
        return None
    if product.consignor_id is None:
        return (f"{product.sku} is the company's own stock: an order of consignor "
                f"{customer.name} carries only the consignor's goods")
    return f"{product.sku} is a consignor's goods: only that consignor's orders may carry it"


def price_lines(products: dict[int, Product], customer: Customer,
                lines: Sequence[LineRequest], field: str = "lines",
                agreed: Mapping[int, Decimal] | None = None) -> Priced:
    """Order lines priced from the catalog, or at the customer's agreed price (`agreed`:
    product id -> price, the agreements valid today), which is net: the customer's general
    discount does not apply on top of it. Unknown or inactive products are errors."""
    agreed = agreed or {}
    errors: list[DomainError] = []
    out: list[PricedLine] = []
    currencies = set()
    for i, req in enumerate(lines):
        product = products.get(req.product_id)
        if product is None or not product.is_active:
            errors.append(DomainError("product not found or no longer sold",
                                      field=[field, str(i), "productId"], code=ErrorCode.NOT_FOUND))
            continue
        if (owned := owner_mismatch(product, customer)) is not None:
            errors.append(DomainError(owned, field=[field, str(i), "productId"]))
            continue
        currencies.add(product.currency)
        price = agreed.get(product.id)
        default_rate = customer.discount_rate if price is None else ZERO
        if req.unit_price is not None:
            price = req.unit_price
        price = product.price if price is None else price
        rate = default_rate if req.discount_rate is None else req.discount_rate
        rate = Decimal(rate).quantize(CENT)  # stored with two decimals: price from the stored rate
        out.append(PricedLine(product_id=product.id, sku=product.sku, name=product.name,
                              quantity=req.quantity, unit_price=price,
                              discount_rate=rate,
                              line_total=line_total(req.quantity, price, rate)))
    if len(currencies) > 1:
        errors.append(DomainError("all products of an order must share one currency",
                                  field=[field]))
    if errors:
        raise ValidationFailed(errors)
    return Priced(lines=out, currency=currencies.pop())


def totals(lines: Sequence[OrderLine | PricedLine], shipping: Decimal = ZERO) -> Totals:
    subtotal = sum((cents(Decimal(ln.quantity) * ln.unit_price) for ln in lines), ZERO)
    net = sum((ln.line_total for ln in lines), ZERO)
    return Totals(subtotal=subtotal, discount_total=subtotal - net, total=net + shipping)


_TERMS_TO_METHOD = {
    PaymentTerms.PREPAID: PaymentMethod.PREPAID,
    PaymentTerms.CASH_ON_DELIVERY: PaymentMethod.CASH_ON_DELIVERY,
    PaymentTerms.NET_30: PaymentMethod.CREDIT_TERMS,
    PaymentTerms.NET_60: PaymentMethod.CREDIT_TERMS,
}


def payment_method_for(customer: Customer, requested: str | None) -> str:
    """The customer's terms decide the default; credit terms need a credit agreement."""
    default = _TERMS_TO_METHOD.get(PaymentTerms(customer.payment_terms), PaymentMethod.PREPAID)
    if requested is None:
        return default.value
    if requested not in PaymentMethod.__members__:
        raise DomainError("unknown payment method", field=["paymentMethod"])
    if requested == PaymentMethod.CREDIT_TERMS and default is not PaymentMethod.CREDIT_TERMS:
        raise DomainError("this customer has no credit terms", field=["paymentMethod"])
    return requested
