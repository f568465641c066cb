"""Helpers for catalog and inventory tests: rows through the real services, ledger checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from app.audit.models import AuditRecord
from app.catalog import service as catalog_service
from app.events.models import OutboxEvent
from app.ids import to_global_id
from app.inventory import service as inventory_service
from app.inventory import stock_service
from app.inventory.models import StockLevel, StockMovement
from tests.support import Factory, unique


def product(factory: Factory, **data: Any) -> Any:
    values = {"sku": unique("SKU-"), "name": unique("产品 "), "price": Decimal("100.00"),
              "cost": Decimal("60.00"), **data}
    return factory.write(catalog_service.create_product, values)


def warehouse(factory: Factory, **data: Any) -> Any:
    values = {"code": unique("WH"), "name": unique("仓库 "), "region": "华东", **data}
    return factory.write(inventory_service.create_warehouse, values)


def receive(factory: Factory, product_id: int, warehouse_id: int, quantity: int) -> Any:
    return factory.write(stock_service.receive_stock, product_id, warehouse_id, quantity,
                         "setup")


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def levels_of(factory: Factory, product_id: int) -> dict[int, StockLevel]:
    def fetch(session: Session) -> dict[int, StockLevel]:
        rows = session.exec(select(StockLevel).where(StockLevel.product_id == product_id))
        return {r.warehouse_id: r for r in rows}
    return factory.runner.read_sync(fetch, (), {})


def movements_of(factory: Factory, product_id: int) -> list[StockMovement]:
    def fetch(session: Session) -> list[StockMovement]:
        stmt = select(StockMovement).where(StockMovement.product_id == product_id).order_by(
            StockMovement.id)
        return list(session.exec(stmt))
    return factory.runner.read_sync(fetch, (), {})


def assert_ledger_consistent(factory: Factory, product_id: int) -> None:
    """For every level of the product: the movement deltas add up to on hand and reserved."""
    moves = movements_of(factory, product_id)
    for wid, level in levels_of(factory, product_id).items():
        mine = [m for m in moves if m.warehouse_id == wid]
        assert sum(m.on_hand_delta for m in mine) == level.on_hand, (wid, level)
        assert sum(m.reserved_delta for m in mine) == level.reserved, (wid, level)


def audit_records(factory: Factory, action: str, entity_type: str,
                  entity_id: int) -> list[AuditRecord]:
    def fetch(session: Session) -> list[AuditRecord]:
        stmt = select(AuditRecord).where(AuditRecord.action == action,
                                         AuditRecord.entity_type == entity_type,
                                         AuditRecord.entity_id == entity_id)
        return list(session.exec(stmt.order_by(AuditRecord.id)))
    return factory.runner.read_sync(fetch, (), {})


def stock_alerts(factory: Factory, product_id: int) -> list[dict]:
    def fetch(session: Session) -> list[dict]:
        stmt = select(OutboxEvent).where(OutboxEvent.topic == "stock.alert").order_by(
            OutboxEvent.id)
        return [e.payload for e in session.exec(stmt) if e.payload["product_id"] == product_id]
    return factory.runner.read_sync(fetch, (), {})
