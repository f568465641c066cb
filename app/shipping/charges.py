"""What the customer pays for shipping, per its agreement: a plain function, no database
(docs/architecture.md#carriers-and-quotes).

The agreement is the customer's freight agreement while it is valid (app/quotes/models.py
FreightAgreement: a free-shipping threshold and a flat fee), else one value on the customer
(`free_shipping_threshold`): None bills the carrier's price for the chosen service; an
amount makes shipping free for orders whose goods total (after discounts) reaches it; 0
makes it always free. Below the threshold, a flat fee replaces the carrier's price
(docs/architecture.md#quotes-and-price-agreements).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ShippingCharge:
    amount: Decimal
    reason: str


def shipping_charge(free_threshold: Decimal | None, goods_total: Decimal,
                    carrier_price: Decimal, flat_fee: Decimal | None = None) -> ShippingCharge:
    """The order's shipping charge, and why."""
    if free_threshold is not None and goods_total >= free_threshold:
        why = "free shipping for every order" if free_threshold == 0 else (
            f"free shipping: goods total {goods_total} reaches the agreed {free_threshold}")
        return ShippingCharge(ZERO, why)
    if flat_fee is not None:
        below = "" if free_threshold is None else (
            f": goods total {goods_total} is below the agreed {free_threshold}")
        return ShippingCharge(flat_fee.quantize(CENT, rounding=ROUND_HALF_UP),
                              f"the agreed flat shipping fee{below}")
    billed = carrier_price.quantize(CENT, rounding=ROUND_HALF_UP)
    if free_threshold is None:
        return ShippingCharge(billed, "shipping is billed at the carrier's price")
    return ShippingCharge(billed, f"shipping is billed: goods total {goods_total} is below "
                          f"the agreed {free_threshold}")
