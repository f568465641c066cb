"""Shared value types: money as a decimal string with its currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type(description="An amount of money: `amount` is a decimal string, e.g. \"1299.00\".")
class Money:
    amount: Decimal
    currency: str


CENT = Decimal("0.01")


def money(amount: Decimal | None, currency: str = "CNY") -> Money | None:
    """Two decimal places always, so clients compare strings safely."""
    if amount is None:
        return None
    return Money(amount=Decimal(amount).quantize(CENT), currency=currency)
