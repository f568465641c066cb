"""A delivery order's freight charge under the consignor's agreement: a plain function, no
database (docs/architecture.md#delivery-orders-and-plans). The consignor pays per order,
per unit or per kilogram of the goods delivered, never less than the agreed minimum."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.delivery.models import FreightBasis

CENT = Decimal("0.01")


@dataclass(frozen=True)
class FreightCharge:
    amount: Decimal
    basis: str
    quantity: Decimal  # orders (1), units or kilograms charged for


def freight_charge(basis: str, rate: Decimal, minimum: Decimal, units: int,
                   kilograms: Decimal) -> FreightCharge:
    quantity = {FreightBasis.PER_ORDER.value: Decimal(1), FreightBasis.PER_UNIT.value:
                Decimal(units), FreightBasis.PER_KG.value: kilograms}[basis].quantize(
                    CENT, rounding=ROUND_HALF_UP)
    amount = max(rate * quantity, minimum).quantize(CENT, rounding=ROUND_HALF_UP)
    return FreightCharge(amount, basis, quantity)
