"""SQL for order lines and their stock allocations: dataloader batches, and the write
path's statements, built once and run with bound parameters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert
from sqlmodel import Session, select

from app.catalog.models import Product
from app.customers.models import Customer
from app.inventory.models import StockLevel, Warehouse
from app.orders.models import OrderAllocation, OrderLine
from app.persistence.fast import bulk, driver, pg, rows, statements
from app.persistence.repository import grouped

# Lines ------------------------------------------------------------------------------

def lines_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    stmt = select(OrderLine).where(OrderLine.order_id.in_(list(ids))).order_by(
        OrderLine.order_id, OrderLine.id)
    return grouped(session.exec(stmt), "order_id")


def line_rows_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    """Read-only rows for display (app/persistence/fast/rows.py), in the order of
    `lines_by_order`."""
    return rows.grouped(session, OrderLine, "order_id", ids, ("order_id", "id"))


def lines_by_ids(session: Session, ids: Sequence[int]) -> dict[int, OrderLine]:
    return {x.id: x for x in session.exec(select(OrderLine).where(OrderLine.id.in_(list(ids))))}


_LINES_OF = (select(OrderLine).where(OrderLine.order_id == bindparam("order_id"))
             .order_by(OrderLine.id))


def lines_of(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.execute(_LINES_OF, {"order_id": order_id}).scalars())


_LINE_TABLE = rows.table(OrderLine)
_LINE_RECORDS = (select(_LINE_TABLE).where(_LINE_TABLE.c.order_id == bindparam("order_id"))
                 .order_by(_LINE_TABLE.c.id))


def line_records_query(order_id: int) -> statements.Query:
    return _LINE_RECORDS, {"order_id": order_id}


def line_records(session: Session, order_id: int) -> list[Any]:
    """The order's lines as read-only records (app/persistence/fast/rows.py), for steps that
    only read them."""
    return statements.records(session, *line_records_query(order_id), OrderLine)


_INSERT_LINE = driver.plain_insert(OrderLine.__table__)


def insert_lines(session: Session, order_id: int, lines: Iterable[Any]) -> None:
    """The order's priced lines (app/orders/pricing.py), in one Core executemany on the
    connection (no autoflush: the order is written); nothing in the transaction needs the
    lines as objects."""
    driver.execute(driver.connection_of(session), _INSERT_LINE, _line_rows(order_id, lines))


def insert_with_order(session: Session, table: Any, row: dict[str, Any], order_id: int,
                      lines: Iterable[Any]) -> bool:
    """The new order's row (its id drawn ahead) and its priced lines in one round trip
    (PostgreSQL); False where they cannot go so (the caller writes them one by one)."""
    rows = _line_rows(order_id, lines)
    plain = [(table, [row])] + ([(OrderLine.__table__, rows)] if rows else [])
    return pg.insert_batch(driver.connection_of(session), plain, []) is not None


def _line_rows(order_id: int, lines: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"order_id": order_id, "product_id": ln.product_id, "sku": ln.sku,
             "name": ln.name, "quantity": ln.quantity, "unit_price": ln.unit_price,
             "discount_rate": ln.discount_rate, "line_total": ln.line_total,
             "quantity_shipped": 0, "quantity_delivered": 0, "quantity_returned": 0}
            for ln in lines]


def delete_lines(session: Session, order_id: int) -> None:
    session.execute(delete(OrderLine).where(OrderLine.order_id == order_id))


# Allocations ----------------------------------------------------------------------

def allocations_by_order(session: Session,
                         ids: Sequence[int]) -> dict[int, list[OrderAllocation]]:
    stmt = select(OrderAllocation).where(OrderAllocation.order_id.in_(list(ids))).order_by(
        OrderAllocation.order_id, OrderAllocation.order_line_id, OrderAllocation.warehouse_id)
    return grouped(session.exec(stmt), "order_id")


def allocations_of(session: Session, order_id: int) -> list[OrderAllocation]:
    return allocations_by_order(session, [order_id]).get(order_id, [])


# Reads the products' stock rows, with their (active) warehouses, in one statement built
# once; `_LOCKED` also locks them in the ledger's fixed order. A warehouse without a row
# for these products could take no line, so planning needs no others.
# Only the order's owner's goods: a consignor's order (its customer is the consignor)
# takes that consignor's stock, any other order the company's own (consignor NULL), as
# 0 against 0 (docs/architecture.md#consignors).
_OWNER = (select(case((Customer.is_consignor, Customer.id), else_=0))
          .where(Customer.id == bindparam("customer")).scalar_subquery())
_OF_ORDER = select(OrderLine.product_id).where(OrderLine.order_id == bindparam("order"))


def _stock(products: Any) -> Any:
    return (select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand,
                   StockLevel.reserved, Warehouse.region, StockLevel.id,
                   StockLevel.consignor_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.product_id.in_(products), Warehouse.is_active.is_(True),
                   func.coalesce(StockLevel.consignor_id, 0) == _OWNER)
            .order_by(StockLevel.product_id, StockLevel.warehouse_id))


_STOCK = _stock(bindparam("ids", expanding=True))
_LOCKED = _STOCK.with_for_update(of=StockLevel, key_share=True)
_ORDER_STOCK = _stock(_OF_ORDER)  # the same rows, named by the order (read ahead)
_ORDER_PRODUCTS = select(rows.table(Product)).where(rows.table(Product).c.id.in_(_OF_ORDER))


def order_stock_query(order_id: int, customer_id: int) -> statements.Query:
    """`stock_query`'s rows for the products of the order's lines, before they are read."""
    return _ORDER_STOCK, {"order": order_id, "customer": customer_id}


def order_products_query(order_id: int) -> statements.Query:
    """The products of the order's lines, as `rows.by_id` reads them."""
    return _ORDER_PRODUCTS, {"order": order_id}


def stock_query(product_ids: Iterable[int], customer_id: int, *, locked: bool = False
                ) -> statements.Query:
    return (_LOCKED if locked else _STOCK), {"ids": sorted(set(product_ids)),
                                             "customer": customer_id}


def stock_rows(session: Session, product_ids: Iterable[int], customer_id: int, *,
               locked: bool = False) -> list[tuple]:
    """(product_id, warehouse_id, on_hand, reserved, warehouse region, level id, consignor
    id) of every stock row of these products in an active warehouse that an order of
    `customer_id` may take (its owner's), in (product, warehouse) order; `locked`: locked
    in that order (PostgreSQL)."""
    return statements.rows(session, *stock_query(product_ids, customer_id, locked=locked))


_INSERT_ALLOCATION = insert(OrderAllocation.__table__)


def insert_allocations(session: Session, order_id: int, slots: Iterable[Any], *,
                       deferred: bool = False) -> None:
    """The plan's slots (app/orders/allocation.py) as allocation rows, in one Core
    executemany (no ORM objects: nothing in the step reads them back). `deferred`: with the
    unit's other deferred rows before commit (app/persistence/fast/bulk.py), for a step
    that ends its unit of work: on PostgreSQL in one round trip with its ledger rows."""
    rows = [{"order_id": order_id, "order_line_id": s.line_id, "product_id": s.product_id,
             "warehouse_id": s.warehouse_id, "quantity": s.quantity, "quantity_shipped": 0}
            for s in slots]
    if deferred:
        for row in rows:
            bulk.defer(session, OrderAllocation.__table__, row)
        return
    driver.execute(driver.connection_of(session), _INSERT_ALLOCATION, rows)


def delete_allocations(session: Session, order_id: int) -> None:
    session.execute(delete(OrderAllocation).where(OrderAllocation.order_id == order_id))
