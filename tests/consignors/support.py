"""Consignors, their goods and receipts through the real services."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.inventory import stock_service
from app.inventory.models import StockMovement
from tests.orders.support import Kit
from tests.support import unique


def consignor(kit: Kit, **data: Any) -> Any:
    return kit.customer(is_consignor=True, **data)


def goods(kit: Kit, owner: Any, name: str = "纯棉T恤 白色 M", **data: Any) -> Any:
    """A product of `owner` (a consignor), or the company's own (None)."""
    return kit.product(name=name, consignor_id=owner.id if owner else None, **data)


def receive(kit: Kit, product: Any, warehouse: Any, quantity: int, owner: Any = None) -> None:
    kit.factory.write(stock_service.receive_stock, product.id, warehouse.id, quantity,
                      "test setup", consignor_id=owner.id if owner else None,
                      asn=unique("ASN-") if owner else None)


def movements(kit: Kit, product: Any) -> list[StockMovement]:
    def fetch(session: Session) -> list[StockMovement]:
        return list(session.exec(select(StockMovement).where(
            StockMovement.product_id == product.id).order_by(StockMovement.id)))
    return kit.read(fetch)
