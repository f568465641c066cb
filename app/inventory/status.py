"""How full a stock level is: the one definition shared by filters, fields and alerts."""

from __future__ import annotations

from enum import StrEnum


class StockStatus(StrEnum):
    IN_STOCK = "IN_STOCK"  # available > 0 and not below safety stock
    LOW_STOCK = "LOW_STOCK"  # available > 0 but below safety stock
    OUT_OF_STOCK = "OUT_OF_STOCK"  # nothing available (on hand minus reserved <= 0)


def classify(available: int, safety_stock: int) -> StockStatus:
    if available <= 0:
        return StockStatus.OUT_OF_STOCK
    if available < safety_stock:
        return StockStatus.LOW_STOCK
    return StockStatus.IN_STOCK
