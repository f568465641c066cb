"""The approval review: prices, discounts and credit, each failure named with its code.

Stock is the last check and is done by reserving (allocation.reserve): a review
that fails any earlier check never touches stock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Role
from app.customers.models import Customer, CustomerStatus
from app.errors import DomainError, ErrorCode
from app.orders import pricing
from app.orders import repository as repo
from app.orders.models import Order, OrderLine
from app.orders.repository import balances
from app.quotes import repository as quotes_repo

# Who may approve a discount above the configured threshold.
DISCOUNT_APPROVERS = frozenset({Role.MANAGER, Role.ADMIN})


def check_prices(session: Session, lines: Sequence[OrderLine], principal: Principal,
                 threshold: Decimal, order: Order | None = None,
                 today: date | None = None) -> list[DomainError]:
    """Each line at the catalog price, the customer's agreed price valid `today`, or the
    price of the accepted quote the order came from (whose approved discount needs no
    second approval): docs/architecture.md#quotes-and-price-agreements."""
    products = repo.products_by_ids(session, [ln.product_id for ln in lines])
    special = _special_prices(session, lines, products, threshold, order, today)
    errors: list[DomainError] = []
    for i, line in enumerate(lines):
        path = ["lines", str(i)]
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            errors.append(DomainError(f"{line.sku} is no longer sold", field=[*path, "productId"],
                                      code=ErrorCode.PRICE_MISMATCH))
            continue
        agreed, quoted = special.get(line.product_id, (None, None))
        from_quote = quoted is not None and line.unit_price == quoted.unit_price \
            and line.discount_rate == quoted.discount_rate
        if line.unit_price not in (product.price, agreed) and not from_quote:
            errors.append(DomainError(
                f"catalog price of {line.sku} is now {product.price}"
                + (f" and the agreed price {agreed}" if agreed is not None else "")
                + f" (order has {line.unit_price}); update the order to re-price it",
                field=[*path, "unitPrice"], code=ErrorCode.PRICE_MISMATCH))
        elif line.line_total != pricing.line_total(line.quantity, line.unit_price,
                                                   line.discount_rate):
            errors.append(DomainError(f"line total of {line.sku} does not match its price",
                                      field=[*path, "lineTotal"], code=ErrorCode.PRICE_MISMATCH))
        if line.discount_rate > threshold and principal.role not in DISCOUNT_APPROVERS \
                and not from_quote:
            errors.append(DomainError(
                f"discount {line.discount_rate} on {line.sku} is above {threshold}: "
                "a MANAGER must approve this order",
                field=[*path, "discountRate"], code=ErrorCode.APPROVAL_REQUIRED))
    return errors


def _special_prices(session: Session, lines: Sequence[OrderLine], products: dict,
                    threshold: Decimal, order: Order | None, today: date | None) -> dict:
    """{product id: (agreed price, quote line)}, read only for an order with a line off the
    catalog price or above the discount threshold: an ordinary approval runs no extra
    statement (tests/orders/test_write_path.py)."""
    if order is None or not any(
            (p := products.get(ln.product_id)) is not None and ln.unit_price != p.price
            or ln.discount_rate > threshold for ln in lines):
        return {}
    ids = [ln.product_id for ln in lines]
    agreed = quotes_repo.agreed_prices(session, order.customer_id, ids,
                                       today or datetime.now(UTC).date())
    quoted = quotes_repo.quote_prices_of_order(session, order.id)
    return {pid: (agreed.get(pid), quoted.get(pid)) for pid in ids}


def check_credit(session: Session, order: Order, customer: Customer) -> list[DomainError]:
    """Unpaid totals of open orders plus this order's unpaid amount must fit the limit."""
    if customer.status != CustomerStatus.ACTIVE:
        return [DomainError(f"customer is {customer.status}", field=["customerId"],
                            code=ErrorCode.CREDIT_LIMIT_EXCEEDED)]
    exposure = balances.outstanding_balance(session, customer.id, order.id)
    unpaid = balances.unpaid(order)
    if exposure + unpaid > customer.credit_limit:
        return [DomainError(
            f"credit limit {customer.credit_limit} exceeded: outstanding {exposure} "
            f"plus this order {unpaid}", code=ErrorCode.CREDIT_LIMIT_EXCEEDED)]
    return []


def review(session: Session, order: Order, lines: Sequence[OrderLine], customer: Customer,
           principal: Principal, threshold: Decimal,
           today: date | None = None) -> list[DomainError]:
    """Every failed non-stock check, so the reviewer sees all reasons at once."""
    return [*check_prices(session, lines, principal, threshold, order, today),
            *check_credit(session, order, customer)]
